/**
 * Probabilistic matching (Fellegi–Sunter) estimated from the data itself, as Splink does:
 * u-probabilities (how often two different people agree at each level by chance) from random
 * pairs; m-probabilities (how often the same person's two records do) and the share of matches
 * among the compared pairs by expectation–maximisation over the blocked pairs; a threshold
 * chosen for the best expected F1 unless the user sets one. The SQL is in
 * sql/match-model-sql.ts; EM runs here on the counts of each combination of levels, so it costs
 * nothing per pair.
 */
import { AppError } from '../../errors.js'
import { ident, join, literal, type Sql, type SqlSession, sql } from '../../query/index.js'
import {
  type BlockingRule,
  blockedPairsSql,
  blockingCostSql,
  type ComparisonKind,
  candidateBlockingRules,
  comparisonValuesSql,
  countedPatternsSql,
  LEVELS,
  levelPatternsSql,
  type ModelComparison,
  pairLevelsSql,
  randomPairsSql,
  scoredPairsSql,
  TERM_FREQUENCY_KINDS,
  withTermFrequenciesSql,
} from '../sql/match-model-sql.js'

export interface ComparisonModel {
  attribute: string
  kind: ComparisonKind
  levels: string[]
  /** P(level | same person), per level. */
  m: number[]
  /** P(level | different people), per level. */
  u: number[]
  /** The exact level is weighed by how common the value is. */
  termFrequency: boolean
}

export interface MatchModel {
  comparisons: ComparisonModel[]
  /** Share of the compared (blocked) pairs that are matches, estimated by EM. */
  matchShare: number
  /** Least match probability that joins two records. */
  threshold: number
  /** Whether the threshold was set by the user or chosen for the best expected F1. */
  thresholdChosen: 'user' | 'expected F1'
  /** What the model itself expects of its matches at that threshold (not measured against truth). */
  expected: { precision: number; recall: number; matches: number }
  /**
   * Each candidate blocking rule: the pairs it made (0 when left out of the budget), blocks too
   * large to compare, and its estimated recall — the share of the model's expected matches
   * among all compared pairs that this rule's pairs hold (an upper bound: matches no rule
   * found are not counted).
   */
  blocking: { name: string; pairs: number; skippedBlocks: number; estimatedRecall: number }[]
  comparedPairs: number
  randomPairs: number
  emIterations: number
  /** The run whose saved model this one kept (rule `model: keep`); absent when estimated. */
  keptFrom?: string
}

/** The comparison kind of an attribute, by its name. */
export function comparisonKind(attribute: string): ComparisonKind | undefined {
  switch (attribute) {
    case 'FirstName':
      return 'firstName'
    case 'LastName':
      return 'lastName'
    case 'Email':
      return 'email'
    case 'Phone':
      return 'phone'
    case 'DateOfBirth':
      return 'date'
    case 'PostalCode':
      return 'postcode'
    case 'Address1':
      return 'address'
    case 'City':
      return 'city'
    case 'Country':
    case 'FullName':
      return undefined
  }
  return /(Id|ID|Number|No|Nr|Code|Ssn|SSN|Key)$/.test(attribute) ? 'identifier' : 'text'
}

/** The pair budget of automatic blocking: enough for the data, never all pairs. */
export function comparisonBudget(records: number): number {
  // Twenty per record, at least two and at most twenty million: a million records then fit the
  // run's memory (each compared pair is scored on every attribute).
  return Math.min(20_000_000, Math.max(2_000_000, records * 20))
}

const MAX_BLOCK = 2000
const MAX_COMPARISONS = 12
const RANDOM_PAIRS = 1_000_000
const FLOOR = 1e-6

type Pattern = { levels: number[]; n: number }

/**
 * m, u and the match share by EM: each combination of levels is a match with the probability
 * its Bayes factors and the current share give (the first round: `seed`'s, when given); m of a
 * level is the expected share of matches at it among matches with a value, u the same among
 * non-matches; repeated until nothing moves.
 */
export function estimateByEm(
  patterns: Pattern[],
  initial: { m: number[][]; u: number[][]; share: number },
  maxIterations = 300,
  /** Combinations of levels known not to be the same person: they only teach u. */
  knownNonMatch: (levels: number[]) => boolean = () => false,
  /** Pairs a person labelled: they teach m (same customer) or u (not), and do not count in the share. */
  labelled: { same: Pattern[]; different: Pattern[] } = { same: [], different: [] },
  /** The first round's probability of a match, where m and u are only guesses. */
  seed?: (levels: number[]) => number,
): { m: number[][]; u: number[][]; share: number; iterations: number } {
  let m = initial.m.map((levels) => [...levels])
  let u = initial.u.map((levels) => [...levels])
  let share = initial.share
  let iterations = 0
  const normalised = (counts: number[][], totals: number[]) =>
    counts.map((levels, i) =>
      levels.map((x) => Math.max(FLOOR, (totals[i] as number) > 0 ? x / (totals[i] as number) : FLOOR)),
    )
  for (; iterations < maxIterations; iterations++) {
    const matchAt = m.map((levels) => levels.map(() => 0))
    const otherAt = m.map((levels) => levels.map(() => 0))
    const matchTotal = m.map(() => 0)
    const otherTotal = m.map(() => 0)
    let matches = 0
    let total = 0
    for (const pattern of patterns) {
      let logit = Math.log(share / (1 - share))
      pattern.levels.forEach((level, i) => {
        if (level >= 0) logit += Math.log((m[i]?.[level] ?? FLOOR) / (u[i]?.[level] ?? FLOOR))
      })
      const p = knownNonMatch(pattern.levels)
        ? 0
        : iterations === 0 && seed
          ? seed(pattern.levels)
          : 1 / (1 + Math.exp(-logit))
      const weight = p * pattern.n
      const rest = pattern.n - weight
      matches += weight
      total += pattern.n
      pattern.levels.forEach((level, i) => {
        if (level < 0) return
        ;(matchAt[i] as number[])[level] = ((matchAt[i] as number[])[level] as number) + weight
        ;(otherAt[i] as number[])[level] = ((otherAt[i] as number[])[level] as number) + rest
        matchTotal[i] = (matchTotal[i] as number) + weight
        otherTotal[i] = (otherTotal[i] as number) + rest
      })
    }
    for (const [patterns, into, totals] of [
      [labelled.same, matchAt, matchTotal],
      [labelled.different, otherAt, otherTotal],
    ] as const)
      for (const pattern of patterns)
        pattern.levels.forEach((level, i) => {
          if (level < 0) return
          ;(into[i] as number[])[level] = ((into[i] as number[])[level] as number) + pattern.n
          totals[i] = (totals[i] as number) + pattern.n
        })
    const nextM = normalised(matchAt, matchTotal)
    const nextU = normalised(otherAt, otherTotal)
    const nextShare = Math.min(1 - FLOOR, Math.max(FLOOR, total > 0 ? matches / total : share))
    const change = (a: number[][], b: number[][]) =>
      Math.max(
        ...a.flatMap((levels, i) => levels.map((x, l) => Math.abs(x - ((b[i] as number[])[l] as number)))),
      )
    const moved = Math.max(Math.abs(nextShare - share), change(nextM, m), change(nextU, u))
    m = nextM
    u = nextU
    share = nextShare
    if (moved < 1e-7) {
      iterations++
      break
    }
  }
  return { m, u, share, iterations }
}

/** The threshold with the best expected F1 over a histogram of match weights (bits → pairs). */
export function chooseThreshold(
  histogram: { weight: number; n: number }[],
  fixed?: number,
): { threshold: number; precision: number; recall: number; matches: number } {
  const probability = (bits: number) => 1 / (1 + 2 ** -bits)
  const sorted = [...histogram].sort((a, b) => b.weight - a.weight)
  const expectedMatches = sorted.reduce((sum, h) => sum + probability(h.weight) * h.n, 0)
  let best = { threshold: fixed ?? 0.99, precision: 1, recall: 0, matches: 0, f1: -1 }
  let tp = 0
  let taken = 0
  for (const h of sorted) {
    const p = probability(h.weight)
    if (fixed !== undefined && p < fixed) break
    tp += p * h.n
    taken += h.n
    const precision = taken > 0 ? tp / taken : 1
    const recall = expectedMatches > 0 ? tp / expectedMatches : 0
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
    if (fixed !== undefined || f1 > best.f1)
      best = { threshold: fixed ?? p, precision, recall, matches: taken, f1 }
  }
  const { f1: _f1, ...chosen } = best
  return chosen
}

/**
 * Builds the comparisons of the attributes given, estimates the model on `records` (a table with
 * `rid` and VARCHAR attribute columns) and leaves the table `model_pairs` — every compared pair
 * with its levels, contributions (`w0`, …), weight and probability — for the edges and the
 * explanations. `prefix` keeps the temp tables of several rules apart.
 */
export async function estimateMatchModel(
  session: SqlSession,
  options: {
    records: Sql
    attributes: readonly string[]
    threshold?: number | undefined
    prefix: string
    /** Pairs labelled in review: a table (rid_a, rid_b, same). */
    labelled?: Sql
    /**
     * A model saved by an earlier run, used as it is: its comparisons, blocking rules, m, u,
     * share of matches and threshold; nothing is estimated (term frequencies are the data's).
     */
    kept?: MatchModel
  },
): Promise<{ model: MatchModel; pairs: Sql; comparisons: ModelComparison[]; priorBits: number }> {
  const { kept } = options
  // The known attributes first, then custom ones, at most MAX_COMPARISONS: EM's cost grows with
  // the combinations of levels, and a dozen attributes already tell people apart.
  const kinds = options.attributes.flatMap((attribute) => {
    const kind = comparisonKind(attribute)
    return kind ? [{ attribute, kind }] : []
  })
  const ordered = kept
    ? kept.comparisons.map((c) => ({ attribute: c.attribute, kind: c.kind }))
    : [
        ...kinds.filter((k) => k.kind !== 'text' && k.kind !== 'identifier'),
        ...kinds.filter((k) => k.kind === 'identifier'),
        ...kinds.filter((k) => k.kind === 'text'),
      ].slice(0, MAX_COMPARISONS)
  const comparisons: ModelComparison[] = ordered.map((k, i) => ({ ...k, column: `m${i}` }))
  if (comparisons.length < 2)
    throw new AppError(
      'InvalidConfig',
      `a probabilistic rule needs at least two attributes to compare; it has ${comparisons.map((c) => c.attribute).join(', ') || 'none'}; map more columns under unify.sources or use rules with conditions`,
      { target: 'unify.rules' },
    )
  const table = (name: string) => ident(`${options.prefix}_${name}`)
  const values = table('values')
  const plain = table('plain_values')
  await session.run(
    sql`create or replace temp table ${plain} as ${comparisonValuesSql(options.records, comparisons)}`,
  )
  // Each record's own value frequency beside its value (`m0_tf`, …): a pair carries it from the
  // join that brings its values, with no join of its own per compared pair.
  await session.run(
    sql`create or replace temp table ${values} as ${withTermFrequenciesSql(plain, comparisons)}`,
  )
  await session.run(sql`drop table ${plain}`)
  const records = Number((await session.value(sql`select count(*) from ${values}`)) ?? 0)

  // Blocking: the candidate rules in order (strong identifiers first), each while the union stays within the budget.
  const budget = comparisonBudget(records)
  const costed: (BlockingRule & { pairs: number; skippedBlocks: number })[] = []
  for (const rule of candidateBlockingRules(comparisons)) {
    const [cost] = await session.rows<{ pairs: number; skipped: bigint | number }>(
      blockingCostSql(values, rule, MAX_BLOCK),
    )
    costed.push({ ...rule, pairs: Number(cost?.pairs ?? 0), skippedBlocks: Number(cost?.skipped ?? 0) })
  }
  const chosen: typeof costed = []
  let spent = 0
  const keptRules = kept && new Set(kept.blocking.filter((b) => b.pairs > 0).map((b) => b.name))
  for (const rule of costed) {
    if (rule.pairs === 0 || (keptRules && !keptRules.has(rule.name))) continue
    if (spent + rule.pairs > budget && chosen.length > 0) continue
    chosen.push(rule)
    spent += rule.pairs
  }
  // Each pair once, with which rules made it (bit i: the i-th chosen rule) — and, in the same
  // statement, its levels: EM counts their patterns, scoring weighs them.
  const pairs = sql`(select rid_a, rid_b, bit_or(bit)::integer as rules from (${join(
    chosen.map(
      (rule, i) =>
        sql`select rid_a, rid_b, ${2 ** i} as bit from (${blockedPairsSql(values, rule, MAX_BLOCK)})`,
    ),
    ' union all ',
  )}) group by rid_a, rid_b)`
  const levelled = table('levels')
  await session.run(
    sql`create or replace temp table ${levelled} as ${pairLevelsSql(values, pairs, comparisons)}`,
  )
  const comparedPairs = Number((await session.value(sql`select count(*) from ${levelled}`)) ?? 0)

  const { u, em, sample } = kept
    ? {
        u: kept.comparisons.map((c) => c.u),
        em: { m: kept.comparisons.map((c) => c.m), share: kept.matchShare, iterations: 0 },
        sample: kept.randomPairs,
      }
    : await estimateParameters(session, {
        levelled,
        values,
        comparisons,
        records,
        table,
        labelled: options.labelled,
      })

  // Score every compared pair, with the term-frequency adjustment at exact levels.
  // Weighed as Fellegi–Sunter defines them: u over all pairs (the random ones), and the prior
  // as the chance that two records picked at random match (EM's share of the compared pairs,
  // spread over all pairs) — the weights themselves count what made a pair worth comparing.
  const bits = comparisons.map((_, i) =>
    (em.m[i] as number[]).map((m, level) => Math.log2(m / ((u[i] as number[])[level] as number))),
  )
  const totalPairs = Math.max((records * (records - 1)) / 2, 1)
  const prior = Math.min(0.5, Math.max(FLOOR, (em.share * comparedPairs) / totalPairs))
  const scored = table('scored')
  await session.run(
    sql`create or replace temp table ${scored} as select *, 1 / (1 + pow(2, -weight)) as probability from (${scoredPairsSql(
      {
        levelled,
        comparisons,
        priorBits: Math.log2(prior / (1 - prior)),
        bits,
        // At an exact level u is the value's own frequency: log2(m) − log2(tf).
        exactMBits: comparisons.map((c, i) =>
          TERM_FREQUENCY_KINDS.has(c.kind) ? Math.log2((em.m[i] as number[])[0] as number) : undefined,
        ),
        minTf: 1 / Math.max(records, 1),
      },
    )})`,
  )
  await session.run(sql`drop table ${levelled}`)
  // How much of the model's expected matches each chosen blocking rule finds on its own.
  const expectedTotal = Number(
    (await session.value(sql`select coalesce(sum(probability), 0) from ${scored}`)) ?? 0,
  )
  const recallOf = new Map<BlockingRule, number>()
  const [found] = await session.rows<Record<string, number | null>>(
    sql`select ${join(chosen.map((_, i) => sql`sum(probability) filter (where rules & ${2 ** i} <> 0) as ${ident(`r${i}`)}`))} from ${scored}`,
  )
  for (const [i, rule] of chosen.entries())
    recallOf.set(rule, expectedTotal > 0 ? Number(found?.[`r${i}`] ?? 0) / expectedTotal : 0)
  const histogram = (
    await session.rows<{ weight: number; n: bigint | number }>(
      sql`select round(weight, 1) as weight, count(*) as n from ${scored} group by 1`,
    )
  ).map((h) => ({ weight: Number(h.weight), n: Number(h.n) }))
  // A kept model keeps its threshold (unless the rule now sets one); what it expects there is
  // read again from this data's pairs.
  const threshold = chooseThreshold(histogram, options.threshold ?? kept?.threshold)
  return {
    pairs: scored,
    comparisons,
    priorBits: Math.log2(prior / (1 - prior)),
    model: {
      comparisons: comparisons.map((c, i) => ({
        attribute: c.attribute,
        kind: c.kind,
        levels: LEVELS[c.kind],
        m: em.m[i] as number[],
        u: u[i] as number[],
        termFrequency: TERM_FREQUENCY_KINDS.has(c.kind),
      })),
      matchShare: em.share,
      threshold: threshold.threshold,
      thresholdChosen: options.threshold !== undefined ? 'user' : kept ? kept.thresholdChosen : 'expected F1',
      expected: { precision: threshold.precision, recall: threshold.recall, matches: threshold.matches },
      blocking: costed.map((r) => ({
        name: r.name,
        pairs: chosen.includes(r) ? r.pairs : 0,
        skippedBlocks: r.skippedBlocks,
        estimatedRecall: recallOf.get(r) ?? 0,
      })),
      comparedPairs,
      randomPairs: Math.round(sample),
      emIterations: em.iterations,
    },
  }
}

/** u from random pairs; m, u among the compared pairs and the share of matches by EM. */
async function estimateParameters(
  session: SqlSession,
  options: {
    values: Sql
    /** The compared pairs with their levels. */
    levelled: Sql
    comparisons: ModelComparison[]
    records: number
    table: (name: string) => Sql
    labelled: Sql | undefined
  },
): Promise<{ u: number[][]; em: { m: number[][]; share: number; iterations: number }; sample: number }> {
  const { values, comparisons, records, table } = options
  const sample = Math.min(RANDOM_PAIRS, Math.max(1, (records * (records - 1)) / 2))
  for (const statement of randomPairsSql(values, Math.round(sample), Math.max(records, 1), table)) {
    await session.run(statement)
  }
  const random = table('random')
  const randomPatterns = await patternsOf(session, values, random, comparisons)
  const u = comparisons.map((c, i) => {
    const counts = LEVELS[c.kind].map(() => 1) // add-one smoothing
    for (const pattern of randomPatterns) {
      const level = pattern.levels[i] as number
      if (level >= 0) counts[level] = (counts[level] as number) + pattern.n
    }
    const total = counts.reduce((a, b) => a + b, 0)
    return counts.map((n) => n / total)
  })

  // m and the share of matches by EM over the compared pairs.
  const patterns = toPatterns(
    await session.rows<Record<string, number | bigint>>(countedPatternsSql(options.levelled, comparisons)),
    comparisons,
  )
  const initialM = comparisons.map((c) => {
    const k = LEVELS[c.kind].length
    return LEVELS[c.kind].map((_, level) => (level === 0 ? 0.8 : level === k - 1 ? 0.05 : 0.15 / (k - 2)))
  })
  // u is free too: the compared pairs are not random pairs (blocking made them agree on
  // something), so their non-matches agree more often than random pairs do.
  // Anchored by the pairs that cannot be one person — first names that clearly differ and birth
  // dates that differ or are unknown (a household, or neighbours) — so that the two classes EM
  // finds are the same person and not, say, the same town.
  const firstIndex = comparisons.findIndex((c) => c.kind === 'firstName')
  const dateIndex = comparisons.findIndex((c) => c.kind === 'date')
  const differentFirst = LEVELS.firstName.length - 1
  const differentDate = LEVELS.date.length - 1
  const knownNonMatch = (levels: number[]) =>
    (dateIndex >= 0 && levels[dateIndex] === differentDate) ||
    (firstIndex >= 0 &&
      levels[firstIndex] === differentFirst &&
      (dateIndex < 0 || (levels[dateIndex] as number) < 0 || (levels[dateIndex] as number) >= 2))
  const labelledPatterns = options.labelled
    ? {
        same: await patternsOf(
          session,
          values,
          sql`(select rid_a, rid_b from ${options.labelled} where same)`,
          comparisons,
        ),
        different: await patternsOf(
          session,
          values,
          sql`(select rid_a, rid_b from ${options.labelled} where not same)`,
          comparisons,
        ),
      }
    : undefined
  // EM starts from the pairs that agree exactly on two or more things a person is told by apart
  // from their name (email, phone, birth date, an identifier, postcode, address): where names
  // have few distinct values, pairs that share a name can far outnumber the rest, and EM
  // started blind may take "the same name" for "the same person".
  const strong = comparisons
    .map((c, i) =>
      ['email', 'phone', 'date', 'identifier', 'postcode', 'address'].includes(c.kind) ? i : -1,
    )
    .filter((i) => i >= 0)
  const seed = (levels: number[]) => {
    const agreeing = strong.filter((i) => levels[i] === 0).length
    return agreeing >= 2 ? 0.9 : agreeing === 1 ? 0.2 : 0.01
  }
  const em = estimateByEm(
    patterns,
    { m: initialM, u, share: 0.1 },
    300,
    knownNonMatch,
    labelledPatterns,
    strong.length >= 2 ? seed : undefined,
  )

  return { u, em, sample: Math.round(sample) }
}

async function patternsOf(
  session: SqlSession,
  values: Sql,
  pairs: Sql,
  comparisons: readonly ModelComparison[],
): Promise<Pattern[]> {
  return toPatterns(
    await session.rows<Record<string, number | bigint>>(levelPatternsSql(values, pairs, comparisons)),
    comparisons,
  )
}

function toPatterns(
  rows: Record<string, number | bigint>[],
  comparisons: readonly ModelComparison[],
): Pattern[] {
  return rows.map((row) => ({
    levels: comparisons.map((_, i) => Number(row[`l${i}`])),
    n: Number(row.n),
  }))
}

/**
 * Two records of one household share a surname, a landline, an address, often an email — and
 * Fellegi–Sunter, which takes attributes as independent, adds all of that up. What tells two
 * people of a household apart is their own first name and birth date; so a pair whose first
 * names are only alike or differ (Carolina and Catalina: not one typo apart, not a nickname, a
 * short form, an initial or swapped names) is never joined unless the birth dates agree (the
 * same, or one slip apart).
 */
export function householdGuardSql(comparisons: readonly ModelComparison[]): Sql {
  const level = (kind: ComparisonKind) => {
    const i = comparisons.findIndex((c) => c.kind === kind)
    return i < 0 ? undefined : ident(`l${i}`)
  }
  const firstIndex = comparisons.findIndex((c) => c.kind === 'firstName')
  if (firstIndex < 0) return sql`false`
  const first = ident(`l${firstIndex}`)
  // Alike (Carolina, Catalina) or different: not a typo, a nickname, a short form or an initial.
  const differ = sql`${first} >= ${LEVELS.firstName.length - 2}`
  const date = level('date')
  return date ? sql`(${differ} and (${date} >= 2 or ${date} < 0))` : differ
}

/**
 * The pairs a model joined or nearly joined, each with the waterfall a person reads: the prior,
 * then each attribute's level, the two values compared and its contribution in bits; whether
 * the pair was joined and, if not, why (below the threshold, the household guard, rejected in
 * review, a never-match rule). Reads the `edges` and `labelled_pairs` tables of the run.
 */
export function reviewPairsSql(
  scored: { pairs: Sql; comparisons: ModelComparison[]; model: MatchModel; priorBits: number },
  records: Sql,
  ruleName: string,
): Sql {
  const entries = scored.comparisons.map((c, i) => {
    const labels = LEVELS[c.kind]
    const level = ident(`l${i}`)
    return sql`struct_pack(attribute := ${literal(c.attribute)}, level := case ${level} ${join(
      labels.map((label, n) => sql`when ${n} then ${literal(label)}`),
      ' ',
    )} else 'missing' end, a := ra.${ident(c.attribute)}, b := rb.${ident(c.attribute)}, bits := round(${ident(`w${i}`)}, 2))`
  })
  return sql`select ra.source as SourceA, ra.source_key as KeyA, rb.source as SourceB, rb.source_key as KeyB,
      ${literal(ruleName)} as Rule, p.probability as Probability, round(p.weight, 2) as Weight,
      ${scored.priorBits} as PriorBits, ${scored.model.threshold} as Threshold,
      e.rid_a is not null as Joined,
      case when e.rid_a is not null then 'joined'
        when lp.rid_a is not null and not lp.same then 'rejected in review'
        when p.probability < ${scored.model.threshold} then 'below the threshold'
        when ${householdGuardSql(scored.comparisons)} then 'household guard: first names only alike or different, and birth dates do not agree'
        else 'a never-match rule' end as Reason,
      to_json([${join(entries)}]) as Comparisons
    from ${scored.pairs} p
    join ${records} ra on ra.rid = p.rid_a join ${records} rb on rb.rid = p.rid_b
    left join edges e on e.rid_a = p.rid_a and e.rid_b = p.rid_b
    left join labelled_pairs lp on lp.rid_a = p.rid_a and lp.rid_b = p.rid_b
    where p.probability >= 0.05 or e.rid_a is not null`
}
