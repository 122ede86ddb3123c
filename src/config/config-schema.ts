import { z } from 'zod'
import { flowDefinitionSchema } from '../flows/definition/flow-definition.js'
import { FLOW_NAME } from '../flows/flow-service.js'
import { instanceIdSchema, nameSchema } from '../names.js'
import { insightNameSchema, measureSchema } from '../pipeline/measures/measure-config.js'
import { scheduleProblem } from '../pipeline/schedule-cron.js'
import { segmentSchema } from '../pipeline/segments/segment-config.js'
import { sourceReaders } from '../pipeline/sources/index.js'
import { COLUMN_TYPES, isColumnType } from '../pipeline/sql/duckdb-sql.js'
import { unifyConfigSchema, unifyReferenceProblems } from '../pipeline/unify/unify-config.js'
import { parseFilter } from '../query/index.js'
import type { DataSourceKind } from '../store/data-sources.js'

export { instanceIdSchema, nameSchema }

const columnTypeSchema = z
  .string()
  .refine(isColumnType, { message: `a column type is one of ${COLUMN_TYPES.join(', ')} or DECIMAL(p,s)` })

/** A cron in a time zone: when a full refresh, or one data source's refresh, runs. */
const scheduleSchema = z
  .object({
    cron: z.string().min(9).max(100).describe('When to run a full refresh, e.g. "0 3 * * *" (03:00 daily)'),
    timezone: z
      .string()
      .min(1)
      .max(64)
      .default('UTC')
      .describe('IANA time zone of the cron, e.g. Europe/Copenhagen'),
  })
  .strict()

const dataSourceCommon = {
  description: z.string().max(500).optional().describe('What this data source holds, for people'),
  primaryKey: z
    .string()
    .min(1)
    .describe('Column whose value identifies a row; rows without one, or repeating one, are rejected'),
  columnTypes: z
    .record(z.string().min(1), columnTypeSchema)
    .default({})
    .describe('Type overrides applied while reading, e.g. { birth_date: DATE }'),
  rejectRatio: z
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe('Fraction of rejected records above which a refresh fails (0.05 = 5%)'),
  maxShrink: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe(
      'Share of the current rows a refresh may remove (0.5 = half); a refresh that removes more is held as failed and the current data stays, unless asked with --allow-shrink. 1 allows any.',
    ),
  schedule: scheduleSchema
    .optional()
    .describe(
      'Refreshes of this source on its own cron, e.g. { cron: "0 * * * *" } hourly (apart from the full refresh)',
    ),
}

function dataSourceVariant(kind: DataSourceKind) {
  return z
    .object({
      kind: z.literal(kind),
      options: sourceReaders[kind].options as z.ZodType<Record<string, unknown>>,
      ...dataSourceCommon,
    })
    .strict()
}

export const dataSourceSchema = z.discriminatedUnion('kind', [
  dataSourceVariant('csv'),
  dataSourceVariant('json'),
  dataSourceVariant('ndjson'),
  dataSourceVariant('parquet'),
  dataSourceVariant('postgres'),
])

export type DataSourceConfig = z.infer<typeof dataSourceSchema>

/** `openinsights.yaml`: an instance described as code. Later sections (unify, measures, ...) join here. */
export const configSchema = z
  .object({
    $schema: z.string().optional().describe('JSON Schema of this file, for editors'),
    version: z.literal(1).default(1).describe('Version of this file format'),
    instance: z
      .object({
        id: instanceIdSchema.describe('Identifies the instance in URLs: /api/v1/instances/{id}'),
        name: z.string().min(1).max(100).optional().describe('Display name'),
      })
      .strict(),
    dataSources: z
      .record(nameSchema, dataSourceSchema)
      .default({})
      .describe('Data sources by name; each is published as an entity of the same name'),
    unify: unifyConfigSchema.optional(),
    measures: z
      .record(insightNameSchema, measureSchema)
      .default({})
      .describe(
        'Business measures (one value, or one per dimension value) and customer measures (one per CustomerId)',
      ),
    schedule: scheduleSchema
      .optional()
      .describe('A full refresh (sources → unify → measures and segments) on a cron schedule'),
    flows: z
      .record(z.string().regex(FLOW_NAME, 'letters, digits, -, _ and spaces'), flowDefinitionSchema)
      .default({})
      .describe('Flows by name: a trigger and actions with runAfter, as a workflow definition'),
    segments: z
      .record(insightNameSchema, segmentSchema)
      .default({})
      .describe('Rule-based sets of customers, each published as Segment<Name>'),
  })
  .strict()
  .superRefine((config, context) => {
    const problem = (path: (string | number)[], message: string, fix: string) =>
      context.addIssue({ code: 'custom', path, message, params: { fix } })
    const unified = new Set(Object.keys(config.unify?.sources ?? {}))
    const filters: [(string | number)[], string | undefined][] = [
      ...Object.entries(config.measures).map(([n, m]): [(string | number)[], string | undefined] => [
        ['measures', n, 'filter'],
        m.filter,
      ]),
      ...Object.entries(config.segments).flatMap(([n, s]) => [
        [['segments', n, 'filter'], s.filter] as [(string | number)[], string | undefined],
        ...Object.entries(s.activities).map(([a, act]): [(string | number)[], string | undefined] => [
          ['segments', n, 'activities', a, 'filter'],
          act.filter,
        ]),
      ]),
    ]
    for (const [path, filter] of filters) {
      if (!filter) continue
      try {
        parseFilter(filter, 'filter')
      } catch (error) {
        problem(
          path,
          (error as Error).message,
          "write an OData filter, e.g. Country eq 'DK' and LifetimeValue ge 1000",
        )
      }
    }
    const links: [(string | number)[], { source: string } | undefined][] = [
      ...Object.entries(config.measures).map(
        ([n, m]): [(string | number)[], { source: string } | undefined] => [
          ['measures', n, 'customer', 'source'],
          m.customer,
        ],
      ),
      ...Object.entries(config.segments).flatMap(([n, s]) =>
        Object.entries(s.activities).map(
          ([a, act]): [(string | number)[], { source: string } | undefined] => [
            ['segments', n, 'activities', a, 'customer', 'source'],
            act.customer,
          ],
        ),
      ),
    ]
    for (const [path, link] of links)
      if (link && !unified.has(link.source))
        problem(
          path,
          `'${link.source}' is not a source unify maps`,
          `use one of: ${[...unified].join(', ') || '(add a unify section first)'}`,
        )
    for (const [name, source] of Object.entries(config.dataSources)) {
      const trouble = source.schedule && scheduleProblem(source.schedule)
      if (trouble)
        problem(
          ['dataSources', name, 'schedule', 'cron'],
          trouble,
          'write five cron fields, e.g. "0 * * * *", and a valid time zone',
        )
    }
    if (config.schedule) {
      const trouble = scheduleProblem(config.schedule)
      if (trouble)
        problem(
          ['schedule', 'cron'],
          trouble,
          'write five cron fields, e.g. "0 3 * * *", and a valid time zone',
        )
    }
    for (const name of Object.keys(config.segments))
      if (name in config.measures)
        problem(
          ['segments', name],
          `'${name}' is also a measure's name`,
          'give segments and measures different names',
        )
    if (!config.unify) return
    for (const problem of unifyReferenceProblems(config.unify, new Set(Object.keys(config.dataSources)))) {
      context.addIssue({
        code: 'custom',
        path: problem.path,
        message: problem.message,
        params: { fix: problem.fix },
      })
    }
  })
  .describe('openinsights instance configuration')

export type ConfigDocument = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>

/** The JSON Schema editors use to validate and complete `openinsights.yaml`. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >
  return {
    ...schema,
    $id: 'https://openinsights.dev/schema/openinsights.schema.json',
    title: 'openinsights.yaml',
  }
}
