import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unifyInto } from '../../../test/helpers/unify-fixture.js'
import {
  createDuckDb,
  type DuckDb,
  inlineValue,
  join as joinSql,
  literal,
  SqlSession,
  sql,
} from '../../query/index.js'
import { unifyConfigSchema } from './unify-config.js'

/**
 * One person in two sources (crm, shop), joined by customer number; each attribute is set up so
 * that a different merge policy picks a different value.
 */
describe('merge policies pick each attribute by its rule', () => {
  let duck: DuckDb
  let dir: string
  beforeAll(async () => {
    duck = await createDuckDb()
    dir = mkdtempSync(join(tmpdir(), 'oi-merge-'))
  })
  afterAll(() => {
    duck.closeSync()
    rmSync(dir, { recursive: true, force: true })
  })

  // id, number, first name, city, address, email, phone, updated
  type Row = [
    string,
    string,
    string | null,
    string | null,
    string | null,
    string | null,
    string | null,
    string,
  ]
  const crm: Row[] = [
    ['c1', 'N1', 'Anne', 'Aarhus', '1 Main St', 'anne@x.dk', '+45 11 22 33 44', '2024-01-01 10:00:00'],
    ['c2', 'N1', 'anne', 'Odense', null, 'ANNE@x.dk', null, '2024-03-01 10:00:00'],
  ]
  const shop: Row[] = [
    [
      's1',
      'N1',
      'Annie',
      'Aarhus',
      '1 Main Street, 2nd floor',
      'a@shop.dk',
      '0045 11223344',
      '2024-02-01 10:00:00',
    ],
    ['s2', 'N2', 'Bo', 'Kolding', null, null, null, '2024-01-01 10:00:00'],
  ]

  async function unify(merge: Record<string, unknown>, rows = { crm, shop }) {
    const session = await SqlSession.open(duck)
    const sources = []
    for (const [name, data] of Object.entries(rows)) {
      const file = join(dir, `${name}-${Math.random().toString(36).slice(2)}.parquet`)
      const values = joinSql(data.map((r) => sql`(${joinSql(r.map(inlineValue))})`))
      await session.run(
        sql`copy (select id, number, first_name, city, address, email, phone, updated::timestamp as updated
          from (values ${values}) t(id, number, first_name, city, address, email, phone, updated))
          to ${literal(file)} (format parquet)`,
      )
      sources.push({
        name,
        files: [file],
        keyColumn: 'id',
        updatedAt: 'updated',
        attributes: {
          number: 'CustomerNumber',
          first_name: 'FirstName',
          city: 'City',
          address: 'Address1',
          email: 'Email',
          phone: 'Phone',
        },
        types: { updated: 'TIMESTAMP' },
      })
    }
    const config = unifyConfigSchema.parse({
      defaultCountry: 'DK',
      sources: Object.fromEntries(
        sources.map((s) => [s.name, { attributes: s.attributes, updatedAt: 'updated' }]),
      ),
      rules: [{ name: 'number', conditions: [{ attribute: 'CustomerNumber' }] }],
      merge,
    })
    const out = join(dir, Math.random().toString(36).slice(2))
    const result = await unifyInto(duck, out, {
      config,
      sources,
    })
    const profiles = result.outputs.find((o) => o.entity === 'UnifiedCustomer')!
    const read = await session.rows(
      sql`select * from ${literal(join(profiles.directory, 'part-00000.parquet'))} order by RecordCount desc`,
    )
    session.close()
    return read
  }

  it('mostFrequent counts values regardless of case; mostRecent, mostComplete and sourcePriority as named', async () => {
    const [anne, bo] = await unify({
      default: 'mostFrequent',
      attributes: { City: 'mostRecent', Address1: 'mostComplete', Phone: 'sourcePriority' },
      sourcePriority: ['shop', 'crm'],
      keepAll: ['Email', 'Phone'],
    })
    // "Anne", "anne" and "Annie" are three votes for one name; "anne" is the spelling most
    // records use, and of its two ways of writing it the one in mixed case is shown.
    expect(anne?.FirstName).toBe('Anne')
    // Aarhus is more frequent, Odense more recent.
    expect(anne?.City).toBe('Odense')
    expect(anne?.Address1).toBe('1 Main Street, 2nd floor')
    // Phones win in their normalised form; the shop is trusted first.
    expect(anne?.Phone).toBe('+4511223344')
    expect(anne?.Emails).toEqual(['a@shop.dk', 'anne@x.dk'])
    expect(anne?.Phones).toEqual(['+4511223344'])
    expect(anne?.RecordCount).toBe(3)
    expect(anne?.SourceCount).toBe(2)
    expect(bo).toMatchObject({ FirstName: 'Bo', RecordCount: 1, SourceCount: 1, Emails: null })
  })

  it('source priority wins over recency and frequency, and the other policies ignore missing values', async () => {
    const [anne] = await unify({
      default: 'sourcePriority',
      attributes: { Address1: 'mostRecent' },
      sourcePriority: ['shop', 'crm'],
    })
    expect(anne?.FirstName).toBe('Annie')
    expect(anne?.Email).toBe('a@shop.dk')
    // The newest record has no address: the newest one that has one wins.
    expect(anne?.Address1).toBe('1 Main Street, 2nd floor')
    const [byCrm] = await unify({ default: 'sourcePriority', sourcePriority: ['crm', 'shop'] })
    // Within the trusted source, the more frequent value (counted over the profile), then the more recent.
    expect(byCrm?.City).toBe('Aarhus')
    // The newer of the crm's two, shown proper-cased.
    expect(byCrm?.FirstName).toBe('Anne')
    expect(byCrm?.Address1).toBe('1 Main St')
  })

  it('resolves a tie the same way whatever order the records come in', async () => {
    const other: Row[] = [['s9', 'N9', 'Ib', 'Ry', null, null, null, '2024-01-01 10:00:00']]
    const tie = (order: Row[]) => unify({ default: 'mostFrequent' }, { crm: order, shop: other })
    const rows: Row[] = [
      ['c1', 'N1', 'Karen', 'Aarhus', null, null, null, '2024-01-01 10:00:00'],
      ['c2', 'N1', 'Karin', 'Aalborg', null, null, null, '2024-01-01 10:00:00'],
      ['c3', 'N1', 'Caren', 'Aabenraa', null, null, null, '2024-01-01 10:00:00'],
    ]
    const first = await tie(rows)
    for (const order of [[...rows].reverse(), [rows[1], rows[2], rows[0]] as Row[]]) {
      const again = await tie(order)
      expect(again[0]?.FirstName).toBe(first[0]?.FirstName)
      expect(again[0]?.City).toBe(first[0]?.City)
    }
  })
})
