import type { z } from 'zod'
import { CONNECTOR_ACTIONS, type ConnectorOperation, SubscribeToTrigger } from '../operations/index.js'
import { humanize, jsonSchemaOf, type SwaggerSchema, toSwagger } from './swagger-schema.js'
import { payloadSchema, TRIGGERS } from './trigger-catalog.js'

/**
 * The connector's Swagger, generated from the operations the server serves
 * (src/connector/operations): paths, parameters, bodies and responses from their zod schemas,
 * Power Automate's hints from the schemas' metadata.
 */

/** A Swagger 2.0 parameter with Power Automate's hints. */
type Parameter = {
  name: string
  in: 'path' | 'query' | 'body'
  required: boolean
  description: string
  'x-ms-summary': string
  type?: string
  schema?: SwaggerSchema
  [hint: string]: unknown
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

/** /api/v1/instances/:instanceId/data/:entity → /instances/{instanceId}/data/{entity} */
const swaggerPath = (path: string) => path.replace(/^\/api\/v1/, '').replace(/:(\w+)/g, '{$1}')

/** What a path or query parameter may say in Swagger 2.0 (it has no schema of its own). */
const PARAMETER_KEYWORDS = ['type', 'format', 'enum', 'default', 'items']

function parametersOf(schema: z.ZodObject | undefined, location: 'path' | 'query', skip: string[] = []) {
  if (!schema) return []
  const json = jsonSchemaOf(schema, 'input')
  const required = new Set((json.required as string[] | undefined) ?? [])
  const parameters: Parameter[] = []
  for (const [name, raw] of Object.entries(
    (json.properties ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    if (skip.includes(name)) continue
    const property = toSwagger(raw) as Record<string, unknown>
    const summary = (property['x-ms-summary'] as string | undefined) ?? humanize(name)
    const parameter: Parameter = {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      description: (property.description as string | undefined) ?? summary,
      'x-ms-summary': summary,
    }
    for (const keyword of PARAMETER_KEYWORDS)
      if (property[keyword] !== undefined) parameter[keyword] = property[keyword]
    // A query value typed for the connector (text on the wire) keeps no text-only checks.
    if (parameter.type !== 'string') delete parameter.enum
    parameter.type ??= 'string'
    for (const [key, value] of Object.entries(property))
      if (key.startsWith('x-ms-') && key !== 'x-ms-summary') parameter[key] = value
    if (location === 'query' && !parameter['x-ms-visibility']) parameter['x-ms-visibility'] = 'advanced'
    parameters.push(parameter)
  }
  return parameters
}

const errorResponse = { description: 'An error: { error: { code, message, target } }' }

function responsesOf(operation: ConnectorOperation): Operation['responses'] {
  const responses: Operation['responses'] = {}
  const exported = operation.connector.response
  for (const [status, schema] of Object.entries(operation.schema.response)) {
    if (Number(status) >= 300) {
      responses[status] = errorResponse
      continue
    }
    const shape = exported && exported.status === Number(status) ? exported.schema : schema
    const json = toSwagger(jsonSchemaOf(shape, 'output'))
    responses[status] = { description: json.description ?? 'Succeeded', schema: json }
  }
  // Every operation needs a key and counts against the connection's rate limit.
  responses['401'] = errorResponse
  responses['429'] = errorResponse
  return responses
}

function bodyOf(operation: ConnectorOperation, schema?: SwaggerSchema): Parameter[] {
  const body = operation.connector.body
  if (!operation.schema.body) return []
  return [
    {
      name: body?.name ?? 'body',
      in: 'body',
      required: true,
      description: body?.description ?? 'The request body',
      'x-ms-summary': body?.summary ?? 'Body',
      schema: schema ?? toSwagger(jsonSchemaOf(operation.schema.body, 'input'), { keepRequired: true }),
    },
  ]
}

/** One operation as the connector describes it. */
export function describeOperation(operation: ConnectorOperation): Operation {
  const { schema, connector } = operation
  return {
    operationId: schema.operationId,
    summary: schema.summary,
    description: schema.description,
    ...(connector.visibility ? { 'x-ms-visibility': connector.visibility } : {}),
    ...(connector.pageable ? { 'x-ms-pageable': { nextLinkName: '@odata.nextLink' } } : {}),
    parameters: [
      ...parametersOf(schema.params, 'path'),
      ...parametersOf(schema.querystring, 'query'),
      ...bodyOf(operation),
    ],
    responses: responsesOf(operation),
  }
}

function actions(): Record<string, Record<string, Operation>> {
  const paths: Record<string, Record<string, Operation>> = {}
  for (const operation of CONNECTOR_ACTIONS) {
    const path = swaggerPath(operation.path)
    paths[path] = { ...paths[path], [operation.method.toLowerCase()]: describeOperation(operation) }
  }
  return paths
}

/** One webhook trigger per event type: SubscribeToTrigger with the type in its path. */
function triggers(): Record<string, Record<string, unknown>> {
  const operation = SubscribeToTrigger
  const { params, body } = operation.schema
  const perValue = operation.connector.perValueOf as string
  const callbackUrl = (toSwagger(jsonSchemaOf(body, 'input')).properties as Record<string, SwaggerSchema>)
    .callbackUrl as SwaggerSchema
  const paths: Record<string, Record<string, unknown>> = {}
  for (const trigger of TRIGGERS) {
    const subscription: SwaggerSchema = {
      type: 'object',
      required: ['callbackUrl', ...trigger.required],
      properties: { callbackUrl, ...trigger.parameters },
    }
    paths[swaggerPath(operation.path.replace(`:${perValue}`, trigger.eventType))] = {
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
        parameters: [...parametersOf(params, 'path', [perValue]), ...bodyOf(operation, subscription)],
        responses: {
          ...Object.fromEntries(
            Object.entries(responsesOf(operation)).map(([status, response]) => [
              status,
              status === '201'
                ? { description: 'Subscribed; the Location header names the subscription to delete' }
                : response,
            ]),
          ),
        },
      } satisfies Operation,
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
