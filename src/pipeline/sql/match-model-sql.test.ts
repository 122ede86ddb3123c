import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDuckDb, type DuckDb, join, literal, SqlSession, sql } from '../../query/index.js'
import { comparisonValuesSql, LEVELS, levelsSql, type ModelComparison } from './match-model-sql.js'

/** First names compared as the model compares them: the level each pair gets, by its label. */
describe('first-name comparison levels', () => {
  let duck: DuckDb
  let session: SqlSession
  beforeAll(async () => {
    duck = await createDuckDb()
    session = await SqlSession.open(duck)
  })
  afterAll(() => {
    session.close()
    duck.closeSync()
  })
  const comparisons: ModelComparison[] = [{ attribute: 'FirstName', kind: 'firstName', column: 'm0' }]
  async function levels(pairs: [string, string][]): Promise<string[]> {
    const records = sql`(select * from (values ${join(
      pairs.flatMap(([a, b], i) => [sql`(${2 * i}, ${literal(a)})`, sql`(${2 * i + 1}, ${literal(b)})`]),
    )}) t(rid, "FirstName"))`
    const values = sql`(${comparisonValuesSql(records, comparisons)})`
    const [level] = levelsSql(comparisons)
    const rows = await session.rows<{ level: number }>(
      sql`select ${level as ReturnType<typeof sql>} as level from ${values} a join ${values} b on b.rid = a.rid + 1 where a.rid % 2 = 0 order by a.rid`,
    )
    return rows.map((r) => LEVELS.firstName[Number(r.level)] ?? 'missing')
  }

  it('tells typos, short forms and nicknames from names that are only alike', async () => {
    const got = await levels([
      ['Mette', 'Metye'], // a typo in a name that is also a short form
      ['Lars', 'Lras'],
      ['Clotilde', 'Cotilde'],
      ['Robert', 'Bob'], // a nickname: the same name
      ['Katherine', 'Kate'], // a nickname the list knows
      ['Valentina', 'Vale'], // a short form it does not
      ['Marco Antonio', 'Marco'],
      ['J.', 'James'],
      ['Carolina', 'Catalina'], // two people of one household
      ['Améliane', 'Mélanie'],
      ['Anna', 'Hugo'],
    ])
    expect(got).toEqual([
      LEVELS.firstName[1],
      LEVELS.firstName[1],
      LEVELS.firstName[1],
      LEVELS.firstName[0],
      LEVELS.firstName[0],
      LEVELS.firstName[2],
      LEVELS.firstName[2],
      LEVELS.firstName[2],
      LEVELS.firstName[3],
      LEVELS.firstName[3],
      LEVELS.firstName[4],
    ])
  })

  it('gives a pair the same level whichever record comes first, and equal names the first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.stringMatching(/^[A-Za-zéø .'-]{1,12}$/), fc.stringMatching(/^[A-Za-zéø .'-]{1,12}$/)),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        async (pairs) => {
          const forward = await levels(pairs)
          const backward = await levels(pairs.map(([a, b]) => [b, a]))
          expect(backward).toEqual(forward)
          const same = await levels(pairs.map(([a]) => [a, a]))
          for (const [i, level] of same.entries())
            expect(level, pairs[i]?.[0]).toBe(
              /[A-Za-zéø]/.test(pairs[i]?.[0] ?? '') ? LEVELS.firstName[0] : 'missing',
            )
        },
      ),
      { numRuns: 60 },
    )
  })
})
