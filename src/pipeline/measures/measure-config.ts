import { z } from 'zod'

/** Names of measures, segments and activities: CamelCase, so they can be columns and entity names. */
export const insightNameSchema = z
  .string()
  .regex(
    /^[A-Z][A-Za-z0-9]{0,62}$/,
    'a name is CamelCase, starting with a capital letter, e.g. LifetimeValue',
  )

export const AGGREGATIONS = ['sum', 'count', 'avg', 'min', 'max', 'countDistinct'] as const

/** "30d", "12h", "8w", "6mo", "1y": how far back from the refresh a time window reaches. */
export const durationSchema = z
  .string()
  .regex(/^[1-9]\d{0,4}(h|d|w|mo|y)$/, 'a duration such as 12h, 30d, 8w, 6mo or 1y')

export const timeWindowSchema = z
  .object({
    column: z.string().min(1).describe('The date or timestamp column the window applies to'),
    last: durationSchema.describe('Rows from this far back until the refresh, e.g. 30d'),
  })
  .strict()

/** Links rows of an entity to customers: the row's column holds the key of a record of a unified source. */
export const customerLinkSchema = z
  .object({
    source: z.string().min(1).describe('A data source that unify maps'),
    column: z.string().min(1).describe("The entity's column holding that source's primary key"),
  })
  .strict()

export const measureSchema = z
  .object({
    description: z.string().max(500).optional(),
    kind: z
      .enum(['business', 'customer'])
      .default('business')
      .describe('business: one value (or one per dimension value); customer: one value per CustomerId'),
    entity: z.string().min(1).optional().describe('The entity rows are aggregated from'),
    aggregation: z.enum(AGGREGATIONS).optional(),
    column: z.string().min(1).optional().describe('The column aggregated (not needed for count)'),
    filter: z
      .string()
      .max(4000)
      .optional()
      .describe("Only rows matching this OData filter, e.g. channel eq 'web'"),
    window: timeWindowSchema.optional(),
    groupBy: z
      .string()
      .min(1)
      .optional()
      .describe('A dimension: one value per value of this column (business)'),
    customer: customerLinkSchema
      .optional()
      .describe('For customer measures over an entity that is not itself a unified source'),
    sql: z
      .string()
      .max(20000)
      .optional()
      .describe(
        'Instead of entity/aggregation: one read-only SELECT over entities by name, returning value (business), dimension and value, or CustomerId and value (customer)',
      ),
    thresholds: z
      .array(z.number().finite())
      .max(20)
      .default([])
      .describe('Values whose crossing raises measure.threshold.crossed even with no subscription'),
  })
  .strict()
  .superRefine((m, ctx) => {
    const issue = (path: string, message: string, fix: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message, params: { fix } })
    if (m.sql !== undefined) {
      for (const key of [
        'entity',
        'aggregation',
        'column',
        'filter',
        'window',
        'groupBy',
        'customer',
      ] as const)
        if (m[key] !== undefined)
          issue(key, `a measure with sql computes everything in its SELECT`, `remove ${key}`)
      return
    }
    if (!m.entity)
      issue('entity', 'no entity to aggregate', 'name one, e.g. entity: webshop_orders (or write sql)')
    if (!m.aggregation)
      issue('aggregation', 'no aggregation', `set aggregation to one of ${AGGREGATIONS.join(', ')}`)
    if (m.aggregation && m.aggregation !== 'count' && !m.column)
      issue(
        'column',
        `${m.aggregation} needs a column`,
        `name the column to ${m.aggregation}, e.g. column: total_amount`,
      )
    if (m.kind === 'customer' && m.groupBy)
      issue(
        'groupBy',
        'a customer measure has one value per customer',
        'remove groupBy (or make it a business measure)',
      )
  })

export type MeasureConfig = z.infer<typeof measureSchema>
export type MeasureInput = z.input<typeof measureSchema>
