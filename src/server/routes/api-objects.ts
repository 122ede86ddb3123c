import { z } from 'zod'

/** Response shapes shared by several routes, named as in the product. */
export { refreshSchema } from '../../connector/operations/index.js'

export const eventSchema = z
  .object({
    id: z.string().describe('ULID; also the cursor for ?after='),
    type: z.string(),
    instanceId: z.string(),
    occurredAt: z.string(),
    data: z.record(z.string(), z.unknown()),
    summary: z.string().describe('One line a person reads: what happened, to what, with its figures'),
  })
  .describe('An event from the outbox')
