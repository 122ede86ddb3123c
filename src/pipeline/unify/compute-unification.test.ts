import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDuckDb, type DuckDb, join as joinSql, literal, SqlSession, sql } from '../../query/index.js'
import { computeUnification } from './compute-unification.js'
import { unifyConfigSchema } from './unify-config.js'

/** Unifies rows (id, email) given as data, over the previous run's keys; returns key → CustomerId. */
describe('stable CustomerIds when profiles grow, merge and split', () => {
  let duck: DuckDb
  let dir: string
  let run = 0
  const config = unifyConfigSchema.parse({
    sources: { people: { attributes: { email: 'Email' } } },
    rules: [{ name: 'same email', conditions: [{ attribute: 'Email', normalize: ['email'] }] }],
  })

  beforeAll(async () => {
    duck = await createDuckDb()
    dir = mkdtempSync(join(tmpdir(), 'oi-unify-ids-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  let previous: string[] | undefined
  async function unify(rows: [string, string][]): Promise<Record<string, string>> {
    run++
    const input = join(dir, `input-${run}.parquet`)
    const session = await SqlSession.open(duck)
    const values = joinSql(rows.map(([id, email]) => sql`(${literal(id)}, ${literal(email)})`))
    await session.run(
      sql`copy (select * from (values ${values}) t(id, email)) to ${literal(input)} (format parquet)`,
    )
    const result = await computeUnification(duck, {
      config,
      sources: [
        {
          name: 'people',
          files: [input],
          keyColumn: 'id',
          attributes: { email: 'Email' },
          types: { id: 'VARCHAR', email: 'VARCHAR' },
        },
      ],
      previousKeys: previous,
      outDir: (entity) => {
        const out = join(dir, `run-${run}`, entity)
        mkdirSync(out, { recursive: true })
        return out
      },
    })
    const keys = result.outputs.find((o) => o.entity === 'CustomerSourceKeys')!
    previous = [join(keys.directory, 'part-00000.parquet')]
    const read = await session.rows<{ SourceKey: string; CustomerId: string }>(
      sql`select SourceKey, CustomerId from ${literal(previous[0] as string)}`,
    )
    session.close()
    return Object.fromEntries(read.map((r) => [String(r.SourceKey), String(r.CustomerId)]))
  }

  it('keeps ids while records stay or are added, gives the larger profile the id on a merge, and the larger part on a split', async () => {
    const first = await unify([
      ['a1', 'ann@x.dk'],
      ['a2', 'ann@x.dk'],
      ['a3', 'ann@x.dk'],
      ['b1', 'bo@x.dk'],
    ])
    const ann = first.a1 as string
    const bo = first.b1 as string
    expect(first.a2).toBe(ann)
    expect(ann).not.toBe(bo)

    // The same records again, and a new one for Ann: nothing changes id.
    const grown = await unify([
      ['a1', 'ann@x.dk'],
      ['a2', 'ann@x.dk'],
      ['a3', 'ann@x.dk'],
      ['a4', 'ANN@x.dk '],
      ['b1', 'bo@x.dk'],
    ])
    expect(grown).toEqual({ ...first, a4: ann })

    // Bo's record now carries Ann's email: the profiles merge, and the larger one's id survives.
    const merged = await unify([
      ['a1', 'ann@x.dk'],
      ['a2', 'ann@x.dk'],
      ['a3', 'ann@x.dk'],
      ['a4', 'ann@x.dk'],
      ['b1', 'ann@x.dk'],
    ])
    expect(new Set(Object.values(merged))).toEqual(new Set([ann]))

    // a1 and b1 change their emails apart from the rest: Ann's id stays with the largest part.
    const split = await unify([
      ['a1', 'first@x.dk'],
      ['a2', 'ann@x.dk'],
      ['a3', 'ann@x.dk'],
      ['a4', 'ann@x.dk'],
      ['b1', 'first@x.dk'],
    ])
    expect(split.a2).toBe(ann)
    expect(split.a3).toBe(ann)
    expect(split.a1).toBe(split.b1)
    expect(split.a1).not.toBe(ann)
    // The split-off part's id is new: neither Ann's nor Bo's retired id.
    expect(split.a1).not.toBe(bo)
    expect(split.a1).toMatch(/^C[0-9A-F]{15}$/)
  })

  it('derives first-run ids from the first record, so the same data gives the same ids anywhere', async () => {
    previous = undefined
    const once = await unify([
      ['x1', 'x@x.dk'],
      ['y1', 'y@x.dk'],
    ])
    previous = undefined
    const again = await unify([
      ['y1', 'y@x.dk'],
      ['x1', 'x@x.dk'],
    ])
    expect(again).toEqual(once)
  })
})

describe('a never-match override on top of the rules', () => {
  it('keeps two records with one email apart when their birth dates differ, not when one is missing', async () => {
    const duck = await createDuckDb()
    const dir = mkdtempSync(join(tmpdir(), 'oi-unify-never-'))
    try {
      const input = join(dir, 'people.parquet')
      const session = await SqlSession.open(duck)
      await session.run(
        sql`copy (select * from (values ('a', 'kim@x.dk', '1980-01-02'), ('b', 'kim@x.dk', '1980-01-02'), ('c', 'kim@x.dk', '1975-06-07'), ('d', 'lee@x.dk', '1990-01-01'), ('e', 'lee@x.dk', null)) t(id, email, born)) to ${literal(input)} (format parquet)`,
      )
      const attributes = { email: 'Email', born: 'DateOfBirth' }
      const result = await computeUnification(duck, {
        config: unifyConfigSchema.parse({
          sources: { people: { attributes } },
          rules: [
            { name: 'same email', conditions: [{ attribute: 'Email', normalize: ['email'] }] },
            {
              name: 'different birth dates',
              neverMatch: true,
              conditions: [{ attribute: 'DateOfBirth', normalize: ['numerals'] }],
            },
          ],
        }),
        sources: [
          {
            name: 'people',
            files: [input],
            keyColumn: 'id',
            attributes,
            types: { id: 'VARCHAR', email: 'VARCHAR', born: 'VARCHAR' },
          },
        ],
        previousKeys: undefined,
        outDir: (entity) => {
          const out = join(dir, 'out', entity)
          mkdirSync(out, { recursive: true })
          return out
        },
      })
      const keys = result.outputs.find((o) => o.entity === 'CustomerSourceKeys')!
      const rows = await session.rows<{ SourceKey: string; CustomerId: string }>(
        sql`select SourceKey, CustomerId from ${literal(join(keys.directory, 'part-00000.parquet'))}`,
      )
      session.close()
      const id = Object.fromEntries(rows.map((r) => [String(r.SourceKey), String(r.CustomerId)]))
      expect(id.a).toBe(id.b)
      expect(id.c).not.toBe(id.a)
      expect(id.d).toBe(id.e)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
