import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineOperation, errorResponses } from '../operations/index.js'
import { apiDefinition, describeOperation } from './connector-definition.js'
import { humanize } from './swagger-schema.js'

const ListThings = defineOperation({
  method: 'POST',
  path: '/api/v1/instances/:instanceId/things/:thing',
  scope: 'write',
  schema: {
    operationId: 'ListThings',
    summary: 'List things',
    description: 'Things.',
    tags: ['things'],
    params: z.object({
      instanceId: z
        .string()
        .describe('The instance')
        .meta({ 'x-ms-summary': 'Instance', 'x-ms-url-encoding': 'single' }),
      thing: z.string(),
    }),
    querystring: z.object({
      $top: z.string().max(12).optional().describe('How many').meta({ type: 'integer' }),
      flag: z.enum(['true', 'false']).optional().meta({ type: 'boolean', 'x-ms-visibility': 'important' }),
      mode: z.enum(['a', 'b']).default('a'),
      needed: z.string(),
    }),
    body: z.object({ name: z.string().min(1), note: z.string().nullable().optional() }),
    response: {
      201: z.object({ createdAt: z.string().meta({ format: 'date-time' }), sizeBytes: z.number().int() }),
      ...errorResponses,
    },
  },
  connector: {
    visibility: 'important',
    pageable: true,
    body: { name: 'thing', summary: 'Thing', description: 'The thing' },
  },
})

describe('the connector definition, generated from the operations', () => {
  const operation = describeOperation(ListThings)
  const parameter = (name: string) => operation.parameters.find((p) => p.name === name)

  it('takes path parameters from the route, all required, with their hints', () => {
    expect(parameter('instanceId')).toEqual({
      name: 'instanceId',
      in: 'path',
      required: true,
      type: 'string',
      description: 'The instance',
      'x-ms-summary': 'Instance',
      'x-ms-url-encoding': 'single',
    })
    expect(parameter('thing')).toMatchObject({
      in: 'path',
      required: true,
      'x-ms-summary': 'Thing',
      description: 'Thing',
    })
  })

  it('types query text for the connector and keeps only what a Swagger 2.0 parameter may say', () => {
    expect(parameter('$top')).toEqual({
      name: '$top',
      in: 'query',
      required: false,
      type: 'integer',
      description: 'How many',
      'x-ms-summary': 'Top',
      'x-ms-visibility': 'advanced',
    })
    expect(parameter('flag')).toMatchObject({ type: 'boolean', 'x-ms-visibility': 'important' })
    expect(parameter('flag')).not.toHaveProperty('enum')
    expect(parameter('mode')).toMatchObject({
      type: 'string',
      enum: ['a', 'b'],
      default: 'a',
      required: false,
    })
    expect(parameter('needed')).toMatchObject({ required: true })
  })

  it('gives the body one named parameter whose schema keeps what is required', () => {
    expect(parameter('thing')?.in).toBe('path')
    const body = operation.parameters.find((p) => p.in === 'body')
    expect(body).toMatchObject({ name: 'thing', required: true, 'x-ms-summary': 'Thing' })
    expect(body?.schema).toMatchObject({
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', 'x-ms-summary': 'Name' },
        note: { type: 'string', 'x-ms-summary': 'Note' },
      },
    })
  })

  it('describes success with its schema, errors with their one shape, and adds 401 and 429', () => {
    expect(operation.responses['201']?.schema).toMatchObject({
      properties: {
        createdAt: { type: 'string', format: 'date-time', 'x-ms-summary': 'Created at' },
        sizeBytes: { type: 'integer', 'x-ms-summary': 'Size bytes' },
      },
    })
    expect(Object.keys(operation.responses).sort()).toEqual(['201', '400', '401', '404', '409', '422', '429'])
    expect(operation['x-ms-pageable']).toEqual({ nextLinkName: '@odata.nextLink' })
  })

  it('exports one trigger path per event type, with the callback URL of the subscribe route', () => {
    const paths = (apiDefinition() as { paths: Record<string, Record<string, unknown>> }).paths
    const triggers = Object.keys(paths).filter(
      (p) => p.startsWith('/instances/{instanceId}/subscriptions/') && !p.endsWith('{subscriptionId}'),
    )
    expect(triggers).toHaveLength(6)
    for (const path of triggers) {
      const post = paths[path]?.post as {
        parameters: { name: string; schema?: { properties: Record<string, Record<string, unknown>> } }[]
      }
      expect(post.parameters.map((p) => p.name)).toEqual(['instanceId', 'subscription'])
      expect(post.parameters[1]?.schema?.properties.callbackUrl).toMatchObject({
        'x-ms-notification-url': true,
        'x-ms-visibility': 'internal',
      })
    }
  })

  it('labels fields from their names when the schema gives no summary', () => {
    expect(humanize('rowCount')).toBe('Row count')
    expect(humanize('dataUrl')).toBe('Data URL')
    expect(humanize('versionId')).toBe('Version ID')
    expect(humanize('@odata.nextLink')).toBe('Next link')
    expect(humanize('$filter')).toBe('Filter')
    expect(humanize('first_name')).toBe('First name')
  })
})
