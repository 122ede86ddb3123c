import { z } from 'zod'
import { EVENT_TYPES, IN_INSTANCE, pickList } from '../../events/index.js'
import { instanceIdSchema, nameSchema } from '../../names.js'

/** The shapes of the operations the connector offers (and other routes reuse). */

const urlEncoding = { 'x-ms-url-encoding': 'single' } as const
/** Timestamps are ISO 8601 text: said for clients, not checked on the way out. */
const dateTime = { format: 'date-time' } as const

export const instanceParams = z.object({
  instanceId: instanceIdSchema.describe('The openinsights instance, e.g. demo').meta({
    'x-ms-summary': 'Instance',
    ...urlEncoding,
    'x-ms-dynamic-values': {
      operationId: 'GetInstances',
      'value-collection': 'value',
      'value-path': 'id',
      'value-title': 'name',
    },
  }),
})

const inInstance = IN_INSTANCE

const entityHints = {
  'x-ms-summary': 'Entity',
  ...urlEncoding,
  ...pickList('GetEntities', inInstance),
}

export const entityParam = nameSchema.describe('The entity, e.g. crm_contacts').meta(entityHints)

/** An entity that items can be created in and updated: the pick list offers only those. */
export const writableEntityParam = nameSchema
  .describe('A writable entity, e.g. campaign_responses')
  .meta({ ...entityHints, ...pickList('GetEntities', { ...inInstance, writable: 'true' }) })

/** An entity's name, or OData's `Entity('key')` (which the route answers as Get item). */
export const entityOrItemParam = z
  .string()
  .min(1)
  .max(300)
  .describe('The entity, e.g. crm_contacts')
  .meta(entityHints)

export const itemKeyParam = z
  .string()
  .min(1)
  .max(1000)
  .describe("The value of the entity's key column")
  .meta({ 'x-ms-summary': 'Item key', ...urlEncoding })

export const partitionParam = z
  .string()
  .regex(/^part-\d{5}$/, 'a partition name such as part-00000')
  .describe('The partition name, e.g. part-00000')
  .meta({
    'x-ms-summary': 'Partition',
    ...urlEncoding,
    'x-ms-dynamic-values': {
      operationId: 'GetPartitions',
      parameters: { instanceId: { parameter: 'instanceId' }, entity: { parameter: 'entity' } },
      'value-collection': 'value',
      'value-path': 'name',
      'value-title': 'name',
    },
  })

export const subscriptionIdParam = z
  .string()
  .min(1)
  .max(64)
  .describe('The subscription')
  .meta({ 'x-ms-summary': 'Subscription ID' })

export const instanceSchema = z.object({
  id: z.string().describe('Identifies the instance').meta({ 'x-ms-summary': 'Instance ID' }),
  name: z.string().describe('Display name').meta({ 'x-ms-summary': 'Instance name' }),
  createdAt: z.string().describe('When the instance was created').meta(dateTime),
})

export const columnSchema = z.object({
  name: z.string().describe('The column').meta({ 'x-ms-summary': 'Column name' }),
  type: z.string().describe('Its DuckDB type, e.g. VARCHAR').meta({ 'x-ms-summary': 'Column type' }),
})

export const entityOut = z
  .object({
    name: z.string().describe('The entity').meta({ 'x-ms-summary': 'Entity name' }),
    origin: z.string().describe('Where it comes from, e.g. datasource:crm_contacts'),
    rowCount: z.number().int().describe('Rows in the current version'),
    schema: z.array(columnSchema).describe('Its columns').meta({ 'x-ms-summary': 'Columns' }),
    keyColumn: z.string().nullable().describe('The column that identifies an item'),
    writable: z.boolean().describe('Items can be created and updated'),
    versionId: z.string().describe('The current version').meta({ 'x-ms-summary': 'Version ID' }),
    refreshId: z.string().describe('The refresh that published it').meta({ 'x-ms-summary': 'Refresh ID' }),
    partitionCount: z.number().int().describe('Parquet partitions of the current version'),
    updatedAt: z.string().describe('When its current version was published').meta(dateTime),
  })
  .describe('An entity and its current version')

/** What an item schema is for: reading, creating or changing an item. */
export const ITEM_SCHEMA_USES = ['read', 'create', 'update'] as const
export type ItemSchemaUse = (typeof ITEM_SCHEMA_USES)[number]

/**
 * The chosen entity's columns as the fields of an item (GetEntitySchema), so Power Automate
 * shows each column as its own field and its own dynamic-content token: both the v1 extension
 * (`x-ms-dynamic-schema`) and v2 (`x-ms-dynamic-properties`), as certified connectors carry.
 */
function entityColumns(use: ItemSchemaUse) {
  return {
    'x-ms-dynamic-schema': {
      operationId: 'GetEntitySchema',
      parameters: { ...inInstance, entity: { parameter: 'entity' }, for: use },
      'value-path': 'schema',
    },
    'x-ms-dynamic-properties': {
      operationId: 'GetEntitySchema',
      parameters: {
        instanceId: { parameterReference: 'instanceId' },
        entity: { parameterReference: 'entity' },
        for: { value: use },
      },
      itemValuePath: 'schema',
    },
  }
}

const itemOf = (use: ItemSchemaUse) =>
  z
    .record(z.string(), z.unknown())
    .describe('One item: its fields by column name')
    .meta({ 'x-ms-summary': 'Item', ...entityColumns(use) })

const item = itemOf('read')

export const createItemBody = itemOf('create').describe("The new item's fields, by column name")
export const updateItemBody = itemOf('update').describe('The fields to change, by column name')
export const itemOut = item

const nextLink = z
  .string()
  .describe('Where the next page is')
  .meta({ 'x-ms-summary': 'Next link', 'x-ms-visibility': 'internal' })

export const itemsOut = z.object({
  '@odata.context': z
    .string()
    .describe('The OData metadata of the result')
    .meta({ 'x-ms-summary': 'Context', 'x-ms-visibility': 'internal' }),
  '@odata.count': z
    .number()
    .int()
    .optional()
    .describe('Matching items in all, when asked')
    .meta({ 'x-ms-summary': 'Count' }),
  value: z.array(item).describe('The items of this page').meta({ 'x-ms-summary': 'Items' }),
  '@odata.nextLink': nextLink.optional(),
})

const advanced = (summary: string) => ({ 'x-ms-summary': summary, 'x-ms-visibility': 'advanced' as const })
/** Query parameters are text on the wire; these say what the text holds, for the connector. */
const integerText = (summary: string) => ({ ...advanced(summary), type: 'integer' as const })

export const topParam = z
  .string()
  .max(12)
  .optional()
  .describe('Rows to return in all; a page holds at most 1,000')
  .meta(integerText('Top count'))
export const skipParam = z
  .string()
  .max(12)
  .optional()
  .describe('Rows to skip')
  .meta(integerText('Skip count'))
export const selectParam = z
  .string()
  .max(4000)
  .optional()
  .describe('Comma-separated columns to return')
  .meta(advanced('Select query'))

export const odataQuery = z
  .object({
    $filter: z
      .string()
      .max(8000)
      .optional()
      .describe("OData filter, e.g. City eq 'Aarhus' and (Age ge 30 or contains(tolower(Email), '@example'))")
      .meta({ 'x-ms-summary': 'Filter query', 'x-ms-visibility': 'important' }),
    $select: selectParam,
    $orderby: z
      .string()
      .max(2000)
      .optional()
      .describe('e.g. LastName asc, Age desc')
      .meta(advanced('Order by')),
    $top: topParam,
    $skip: skipParam,
    $count: z
      .enum(['true', 'false'])
      .optional()
      .describe('Include @odata.count, the number of matching rows')
      .meta({ ...advanced('Include count'), type: 'boolean' }),
  })
  .catchall(z.union([z.string().max(4000), z.array(z.string())]))
  .describe('Plain parameters (?City=Aarhus) filter by equality on that column')

export const partitionOut = z
  .object({
    name: z.string().describe('e.g. part-00000').meta({ 'x-ms-summary': 'Partition' }),
    rowCount: z.number().int().describe('Rows in the partition'),
    sizeBytes: z
      .number()
      .int()
      .describe('Size of its Parquet file')
      .meta({ 'x-ms-summary': 'Size in bytes' }),
    versionId: z.string().describe('The version it belongs to').meta({ 'x-ms-summary': 'Version ID' }),
    refreshId: z.string().describe('The refresh that wrote it').meta({ 'x-ms-summary': 'Refresh ID' }),
    createdAt: z.string().describe('When it was written').meta(dateTime),
    dataUrl: z.string().describe('Where its data is read (Get data from partition)'),
  })
  .describe('One Parquet partition of the current version of an entity')

export const partitionDataOut = z.object({
  '@odata.context': itemsOut.shape['@odata.context'],
  value: z.array(item).describe('The items').meta({ 'x-ms-summary': 'Items' }),
  '@odata.nextLink': nextLink.optional(),
})

export const STATUS_VALUES = ['Succeeded', 'Failed', 'Cancelled', 'Running', 'Skipped'] as const

export const statusReportBody = z
  .object({
    runId: z
      .string()
      .min(1)
      .max(200)
      .describe("The flow run, e.g. workflow()['run']['name']")
      .meta({ 'x-ms-summary': 'Run ID' }),
    flowName: z.string().max(200).optional().describe('The flow'),
    status: z.enum(STATUS_VALUES).describe('How the run went'),
    message: z.string().max(4000).optional().describe('A sentence for people'),
    details: z.unknown().optional().describe('Anything else worth keeping'),
  })
  .describe('The status report')

export const statusReportOut = z
  .object({
    id: z.string().describe('Identifies the report').meta({ 'x-ms-summary': 'Report ID' }),
    instanceId: z.string().describe('The instance').meta({ 'x-ms-summary': 'Instance' }),
    runId: z.string().describe('The flow run this report belongs to').meta({ 'x-ms-summary': 'Run ID' }),
    flowName: z.string().nullable().describe('The flow'),
    status: z.enum(STATUS_VALUES).describe('How the run went'),
    message: z.string().nullable().describe('A sentence for people'),
    details: z.unknown().describe('Anything else worth keeping'),
    createdAt: z.string().describe('When it was received').meta(dateTime),
  })
  .describe('A status report sent by a flow')

export const subscriptionOut = z
  .object({
    id: z.string().meta({ 'x-ms-summary': 'Subscription ID' }),
    instanceId: z.string().meta({ 'x-ms-summary': 'Instance' }),
    eventType: z.string(),
    callbackUrl: z.string().meta({ 'x-ms-summary': 'Callback URL' }),
    parameters: z.record(z.string(), z.unknown()),
    description: z.string().nullable(),
    createdAt: z.string().meta(dateTime),
    removedAt: z.string().nullable().meta(dateTime),
    removedReason: z.string().nullable().describe('unsubscribed, or why the receiver was dropped (410 Gone)'),
  })
  .describe('A webhook subscription to one trigger')

export const subscribeBody = z
  .object({
    eventType: z.enum(EVENT_TYPES).optional().describe('The trigger (or give it in the path)'),
    callbackUrl: z
      .string()
      .max(4000)
      .optional()
      .describe('The URL Power Automate receives events at')
      .meta({ 'x-ms-summary': 'Callback URL', 'x-ms-notification-url': true, 'x-ms-visibility': 'internal' }),
    notificationUrl: z.string().max(4000).optional().describe('Same as callbackUrl'),
    description: z.string().max(500).optional(),
    parameters: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('The trigger parameters (or give them at the top level)'),
  })
  .catchall(z.unknown())
  .describe(
    'The callback URL and the trigger parameters (dataSourceName; segmentName or measureName, threshold, direction)',
  )

export const subscribeResponses = {
  201: subscriptionOut.extend({
    secret: z.string().describe('Standard Webhooks signing secret (whsec_…); shown here and at …/secret'),
  }),
}

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

export const dataSourceOut = z.object({
  name: z.string().describe('The data source').meta({ 'x-ms-summary': 'Data source name' }),
  kind: z.string().describe('csv, json, parquet or postgres'),
  options: z.record(z.string(), z.unknown()).describe('Where and how it is read (secrets left out)'),
  primaryKey: z.string(),
  columnTypes: z.record(z.string(), z.string()),
  rejectRatio: z.number(),
  maxShrink: z.number(),
  schedule: z
    .object({ cron: z.string(), timezone: z.string() })
    .nullable()
    .optional()
    .describe("The source's own refresh schedule, if it has one"),
  createdAt: z.string().meta(dateTime),
  updatedAt: z.string().meta(dateTime),
  lastRefresh: refreshSchema.nullable(),
  publishedRowCount: z
    .number()
    .nullable()
    .describe('Rows of the data published now (kept when a later refresh failed); null before the first'),
})

export const measureOut = z.object({
  name: z.string().describe('The measure').meta({ 'x-ms-summary': 'Measure name' }),
  definition: z.record(z.string(), z.unknown()).describe('As in openinsights.yaml'),
  latest: z
    .array(z.object({ dimension: z.string().nullable(), value: z.number().nullable() }))
    .describe('Its latest value, one per dimension value'),
})

export const segmentOut = z.object({
  name: z.string().describe('The segment').meta({ 'x-ms-summary': 'Segment name' }),
  entity: z.string().describe('The entity of its members'),
  definition: z.record(z.string(), z.unknown()).describe('As in openinsights.yaml'),
  memberCount: z.number().nullable().describe('Members at the latest computation'),
})

export const dimensionOut = z.object({
  value: z.string().describe('A dimension value, e.g. DK').meta({ 'x-ms-summary': 'Dimension value' }),
  latestValue: z.number().nullable().describe("The measure's latest value for it"),
})

export const measureNameParam = z
  .string()
  .min(1)
  .max(100)
  .describe('The measure')
  .meta({ 'x-ms-summary': 'Measure name', ...urlEncoding, ...pickList('GetMeasures', inInstance) })

export const entitySchemaOut = z.object({
  schema: z
    .record(z.string(), z.unknown())
    .describe("The entity's columns as a JSON Schema object: one property per column"),
})
