import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const depcruise = join(root, 'node_modules', '.bin', 'depcruise')
const config = join(root, '.dependency-cruiser.cjs')

function cruise(cwd: string): { modules: number; violations: { rule: string; from: string; to: string }[] } {
  const result = spawnSync(depcruise, ['src', 'web/src', '--config', config, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const output = JSON.parse(result.stdout) as {
    summary: { totalCruised: number; violations: { rule: { name: string }; from: string; to: string }[] }
  }
  return {
    modules: output.summary.totalCruised,
    violations: output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })),
  }
}
const violations = (cwd: string) => cruise(cwd).violations

describe('the layers of src/ (.dependency-cruiser.cjs)', () => {
  it('hold in the code as it is', () => {
    const { modules, violations } = cruise(root)
    // dependency-cruiser reads TypeScript through the TypeScript compiler's API; without a
    // version it supports it cruises nothing and finds no violation.
    expect(modules).toBeGreaterThan(250)
    expect(violations).toEqual([])
  })

  it('refuse a store module that imports the server, peers that import each other, cycles, a raw DuckDB connection outside src/query, and a UI that imports src/', () => {
    const found = violations(join(root, 'test', 'fixtures', 'layers'))
    const rules = found.map((v) => `${v.rule}: ${v.from} → ${v.to}`)
    expect(rules).toEqual(
      expect.arrayContaining([
        'layer-2-not-up: src/store/reaches-up.ts → src/server/route.ts',
        'peers-flows-connector: src/flows/uses-connector.ts → src/connector/adapter.ts',
        'web-over-http-only: web/src/page.ts → src/server/route.ts',
      ]),
    )
    expect(rules).toContainEqual(
      expect.stringMatching(/^duckdb-through-query: src\/pipeline\/raw-duckdb\.ts → .*@duckdb\/node-api/),
    )
    expect(found.some((v) => v.rule === 'no-circular' && v.from.startsWith('src/pipeline/'))).toBe(true)
  })
})
