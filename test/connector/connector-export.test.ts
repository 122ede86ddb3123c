import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Ajv } from 'ajv'
import * as ajvDraft04 from 'ajv-draft-04'
import * as ajvFormats from 'ajv-formats'
import { parse as parseJsonc } from 'jsonc-parser'
import { describe, expect, it } from 'vitest'
import { TRIGGERS } from '../../src/connector/export/index.js'
import { EVENT_TYPES } from '../../src/events/index.js'
import { runCli } from '../helpers/processes.js'

const VENDOR = resolve(import.meta.dirname, '../../../shared/vendor/power-platform-connectors')
const readJsonc = (file: string) => parseJsonc(readFileSync(file, 'utf8')) as Record<string, unknown>

// CommonJS modules whose default export is their module object under NodeNext typing.
const interop = <T>(module: T): T extends { default: infer D } ? D : T =>
  ((module as { default?: unknown }).default ?? module) as never
const AjvDraft04 = interop(ajvDraft04) as unknown as typeof Ajv
const addFormats = interop(ajvFormats) as unknown as (ajv: Ajv) => Ajv

/** Microsoft's published schemas, loaded as their README says. */
function validators() {
  const swaggerSchema = readJsonc(join(VENDOR, 'apiDefinition.swagger.schema.json'))
  const draft04 = new AjvDraft04({ strict: false, allErrors: true })
  addFormats(draft04)
  const propertiesSchema = readJsonc(join(VENDOR, 'paconn-apiProperties.schema.json'))
  propertiesSchema.$id = propertiesSchema.id
  delete propertiesSchema.id
  const draft07 = new Ajv({ strict: false, allErrors: true })
  addFormats(draft07)
  return { swagger: draft04.compile(swaggerSchema), properties: draft07.compile(propertiesSchema) }
}

type Operation = {
  operationId: string
  summary: string
  description: string
  'x-ms-trigger'?: string
  'x-ms-visibility'?: string
  parameters: {
    'x-ms-summary'?: string
    in: string
    schema?: { properties?: Record<string, Record<string, unknown>> }
  }[]
  responses: Record<string, unknown>
}

describe('openinsights connector export', () => {
  const out = mkdtempSync(join(tmpdir(), 'oi-connector-'))

  it('writes files that validate against the Power Platform schemas and parse as Swagger 2.0', async () => {
    const result = await runCli(
      ['connector', 'export', '--out', out, '--host', 'https://cdp.example.com'],
      {},
    )
    expect(result.code, result.stderr).toBe(0)
    const definition = JSON.parse(readFileSync(join(out, 'apiDefinition.swagger.json'), 'utf8'))
    const properties = JSON.parse(readFileSync(join(out, 'apiProperties.json'), 'utf8'))
    const { swagger, properties: validateProperties } = validators()
    expect(swagger(definition), JSON.stringify(swagger.errors?.slice(0, 5), null, 2)).toBe(true)
    expect(
      validateProperties(properties),
      JSON.stringify(validateProperties.errors?.slice(0, 5), null, 2),
    ).toBe(true)
    await SwaggerParser.validate(structuredClone(definition))
    expect(definition).toMatchObject({ host: 'cdp.example.com', basePath: '/api/v1', schemes: ['https'] })
    // The schemas must be able to fail: a definition without paths or properties without a brand colour does not pass.
    expect(swagger({ ...definition, paths: undefined, swagger: '3.0' })).toBe(false)
    expect(validateProperties({ properties: {} })).toBe(false)
    // Links into this repository (the privacy policy, the website's files) name files that exist.
    const links = JSON.stringify([definition, properties]).match(
      /https:\/\/github\.com\/openinsights\/openinsights\/blob\/main\/[^"#?]+/g,
    )
    expect(links?.length).toBeGreaterThan(0)
    for (const link of links ?? []) {
      const file = resolve(import.meta.dirname, '../..', link.replace(/^.*\/blob\/main\//, ''))
      expect(existsSync(file), `${link} → ${file}`).toBe(true)
    }
  })

  it('follows the conventions certified connectors are reviewed for', () => {
    const definition = JSON.parse(readFileSync(join(out, 'apiDefinition.swagger.json'), 'utf8'))
    const properties = JSON.parse(readFileSync(join(out, 'apiProperties.json'), 'utf8'))
    expect(definition.info.title.length).toBeLessThanOrEqual(30)
    expect(definition.info.title).not.toMatch(/API|Power (Automate|Apps|Platform)/i)
    expect(definition.info.description.length).toBeGreaterThanOrEqual(30)
    expect(definition.info.description.length).toBeLessThanOrEqual(500)
    expect(properties.properties).toMatchObject({
      publisher: expect.any(String),
      stackOwner: expect.any(String),
    })
    expect(definition.securityDefinitions.api_key).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    })

    const operations: Operation[] = []
    for (const [path, item] of Object.entries(
      definition.paths as Record<string, Record<string, Operation>>,
    )) {
      for (const [method, operation] of Object.entries(item)) {
        if (method.startsWith('x-ms-')) continue
        operations.push(operation)
        expect(operation.operationId, path).toMatch(/^[A-Z][A-Za-z0-9]+$/)
        expect(operation.summary.length, operation.operationId).toBeLessThanOrEqual(80)
        expect(operation.summary, operation.operationId).not.toMatch(/[/.!?:;]$|\//)
        expect(operation.summary[0], operation.operationId).toBe(operation.summary[0]?.toUpperCase())
        expect(operation.description.length, operation.operationId).toBeGreaterThan(10)
        for (const parameter of operation.parameters)
          expect(parameter['x-ms-summary'], `${operation.operationId}`).toBeTruthy()
        if (operation['x-ms-trigger']) {
          expect(operation.summary).toMatch(/^When a/)
          expect(item['x-ms-notification-content' as 'post']).toBeTruthy()
          expect(Object.keys(operation.responses)).toContain('201')
          const body = operation.parameters.find((p) => p.in === 'body')
          const callback = Object.values(body?.schema?.properties ?? {}).find(
            (p) => p['x-ms-notification-url'] === true,
          )
          expect(callback, operation.operationId).toMatchObject({ 'x-ms-visibility': 'internal' })
        }
      }
    }
    const ids = operations.map((o) => o.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of [
      'GetEntities',
      'GetItem',
      'GetItems',
      'CreateItem',
      'UpdateItem',
      'GetPartitions',
      'GetPartitionData',
      'SendStatusReport',
    ])
      expect(ids).toContain(id)
    const triggers = operations.filter((o) => o['x-ms-trigger'])
    expect(triggers).toHaveLength(6)
    expect(TRIGGERS.map((t) => t.eventType).sort()).toEqual([...EVENT_TYPES].sort())
    // Every field of every trigger's payload has a name Power Automate shows as dynamic content.
    for (const trigger of TRIGGERS) {
      const content =
        definition.paths[`/instances/{instanceId}/subscriptions/${trigger.eventType}`][
          'x-ms-notification-content'
        ]
      const data = content.schema.properties.data.properties as Record<
        string,
        { 'x-ms-summary': string; description: string }
      >
      expect(Object.keys(data).length).toBeGreaterThan(3)
      for (const [name, field] of Object.entries(data)) {
        expect(field['x-ms-summary'], `${trigger.eventType}.${name}`).toBeTruthy()
        expect(field.description, `${trigger.eventType}.${name}`).toBeTruthy()
      }
    }
  })

  it('refuses a host that is not a URL, naming the option', async () => {
    const result = await runCli(['connector', 'export', '--out', out, '--host', 'not a url'], {})
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe(
      'openinsights: --host not a url is not a URL; write it as https://cdp.example.com [InvalidHost]',
    )
  })
})
