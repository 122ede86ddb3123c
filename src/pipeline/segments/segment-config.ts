import { z } from 'zod'
import { customerLinkSchema, durationSchema, insightNameSchema } from '../measures/measure-config.js'

/**
 * Activity within a time window, per customer: how many rows of an entity (matching a filter)
 * each customer has in the last N days. Usable in the segment's filter by its name.
 */
export const activitySchema = z
  .object({
    entity: z.string().min(1).describe('The entity of activity rows, e.g. webshop_orders'),
    dateColumn: z.string().min(1).describe('When each row happened'),
    within: durationSchema.describe('How far back from the refresh, e.g. 90d'),
    filter: z.string().max(4000).optional().describe('Only rows matching this OData filter'),
    customer: customerLinkSchema.optional(),
  })
  .strict()

export const segmentSchema = z
  .object({
    description: z.string().max(500).optional(),
    filter: z
      .string()
      .max(8000)
      .optional()
      .describe(
        "An OData filter over UnifiedCustomer's attributes, customer measures and this segment's activities, with and/or/not and parentheses, e.g. LifetimeValue ge 1000 and (City eq 'Aarhus' or RecentOrders ge 2)",
      ),
    activities: z.record(insightNameSchema, activitySchema).default({}),
    include: z.array(z.string().min(1)).max(10000).default([]).describe('CustomerIds always members'),
    exclude: z.array(z.string().min(1)).max(10000).default([]).describe('CustomerIds never members'),
    thresholds: z
      .array(z.number().int().nonnegative())
      .max(20)
      .default([])
      .describe('Member counts whose crossing raises segment.threshold.crossed even with no subscription'),
  })
  .strict()

export type SegmentConfig = z.infer<typeof segmentSchema>
export type ActivityConfig = z.infer<typeof activitySchema>
