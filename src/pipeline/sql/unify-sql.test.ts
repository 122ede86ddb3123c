import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDuckDb, type DuckDb, literal, SqlSession, sql } from '../../query/index.js'
import type { Normalization } from '../unify/unify-config.js'
import { normalizeExpression } from './unify-sql.js'

describe('unify normalisations', () => {
  let duck: DuckDb
  beforeAll(async () => {
    duck = await createDuckDb()
  })
  afterAll(() => duck.closeSync())

  const normalize = async (
    value: string | null,
    steps: Normalization[],
    options: { country?: string; defaultCountry?: string } = {},
  ) => {
    const session = await SqlSession.open(duck)
    const hasCountry = options.country !== undefined
    const country = hasCountry ? sql`, ${literal(options.country as string)} as "Country"` : sql``
    const result = await session.value(
      sql`select ${normalizeExpression(sql`v`, steps, options.defaultCountry, hasCountry)} from (select ${value === null ? null : literal(value)}::varchar as v${country})`,
    )
    session.close()
    return result ?? null
  }

  it('folds whitespace, case and accents, including letters without a decomposition', async () => {
    expect(await normalize('  Søren   ÅBERG  ', ['whitespace', 'case', 'accents'])).toBe('soren aberg')
    expect(await normalize('Straße Æble Łódź', ['accents', 'case'])).toBe('strasse aeble lodz')
    expect(await normalize('   ', ['whitespace'])).toBeNull()
  })

  it('keeps digits, lower-cases emails', async () => {
    expect(await normalize('DK-8000', ['numerals'])).toBe('8000')
    expect(await normalize(' Anne@Example.COM ', ['email'])).toBe('anne@example.com')
  })

  it('writes phone numbers in E.164, from the record country or the default', async () => {
    expect(await normalize('+45 36 57 08 35', ['phone'])).toBe('+4536570835')
    expect(await normalize('(+45) 365-70835', ['phone'])).toBe('+4536570835')
    expect(await normalize('0045 36570835', ['phone'])).toBe('+4536570835')
    expect(await normalize('36570835', ['phone'], { defaultCountry: 'DK' })).toBe('+4536570835')
    expect(await normalize('07422 097285', ['phone'], { country: 'GB', defaultCountry: 'DK' })).toBe(
      '+447422097285',
    )
    expect(await normalize('886739255', ['phone'], { country: 'se', defaultCountry: 'DK' })).toBe(
      '+46886739255',
    )
    expect(await normalize('123', ['phone'], { defaultCountry: 'DK' })).toBeNull()
  })

  it('reads nicknames and initials as the names they stand for', async () => {
    expect(await normalize('Bill', ['name'])).toBe('william')
    expect(await normalize("O'Neil-Smith", ['name'])).toBe('oneilsmith')
    expect(await normalize('Søren', ['name'])).toBe('severin')
    expect(await normalize('J.', ['initial'])).toBe('j')
    expect(await normalize('Åse', ['initial'])).toBe('a')
  })

  it('spells out address abbreviations', async () => {
    expect(await normalize('12 Tullaroop St.', ['address'])).toBe('12 tullaroop street')
    expect(await normalize('5 Main Rd, Apt 3', ['address'])).toBe('5 main road apartment 3')
  })
})
