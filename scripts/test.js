#!/usr/bin/env node
// `npm test`: format and lint (Biome), type check (tsc, server and web UI), build the web UI,
// make sure Debian's chromium is there for the browser tests, then unit and integration tests
// (vitest). Extra arguments go to vitest, e.g. `npm test -- test/api.test.ts`.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)

/** Browser tests drive Debian's chromium; install it when missing and we may (never a downloaded browser). */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return 0
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    process.stdout.write(
      'chromium is missing and cannot be installed here: browser tests will skip (they fail under CI=true)\n',
    )
    return 0
  }
  const update = spawnSync('apt-get', ['update'], { stdio: 'inherit' })
  if (update.status !== 0) return update.status ?? 1
  return (
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status ?? 1
  )
}

const steps = [
  ['format and lint', () => spawnSync(bin('biome'), ['check', '.'], { cwd: root, stdio: 'inherit' }).status],
  ['type check', () => spawnSync(bin('tsc'), ['--noEmit'], { cwd: root, stdio: 'inherit' }).status],
  [
    'type check (web UI)',
    () => spawnSync(bin('tsc'), ['--noEmit', '-p', 'web'], { cwd: root, stdio: 'inherit' }).status,
  ],
  [
    'build the web UI',
    () =>
      spawnSync(process.execPath, [join(root, 'scripts', 'build-web.js')], { cwd: root, stdio: 'inherit' })
        .status,
  ],
  ['chromium for browser tests', ensureChromium],
  [
    'tests',
    () => spawnSync(bin('vitest'), ['run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }).status,
  ],
]
for (const [name, run] of steps) {
  process.stdout.write(`\n▶ ${name}\n`)
  const started = Date.now()
  const status = run()
  if (status !== 0) {
    process.stderr.write(`\n✗ ${name} failed\n`)
    process.exit(status ?? 1)
  }
  process.stdout.write(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
}
