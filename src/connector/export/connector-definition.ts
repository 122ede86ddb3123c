import { payloadSchema, type SwaggerSchema, TRIGGERS } from './trigger-catalog.js'

/** A Swagger 2.0 parameter with Power Automate's hints. */
type Parameter = {
  name: string
  in: 'path' | 'query' | 'body' | 'header'
  required: boolean
  type?: string
  description: string
  'x-ms-summary': string
  'x-ms-visibility'?: 'important' | 'advanced' | 'internal'
  'x-ms-dynamic-values'?: Record<string, unknown>
  'x-ms-url-encoding'?: 'single' | 'double'
  default?: unknown
  enum?: unknown[]
  schema?: SwaggerSchema
}

type Operation = {
  operationId: string
  summary: string
  description: string
  'x-ms-visibility'?: 'important' | 'advanced' | 'internal'
  'x-ms-trigger'?: 'single' | 'batch'
  'x-ms-pageable'?: { nextLinkName: string }
  parameters: Parameter[]
  responses: Record<string, { description: string; schema?: SwaggerSchema }>
}

const instanceParameter: Parameter = {
  name: 'instanceId',
  in: 'path',
  required: true,
  type: 'string',
  description: 'The openinsights instance, e.g. demo',
  'x-ms-summary': 'Instance',
  'x-ms-url-encoding': 'single',
  'x-ms-dynamic-values': {
    operationId: 'GetInstances',
    'value-collection': 'value',
    'value-path': 'id',
    'value-title': 'name',
  },
}

const entityParameter: Parameter = {
  name: 'entity',
  in: 'path',
  required: true,
  type: 'string',
  description: 'The entity, e.g. crm_contacts',
  'x-ms-summary': 'Entity',
  'x-ms-url-encoding': 'single',
  'x-ms-dynamic-values': {
    operationId: 'GetEntities',
    parameters: { instanceId: { parameter: 'instanceId' } },
    'value-collection': 'value',
    'value-path': 'name',
    'value-title': 'name',
  },
}

const keyParameter: Parameter = {
  name: 'key',
  in: 'path',
  required: true,
  type: 'string',
  description: "The value of the entity's key column",
  'x-ms-summary': 'Item key',
  'x-ms-url-encoding': 'single',
}

const query = (
  name: string,
  summary: string,
  description: string,
  type = 'string',
  extra: Partial<Parameter> = {},
): Parameter => ({
  name,
  in: 'query',
  required: false,
  type,
  description,
  'x-ms-summary': summary,
  'x-ms-visibility': 'advanced',
  ...extra,
})

const item: SwaggerSchema = {
  type: 'object',
  description: 'One item: its fields by column name',
  'x-ms-summary': 'Item',
}

const entitySchema: SwaggerSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', 'x-ms-summary': 'Entity name', description: 'The entity' },
    origin: { type: 'string', 'x-ms-summary': 'Origin', description: 'Where its data comes from' },
    rowCount: { type: 'integer', 'x-ms-summary': 'Row count', description: 'Rows in the current version' },
    keyColumn: {
      type: 'string',
      'x-ms-summary': 'Key column',
      description: 'The column that identifies an item',
    },
    writable: {
      type: 'boolean',
      'x-ms-summary': 'Writable',
      description: 'Items can be created and updated',
    },
    updatedAt: {
      type: 'string',
      format: 'date-time',
      'x-ms-summary': 'Updated at',
      description: 'When its current version was published',
    },
  },
}

const errorResponse = { description: 'An error: { error: { code, message, target } }' }

function actions(): Record<string, Record<string, Operation>> {
  const errors = { '400': errorResponse, '401': errorResponse, '404': errorResponse, '429': errorResponse }
  return {
    '/instances': {
      get: {
        operationId: 'GetInstances',
        summary: 'Get instances',
        description: 'Lists the instances this connection can see; used to fill the Instance pickers.',
        'x-ms-visibility': 'internal',
        parameters: [],
        responses: {
          '200': {
            description: 'The instances',
            schema: {
              type: 'object',
              properties: {
                value: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      id: {
                        type: 'string',
                        'x-ms-summary': 'Instance ID',
                        description: 'Identifies the instance',
                      },
                      name: { type: 'string', 'x-ms-summary': 'Instance name', description: 'Display name' },
                    },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/instances/{instanceId}/entities': {
      get: {
        operationId: 'GetEntities',
        summary: 'Get entities',
        description: 'Lists the entities of an instance with their row counts and keys.',
        'x-ms-visibility': 'important',
        parameters: [instanceParameter],
        responses: {
          '200': {
            description: 'The entities',
            schema: { type: 'object', properties: { value: { type: 'array', items: entitySchema } } },
          },
          ...errors,
        },
      },
    },
    '/instances/{instanceId}/data/{entity}': {
      get: {
        operationId: 'GetItems',
        summary: 'Get items from an entity',
        description:
          'Reads items of an entity with an OData filter, selection, order and paging; at most 1,000 a page, more through pagination.',
        'x-ms-visibility': 'important',
        'x-ms-pageable': { nextLinkName: '@odata.nextLink' },
        parameters: [
          instanceParameter,
          entityParameter,
          query('$filter', 'Filter query', "An OData filter, e.g. City eq 'Aarhus' and Age ge 30", 'string', {
            'x-ms-visibility': 'important',
          }),
          query('$select', 'Select query', 'Comma-separated columns to return'),
          query('$orderby', 'Order by', 'e.g. LastName asc, Age desc'),
          query('$top', 'Top count', 'How many items to return in all', 'integer'),
          query('$skip', 'Skip count', 'How many items to skip', 'integer'),
          query('$count', 'Include count', 'Return the number of matching items too', 'boolean'),
        ],
        responses: {
          '200': {
            description: 'A page of items',
            schema: {
              type: 'object',
              properties: {
                value: {
                  type: 'array',
                  items: item,
                  'x-ms-summary': 'Items',
                  description: 'The items of this page',
                },
                '@odata.count': {
                  type: 'integer',
                  'x-ms-summary': 'Count',
                  description: 'Matching items in all, when asked',
                },
                '@odata.nextLink': {
                  type: 'string',
                  'x-ms-summary': 'Next link',
                  description: 'Where the next page is',
                  'x-ms-visibility': 'internal',
                },
              },
            },
          },
          ...errors,
        },
      },
      post: {
        operationId: 'CreateItem',
        summary: 'Create item',
        description: 'Adds an item to a writable entity; its fields are checked against the entity schema.',
        'x-ms-visibility': 'important',
        parameters: [
          instanceParameter,
          entityParameter,
          {
            name: 'item',
            in: 'body',
            required: true,
            description: 'The fields of the new item',
            'x-ms-summary': 'Item',
            schema: item,
          },
        ],
        responses: {
          '201': { description: 'The item as stored', schema: item },
          '405': errorResponse,
          '409': errorResponse,
          ...errors,
        },
      },
    },
    '/instances/{instanceId}/data/{entity}/{key}': {
      get: {
        operationId: 'GetItem',
        summary: 'Get item',
        description: 'Reads one item of an entity by its key.',
        parameters: [instanceParameter, entityParameter, keyParameter],
        responses: { '200': { description: 'The item', schema: item }, ...errors },
      },
      patch: {
        operationId: 'UpdateItem',
        summary: 'Update item',
        description:
          'Changes the given fields of an item of a writable entity; other fields keep their values.',
        parameters: [
          instanceParameter,
          entityParameter,
          keyParameter,
          {
            name: 'item',
            in: 'body',
            required: true,
            description: 'The fields to change',
            'x-ms-summary': 'Item',
            schema: item,
          },
        ],
        responses: {
          '200': { description: 'The item as stored', schema: item },
          '405': errorResponse,
          ...errors,
        },
      },
    },
    '/instances/{instanceId}/entities/{entity}/partitions': {
      get: {
        operationId: 'GetPartitions',
        summary: 'Get partitions for entity',
        description: 'Lists the data partitions of the current version of an entity.',
        parameters: [instanceParameter, entityParameter],
        responses: {
          '200': {
            description: 'The partitions',
            schema: {
              type: 'object',
              properties: {
                value: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string', 'x-ms-summary': 'Partition', description: 'e.g. part-00000' },
                      rowCount: {
                        type: 'integer',
                        'x-ms-summary': 'Row count',
                        description: 'Rows in the partition',
                      },
                      sizeBytes: {
                        type: 'integer',
                        'x-ms-summary': 'Size in bytes',
                        description: 'Size of its Parquet file',
                      },
                      dataUrl: {
                        type: 'string',
                        'x-ms-summary': 'Data URL',
                        description: 'Where its data is read',
                      },
                    },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/instances/{instanceId}/entities/{entity}/partitions/{partition}/data': {
      get: {
        operationId: 'GetPartitionData',
        summary: 'Get data from partition',
        description: 'Reads the items of one partition, a page at a time.',
        'x-ms-pageable': { nextLinkName: '@odata.nextLink' },
        parameters: [
          instanceParameter,
          entityParameter,
          {
            name: 'partition',
            in: 'path',
            required: true,
            type: 'string',
            description: 'The partition name, e.g. part-00000',
            'x-ms-summary': 'Partition',
            'x-ms-url-encoding': 'single',
            'x-ms-dynamic-values': {
              operationId: 'GetPartitions',
              parameters: { instanceId: { parameter: 'instanceId' }, entity: { parameter: 'entity' } },
              'value-collection': 'value',
              'value-path': 'name',
              'value-title': 'name',
            },
          },
          query('$top', 'Top count', 'How many items to return in all', 'integer'),
          query('$skip', 'Skip count', 'How many items to skip', 'integer'),
          query('$select', 'Select query', 'Comma-separated columns to return'),
        ],
        responses: {
          '200': {
            description: 'A page of items',
            schema: {
              type: 'object',
              properties: {
                value: { type: 'array', items: item, 'x-ms-summary': 'Items', description: 'The items' },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/instances/{instanceId}/statusreports': {
      post: {
        operationId: 'SendStatusReport',
        summary: 'Send status report',
        description: 'Reports how this flow run went back to openinsights, where it is listed with the run.',
        parameters: [
          instanceParameter,
          {
            name: 'report',
            in: 'body',
            required: true,
            description: 'The status report',
            'x-ms-summary': 'Report',
            schema: {
              type: 'object',
              required: ['runId', 'status'],
              properties: {
                runId: {
                  type: 'string',
                  'x-ms-summary': 'Run ID',
                  description: "The flow run, e.g. workflow()['run']['name']",
                },
                flowName: { type: 'string', 'x-ms-summary': 'Flow name', description: 'The flow' },
                status: {
                  type: 'string',
                  'x-ms-summary': 'Status',
                  description: 'How the run went',
                  enum: ['Succeeded', 'Failed', 'Cancelled', 'Running', 'Skipped'],
                },
                message: { type: 'string', 'x-ms-summary': 'Message', description: 'A sentence for people' },
                details: {
                  type: 'object',
                  'x-ms-summary': 'Details',
                  description: 'Anything else worth keeping',
                },
              },
            },
          },
        ],
        responses: { '201': { description: 'The stored report' }, ...errors },
      },
    },
    '/instances/{instanceId}/subscriptions/{subscriptionId}': {
      delete: {
        operationId: 'DeleteSubscription',
        summary: 'Delete a trigger subscription',
        description:
          'Unsubscribes a webhook; Power Automate calls it when a flow with a trigger is turned off or changed.',
        'x-ms-visibility': 'internal',
        parameters: [
          instanceParameter,
          {
            name: 'subscriptionId',
            in: 'path',
            required: true,
            type: 'string',
            description: 'The subscription',
            'x-ms-summary': 'Subscription ID',
          },
        ],
        responses: { '200': { description: 'Unsubscribed' }, ...errors },
      },
    },
  }
}

function triggers(): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const trigger of TRIGGERS) {
    paths[`/instances/{instanceId}/subscriptions/${trigger.eventType}`] = {
      'x-ms-notification-content': {
        description: `The ${trigger.eventType} event`,
        schema: payloadSchema(trigger),
      },
      post: {
        operationId: trigger.operationId,
        summary: trigger.summary,
        description: trigger.description,
        'x-ms-trigger': 'single',
        'x-ms-visibility': 'important',
        parameters: [
          instanceParameter,
          {
            name: 'subscription',
            in: 'body',
            required: true,
            description: 'Where to deliver the events, and the trigger parameters',
            'x-ms-summary': 'Subscription',
            schema: {
              type: 'object',
              required: ['callbackUrl', ...trigger.required],
              properties: {
                callbackUrl: {
                  type: 'string',
                  description: 'The URL Power Automate receives events at',
                  'x-ms-summary': 'Callback URL',
                  'x-ms-notification-url': true,
                  'x-ms-visibility': 'internal',
                },
                ...trigger.parameters,
              },
            },
          },
        ],
        responses: {
          '201': { description: 'Subscribed; the Location header names the subscription to delete' },
          '400': errorResponse,
          '401': errorResponse,
        },
      },
    }
  }
  return paths
}

export interface ExportOptions {
  /** Where Power Automate reaches the server, e.g. https://cdp.example.com (default http://localhost:4000). */
  host?: string
  version?: string
}

/** `apiDefinition.swagger.json`: every action and trigger, with Power Automate's extensions. */
export function apiDefinition(options: ExportOptions = {}): Record<string, unknown> {
  const url = new URL(options.host ?? 'http://localhost:4000')
  const basePath = `${url.pathname.replace(/\/$/, '')}/api/v1`
  return {
    swagger: '2.0',
    info: {
      title: 'openinsights',
      description:
        'Customer data platform events and data: run flows when a data source refresh fails or succeeds, a segment or measure crosses a threshold, a full refresh or unification completes; read entities with OData and write items.',
      version: options.version ?? '1.0',
      contact: { name: 'openinsights', url: 'https://github.com/openinsights/openinsights' },
    },
    host: url.host,
    basePath,
    schemes: [url.protocol.replace(':', '')],
    consumes: ['application/json'],
    produces: ['application/json'],
    paths: { ...actions(), ...triggers() },
    definitions: {},
    parameters: {},
    responses: {},
    securityDefinitions: { api_key: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
    security: [{ api_key: [] }],
    tags: [],
    'x-ms-connector-metadata': [
      { propertyName: 'Website', propertyValue: 'https://github.com/openinsights/openinsights' },
      {
        propertyName: 'Privacy policy',
        propertyValue: 'https://github.com/openinsights/openinsights/blob/main/PRIVACY.md',
      },
      { propertyName: 'Categories', propertyValue: 'Data;Marketing' },
    ],
  }
}

/** `apiProperties.json`: the API-key connection parameter, branding and the paging policy. */
export function apiProperties(): Record<string, unknown> {
  return {
    properties: {
      connectionParameters: {
        api_key: {
          type: 'securestring',
          uiDefinition: {
            displayName: 'API key',
            description: 'An openinsights API key (openinsights keys create --name NAME)',
            tooltip: 'Create one per connection; it needs the read, write and subscribe scopes',
            constraints: { tabIndex: 2, clearText: false, required: 'true' },
          },
        },
      },
      iconBrandColor: '#0F6CBD',
      capabilities: [],
      publisher: 'openinsights',
      stackOwner: 'openinsights',
      policyTemplateInstances: [
        {
          templateId: 'updatenextlink',
          title: 'Route @odata.nextLink through the connector so paging works',
          parameters: {
            'x-ms-apimTemplate-operationName': ['GetItems', 'GetPartitionData'],
            'x-ms-apimTemplateParameter.nextLinkPropertyName': '@odata.nextLink',
          },
        },
      ],
    },
  }
}
