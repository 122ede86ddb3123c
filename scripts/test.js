#!/usr/bin/env node
// `npm test`: format and lint (Biome), type check (tsc), then unit and integration tests (vitest).
// Extra arguments go to vitest, e.g. `npm test -- test/api.test.ts`.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const steps = [
  ['format and lint', bin('biome'), ['check', '.']],
  ['type check', bin('tsc'), ['--noEmit']],
  ['tests', bin('vitest'), ['run', ...process.argv.slice(2)]],
]
for (const [name, command, args] of steps) {
  process.stdout.write(`\n▶ ${name}\n`)
  const started = Date.now()
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    process.stderr.write(`\n✗ ${name} failed\n`)
    process.exit(result.status ?? 1)
  }
  process.stdout.write(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
}
