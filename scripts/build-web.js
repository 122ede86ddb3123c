#!/usr/bin/env node
// Builds the web UI (web/, React + Vite) into web/dist when it is missing or older than its
// sources, then prints the first-load JavaScript size (gzip). `npm start` runs this first;
// `--force` builds regardless.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const web = join(root, 'web')
const index = join(web, 'dist', 'index.html')

function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))))
}
const sources = ['src', 'index.html', 'vite.config.ts', 'public'].map((p) => join(web, p)).filter(existsSync)
const stale =
  process.argv.includes('--force') ||
  !existsSync(index) ||
  Math.max(...sources.map(newest), newest(join(root, 'package.json'))) > statSync(index).mtimeMs

if (stale) {
  process.stdout.write('building the web UI (vite)…\n')
  const result = spawnSync(
    join(root, 'node_modules', '.bin', 'vite'),
    ['build', '--config', join(web, 'vite.config.ts')],
    {
      cwd: web,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  if (result.status !== 0) {
    process.stderr.write('web/: the UI build failed (see above); fix the error and run npm run build:web\n')
    process.exit(result.status ?? 1)
  }
}

// What a first visit loads: the scripts and module preloads index.html names.
const html = readFileSync(index, 'utf8')
const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1])
const gzip = scripts.reduce((sum, file) => sum + gzipSync(readFileSync(join(web, 'dist', file))).length, 0)
process.stdout.write(
  `web UI: first-load JavaScript ${(gzip / 1024).toFixed(1)} KB gzip (${scripts.length} file(s))\n`,
)
