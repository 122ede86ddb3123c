import { writeFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { scratch } from '../../../test/helpers/ingest-fixtures.js'
import type { AppError } from '../../errors.js'
import type { DuckDb } from '../../query/index.js'
import { openDuckDb } from '../duckdb-engine.js'
import { previewSource } from './preview-source.js'

let duck: DuckDb
let dir: ReturnType<typeof scratch>
beforeAll(async () => {
  duck = await openDuckDb({ tempDir: scratch().dir, memoryLimit: '1GB' })
})
afterAll(() => duck.closeSync())
beforeEach(() => {
  dir = scratch()
})
afterEach(() => dir.dispose())

describe('previewSource', () => {
  it('reads columns, first rows and key candidates, ids first, amounts never', async () => {
    writeFileSync(dir.path('p.csv'), 'amount,email,customer_id\n1.5,a@x.dk,7\n2.5,b@x.dk,8\n')
    const preview = await previewSource(
      duck,
      { name: 'p', kind: 'csv', options: { path: dir.path('p.csv') }, columnTypes: {} },
      dir.path('work'),
    )
    expect(preview.columns.map((c) => c.name)).toEqual(['amount', 'email', 'customer_id'])
    expect(preview.keyCandidates).toEqual(['customer_id', 'email'])
    expect(preview.rows).toHaveLength(2)
  })

  it('ends with TimedOut when its time is up, and says what to do', async () => {
    writeFileSync(dir.path('p.csv'), 'id\n1\n')
    const error = (await previewSource(
      duck,
      { name: 'p', kind: 'csv', options: { path: dir.path('p.csv') }, columnTypes: {} },
      dir.path('work'),
      AbortSignal.abort(),
    ).catch((e: unknown) => e)) as AppError
    expect(error.code).toBe('TimedOut')
    expect(error.message).toContain('add the source and refresh it')
  })
})
