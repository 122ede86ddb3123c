import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { eventsDoc } from './events-doc.js'

const root = join(import.meta.dirname, '..', '..', '..')

describe('docs derived from code', () => {
  it('docs/events.md is what the trigger definitions say (regenerate: npm run docs)', () => {
    expect(readFileSync(join(root, 'docs', 'events.md'), 'utf8')).toBe(eventsDoc())
  })

  it('docs/operations.md names every setting the code reads', () => {
    const operations = readFileSync(join(root, 'docs', 'operations.md'), 'utf8')
    const read = new Set<string>()
    for (const file of [
      'src/runtime/settings.ts',
      'src/cli/cli-context.ts',
      'src/cli/api-client.ts',
      'src/secrets/secret-box.ts',
      'src/runtime/logger.ts',
      'src/cli/commands/flow-commands.ts',
    ])
      for (const [name] of readFileSync(join(root, file), 'utf8').matchAll(/OPENINSIGHTS_[A-Z_]+/g))
        read.add(name)
    expect(read.size).toBeGreaterThan(15)
    expect([...read].filter((name) => !operations.includes(`\`${name}\``))).toEqual([])
  })
})
