/**
 * Every SQL text unification runs on DuckDB is built here (the dialect seam, as duckdb-sql.ts is
 * for ingestion). Column names and values from configuration enter only through ident/literal.
 */

import { ident, join, literal, literalList, type Sql, sql } from '../../query/index.js'
import type { MatchCondition, Normalization } from '../unify/unify-config.js'
import { ADDRESS_ABBREVIATIONS, COUNTRY_CALLING_CODES, FOLDED, NICKNAMES } from './reference-data.js'

/** One unified source: where its current rows are and how its columns map to attributes. */
export interface UnifySourceInput {
  name: string
  files: string[]
  keyColumn: string
  /** column → attribute */
  attributes: Record<string, string>
  updatedAt?: string | undefined
  /** Column name → DuckDB type, to read dates correctly. */
  types: Record<string, string>
}

const foldAccents = (x: Sql) =>
  // ASCII text (as many bytes as characters) needs no folding, and skipping it halves a name's cost.
  sql`(case when strlen(${x}) = length(${x}) then ${x} else strip_accents(${FOLDED.reduce((expr, [from, to]) => sql`replace(${expr}, ${literal(from)}, ${literal(to)})`, x)}) end)`

/** Letters only, accents folded, lower case: "Björn" and "BJORN" count as one name. */
export const letters = (x: Sql) =>
  sql`nullif(regexp_replace(lower(${foldAccents(sql`trim(${x})`)}), '[^a-z]', '', 'g'), '')`

/**
 * The calling code for phone numbers written without one: the record's own Country when it has
 * one the table knows, else the configured default.
 */
function callingCode(defaultCountry: string | undefined, hasCountry: boolean): Sql | undefined {
  const fallback =
    defaultCountry && COUNTRY_CALLING_CODES[defaultCountry]
      ? literal(COUNTRY_CALLING_CODES[defaultCountry])
      : undefined
  if (!hasCountry) return fallback
  const cases = Object.entries(COUNTRY_CALLING_CODES).map(
    ([country, code]) => sql`when ${literal(country)} then ${literal(code)}`,
  )
  return sql`coalesce(case upper(trim(cast("Country" as varchar))) ${join(cases, ' ')} end, ${fallback ?? null})`
}

/** Nicknames as a DuckDB MAP, built once. */
const NICKNAME_MAP = sql`MAP {${join(Object.entries(NICKNAMES).map(([nick, name]) => sql`${literal(nick)}: ${literal(name)}`))}}`

/** One normalisation step applied to a SQL expression of type VARCHAR. */
export function normalizeStep(x: Sql, step: Normalization, defaultCountry?: string, hasCountry = false): Sql {
  switch (step) {
    case 'whitespace':
      return sql`nullif(regexp_replace(trim(${x}), '\\s+', ' ', 'g'), '')`
    case 'case':
      return sql`lower(${x})`
    case 'accents':
      return foldAccents(x)
    case 'numerals':
      return sql`nullif(regexp_replace(${x}, '[^0-9]', '', 'g'), '')`
    case 'email':
      return sql`nullif(lower(trim(${x})), '')`
    case 'phone': {
      const digits = sql`regexp_replace(${x}, '[^0-9]', '', 'g')`
      const cc = callingCode(defaultCountry, hasCountry)
      const national = cc
        ? sql`case when ${cc} is null then ${digits} else '+' || ${cc} || ltrim(${digits}, '0') end`
        : digits
      // The repeated expressions are computed once (DuckDB eliminates common subexpressions).
      return sql`case
          when ${digits} is null or length(${digits}) < 6 then null
          when regexp_matches(${x}, '^[^0-9]*[+]') then '+' || ${digits}
          when starts_with(${digits}, '00') then '+' || substr(${digits}, 3)
          else ${national} end`
    }
    case 'name': {
      const written = letters(x)
      // DuckDB computes the repeated expression once. (A scalar subquery binding it made DuckDB
      // join it back per column; a map inside a lambda was rebuilt per row: both cost seconds.)
      return sql`coalesce(${NICKNAME_MAP}[${written}], ${written})`
    }
    case 'initial':
      // "J.", "james" and "Jim" all become "j": for conditions on initials.
      return sql`nullif(left(regexp_replace(lower(${foldAccents(sql`trim(${x})`)}), '[^a-z]', '', 'g'), 1), '')`
    case 'address': {
      let out = sql`lower(${foldAccents(sql`trim(${x})`)})`
      out = sql`regexp_replace(${out}, '[.,]', ' ', 'g')`
      for (const [short, long] of ADDRESS_ABBREVIATIONS)
        out = sql`regexp_replace(${out}, ${literal(`\\b${short}\\b`)}, ${literal(long)}, 'g')`
      return sql`nullif(regexp_replace(trim(${out}), '\\s+', ' ', 'g'), '')`
    }
  }
}

export function normalizeExpression(
  x: Sql,
  steps: readonly Normalization[],
  defaultCountry?: string,
  hasCountry = false,
): Sql {
  return steps.reduce(
    (expr, step) => normalizeStep(expr, step, defaultCountry, hasCountry),
    sql`cast(${x} as varchar)`,
  )
}

/** A value written as a date in any of the usual ways, as a DATE. */
function dateExpression(column: string, type: string): Sql {
  if (/^DATE$|^TIMESTAMP/i.test(type)) return sql`cast(${ident(column)} as date)`
  const v = sql`trim(cast(${ident(column)} as varchar))`
  return sql`coalesce(try_cast(${v} as date), try_strptime(${v}, '%d/%m/%Y')::date, try_strptime(${v}, '%d.%m.%Y')::date, try_strptime(${v}, '%Y%m%d')::date, try_strptime(${v}, '%d-%m-%Y')::date)`
}

/**
 * All records of the unified sources in one relation: record id, source, key, when it changed,
 * and every attribute (VARCHAR; DateOfBirth as ISO date). FirstName/LastName are derived from a
 * FullName and the other way round when a source maps only one of them. Then one column per
 * distinct (attribute, normalisations) that rules and lists compare, computed in the same pass.
 */
export function unifiedRecordsSql(
  sources: readonly UnifySourceInput[],
  attributes: readonly string[],
  normalized: {
    columns: readonly NormalizedColumn[]
    defaultCountry: string | undefined
    hasCountry: boolean
  },
): Sql {
  let filesBefore = 0
  const parts = sources.map((source) => {
    // Record ids in scan order without a numbering pass (row_number() over () runs on one thread):
    // the file's place among all sources' files, shifted left 40 bits, plus the row in the file.
    const firstFile = filesBefore + 1
    filesBefore += Math.max(source.files.length, 1)
    const rowNumberColumn = Object.hasOwn(source.types, 'file_row_number')
    const byAttribute = new Map<string, Sql>()
    for (const [column, attribute] of Object.entries(source.attributes)) {
      if (!byAttribute.has(attribute)) {
        byAttribute.set(
          attribute,
          attribute === 'DateOfBirth'
            ? sql`cast(${dateExpression(column, source.types[column] ?? 'VARCHAR')} as varchar)`
            : sql`nullif(trim(cast(${ident(column)} as varchar)), '')`,
        )
      }
    }
    const written = byAttribute.get('FullName')
    // "Wilson, James" is read as "James Wilson".
    const full = written
      ? sql`(case when strpos(${written}, ',') > 0 then nullif(trim(trim(split_part(${written}, ',', 2)) || ' ' || trim(split_part(${written}, ',', 1))), '') else ${written} end)`
      : undefined
    if (full) byAttribute.set('FullName', full)
    if (full && !byAttribute.has('FirstName'))
      byAttribute.set('FirstName', sql`nullif(split_part(${full}, ' ', 1), '')`)
    if (full && !byAttribute.has('LastName'))
      byAttribute.set(
        'LastName',
        sql`case when strpos(${full}, ' ') > 0 then regexp_extract(${full}, '(\\S+)\\s*$', 1) end`,
      )
    if (!full && (byAttribute.has('FirstName') || byAttribute.has('LastName')))
      byAttribute.set(
        'FullName',
        sql`nullif(concat_ws(' ', ${byAttribute.get('FirstName') ?? null}, ${byAttribute.get('LastName') ?? null}), '')`,
      )
    const columns = [
      rowNumberColumn
        ? sql`(${firstFile}::bigint << 40) + row_number() over () as rid`
        : sql`((${firstFile - 1} + list_position(${literalList(source.files)}, "__oi_file"))::bigint << 40) + file_row_number as rid`,
      sql`${literal(source.name)} as source`,
      sql`cast(${ident(source.keyColumn)} as varchar) as source_key`,
      source.updatedAt
        ? sql`try_cast(${ident(source.updatedAt)} as timestamp) as updated_at`
        : sql`null::timestamp as updated_at`,
      ...attributes.map((a) => sql`${byAttribute.get(a) ?? sql`null::varchar`} as ${ident(a)}`),
    ]
    const numbering = rowNumberColumn ? sql`` : sql`, file_row_number = true, filename = '__oi_file'`
    return sql`select ${join(columns)} from read_parquet(${literalList(source.files)}${numbering})`
  })
  // Ids and profiles do not depend on the numbering, only which record is a group's hub.
  const values = normalized.columns.map(
    (c) =>
      sql`${normalizeExpression(ident(c.attribute), c.normalize, normalized.defaultCountry, normalized.hasCountry)} as ${ident(c.column)}`,
  )
  return sql`select *${values.length ? sql`, ${join(values)}` : sql``} from (${join(parts, ' union all ')})`
}

/** A condition's comparable value: its attribute after its normalisations. */
export interface PreparedCondition extends MatchCondition {
  /** Column of the normalised-values table holding this condition's value. */
  column: string
}

/** A column of normalised values: an attribute after its normalisations. */
export interface NormalizedColumn {
  column: string
  attribute: string
  normalize: readonly Normalization[]
}

const similarity = (c: PreparedCondition, a: Sql, b: Sql) =>
  c.algorithm === 'levenshtein'
    ? sql`(1 - levenshtein(${a}.${ident(c.column)}, ${b}.${ident(c.column)}) / greatest(length(${a}.${ident(c.column)}), length(${b}.${ident(c.column)}), 1))`
    : sql`jaro_winkler_similarity(${a}.${ident(c.column)}, ${b}.${ident(c.column)})`

const A = sql`a`
const B = sql`b`

/**
 * The edges one rule finds, as (rid_a, rid_b, rule, score, similarities). A rule of exact
 * conditions links each record to the first record with the same values (a star per group, so
 * a thousand orders with one email cost a thousand edges, not half a million pairs). A rule with
 * fuzzy conditions compares pairs inside blocks: records sharing its exact values, or else the
 * first three characters of its first fuzzy value; blocks larger than `maxBlock` are skipped.
 */
export function ruleEdgesSql(
  values: Sql,
  rule: {
    index: number
    conditions: PreparedCondition[]
    minScore?: number | undefined
    blockOn?: string[] | undefined
  },
  maxBlock: number,
): Sql {
  if (rule.minScore !== undefined)
    return scoredRuleEdgesSql(values, { ...rule, minScore: rule.minScore }, maxBlock)
  const exact = rule.conditions.filter((c) => c.precision === 'exact')
  const fuzzy = rule.conditions.filter((c) => c.precision === 'fuzzy')
  const notNull = join(
    rule.conditions.map((c) => sql`${ident(c.column)} is not null`),
    ' and ',
  )
  if (fuzzy.length === 0) {
    const keys = join(exact.map((c) => ident(c.column)))
    return sql`select rid as rid_a, min(rid) over (partition by ${keys}) as rid_b, ${rule.index} as rule, 1.0::double as score, null::varchar as similarities
      from ${values} where ${notNull}
      qualify rid <> rid_b`
  }
  const first = fuzzy[0] as PreparedCondition
  const block =
    exact.length > 0
      ? join(
          exact.map((c) => ident(c.column)),
          sql` || '\u0001' || `,
        )
      : sql`left(${ident(first.column)}, 3)`
  const sims = fuzzy.map((c) => similarity(c, A, B))
  const read = join([sql`rid`, ...[...new Set(fuzzy.map((c) => c.column))].map((c) => ident(c))])
  const conditions = fuzzy.map((c, i) => sql`${sims[i] as Sql} >= ${c.threshold}`)
  const described = fuzzy.map((c, i) => sql`${literal(`${c.attribute}=`)} || round(${sims[i] as Sql}, 3)`)
  return sql`select a.rid as rid_a, b.rid as rid_b, ${rule.index} as rule,
      least(${join(sims)})::double as score,
      concat_ws(',', ${join(described)}) as similarities
    from (select ${read}, ${block} as block, count(*) over (partition by ${block}) as block_size from ${values} where ${notNull}) a
    join (select ${read}, ${block} as block from ${values} where ${notNull}) b
      on a.block = b.block and a.rid < b.rid
    where a.block_size <= ${maxBlock} and ${join(conditions, ' and ')}`
}

/**
 * A scored rule: candidate pairs share the normalised value of any `blockOn` attribute (blocks
 * larger than `maxBlock` skipped); each condition gives a similarity (exact: 1 or 0; fuzzy: its
 * algorithm's), conditions with a missing value on either side are left out, and the pair
 * matches when the weighted mean reaches `minScore` over at least two conditions.
 */
function scoredRuleEdgesSql(
  values: Sql,
  rule: { index: number; conditions: PreparedCondition[]; minScore: number; blockOn?: string[] | undefined },
  maxBlock: number,
): Sql {
  const blockColumns = [
    ...new Set(
      (
        rule.blockOn ?? rule.conditions.filter((c) => c.precision === 'exact').map((c) => c.attribute)
      ).flatMap((attribute) => rule.conditions.filter((c) => c.attribute === attribute).map((c) => c.column)),
    ),
  ]
  const candidates = blockColumns.map(
    (column) => sql`select a.rid as rid_a, b.rid as rid_b
      from (select rid, ${ident(column)} as k, count(*) over (partition by ${ident(column)}) as n from ${values} where ${ident(column)} is not null) a
      join (select rid, ${ident(column)} as k from ${values} where ${ident(column)} is not null) b on a.k = b.k and a.rid < b.rid
      where a.n <= ${maxBlock}`,
  )
  const sims = rule.conditions.map((c) =>
    c.precision === 'exact'
      ? sql`case when a.${ident(c.column)} is null or b.${ident(c.column)} is null then null when a.${ident(c.column)} = b.${ident(c.column)} then 1.0 else 0.0 end`
      : sql`case when a.${ident(c.column)} is null or b.${ident(c.column)} is null then null else ${similarity(c, A, B)} end`,
  )
  const s = (i: number) => ident(`s${i}`)
  const weighted = join(
    rule.conditions.map((c, i) => sql`${c.weight} * coalesce(${s(i)}, 0)`),
    ' + ',
  )
  const weights = join(
    rule.conditions.map((c, i) => sql`case when ${s(i)} is null then 0 else ${c.weight} end`),
    ' + ',
  )
  const present = join(
    rule.conditions.map((_, i) => sql`(${s(i)} is not null)::int`),
    ' + ',
  )
  const described = join(
    rule.conditions.map(
      (c, i) =>
        sql`case when ${s(i)} is null then null else ${literal(`${c.attribute}=`)} || round(${s(i)}, 3) end`,
    ),
  )
  return sql`select rid_a, rid_b, ${rule.index} as rule, score, similarities from (
      select rid_a, rid_b, (${weighted}) / nullif(${weights}, 0) as score, ${present} as present, concat_ws(',', ${described}) as similarities
      from (
        select c.rid_a, c.rid_b, ${join(sims.map((sim, i) => sql`${sim} as ${s(i)}`))}
        from (${join(candidates, ' union ')}) c
        join ${values} a on a.rid = c.rid_a join ${values} b on b.rid = c.rid_b
      )
    ) where present >= 2 and score >= ${rule.minScore}`
}

/**
 * A pair (records `a` and `b`) breaks a never-match rule when some condition fails where both
 * records have its value: exact values differ, or a fuzzy similarity is below its threshold.
 */
export function neverMatchViolationSql(conditions: readonly PreparedCondition[]): Sql {
  return sql`(${join(
    conditions.map((c) => {
      const both = sql`a.${ident(c.column)} is not null and b.${ident(c.column)} is not null`
      const holds =
        c.precision === 'exact'
          ? sql`a.${ident(c.column)} = b.${ident(c.column)}`
          : sql`${similarity(c, A, B)} >= ${c.threshold}`
      return sql`(${both} and not (${holds}))`
    }),
    ' or ',
  )})`
}

/** The lowest-numbered rule that joined each pair, with its score. */
export function edgesSql(ruleEdges: readonly Sql[]): Sql {
  return sql`select rid_a, rid_b, arg_min(rule, rule) as rule, arg_min(score, rule) as score, arg_min(similarities, rule) as similarities
    from (${join(ruleEdges, ' union all ')}) group by rid_a, rid_b`
}

/** One step of connected components: each record takes the least cluster id among its neighbours. */
export function propagateClustersSql(clusters: Sql, edges: Sql): Sql {
  return sql`with e as (select rid_a as a, rid_b as b from ${edges} union all select rid_b, rid_a from ${edges}),
    m as (select e.a as rid, min(c.cid) as cid from e join ${clusters} c on c.rid = e.b group by e.a),
    stepped as (select c.rid, least(c.cid, coalesce(m.cid, c.cid)) as cid from ${clusters} c left join m using (rid))
    select s.rid, least(s.cid, j.cid) as cid from stepped s join stepped j on j.rid = s.cid`
}

/**
 * CustomerIds for clusters, stable across runs. A cluster keeps a previous CustomerId held by its
 * records: each previous id goes to the cluster holding most of its records (ties: the lower
 * cluster), and a cluster offered several keeps the one most of its records held (ties: the
 * smaller id). So a profile keeps its id while its records stay or grow; when profiles merge,
 * the larger one's id survives; when one splits, its largest part keeps the id. Clusters without
 * a previous id get a new one derived from their first record (source:key), so the first run is
 * deterministic too.
 */
export function customerIdsSql(records: Sql, clusters: Sql, previousKeys: Sql | undefined): Sql {
  const fresh = sql`'C' || upper(left(md5(min(r.source || ':' || r.source_key)), 15))`
  if (!previousKeys) {
    return sql`select c.cid, ${fresh} as customer_id from ${clusters} c join ${records} r using (rid) group by c.cid`
  }
  return sql`with members as (
      select c.cid, r.source, r.source_key from ${clusters} c join ${records} r using (rid)
    ),
    votes as (
      select m.cid, p.CustomerId as old_id, count(*) as n
      from members m join ${previousKeys} p on p.SourceName = m.source and p.SourceKey = m.source_key
      group by m.cid, p.CustomerId
    ),
    owner as (
      select old_id, arg_min(cid, (-n, cid)) as cid from votes group by old_id
    ),
    kept as (
      select v.cid, arg_min(v.old_id, (-v.n, v.old_id)) as customer_id
      from votes v join owner o on o.old_id = v.old_id and o.cid = v.cid group by v.cid
    ),
    fresh as (
      select c.cid, ${fresh} as customer_id, min(r.source || ':' || r.source_key) as first_key
      from ${clusters} c join ${records} r using (rid) group by c.cid
    )
    select f.cid, case
        when k.customer_id is not null then k.customer_id
        -- A split-off part whose first record named the old profile: a new id, not the kept one.
        when f.customer_id in (select customer_id from kept) then 'C' || upper(left(md5(f.first_key || '#split'), 15))
        else f.customer_id end as customer_id
    from fresh f left join kept k using (cid)`
}

/**
 * A winner's rank as one HUGEINT: the fields most significant first, each clamped into its bits
 * (a missing one counts as 0), then the value's hash in the bits left, so ties resolve the same
 * way on every run. arg_max over a number is far cheaper than over a struct of the same fields.
 */
export function packedRank(fields: readonly { expr: Sql; bits: number }[], value: Sql): Sql {
  let shift = 127
  const parts = fields.map(({ expr, bits }) => {
    shift -= bits
    return sql`(coalesce(least(greatest(${expr}, 0), ${2 ** bits - 1}), 0)::hugeint << ${shift})`
  })
  if (shift < 0) throw new Error('packedRank: more than 127 bits')
  parts.push(shift >= 64 ? sql`hash(${value})::hugeint` : sql`(hash(${value}) >> ${64 - shift})::hugeint`)
  return join(parts, ' + ')
}

export type MergePolicy = 'mostFrequent' | 'mostRecent' | 'sourcePriority' | 'mostComplete'

/** Attributes whose merged value is shown proper-cased when every source wrote it in one case. */
const CASED_ATTRIBUTES = new Set(['FirstName', 'LastName', 'FullName', 'MiddleName', 'City', 'Address1'])

/**
 * What two values of an attribute must share to count as the same value when votes are counted:
 * a first name and its nickname are one name ("Bob" votes for "Robert"), spellings that differ in
 * case, accents or spacing are one value.
 */
function mergeKeySql(attribute: string, x: Sql): Sql {
  switch (attribute) {
    case 'FirstName':
      return normalizeStep(x, 'name')
    case 'LastName':
    case 'MiddleName':
      return letters(x)
    case 'Address1':
      return normalizeStep(x, 'address')
    case 'PostalCode':
      return sql`nullif(upper(regexp_replace(${x}, '\\s+', '', 'g')), '')`
    default:
      return sql`nullif(regexp_replace(lower(${foldAccents(sql`trim(${x})`)}), '\\s+', ' ', 'g'), '')`
  }
}

/** "ERIK" and "anne-marie o'neil" as "Erik" and "Anne-Marie O'Neil"; mixed case is kept as written. */
export function properCaseSql(x: Sql): Sql {
  const capitalised = (list: Sql, separator: string, inner: (part: Sql) => Sql) =>
    sql`array_to_string(list_transform(string_split(${list}, ${literal(separator)}), p -> ${inner(sql`p`)}), ${literal(separator)})`
  const word = (w: Sql) => sql`upper(left(${w}, 1)) || substr(${w}, 2)`
  // One word (most names) needs no splitting: plain string functions, no lambdas.
  return sql`case when ${x} <> upper(${x}) and ${x} <> lower(${x}) then ${x}
    when strpos(${x}, ' ') = 0 and strpos(${x}, '-') = 0 and strpos(${x}, '''') = 0 then upper(left(${x}, 1)) || lower(substr(${x}, 2))
    else ${capitalised(sql`lower(${x})`, ' ', (w) => capitalised(w, '-', (part) => capitalised(part, "'", word)))} end`
}

/**
 * UnifiedCustomer: one row per cluster with each attribute's winning value by its policy, the
 * lists of every distinct value of `keepAll` attributes (Emails, Phones: normalised), and how many
 * records and sources the profile joins.
 *
 * Most frequent (the default) counts votes per value after normalisation (a nickname votes for
 * the name, case and accents do not split votes); a tie goes to the value more records of all
 * profiles hold (a typo is rare, the name is not), then to the more recent. Of the spellings of
 * the winning value, the full name beats its nickname, a mixed-case spelling beats one in
 * capitals, one with accents beats one without. Names in a single case are proper-cased, and
 * FullName is made of the winning FirstName and LastName.
 */
export function mergeSql(options: {
  records: Sql
  clusters: Sql
  ids: Sql
  attributes: readonly string[]
  policies: Record<string, MergePolicy>
  sourcePriority: readonly string[]
  keepAll: readonly { attribute: string; normalized: string }[]
}): Sql {
  const rank = options.sourcePriority.length
    ? sql`case r.source ${join(
        options.sourcePriority.map((s, i) => sql`when ${literal(s)} then ${i}`),
        ' ',
      )} else ${options.sourcePriority.length} end`
    : sql`0`
  const normalizedOf = new Map(options.keepAll.map((k) => [k.attribute, k.normalized]))
  // Attributes kept as lists (Email, Phone) win in their normalised form: +4536570835, not (+45) 36-57…
  const columnOf = (a: string) => ident(normalizedOf.get(a) ?? a)
  const c = (i: number) => ident(`c${i}`)
  const g = (i: number) => ident(`g${i}`)
  const k = (i: number) => ident(`k${i}`)
  // Each value's vote key, computed once per record of a profile of several.
  const keys = options.attributes.map((a, i) => {
    const normalized = normalizedOf.get(a)
    return sql`${normalized ? sql`r.${ident(normalized)}` : mergeKeySql(a, sql`r.${ident(a)}`)} as ${k(i)}`
  })
  // Votes per value in its profile, and in all profiles of several records (the tie-break).
  // A first name's spellings (its nicknames among them) are counted too: "Anne" twice beats "Annie".
  const spelled = (a: string) => a === 'FirstName'
  const sp = (i: number) => ident(`sp${i}`)
  const countTables = options.attributes.flatMap((a, i) => [
    sql`${c(i)} as (select cid, ${k(i)} as k, count(*) as n from base where ${k(i)} is not null group by all)`,
    sql`${g(i)} as (select ${k(i)} as k, count(*) as n from base where ${k(i)} is not null group by all)`,
    ...(spelled(a)
      ? [
          sql`${sp(i)} as (select cid, ${letters(ident(a))} as k, count(*) as n from base where ${ident(a)} is not null group by all)`,
        ]
      : []),
  ])
  const countJoins = options.attributes.flatMap((a, i) => [
    sql`left join ${c(i)} on ${c(i)}.cid = base.cid and ${c(i)}.k = base.${k(i)}`,
    sql`left join ${g(i)} on ${g(i)}.k = base.${k(i)}`,
    ...(spelled(a)
      ? [
          sql`left join ${sp(i)} on ${sp(i)}.cid = base.cid and ${sp(i)}.k = ${letters(sql`base.${ident(a)}`)}`,
        ]
      : []),
  ])
  const countColumns = options.attributes.flatMap((a, i) => [
    sql`coalesce(${c(i)}.n, 0) as ${ident(`n${i}`)}`,
    sql`coalesce(${g(i)}.n, 0) as ${ident(`t${i}`)}`,
    ...(spelled(a) ? [sql`coalesce(${sp(i)}.n, 0) as ${ident(`s${i}`)}`] : []),
  ])
  const winners = options.attributes.map((a, i) => {
    const v = sql`x.${columnOf(a)}`
    const count = { expr: sql`x.${ident(`n${i}`)}`, bits: 16 }
    const recent = { expr: sql`epoch_ms(x.updated_at) + ${2 ** 42}`, bits: 43 }
    const preferred = { expr: sql`255 - x.src_rank`, bits: 8 }
    const complete = { expr: sql`length(${v})`, bits: 16 }
    // A first name beats its initial; the spelling most profiles use beats a typo.
    const whole = { expr: a === 'FirstName' ? sql`(length(x.${k(i)}) > 1)::int` : sql`1`, bits: 1 }
    const common = { expr: sql`x.${ident(`t${i}`)}`, bits: 20 }
    const formal = {
      expr: a === 'FirstName' ? sql`(${letters(v)} = x.${k(i)})::int` : sql`1`,
      bits: 1,
    }
    const spelling = { expr: spelled(a) ? sql`x.${ident(`s${i}`)}` : sql`0`, bits: 12 }
    // How a spelling is written matters for names and places, not for emails or postcodes.
    const written = CASED_ATTRIBUTES.has(a)
    const cased = {
      expr: written ? sql`(${v} <> upper(${v}) and ${v} <> lower(${v}))::int` : sql`0`,
      bits: 1,
    }
    const accented = { expr: written ? sql`(strlen(${v}) > length(${v}))::int` : sql`0`, bits: 1 }
    const order = {
      mostFrequent: [count, whole, common, formal, spelling, cased, accented, recent, preferred],
      mostRecent: [recent, preferred, count],
      sourcePriority: [preferred, count, recent],
      mostComplete: [complete, count, recent],
    }[options.policies[a] ?? 'mostFrequent']
    return sql`arg_max(${v}, ${packedRank(order, v)}) filter (where ${v} is not null) as ${ident(a)}`
  })
  // Sorting a list after the fact is much cheaper than an ordered DISTINCT aggregate.
  const lists = options.keepAll.map(
    (k) => sql`list_sort(list_distinct(list(x.${ident(k.normalized)}))) as ${ident(`${k.attribute}s`)}`,
  )
  // Only the columns merging reads, not every normalised value the rules compared.
  const columns = [
    ...options.attributes.map((a) => sql`r.${ident(a)}`),
    ...options.keepAll.map((k) => sql`r.${ident(k.normalized)}`),
    ...keys,
  ]
  // Most profiles are one record: those need no ranking, just their values.
  const single = [
    ...options.attributes.map((a) => sql`r.${columnOf(a)} as ${ident(a)}`),
    ...options.keepAll.map(
      (k) =>
        sql`case when r.${ident(k.normalized)} is null then null else [r.${ident(k.normalized)}] end as ${ident(`${k.attribute}s`)}`,
    ),
  ]
  const cased = options.attributes.filter((a) => CASED_ATTRIBUTES.has(a))
  const fullName = ['FirstName', 'LastName', 'FullName'].every((a) => options.attributes.includes(a))
  const shown = cased.map((a) => {
    // FullName is made of the winning parts, with the middle names of a merged FullName whose
    // first and last names are those parts ("Anna Maria Svensson").
    const middle = sql`regexp_extract("FullName", '^\\S+\\s+(.*\\S)\\s+\\S+\\s*$', 1)`
    const agrees = sql`${letters(sql`split_part(trim("FullName"), ' ', 1)`)} = ${letters(sql`"FirstName"`)}
      and ${letters(sql`regexp_extract("FullName", '(\\S+)\\s*$', 1)`)} = ${letters(sql`"LastName"`)}`
    // Only a FullName of three words or more can hold middle names worth keeping.
    const words = sql`length(trim("FullName")) - length(replace(trim("FullName"), ' ', ''))`
    const value =
      a === 'FullName' && fullName
        ? sql`case when "FirstName" is null or "LastName" is null then ${properCaseSql(sql`"FullName"`)}
            when ${words} >= 2 and ${agrees} then concat_ws(' ', ${properCaseSql(sql`"FirstName"`)}, ${properCaseSql(middle)}, ${properCaseSql(sql`"LastName"`)})
            else ${properCaseSql(sql`"FirstName"`)} || ' ' || ${properCaseSql(sql`"LastName"`)} end`
        : properCaseSql(ident(a))
    return sql`${value} as ${ident(a)}`
  })
  const { clusters, records, ids } = options
  // Grouped by the numeric cluster id; the CustomerId joins the (fewer) merged rows afterwards.
  const merged = sql`with sizes as (select cid, count(*) as n from ${clusters} group by cid),
    base as (
      select c.cid, r.source, r.updated_at, ${rank} as src_rank, ${join(columns)}
      from ${clusters} c join sizes s using (cid) join ${records} r using (rid)
      where s.n > 1
    )${countTables.length ? sql`, ${join(countTables)}` : sql``}
    select i.customer_id as CustomerId, m.* exclude (cid) from (
      select x.cid, ${join([...winners, ...lists])},
        count(*)::integer as RecordCount, length(list_distinct(list(x.source)))::integer as SourceCount
      from (
        select base.*${countColumns.length ? sql`, ${join(countColumns)}` : sql``} from base ${join(countJoins, ' ')}
      ) x
      group by x.cid
    ) m join ${ids} i using (cid)
    union all by name
    select i.customer_id as CustomerId, ${join(single)}, 1 as RecordCount, 1 as SourceCount
    from ${clusters} c join sizes s using (cid) join ${records} r using (rid)
      join ${ids} i using (cid)
    where s.n = 1`
  return shown.length > 0 ? sql`select * replace (${join(shown)}) from (${merged})` : merged
}

/**
 * Each record whose profile is not what the previous run made it: added (new to the sources),
 * removed (gone from them) or moved (now under another CustomerId), with both CustomerIds.
 */
export function runChangesSql(records: Sql, clusters: Sql, ids: Sql, previousKeys: Sql): Sql {
  return sql`with now_ as (
      select r.source, r.source_key, i.customer_id from ${records} r join ${clusters} c using (rid) join ${ids} i using (cid)
    )
    select case when b.CustomerId is null then 'added' when n.customer_id is null then 'removed' else 'moved' end as Change,
      coalesce(n.source, b.SourceName) as SourceName, coalesce(n.source_key, b.SourceKey) as SourceKey,
      b.CustomerId as CustomerIdBefore, n.customer_id as CustomerIdAfter
    from now_ n full outer join ${previousKeys} b on n.source = b.SourceName and n.source_key = b.SourceKey
    where n.customer_id is distinct from b.CustomerId`
}
