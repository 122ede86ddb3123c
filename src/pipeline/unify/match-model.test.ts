import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unifyInto } from '../../../test/helpers/unify-fixture.js'
import { createDuckDb, type DuckDb, literal, SqlSession, sql } from '../../query/index.js'
import { chooseThreshold, estimateByEm } from './match-model.js'
import { unifyConfigSchema } from './unify-config.js'

/** Every combination of levels with the count a known model gives it among `total` pairs. */
function patternsOf(m: number[][], u: number[][], share: number, total: number) {
  let combos: number[][] = [[]]
  for (const levels of m) combos = combos.flatMap((c) => levels.map((_, level) => [...c, level]))
  return combos.map((levels) => {
    const pm = levels.reduce((p, level, i) => p * ((m[i] as number[])[level] as number), 1)
    const pu = levels.reduce((p, level, i) => p * ((u[i] as number[])[level] as number), 1)
    return { levels, n: total * (share * pm + (1 - share) * pu) }
  })
}

const distribution = (first: number, rest: number[]) => {
  const sum = rest.reduce((a, b) => a + b, 0)
  return [first, ...rest.map((r) => ((1 - first) * r) / sum)]
}

describe('estimating the match model', () => {
  it('recovers m, u and the share of matches from pairs a known model made (EM)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            m0: fc.double({ min: 0.6, max: 0.95, noNaN: true }),
            mRest: fc.array(fc.double({ min: 0.1, max: 1, noNaN: true }), { minLength: 2, maxLength: 2 }),
            uLast: fc.double({ min: 0.6, max: 0.95, noNaN: true }),
            uRest: fc.array(fc.double({ min: 0.1, max: 1, noNaN: true }), { minLength: 2, maxLength: 2 }),
          }),
          { minLength: 3, maxLength: 5 },
        ),
        fc.double({ min: 0.03, max: 0.4, noNaN: true }),
        (comparisons, share) => {
          const m = comparisons.map((c) => distribution(c.m0, c.mRest))
          const u = comparisons.map((c) => distribution(c.uLast, c.uRest).reverse())
          const patterns = patternsOf(m, u, share, 100_000)
          const start = {
            m: m.map(() => [0.8, 0.15, 0.05]),
            u: u.map(() => [0.05, 0.15, 0.8]),
            share: 0.1,
          }
          const found = estimateByEm(patterns, start, 2000)
          expect(found.share).toBeCloseTo(share, 2)
          for (const [i, levels] of m.entries())
            for (const [level, p] of levels.entries()) {
              expect(Math.abs(((found.m[i] as number[])[level] as number) - p)).toBeLessThan(0.02)
              expect(
                Math.abs(((found.u[i] as number[])[level] as number) - (u[i] as number[])[level]!),
              ).toBeLessThan(0.02)
            }
        },
      ),
      { numRuns: 40 },
    )
  })

  it('chooses the threshold of the best expected F1, or keeps the one it is given', () => {
    // Weights in bits: +10 (p ≈ 0.999), +1 (0.67), −1 (0.33), −10.
    const histogram = [
      { weight: 10, n: 100 },
      { weight: 1, n: 30 },
      { weight: -1, n: 30 },
      { weight: -10, n: 1000 },
    ]
    const chosen = chooseThreshold(histogram)
    expect(chosen.threshold).toBeCloseTo(2 / 3, 3)
    expect(chosen.matches).toBe(130)
    const strict = chooseThreshold(histogram, 0.99)
    expect(strict.threshold).toBe(0.99)
    expect(strict.matches).toBe(100)
    expect(strict.precision).toBeGreaterThan(chosen.precision)
    expect(strict.recall).toBeLessThan(chosen.recall)
  })
})

/**
 * People with typos, swapped names and day-first dates, and households: two people sharing a
 * surname, a landline, an address and an email, with their own first names and birth dates.
 */
describe('a probabilistic rule on data it has never seen', () => {
  let duck: DuckDb
  let dir: string
  const firsts = [
    'anna',
    'bo',
    'carl',
    'dorte',
    'erik',
    'frida',
    'gustav',
    'hanne',
    'ida',
    'jens',
    'karen',
    'lars',
  ]
  const lasts = ['jensen', 'nielsen', 'hansen', 'pedersen', 'andersen', 'christensen', 'larsen', 'sorensen']
  const streets = ['vestergade', 'norregade', 'algade', 'strandvej', 'skolevej', 'kirkevej']
  const rows: string[][] = []
  const truth = new Map<string, string>()
  const households: [string, string][] = []
  const ALIKE: [string, string][] = [
    ['carolina', 'catalina'],
    ['kristina', 'katrina'],
    ['mathilde', 'matilda'],
  ]

  beforeAll(async () => {
    duck = await createDuckDb()
    dir = mkdtempSync(join(tmpdir(), 'oi-match-model-'))
    let seed = 7
    const random = () => {
      seed = (seed * 48271) % 2147483647
      return seed / 2147483647
    }
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)] as T
    const typo = (s: string) => {
      const i = 1 + Math.floor(random() * (s.length - 2))
      return s.slice(0, i) + s.slice(i + 1)
    }
    let id = 0
    const add = (person: string, r: string[]) => {
      const key = `r${id++}`
      rows.push([key, ...r])
      truth.set(key, person)
    }
    for (let p = 0; p < 400; p++) {
      const first = pick(firsts)
      const last = `${pick(lasts)}${pick(['', 'berg', 'holm', 'gaard'])}`
      const day = 1 + Math.floor(random() * 28)
      const month = 1 + Math.floor(random() * 12)
      const dob = `19${50 + Math.floor(random() * 50)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
      const phone = `+45${Math.floor(20000000 + random() * 70000000)}`
      const address = `${pick(streets)} ${1 + Math.floor(random() * 90)}`
      const email = `${first}.${last}${p}@example.com`
      add(`p${p}`, [first, last, dob, phone, address, email])
      const kind = p % 5
      if (kind === 0) add(`p${p}`, [typo(first), last, dob, phone.slice(3), address, email])
      if (kind === 1) add(`p${p}`, [last, first, dob, '', address.toUpperCase(), ''])
      if (kind === 2 && day <= 12)
        add(`p${p}`, [
          first,
          typo(last),
          `${dob.slice(0, 4)}-${dob.slice(8, 10)}-${dob.slice(5, 7)}`,
          phone,
          '',
          '',
        ])
      if (kind === 3) {
        // A household member: same surname, landline, address and family email; their own name and birth date.
        const other = pick(firsts.filter((f) => f !== first))
        const born = `19${50 + Math.floor(random() * 50)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`
        add(`h${p}`, [other, last, born, phone, address, email])
        households.push([`p${p}`, `h${p}`])
      }
      if (kind === 4) {
        // Two of a household whose first names are only alike, and no birth date for one of them:
        // everything they share is the household's.
        const [own, alike] = pick(ALIKE)
        rows[rows.length - 1]![1] = own
        add(`h${p}`, [alike, last, '', phone, address, email])
        households.push([`p${p}`, `h${p}`])
      }
    }
    const csv = join(dir, 'people.csv')
    writeFileSync(csv, `id,first,last,born,phone,address,email\n${rows.map((r) => r.join(',')).join('\n')}\n`)
    const session = await SqlSession.open(duck)
    await session.run(
      sql`copy (select * from read_csv(${literal(csv)}, all_varchar = true)) to ${literal(join(dir, 'people.parquet'))} (format parquet)`,
    )
    session.close()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('joins the same person through typos, swapped names and day-first dates, and keeps household members apart', async () => {
    const attributes = {
      first: 'FirstName',
      last: 'LastName',
      born: 'DateOfBirth',
      phone: 'Phone',
      address: 'Address1',
      email: 'Email',
    }
    const result = await unifyInto(duck, join(dir, 'out'), {
      config: unifyConfigSchema.parse({
        sources: { people: { attributes } },
        rules: [{ name: 'model', probabilistic: {} }],
      }),
      sources: [
        {
          name: 'people',
          files: [join(dir, 'people.parquet')],
          keyColumn: 'id',
          attributes,
          types: Object.fromEntries(['id', ...Object.keys(attributes)].map((c) => [c, 'VARCHAR'])),
        },
      ],
    })
    const session = await SqlSession.open(duck)
    const keys = await session.rows<{ SourceKey: string; CustomerId: string }>(
      sql`select SourceKey, CustomerId from ${literal(join(dir, 'out', 'CustomerSourceKeys', 'part-00000.parquet'))}`,
    )
    session.close()
    const customer = new Map(keys.map((k) => [String(k.SourceKey), String(k.CustomerId)]))
    const byPerson = new Map<string, string[]>()
    for (const [key, person] of truth) byPerson.set(person, [...(byPerson.get(person) ?? []), key])
    let duplicates = 0
    let joined = 0
    for (const members of byPerson.values())
      for (const other of members.slice(1)) {
        duplicates++
        if (customer.get(other) === customer.get(members[0] as string)) joined++
      }
    // Households share a surname, landline, address and email: evidence, not proof.
    const merged = households.filter(
      ([a, b]) =>
        customer.get(`r${[...truth].findIndex(([, p]) => p === a)}`) ===
        customer.get(`r${[...truth].findIndex(([, p]) => p === b)}`),
    )
    const model = result.models[0]
    expect(model?.comparisons.map((c) => c.attribute).sort()).toEqual([
      'Address1',
      'DateOfBirth',
      'Email',
      'FirstName',
      'LastName',
      'Phone',
    ])
    expect(joined / duplicates, `${joined} of ${duplicates} duplicates joined`).toBeGreaterThanOrEqual(0.95)
    expect(merged.length, `${merged.length} of ${households.length} households merged`).toBeLessThanOrEqual(
      Math.floor(households.length * 0.05),
    )
    // Agreeing on a date of birth or an email is far likelier for the same person than for two.
    for (const c of model?.comparisons.filter((c) => ['DateOfBirth', 'Email'].includes(c.attribute)) ?? [])
      expect(c.m[0], c.attribute).toBeGreaterThan(5 * (c.u[0] as number))
    expect(model?.threshold).toBeGreaterThan(0.5)
    expect(model?.comparedPairs).toBeLessThan((rows.length * (rows.length - 1)) / 2 / 5)
    // Each chosen blocking rule says how much of the expected matches it finds on its own; the
    // same email finds fewer than all (shop and loyalty copies often lack it), the union all.
    const chosen = model?.blocking.filter((b) => b.pairs > 0) ?? []
    expect(chosen.length).toBeGreaterThan(2)
    for (const b of chosen) expect(b.estimatedRecall).toBeGreaterThan(0)
    for (const b of chosen) expect(b.estimatedRecall).toBeLessThanOrEqual(1 + 1e-9)
    expect(Math.max(...chosen.map((b) => b.estimatedRecall))).toBeLessThan(1)
  })
})
