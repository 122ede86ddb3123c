import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js'
import { ident, join, literal, literalList, type SqlSession, sql } from '../../query/index.js'
import type { Normalization } from './unify-config.js'

/**
 * Phone numbers read with libphonenumber (Google's metadata of every country's numbering plan),
 * for what SQL cannot settle: a number written without its country code needs that country's
 * rules (the US trunk prefix 1, Italy's leading 0 that stays, the UK's 0 that goes).
 */

/** Written with its country code ("+45 …", "0045 …"): its digits settle it without a country. */
export const INTERNATIONAL_FORM = '^[^0-9+]*([+]|00)'

/** An ISO 3166 country code libphonenumber knows ("dk", " DK " → "DK"), else undefined. */
export function countryCode(value: string | null | undefined): CountryCode | undefined {
  const code = value?.trim().toUpperCase()
  return code && code.length === 2 && isSupportedCountry(code) ? code : undefined
}

/**
 * The number in E.164 ("+4536570835"), read as a number of `country` when written without a
 * country code; undefined when it is not a possible number there (or no country is known).
 */
export function e164(raw: string, country: string | undefined): string | undefined {
  // "00" is the international prefix of most of the world; libphonenumber reads it only where it
  // is the default country's own.
  const text = raw.trim().replace(/^([^0-9+]*)00(?=[1-9])/, '$1+')
  const parsed = parsePhoneNumberFromString(text, countryCode(country))
  return parsed?.isPossible() ? parsed.number : undefined
}

/** The country a number in international form belongs to ("+1 308…" → "US"), else undefined. */
export function countryOfNumber(raw: string): CountryCode | undefined {
  if (!new RegExp(INTERNATIONAL_FORM).test(raw)) return undefined
  const text = raw.trim().replace(/^([^0-9+]*)00(?=[1-9])/, '$1+')
  return parsePhoneNumberFromString(text)?.country
}

/**
 * The country most of the data is from, for numbers written without a country code: the one
 * named by at least half of the votes (countries of records, countries of numbers written in
 * international form), and by at least `minimum` of them; else undefined.
 */
export function inferCountry(
  votes: Iterable<readonly [string | undefined, number]>,
  minimum = 5,
): { country: CountryCode; share: number } | undefined {
  const counts = new Map<CountryCode, number>()
  let total = 0
  for (const [value, n] of votes) {
    const code = countryCode(value)
    if (!code) continue
    counts.set(code, (counts.get(code) ?? 0) + n)
    total += n
  }
  const [top] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (!top || top[1] < minimum || top[1] / total < 0.5) return undefined
  return { country: top[0], share: top[1] / total }
}

/**
 * Rewrites the phone-normalised columns of `records` for numbers written without a country code,
 * read by libphonenumber as numbers of the record's Country, else of the default country (the
 * configured one, or else the one inferred from the data). Numbers in international form keep
 * what SQL made of them ('+' and their digits), except those written with a "(0)" trunk.
 */
export async function normalizePhoneColumns(
  session: SqlSession,
  options: {
    columns: readonly { column: string; attribute: string; normalize: readonly Normalization[] }[]
    hasCountry: boolean
    defaultCountry: string | undefined
  },
): Promise<{ defaultCountry: string | undefined; inferred: boolean; rewritten: number }> {
  const columns = options.columns.filter((c) => c.normalize.at(-1) === 'phone')
  if (columns.length === 0) return { defaultCountry: options.defaultCountry, inferred: false, rewritten: 0 }
  const country = options.hasCountry ? sql`upper(trim(cast("Country" as varchar)))` : sql`null::varchar`
  let defaultCountry = countryCode(options.defaultCountry)
  let inferred = false
  if (!defaultCountry) {
    const votes: [string | undefined, number][] = []
    if (options.hasCountry)
      for (const row of await session.rows<{ c: string; n: bigint }>(
        sql`select ${country} as c, count(*) as n from records where "Country" is not null group by 1 order by 2 desc limit 50`,
      ))
        votes.push([row.c, Number(row.n)])
    for (const attribute of new Set(columns.map((c) => c.attribute)))
      for (const row of await session.rows<{ v: string }>(
        sql`select v from (select ${ident(attribute)} as v from records where regexp_matches(${ident(attribute)}, ${literal(INTERNATIONAL_FORM)})) using sample reservoir(2000 rows) repeatable (7)`,
      ))
        votes.push([countryOfNumber(row.v), 1])
    defaultCountry = inferCountry(votes)?.country
    inferred = defaultCountry !== undefined
  }
  let rewritten = 0
  for (const attribute of new Set(columns.map((c) => c.attribute))) {
    const phone = ident(attribute)
    const values = await session.rows<{ raw: string; country: string | null }>(
      sql`select distinct ${phone} as raw, ${country} as country from records
        where ${phone} is not null and (not regexp_matches(${phone}, ${literal(INTERNATIONAL_FORM)}) or strpos(${phone}, '(0)') > 0)`,
    )
    await session.run(
      sql`create or replace temp table phone_numbers (raw varchar, country varchar, e164 varchar)`,
    )
    const appender = await session.appender('phone_numbers')
    for (const { raw, country: own } of values) {
      const number = e164(raw, countryCode(own) ?? defaultCountry)
      if (!number) continue
      appender.appendVarchar(raw)
      if (own === null) appender.appendNull()
      else appender.appendVarchar(own)
      appender.appendVarchar(number)
      appender.endRow()
      rewritten++
    }
    appender.closeSync()
    const targets = columns.filter((c) => c.attribute === attribute)
    await session.run(
      sql`update records set ${join(targets.map((c) => sql`${ident(c.column)} = p.e164`))}
        from phone_numbers p where records.${phone} = p.raw and ${options.hasCountry ? sql`upper(trim(cast(records."Country" as varchar)))` : sql`null::varchar`} is not distinct from p.country`,
    )
    await session.run(sql`drop table phone_numbers`)
  }
  return { defaultCountry, inferred, rewritten }
}

/**
 * Votes for the country of a source's phone numbers, from up to 2,000 of its rows: each number
 * written with a country code names its country, each Country value names itself.
 */
export async function countryVotes(
  session: SqlSession,
  files: readonly string[],
  columns: { phone?: string | undefined; country?: string | undefined },
): Promise<[string | undefined, number][]> {
  const picked = [
    columns.phone ? sql`cast(${ident(columns.phone)} as varchar) as phone` : sql`null::varchar as phone`,
    columns.country
      ? sql`cast(${ident(columns.country)} as varchar) as country`
      : sql`null::varchar as country`,
  ]
  const rows = await session.rows<{ phone: string | null; country: string | null }>(
    sql`select ${join(picked)} from read_parquet(${literalList(files)}) using sample reservoir(2000 rows) repeatable (7)`,
  )
  const votes: [string | undefined, number][] = []
  for (const row of rows) {
    if (row.country) votes.push([row.country, 1])
    if (row.phone) votes.push([countryOfNumber(row.phone), 1])
  }
  return votes
}
