import { z } from 'zod'
import { EVENT_TYPES } from '../../events/index.js'
import { defineOperation, errorResponses } from './define-operation.js'
import {
  createItemBody,
  dataSourceOut,
  dimensionOut,
  entityOrItemParam,
  entityOut,
  entityParam,
  entitySchemaOut,
  ITEM_SCHEMA_USES,
  instanceParams,
  instanceSchema,
  itemKeyParam,
  itemOut,
  itemsOut,
  measureNameParam,
  measureOut,
  odataQuery,
  partitionDataOut,
  partitionOut,
  partitionParam,
  segmentOut,
  selectParam,
  skipParam,
  statusReportBody,
  statusReportOut,
  subscribeBody,
  subscribeResponses,
  subscriptionIdParam,
  subscriptionOut,
  topParam,
  updateItemBody,
  writableEntityParam,
} from './schemas.js'

/**
 * The operations of the exported connector, in the order Power Automate lists them. The server
 * registers each route from its definition here (src/server/routes/), and the connector export
 * (src/connector/export/) describes exactly these.
 */

const instances = '/api/v1/instances'
const data = `${instances}/:instanceId/data/:entity`
const partitions = `${instances}/:instanceId/entities/:entity/partitions`

export const GetInstances = defineOperation({
  method: 'GET',
  path: instances,
  scope: 'read',
  schema: {
    operationId: 'GetInstances',
    summary: 'Get instances',
    description: 'Lists the instances this connection can see; used to fill the Instance pickers.',
    tags: ['admin'],
    response: { 200: z.object({ value: z.array(instanceSchema) }) },
  },
  connector: { visibility: 'internal' },
})

export const GetEntities = defineOperation({
  method: 'GET',
  path: `${instances}/:instanceId/entities`,
  scope: 'read',
  schema: {
    operationId: 'GetEntities',
    summary: 'Get entities',
    description: 'Every published entity with its schema, key and the row count of its current version.',
    tags: ['entities'],
    params: instanceParams,
    querystring: z.object({
      writable: z
        .enum(['true', 'false'])
        .optional()
        .describe('Only entities that items can (true) or cannot (false) be written to')
        .meta({ 'x-ms-summary': 'Writable', type: 'boolean' }),
    }),
    response: {
      200: z.object({
        value: z.array(entityOut).describe('The entities').meta({ 'x-ms-summary': 'Entities' }),
      }),
      ...errorResponses,
    },
  },
  connector: { visibility: 'important' },
})

export const GetEntitySchema = defineOperation({
  method: 'GET',
  path: `${instances}/:instanceId/entities/:entity/schema`,
  scope: 'read',
  schema: {
    operationId: 'GetEntitySchema',
    summary: 'Get the fields of an entity',
    description:
      "The entity's columns as a JSON Schema: what Create item, Update item and Get item(s) show as fields and dynamic content.",
    tags: ['entities'],
    params: instanceParams.extend({ entity: entityParam }),
    querystring: z.object({
      for: z
        .enum(ITEM_SCHEMA_USES)
        .default('read')
        .describe('read: every column; create: the fields of a new item; update: the fields that can change')
        .meta({ 'x-ms-summary': 'For' }),
    }),
    response: { 200: entitySchemaOut, ...errorResponses },
  },
  connector: { visibility: 'internal' },
})

export const GetItems = defineOperation({
  method: 'GET',
  path: data,
  scope: 'read',
  schema: {
    operationId: 'GetItems',
    summary: 'Get items from an entity',
    description:
      'Rows of the current version, with OData $filter, $select, $orderby, $top, $skip and $count, and field filters as plain parameters. At most 1,000 rows a page; follow @odata.nextLink for more.',
    tags: ['entities'],
    params: instanceParams.extend({ entity: entityOrItemParam }),
    querystring: odataQuery,
    response: { 200: itemsOut.or(z.record(z.string(), z.unknown())), ...errorResponses },
  },
  connector: { visibility: 'important', pageable: true, response: { status: 200, schema: itemsOut } },
})

export const CreateItem = defineOperation({
  method: 'POST',
  path: data,
  scope: 'write',
  schema: {
    operationId: 'CreateItem',
    summary: 'Create item',
    description:
      'Adds an item to a writable entity; fields are validated against its columns. A text key is generated when missing.',
    tags: ['entities'],
    params: instanceParams.extend({ entity: writableEntityParam }),
    body: createItemBody,
    response: {
      201: itemOut.describe('The item as stored'),
      ...errorResponses,
    },
  },
  connector: {
    visibility: 'important',
    body: { name: 'item', summary: 'Item', description: 'The fields of the new item' },
  },
})

export const GetItem = defineOperation({
  method: 'GET',
  path: `${data}/:key`,
  scope: 'read',
  schema: {
    operationId: 'GetItem',
    summary: 'Get item',
    description: "One item by its key (also reachable as …/data/Entity('key')).",
    tags: ['entities'],
    params: instanceParams.extend({ entity: entityParam, key: itemKeyParam }),
    querystring: z.object({ $select: selectParam }),
    response: {
      200: itemOut.describe('The item'),
      ...errorResponses,
    },
  },
  connector: {},
})

export const UpdateItem = defineOperation({
  method: 'PATCH',
  path: `${data}/:key`,
  scope: 'write',
  schema: {
    operationId: 'UpdateItem',
    summary: 'Update item',
    description: 'Changes the given fields of an item of a writable entity; other fields keep their values.',
    tags: ['entities'],
    params: instanceParams.extend({ entity: writableEntityParam, key: itemKeyParam }),
    body: updateItemBody,
    response: {
      200: itemOut.describe('The item as stored'),
      ...errorResponses,
    },
  },
  connector: { body: { name: 'item', summary: 'Item', description: 'The fields to change' } },
})

export const GetPartitions = defineOperation({
  method: 'GET',
  path: partitions,
  scope: 'read',
  schema: {
    operationId: 'GetPartitions',
    summary: 'Get partitions for entity',
    description: 'The Parquet partitions of the current version, with row counts and sizes.',
    tags: ['entities'],
    params: instanceParams.extend({ entity: entityParam }),
    response: {
      200: z.object({
        value: z.array(partitionOut).describe('The partitions').meta({ 'x-ms-summary': 'Partitions' }),
      }),
      ...errorResponses,
    },
  },
  connector: {},
})

export const GetPartitionData = defineOperation({
  method: 'GET',
  path: `${partitions}/:partition/data`,
  scope: 'read',
  schema: {
    operationId: 'GetPartitionData',
    summary: 'Get data from partition',
    description:
      'Rows of one partition as JSON pages ($top up to 1,000, $skip, $select; follow @odata.nextLink), or the whole Parquet file streamed with ?format=parquet.',
    tags: ['entities'],
    params: instanceParams.extend({ entity: entityParam, partition: partitionParam }),
    querystring: z.object({
      $top: topParam,
      $skip: skipParam,
      $select: selectParam,
      // A flow reads JSON; the Parquet stream is for other clients.
      format: z
        .enum(['json', 'parquet'])
        .default('json')
        .describe('json pages, or the Parquet file')
        .meta({ 'x-ms-summary': 'Format', 'x-ms-visibility': 'internal' }),
    }),
    response: { 200: partitionDataOut, ...errorResponses },
  },
  connector: { pageable: true },
})

export const SendStatusReport = defineOperation({
  method: 'POST',
  path: `${instances}/:instanceId/statusreports`,
  scope: 'write',
  schema: {
    operationId: 'SendStatusReport',
    summary: 'Send status report',
    description:
      "A flow reports how its run went: status, a message and any details (the whole body at most 64 KB: 413 beyond); stored with the run's id.",
    tags: ['status reports'],
    params: instanceParams,
    body: statusReportBody,
    response: { 201: statusReportOut, ...errorResponses },
  },
  connector: { body: { name: 'report', summary: 'Report', description: 'The status report' } },
})

export const SubscribeToTrigger = defineOperation({
  method: 'POST',
  path: `${instances}/:instanceId/subscriptions/:eventType`,
  scope: 'subscribe',
  schema: {
    operationId: 'SubscribeToTrigger',
    summary: 'Subscribe to one trigger',
    description:
      'As POST …/subscriptions, with the trigger in the path (one path per trigger in the exported connector).',
    tags: ['subscriptions'],
    params: instanceParams.extend({ eventType: z.enum(EVENT_TYPES) }),
    body: subscribeBody,
    response: { ...subscribeResponses, ...errorResponses },
  },
  connector: {
    perValueOf: 'eventType',
    body: {
      name: 'subscription',
      summary: 'Subscription',
      description: 'Where to deliver the events, and the trigger parameters',
    },
  },
})

export const DeleteSubscription = defineOperation({
  method: 'DELETE',
  path: `${instances}/:instanceId/subscriptions/:subscriptionId`,
  scope: 'subscribe',
  schema: {
    operationId: 'DeleteSubscription',
    summary: 'Unsubscribe',
    description:
      'Ends the subscription and cancels its pending deliveries. Power Automate calls this when a trigger is removed.',
    tags: ['subscriptions'],
    params: instanceParams.extend({ subscriptionId: subscriptionIdParam }),
    response: { 200: subscriptionOut, ...errorResponses },
  },
  connector: { visibility: 'internal' },
})

export const GetDataSources = defineOperation({
  method: 'GET',
  path: `${instances}/:instanceId/datasources`,
  scope: 'read',
  schema: {
    operationId: 'GetDataSources',
    summary: 'Get data sources',
    description: 'Every data source with its last refresh; fills the Data source pickers.',
    tags: ['data sources'],
    params: instanceParams,
    response: { 200: z.object({ value: z.array(dataSourceOut) }), ...errorResponses },
  },
  connector: { visibility: 'internal' },
})

export const GetSegments = defineOperation({
  method: 'GET',
  path: `${instances}/:instanceId/segments`,
  scope: 'read',
  schema: {
    operationId: 'GetSegments',
    summary: 'Get segments',
    description:
      'Every segment with its definition, its latest member count and the entity of its members; fills the Segment pickers.',
    tags: ['measures and segments'],
    params: instanceParams,
    response: { 200: z.object({ value: z.array(segmentOut) }), ...errorResponses },
  },
  connector: { visibility: 'internal' },
})

export const GetMeasures = defineOperation({
  method: 'GET',
  path: `${instances}/:instanceId/measures`,
  scope: 'read',
  schema: {
    operationId: 'GetMeasures',
    summary: 'Get measures',
    description:
      'Every measure with its definition and its latest value(s), one per dimension value; fills the Measure pickers.',
    tags: ['measures and segments'],
    params: instanceParams,
    response: { 200: z.object({ value: z.array(measureOut) }), ...errorResponses },
  },
  connector: { visibility: 'internal' },
})

export const GetMeasureDimensions = defineOperation({
  method: 'GET',
  path: `${instances}/:instanceId/measures/:name/dimensions`,
  scope: 'read',
  schema: {
    operationId: 'GetMeasureDimensions',
    summary: 'Get dimension values of a measure',
    description:
      "The dimension values of a measure's latest computation (none for a measure without a dimension); fills the Dimension value picker.",
    tags: ['measures and segments'],
    params: instanceParams.extend({ name: measureNameParam }),
    response: { 200: z.object({ value: z.array(dimensionOut) }), ...errorResponses },
  },
  connector: { visibility: 'internal' },
})

/** The actions of the connector; SubscribeToTrigger becomes its triggers. */
export const CONNECTOR_ACTIONS = [
  GetInstances,
  GetEntities,
  GetEntitySchema,
  GetDataSources,
  GetSegments,
  GetMeasures,
  GetMeasureDimensions,
  GetItems,
  CreateItem,
  GetItem,
  UpdateItem,
  GetPartitions,
  GetPartitionData,
  SendStatusReport,
  DeleteSubscription,
] as const
