#!/usr/bin/env node
// `npm install`'s postinstall step: makes sure every dependency is installed for a Node that can
// run openinsights, whatever Node ran npm.
//
// Why it is needed: npm checks each package's `engines` against the Node npm itself runs on. On
// a machine whose Node is 20, that would warn EBADENGINE for every current dependency (Kysely,
// pg-boss, Vitest, … need 22+) and install them anyway. So every dependency is an optional one:
// npm skips an optional package whose engines its Node does not meet, silently, and installs the
// rest, including the Node 24 binary for this platform (see node-runtime.js). This script then
// runs on that Node 24 (npm puts node_modules/.bin first on PATH) and, when npm ran on an older
// Node, runs `npm install` once more with Node 24, which installs what was skipped. Last, it
// checks that every dependency is there: an optional dependency that failed to install must not
// go unnoticed.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isSupported, root, runtimePackage, unsupportedMessage } from './node-runtime.js'

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const runtimes = new Set(pkg.openinsights?.runtime ?? [])

function fail(message) {
  process.stderr.write(`openinsights install: ${message}\n`)
  process.exit(1)
}

if (!isSupported(process.version)) fail(unsupportedMessage(process.version))

// npm's user agent names the Node it runs on: "npm/11.19.1 node/v20.20.2 linux x64 …".
const npmNode = /\bnode\/(v[\d.]+)/.exec(process.env.npm_config_user_agent ?? '')?.[1]
const npmCli = process.env.npm_execpath
if (npmNode && !isSupported(npmNode) && process.env.OPENINSIGHTS_BOOTSTRAP !== '1') {
  if (!npmCli)
    fail(
      'npm ran on an older Node and did not say where its CLI is (npm_execpath); run `npm install` with Node 24',
    )
  process.stdout.write(
    `openinsights install: npm ran on Node ${npmNode}; installing the dependencies that need Node 22+ with Node ${process.version}\n`,
  )
  const result = spawnSync(process.execPath, [npmCli, 'install', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, OPENINSIGHTS_BOOTSTRAP: '1' },
  })
  if (result.status !== 0) fail(`\`npm install\` with Node ${process.version} failed (exit ${result.status})`)
}

const missing = Object.keys(pkg.optionalDependencies ?? {}).filter(
  (name) => !runtimes.has(name) && !existsSync(join(root, 'node_modules', name, 'package.json')),
)
if (missing.length > 0) {
  fail(
    `these dependencies did not install: ${missing.join(', ')}; run \`npm install\` again and read npm's log for why`,
  )
}
const runtime = runtimePackage()
if (process.env.OPENINSIGHTS_BOOTSTRAP !== '1') {
  process.stdout.write(
    `openinsights install: all ${Object.keys(pkg.optionalDependencies).length - runtimes.size} dependencies in place; npm scripts run on Node ${process.version}${runtime ? ` (${runtime})` : ''}\n`,
  )
}
