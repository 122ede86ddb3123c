import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unifyInto } from '../../../test/helpers/unify-fixture.js'
import {
  createDuckDb,
  type DuckDb,
  ident,
  inlineValue,
  join as joinSql,
  literal,
  SqlSession,
  sql,
} from '../../query/index.js'
import { properCaseSql } from '../sql/unify-sql.js'
import { unifyConfigSchema } from './unify-config.js'

type Row = Record<string, string | null>

/**
 * Merged values people would accept: the value most records agree on after normalisation (a
 * nickname votes for its name), a typo losing a tie to the spelling other profiles use, FullName
 * made of the winning parts, names proper-cased when a source wrote them in one case, phones
 * read by libphonenumber in the country the data is from.
 */
describe('merged values', () => {
  let duck: DuckDb
  let dir: string
  beforeAll(async () => {
    duck = await createDuckDb()
    dir = mkdtempSync(join(tmpdir(), 'oi-merged-'))
  })
  afterAll(() => {
    duck.closeSync()
    rmSync(dir, { recursive: true, force: true })
  })

  /** One source; records sharing `number` are one customer. */
  async function unify(rows: Row[], attributes: Record<string, string>, extra: Record<string, unknown> = {}) {
    const session = await SqlSession.open(duck)
    try {
      const columns = ['id', 'number', 'updated', ...Object.keys(attributes)]
      const file = join(dir, `${Math.random().toString(36).slice(2)}.parquet`)
      const values = joinSql(
        rows.map((r) => sql`(${joinSql(columns.map((c) => inlineValue(r[c] ?? null)))})`),
      )
      await session.run(
        sql`copy (select * replace (updated::timestamp as updated) from (values ${values}) t(${joinSql(
          columns.map((c) => ident(c)),
        )})) to ${literal(file)} (format parquet)`,
      )
      const config = unifyConfigSchema.parse({
        sources: { crm: { attributes: { number: 'CustomerNumber', ...attributes }, updatedAt: 'updated' } },
        rules: [{ name: 'number', conditions: [{ attribute: 'CustomerNumber' }] }],
        ...extra,
      })
      const out = join(dir, Math.random().toString(36).slice(2))
      const result = await unifyInto(duck, out, {
        config,
        sources: [
          {
            name: 'crm',
            files: [file],
            keyColumn: 'id',
            updatedAt: 'updated',
            attributes: { number: 'CustomerNumber', ...attributes },
            types: { updated: 'TIMESTAMP' },
          },
        ],
      })
      const profiles = result.outputs.find((o) => o.entity === 'UnifiedCustomer')!
      const read = await session.rows(
        sql`select * from ${literal(join(profiles.directory, 'part-00000.parquet'))} order by CustomerNumber`,
      )
      return { result, profiles: new Map(read.map((p) => [String(p.CustomerNumber), p])) }
    } finally {
      session.close()
    }
  }
  let next = 0
  const row = (number: string, values: Row, updated = '2024-01-01 10:00:00'): Row => ({
    id: `r${++next}`,
    number,
    updated,
    ...values,
  })

  it('picks the value most records agree on after normalisation, and a spelling people would accept', async () => {
    const { profiles } = await unify(
      [
        // A nickname votes for its name; the full name is shown.
        row('1', { first: 'Bob', last: 'Smith' }, '2024-03-01 10:00:00'),
        row('1', { first: 'Bob', last: 'Smith' }, '2024-03-02 10:00:00'),
        row('1', { first: 'Robert', last: 'SMITH' }),
        // One "Davis", one "Davs" (newer): other profiles say which is the surname.
        row('2', { first: 'Anna', last: 'Davis' }),
        row('2', { first: 'anna', last: 'Davs' }, '2024-06-01 10:00:00'),
        row('3', { first: 'Mary', last: 'Davis' }),
        row('3', { first: 'Mary', last: 'Davis' }),
        // Capitals and lost accents lose to the spelling with both.
        row('4', { first: 'BJORN', last: 'LINDSTROM' }, '2024-09-01 10:00:00'),
        row('4', { first: 'Björn', last: 'lindström' }),
        // One record, written in one case: proper-cased.
        row('5', { first: 'anne-marie', last: "o'neil" }),
      ],
      { first: 'FirstName', last: 'LastName' },
    )
    expect(profiles.get('1')).toMatchObject({
      FirstName: 'Robert',
      LastName: 'Smith',
      FullName: 'Robert Smith',
    })
    expect(profiles.get('2')).toMatchObject({ FirstName: 'Anna', LastName: 'Davis', FullName: 'Anna Davis' })
    expect(profiles.get('4')).toMatchObject({
      FirstName: 'Björn',
      LastName: 'Lindström',
      FullName: 'Björn Lindström',
    })
    expect(profiles.get('5')).toMatchObject({ FirstName: 'Anne-Marie', LastName: "O'Neil" })
  })

  it('makes FullName of the winning parts, keeping the middle names of a FullName that agrees with them', async () => {
    const { profiles } = await unify(
      [
        row('1', { first: 'Björn', last: 'Lindström', full: null }),
        row('1', { first: 'Björn', last: 'Lindström', full: 'Bjrn Lindström' }),
        row('2', { first: null, last: null, full: 'ANNA MARIA SVENSSON' }),
        row('2', { first: 'Anna', last: 'Svensson', full: null }),
        row('3', { first: 'John', last: 'McDonald', full: null }),
      ],
      { first: 'FirstName', last: 'LastName', full: 'FullName' },
    )
    expect(profiles.get('1')?.FullName).toBe('Björn Lindström')
    expect(profiles.get('2')).toMatchObject({ FirstName: 'Anna', FullName: 'Anna Maria Svensson' })
    expect(profiles.get('3')?.FullName).toBe('John McDonald')
  })

  it('reads phones without a country code in the country the data is from, one number once', async () => {
    const phones = [
      '+1 212 555 0101',
      '+1 (415) 555-0102',
      '001 617 555 0103',
      '+1 312 555 0104',
      '+1 206 555 0105',
    ]
    const { profiles, result } = await unify(
      [
        ...phones.map((phone, i) => row(String(10 + i), { phone })),
        row('1', { phone: '+13087731930' }),
        row('1', { phone: '(308) 773-1930' }),
        row('1', { phone: '1-308-773-1930' }),
        row('2', { phone: '+44 (0)20 7946 0958' }),
      ],
      { phone: 'Phone' },
    )
    expect(result.phoneCountry).toEqual({ country: 'US', inferred: true })
    expect(profiles.get('1')?.Phones).toEqual(['+13087731930'])
    expect(profiles.get('2')?.Phones).toEqual(['+442079460958'])
    expect(profiles.get('12')?.Phone).toBe('+16175550103')
    // A configured country is used as it is.
    const configured = await unify(
      [row('1', { phone: '3087731930' })],
      { phone: 'Phone' },
      { defaultCountry: 'DK' },
    )
    expect(configured.result.phoneCountry).toEqual({ country: 'DK', inferred: false })
  })

  it('proper-cases only what is written in one case, changing nothing but the case', async () => {
    const session = await SqlSession.open(duck)
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.stringMatching(/^[a-zA-ZæøåéüßÆØÅÉÜ' -]{0,24}$/),
          fc.constantFrom('lower', 'upper', 'as is'),
          async (text, casing) => {
            const value =
              casing === 'lower' ? text.toLowerCase() : casing === 'upper' ? text.toUpperCase() : text
            const got = String(
              (await session.value(sql`select ${properCaseSql(sql`${literal(value)}::varchar`)}`)) ?? '',
            )
            expect(got.toLowerCase()).toBe(value.toLowerCase())
            expect(got.length).toBe(value.length)
            if (value !== value.toUpperCase() && value !== value.toLowerCase()) expect(got).toBe(value)
            // Each word (and each part of a hyphenated or O'-name) starts with a capital.
            else for (const part of got.split(/[ '-]/)) if (part) expect(part[0]).toBe(part[0]?.toUpperCase())
          },
        ),
        { numRuns: 300 },
      )
    } finally {
      session.close()
    }
  })
})
