import { z } from 'zod'

/** Response shapes shared by several routes, named as in the product. */
export const refreshSchema = z
  .object({
    id: z.string(),
    instanceId: z.string(),
    dataSourceName: z.string(),
    state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    attempt: z.number().int(),
    requestedAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    progress: z
      .object({ phase: z.string(), fraction: z.number(), rowsRead: z.number().optional() })
      .nullable(),
    rowCount: z.number().nullable(),
    rejectedRowCount: z.number().nullable(),
    rejectsPath: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    dialect: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        'How a CSV file was read (delimiter, quote, encoding, decimal mark, date format); `detected` names what was detected rather than set',
      ),
    allowShrink: z
      .boolean()
      .describe("Asked to publish even if it removes more rows than the source's maxShrink allows"),
  })
  .describe('One refresh of a data source')

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
