import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { demoConfigYaml } from '../demo/index.js'
import { configJsonSchema } from './config-schema.js'

const published = JSON.parse(
  readFileSync(new URL('../../schema/openinsights.schema.json', import.meta.url), 'utf8'),
)

describe('the published JSON Schema of openinsights.yaml', () => {
  it('is up to date with the schema the code validates with (regenerate: npm run schema)', () => {
    expect(published).toEqual(configJsonSchema())
  })

  it('accepts the demo configuration and refuses a wrong kind, as editors will show', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(published)
    expect(validate(parse(demoConfigYaml()))).toBe(true)
    const wrong = parse(demoConfigYaml().replace('kind: csv', 'kind: xlsx'))
    expect(validate(wrong)).toBe(false)
  })
})
