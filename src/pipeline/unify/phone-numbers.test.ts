import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { getCountries, getExampleNumber } from 'libphonenumber-js'
import examples from 'libphonenumber-js/mobile/examples'
import { describe, expect, it } from 'vitest'
import { createDuckDb, literal, SqlSession, sql } from '../../query/index.js'
import { countryCode, countryOfNumber, countryVotes, e164, inferCountry } from './phone-numbers.js'

// Google's example mobile number of every country libphonenumber knows (245): written the ways
// people write them, each must come back as the same E.164 number.
const numbers = getCountries().flatMap((country) => {
  const example = getExampleNumber(country, examples)
  return example ? [{ country, example }] : []
})

describe('phone numbers', () => {
  it('reads every country example the way it is written nationally and internationally', () => {
    expect(numbers.length).toBeGreaterThan(200)
    const wrong: string[] = []
    for (const { country, example } of numbers) {
      const expected = example.number
      const written = [
        [example.formatNational(), country],
        [example.nationalNumber, country],
        [example.formatInternational(), undefined],
        [example.formatInternational().replace('+', '00'), undefined],
        [`(${example.formatInternational().replace(' ', ') ')}`, 'US'],
        [expected, 'DK'],
      ] as const
      for (const [text, own] of written) {
        const got = e164(text, own)
        if (got !== expected) wrong.push(`${country} ${text} → ${got} (expected ${expected})`)
      }
      expect(countryOfNumber(example.formatInternational())).toBeDefined()
    }
    expect(wrong).toEqual([])
  })

  it('keeps what the national plan says: the US trunk 1 goes, Italy’s leading 0 stays, the UK’s goes', () => {
    expect(e164('1 (308) 773-1930', 'US')).toBe('+13087731930')
    expect(e164('3087731930', 'US')).toBe('+13087731930')
    expect(e164('06 1234 5678', 'IT')).toBe('+390612345678')
    expect(e164('07700 900123', 'GB')).toBe('+447700900123')
    expect(e164('+44 (0)7700 900123', undefined)).toBe('+447700900123')
    expect(e164('36570835', undefined)).toBeUndefined()
    expect(e164('12', 'DK')).toBeUndefined()
    expect(countryOfNumber('+1 308 773 1930')).toBe('US')
    expect(countryOfNumber('3087731930')).toBeUndefined()
  })

  it('never throws, and what it returns is E.164 and reads back as itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[+(0]?[0-9 ()./-]{0,20}$/)),
        fc.constantFrom(undefined, 'DK', 'US', 'IT', 'GB', 'xx', ''),
        (text, country) => {
          const got = e164(text, country)
          if (got === undefined) return
          expect(got).toMatch(/^\+[1-9][0-9]{3,15}$/)
          expect(e164(got, undefined)).toBe(got)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('infers the country most of the data is from, and none when it is not clear', () => {
    expect(countryCode(' dk ')).toBe('DK')
    expect(countryCode('Denmark')).toBeUndefined()
    expect(
      inferCountry([
        ['US', 8],
        ['CA', 2],
        [undefined, 5],
      ]),
    ).toEqual({ country: 'US', share: 0.8 })
    expect(
      inferCountry([
        ['US', 4],
        ['GB', 4],
      ]),
    ).toBeUndefined()
    expect(inferCountry([['SE', 3]])).toBeUndefined()
    expect(inferCountry([['nowhere', 30]])).toBeUndefined()
  })

  it('reads the votes of a source from its numbers written with a country code, and its Country values', async () => {
    const duck = await createDuckDb()
    const dir = mkdtempSync(join(tmpdir(), 'oi-phones-'))
    const session = await SqlSession.open(duck)
    try {
      const file = join(dir, 'contacts.parquet')
      await session.run(
        sql`copy (select case when i % 3 = 0 then '(212) 555-' || lpad(i::varchar, 4, '0') else '+1 212 555 ' || lpad(i::varchar, 4, '0') end as tel,
          case when i % 10 = 0 then 'CA' else null end as land from range(1, 300) t(i)) to ${literal(file)} (format parquet)`,
      )
      const votes = await countryVotes(session, [file], { phone: 'tel', country: 'land' })
      expect(inferCountry(votes)?.country).toBe('US')
      const onlyNational = await countryVotes(session, [file], { phone: undefined, country: undefined })
      expect(inferCountry(onlyNational)).toBeUndefined()
    } finally {
      session.close()
      duck.closeSync()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
