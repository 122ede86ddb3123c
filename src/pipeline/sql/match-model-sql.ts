/**
 * The SQL of probabilistic matching (Fellegi–Sunter, as Splink runs it on DuckDB): each
 * attribute's comparable value, the comparison level of a pair of records, automatic blocking
 * keys, and the match weight of a pair with its term-frequency adjustment. The model's numbers
 * are estimated in TypeScript (unify/match-model.ts) from counts these queries return; nothing
 * here compares all pairs.
 */

import { ident, join, type Sql, sql } from '../../query/index.js'
import { letters, normalizeExpression } from './unify-sql.js'

/** How an attribute is compared: which value, which levels. */
export type ComparisonKind =
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'phone'
  | 'date'
  | 'postcode'
  | 'address'
  | 'city'
  | 'identifier'
  | 'text'

/** The levels of each kind, best first; a pair whose value is missing on either side has none. */
export const LEVELS: Record<ComparisonKind, string[]> = {
  firstName: [
    'exact',
    'one typo, or similar (Jaro–Winkler ≥ 0.92)',
    'an initial, a short form or one name within the other (Alex, Kate, Marco Antonio)',
    'alike (Jaro–Winkler ≥ 0.80)',
    'different',
  ],
  lastName: [
    'exact',
    'similar (Jaro–Winkler ≥ 0.92) or one part of the other',
    'alike (≥ 0.80)',
    'different',
  ],
  email: ['exact', 'same name before @', 'different'],
  phone: ['same last 8 digits', 'one digit apart', 'different'],
  date: ['exact', 'one digit apart, or day and month swapped', 'two digits apart', 'different'],
  postcode: ['exact', 'one character apart', 'different'],
  address: ['exact', 'similar (Jaro–Winkler ≥ 0.92)', 'alike (≥ 0.80)', 'different'],
  city: ['exact', 'similar (Jaro–Winkler ≥ 0.90)', 'different'],
  identifier: ['exact', 'one character apart', 'different'],
  text: ['exact', 'similar (Jaro–Winkler ≥ 0.92)', 'different'],
}

/** Kinds whose exact level is weighed by how common the value is (a rare surname counts more). */
export const TERM_FREQUENCY_KINDS: ReadonlySet<ComparisonKind> = new Set([
  'firstName',
  'lastName',
  'email',
  'phone',
  'postcode',
  'address',
  'city',
  'identifier',
  'text',
])

const alnum = (x: Sql) => sql`nullif(regexp_replace(lower(${x}), '[^a-z0-9]', '', 'g'), '')`

/** The comparable value of an attribute of a record (`records` columns are VARCHAR attributes). */
export function comparisonValueSql(kind: ComparisonKind, attribute: string): Sql {
  const x = ident(attribute)
  switch (kind) {
    case 'firstName':
    case 'lastName':
      return normalizeExpression(x, ['name'])
    case 'email':
      return normalizeExpression(x, ['email'])
    case 'phone': {
      // The last 8 digits: the same number with or without its country code or trunk 0.
      const digits = sql`regexp_replace(cast(${x} as varchar), '[^0-9]', '', 'g')`
      return sql`case when length(${digits}) >= 6 then right(${digits}, 8) end`
    }
    case 'date':
      return sql`nullif(regexp_replace(cast(${x} as varchar), '[^0-9]', '', 'g'), '')`
    case 'postcode':
    case 'identifier':
      return alnum(sql`cast(${x} as varchar)`)
    case 'address':
      return normalizeExpression(x, ['address'])
    case 'city':
    case 'text':
      return normalizeExpression(x, ['whitespace', 'case', 'accents'])
  }
}

const jw = (a: Sql, b: Sql) => sql`jaro_winkler_similarity(${a}, ${b})`
const editsApart = (a: Sql, b: Sql, n: number) => sql`levenshtein(${a}, ${b}) <= ${n}`

/**
 * The level (0 = best) of a pair's comparison of one attribute, or -1 when either value is
 * missing. `a` and `b` are the two records' comparable values; `other` their values of the
 * other name attribute (first and last names written the wrong way round count as exact).
 */
export function comparisonLevelSql(
  kind: ComparisonKind,
  a: Sql,
  b: Sql,
  swapped?: { a: Sql; b: Sql },
  spelled?: { a: Sql; b: Sql },
): Sql {
  const missing = sql`${a} is null or ${b} is null`
  switch (kind) {
    case 'firstName':
    case 'lastName': {
      const swap = swapped
        ? sql`when ${a} = ${swapped.b} and ${swapped.a} = ${b} and ${a} <> ${swapped.a} then 0`
        : sql``
      // One typo: a letter added, dropped or changed, or two swapped — in the names as written
      // too, since a typo in a nickname ("Metye") does not map to the full name.
      // One typo (a letter added, dropped or changed, or two swapped) is looked for only among
      // names alike enough for it (Jaro–Winkler 0.80–0.92): CASE narrows the rows each WHEN sees.
      const typo = (x: Sql, y: Sql) =>
        sql`abs(length(${x}) - length(${y})) <= 1 and greatest(length(${x}), length(${y})) >= 3 and damerau_levenshtein(${x}, ${y}) <= 1`
      // (Short names need no Jaro–Winkler for it: "Ida" and "Ia" are 0.61 apart.)
      // Also as written, where a nickname made either name another one ("Metye" is a typo of
      // "Mette", which the nickname list reads as Margrethe).
      const written = spelled
        ? sql`when (${a} <> ${spelled.a} or ${b} <> ${spelled.b}) and (${spelled.a} = ${spelled.b} or (${jw(spelled.a, spelled.b)} >= 0.8 and ${typo(spelled.a, spelled.b)})) then 1`
        : sql``
      if (kind === 'lastName')
        return sql`case when ${missing} then -1 when ${a} = ${b} then 0 ${swap}
          when ${jw(a, b)} >= 0.92 then 1
          when least(length(${a}), length(${b})) >= 4 and (starts_with(${a}, ${b}) or starts_with(${b}, ${a}) or ends_with(${a}, ${b}) or ends_with(${b}, ${a})) then 1
          when ${jw(a, b)} >= 0.8 then 2 else 3 end`
      // A short form: an initial, one name within the other, or the same first three letters
      // of a name of five letters or fewer (Kate and Katherine).
      return sql`case when ${missing} then -1 when ${a} = ${b} then 0 ${swap}
        when ${jw(a, b)} >= 0.92 then 1 ${written}
        when greatest(length(${a}), length(${b})) <= 5 and (left(${a}, 1) = left(${b}, 1) or right(${a}, 1) = right(${b}, 1)) and ${typo(a, b)} then 1
        when least(length(${a}), length(${b})) = 1 and left(${a}, 1) = left(${b}, 1) then 2
        when least(length(${a}), length(${b})) >= 3 and (contains(${a}, ${b}) or contains(${b}, ${a})) then 2
        when least(length(${a}), length(${b})) between 3 and 5 and left(${a}, 3) = left(${b}, 3) then 2
        when ${jw(a, b)} >= 0.8 then case when ${typo(a, b)} then 1 else 3 end else 4 end`
    }
    case 'email':
      // Not "similar": anna.berg12@ and anna.berg57@ are two people as often as one.
      return sql`case when ${missing} then -1 when ${a} = ${b} then 0
        when split_part(${a}, '@', 1) = split_part(${b}, '@', 1) then 1 else 2 end`
    case 'phone':
    case 'postcode':
    case 'identifier':
      return sql`case when ${missing} then -1 when ${a} = ${b} then 0 when ${editsApart(a, b, 1)} then 1 else 2 end`
    case 'date': {
      // yyyymmdd: day and month swapped is yyyy || dd || mm.
      const swappedDate = sql`length(${a}) = 8 and ${a} = left(${b}, 4) || substr(${b}, 7, 2) || substr(${b}, 5, 2)`
      return sql`case when ${missing} then -1 when ${a} = ${b} then 0
        when ${editsApart(a, b, 1)} or (${swappedDate}) then 1 when ${editsApart(a, b, 2)} then 2 else 3 end`
    }
    case 'address':
      return sql`case when ${missing} then -1 when ${a} = ${b} then 0
        when ${jw(a, b)} >= 0.92 then 1 when ${jw(a, b)} >= 0.8 then 2 else 3 end`
    case 'city':
      return sql`case when ${missing} then -1 when ${a} = ${b} then 0 when ${jw(a, b)} >= 0.9 then 1 else 2 end`
    case 'text':
      return sql`case when ${missing} then -1 when ${a} = ${b} then 0 when ${jw(a, b)} >= 0.92 then 1 else 2 end`
  }
}

/** A comparison of the model: the attribute, its kind, and the column of its comparable value. */
export interface ModelComparison {
  attribute: string
  kind: ComparisonKind
  /** Column of the values table (`m0`, `m1`, …). */
  column: string
}

/** The values table: each record's comparable value of every compared attribute. */
export function comparisonValuesSql(records: Sql, comparisons: readonly ModelComparison[]): Sql {
  // First names also as written (letters only, no nickname made the full name): for typos.
  const spelled = comparisons
    .filter((c) => c.kind === 'firstName')
    .map(
      (c) => sql`${letters(sql`cast(${ident(c.attribute)} as varchar)`)} as ${ident(`${c.column}_spelled`)}`,
    )
  return sql`select rid, ${join([
    ...comparisons.map((c) => sql`${comparisonValueSql(c.kind, c.attribute)} as ${ident(c.column)}`),
    ...spelled,
  ])} from ${records}`
}

/** Every comparison's level for pairs (rid_a, rid_b) joined to the values table as a and b. */
export function levelsSql(comparisons: readonly ModelComparison[]): Sql[] {
  const first = comparisons.find((c) => c.kind === 'firstName')
  const last = comparisons.find((c) => c.kind === 'lastName')
  const postcode = comparisons.find((c) => c.kind === 'postcode')
  return comparisons.map((c) => {
    const col = ident(c.column)
    const other = c.kind === 'firstName' ? last : c.kind === 'lastName' ? first : undefined
    const swapped = other ? { a: sql`a.${ident(other.column)}`, b: sql`b.${ident(other.column)}` } : undefined
    const spelled =
      c.kind === 'firstName'
        ? { a: sql`a.${ident(`${c.column}_spelled`)}`, b: sql`b.${ident(`${c.column}_spelled`)}` }
        : undefined
    const level = comparisonLevelSql(c.kind, sql`a.${col}`, sql`b.${col}`, swapped, spelled)
    // The same postcode already says the same town: then the city adds nothing (counted twice
    // otherwise); where postcodes differ (a typo) or are missing, the city still tells.
    if (c.kind === 'city' && postcode)
      return sql`case when a.${ident(postcode.column)} = b.${ident(postcode.column)} then -1 else ${level} end`
    return level
  })
}

/** A blocking rule: records with equal keys (all non-null) are compared. */
export interface BlockingRule {
  name: string
  key: Sql
  /** The comparisons whose values make the key: agreeing on them is how its pairs were chosen. */
  uses: ModelComparison[]
}

/** The comparable value's column, for blocking keys. */
const v = (c: ModelComparison) => ident(c.column)

/**
 * Blocking rules from the compared attributes: the strong identifiers alone (email, phone, an
 * identifier, birth date), then combinations that survive a typo in any one attribute: postcode
 * with the surname's first letter, surname with the first name's initial, the two names in
 * either order (so swapped names meet), first name with the birth year, and address.
 */
export function candidateBlockingRules(comparisons: readonly ModelComparison[]): BlockingRule[] {
  const of = (kind: ComparisonKind) => comparisons.find((c) => c.kind === kind)
  const rules: BlockingRule[] = []
  const first = of('firstName')
  const last = of('lastName')
  for (const c of comparisons)
    if (c.kind === 'email' || c.kind === 'phone' || c.kind === 'identifier' || c.kind === 'date')
      rules.push({ name: `same ${c.attribute}`, key: v(c), uses: [c] })
  const postcode = of('postcode')
  const surnameOrFirst = last ?? first
  if (postcode && surnameOrFirst)
    rules.push({
      name: `same ${postcode.attribute}, ${surnameOrFirst.attribute} initial`,
      key: sql`${v(postcode)} || '|' || left(${v(surnameOrFirst)}, 1)`,
      uses: [postcode],
    })
  if (first && last) {
    rules.push({
      name: `same ${last.attribute}, ${first.attribute} initial`,
      key: sql`${v(last)} || '|' || left(${v(first)}, 1)`,
      uses: [last],
    })
    rules.push({
      name: 'same names in either order',
      key: sql`least(${v(first)}, ${v(last)}) || '|' || greatest(${v(first)}, ${v(last)})`,
      uses: [first, last],
    })
    const date = of('date')
    if (date)
      rules.push({
        name: `same ${first.attribute}, birth year`,
        key: sql`${v(first)} || '|' || left(${v(date)}, 4)`,
        uses: [first],
      })
  }
  const address = of('address')
  if (address) rules.push({ name: `same ${address.attribute}`, key: v(address), uses: [address] })
  const city = of('city')
  if (city && last && !postcode)
    rules.push({
      name: `same ${city.attribute}, ${last.attribute}`,
      key: sql`${v(city)} || '|' || ${v(last)}`,
      uses: [city, last],
    })
  return rules
}

/** Pairs (rid_a < rid_b) one blocking rule makes, skipping blocks larger than `maxBlock`. */
export function blockedPairsSql(values: Sql, rule: BlockingRule, maxBlock: number): Sql {
  return sql`select a.rid as rid_a, b.rid as rid_b from
      (select rid, ${rule.key} as k, count(*) over (partition by ${rule.key}) as n from ${values} where ${rule.key} is not null) a
      join (select rid, ${rule.key} as k from ${values} where ${rule.key} is not null) b on a.k = b.k and a.rid < b.rid
    where a.n <= ${maxBlock}`
}

/** How many pairs a blocking rule makes, and how many blocks it skips as too large. */
export function blockingCostSql(values: Sql, rule: BlockingRule, maxBlock: number): Sql {
  return sql`select coalesce(sum(case when n <= ${maxBlock} then n * (n - 1) / 2 else 0 end), 0)::double as pairs,
      count(*) filter (where n > ${maxBlock}) as skipped
    from (select count(*) as n from ${values} where ${rule.key} is not null group by ${rule.key})`
}

/**
 * `count` random pairs of distinct records (deterministic: by hash), for the u-probabilities:
 * how often records of different people agree at each level by chance. Three statements, each planned
 * on its own.
 */
export function randomPairsSql(
  values: Sql,
  count: number,
  total: number,
  table: (name: string) => Sql,
): Sql[] {
  return [
    sql`create or replace temp table ${table('numbered')} as select rid, (row_number() over () - 1)::bigint as i from ${values}`,
    // j is i plus 1 to total - 1, wrapped: never the same record (a filter a.rid <> b.rid made
    // DuckDB join a hundred times slower).
    sql`create or replace temp table ${table('picks')} as select i, (i + 1 + (hash(range, 31) % ${Math.max(total - 1, 1)})::bigint) % ${total} as j
      from (select range, (hash(range, 17) % ${total})::bigint as i from range(${count}))`,
    sql`create or replace temp table ${table('random')} as select a.rid as rid_a, b.rid as rid_b
      from ${table('picks')} p join ${table('numbered')} a on a.i = p.i join ${table('numbered')} b on b.i = p.j`,
  ]
}

/** Counts of each combination of levels over some pairs: what EM and u estimation read. */
export function levelPatternsSql(values: Sql, pairs: Sql, comparisons: readonly ModelComparison[]): Sql {
  const levels = levelsSql(comparisons)
  return sql`select ${join(levels.map((l, i) => sql`${l} as ${ident(`l${i}`)}`))}, count(*) as n
    from ${pairs} p join ${values} a on a.rid = p.rid_a join ${values} b on b.rid = p.rid_b
    group by all`
}

/**
 * Each compared pair's levels, computed once (the costly part: string similarities): ids, the
 * first letters of the two first names, the value of each term-frequency comparison (where the
 * level is exact, both records hold it) and `l0`, `l1`, …. EM counts its patterns, scoring adds
 * the weights.
 */
export function pairLevelsSql(values: Sql, pairs: Sql, comparisons: readonly ModelComparison[]): Sql {
  const levels = levelsSql(comparisons)
  const first = comparisons.find((c) => c.kind === 'firstName')
  return sql`select p.rid_a, p.rid_b, p.rules, ${
    first
      ? sql`left(a.${ident(first.column)}, 1) as initial_a, left(b.${ident(first.column)}, 1) as initial_b`
      : sql`null::varchar as initial_a, null::varchar as initial_b`
  }, ${join([
    ...comparisons
      .filter((c) => TERM_FREQUENCY_KINDS.has(c.kind))
      .map((c) => sql`a.${ident(`${c.column}_tf`)}`),
    ...levels.map((lv, i) => sql`${lv} as ${ident(`l${i}`)}`),
  ])}
    from ${pairs} p join ${values} a on a.rid = p.rid_a join ${values} b on b.rid = p.rid_b`
}

/** The patterns of levels of a pair-levels table, with how many pairs have each. */
export function countedPatternsSql(levelled: Sql, comparisons: readonly ModelComparison[]): Sql {
  return sql`select ${join(comparisons.map((_, i) => ident(`l${i}`)))}, count(*) as n from ${levelled} group by all`
}

/** The values table with each term-frequency comparison's own frequency beside it (`m0_tf`, …). */
export function withTermFrequenciesSql(values: Sql, comparisons: readonly ModelComparison[]): Sql {
  const kinds = comparisons.filter((c) => TERM_FREQUENCY_KINDS.has(c.kind))
  if (kinds.length === 0) return sql`select * from ${values}`
  const t = (i: number) => ident(`tf${i}`)
  return sql`select v.*, ${join(kinds.map((c, i) => sql`${t(i)}.tf as ${ident(`${c.column}_tf`)}`))}
    from ${values} v ${join(
      kinds.map(
        (c, i) =>
          sql`left join (${termFrequencySql(values, c.column)}) ${t(i)} on ${t(i)}.value = v.${ident(c.column)}`,
      ),
      ' ',
    )}`
}

/** How common each comparable value is (for the term-frequency adjustment): value → share of records with one. */
export function termFrequencySql(values: Sql, column: string): Sql {
  return sql`select ${ident(column)} as value, count(*) / sum(count(*)) over () as tf from ${values}
    where ${ident(column)} is not null group by 1`
}

/** A number as a SQL double (weights are computed in TypeScript). */
const num = (x: number) => sql`${Number.isFinite(x) ? x : 0}::double`

/**
 * Each candidate pair with its match weight (bits), each comparison's level (`l0`, `l1`, …) and
 * contribution (`w0`, `w1`, …), the first letters of the two first names (`initial_a`, `_b`): the prior, plus for each comparison log2(m/u) of its level; at
 * an exact level of a term-frequency kind, u is the value's own frequency (bounded below by
 * `minTf`), so agreeing on a rare value counts more and on a common one less.
 */
export function scoredPairsSql(options: {
  /** The pairs with their levels (pairLevelsSql). */
  levelled: Sql
  comparisons: readonly ModelComparison[]
  priorBits: number
  /** Per comparison, per level: log2(m/u). */
  bits: number[][]
  /** Per comparison: log2(m of its exact level), when that level is frequency-adjusted. */
  exactMBits: (number | undefined)[]
  minTf: number
}): Sql {
  const { comparisons } = options
  const l = (i: number) => ident(`l${i}`)
  const w = (i: number) => ident(`w${i}`)
  const contribution = comparisons.map((c, i) => {
    const cases = (options.bits[i] as number[]).map((bits, level) => sql`when ${level} then ${num(bits)}`)
    const exactM = options.exactMBits[i]
    const adjusted =
      exactM !== undefined && TERM_FREQUENCY_KINDS.has(c.kind)
        ? sql`when 0 then ${num(exactM)} - log2(greatest(coalesce(q.${ident(`${c.column}_tf`)}, ${num(options.minTf)}), ${num(options.minTf)}))`
        : sql``
    return sql`case ${l(i)} ${adjusted} ${join(cases, ' ')} else 0 end as ${w(i)}`
  })
  return sql`select *, ${num(options.priorBits)} + ${join(
    comparisons.map((_, i) => w(i)),
    ' + ',
  )} as weight from (
      select q.rid_a, q.rid_b, q.rules, q.initial_a, q.initial_b, ${join(comparisons.map((_, i) => sql`q.${l(i)}`))}, ${join(contribution)}
      from ${options.levelled} q
    )`
}
