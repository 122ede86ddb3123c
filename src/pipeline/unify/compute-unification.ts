import { writeFile } from 'node:fs/promises'
import { join as joinPath } from 'node:path'
import type { Watch } from '../../jobs/index.js'
import {
  type DuckDb,
  ident,
  join,
  literal,
  literalList,
  type Sql,
  SqlSession,
  sql,
} from '../../query/index.js'
import { superviseSession } from '../duckdb-engine.js'
import {
  customerIdsSql,
  edgesSql,
  type MergePolicy,
  mergeSql,
  neverMatchViolationSql,
  type PreparedCondition,
  propagateClustersSql,
  ruleEdgesSql,
  runChangesSql,
  type UnifySourceInput,
  unifiedRecordsSql,
} from '../sql/unify-sql.js'
import { type EntityOutput, writeEntityOutput } from '../write-entity-output.js'
import { estimateMatchModel, householdGuardSql, type MatchModel, reviewPairsSql } from './match-model.js'
import { normalizePhoneColumns } from './phone-numbers.js'
import { RUN_CHANGES_FILE } from './run-changes.js'
import { MATCH_MODEL_FILE } from './saved-model.js'
import { derivable, type Normalization, type UnifyConfig } from './unify-config.js'

export const UNIFY_ENTITIES = ['UnifiedCustomer', 'CustomerSourceKeys', 'MatchPairs'] as const
export type UnifyEntity = (typeof UNIFY_ENTITIES)[number]

export interface UnifyOutput extends EntityOutput {
  entity: UnifyEntity
}

export interface UnificationResult {
  outputs: UnifyOutput[]
  /** The match model of each probabilistic rule, as estimated on this run's data. */
  models: MatchModel[]
  /**
   * The country numbers written without a country code are read as (where a record has no
   * Country): the configured defaultCountry, or else inferred from the data.
   */
  phoneCountry: { country: string; inferred: boolean } | undefined
  stats: {
    sourceRecords: number
    unifiedProfiles: number
    matchPairs: number
    clusteringRounds: number
    skippedBlocks: number
    /** Distinct numbers written without a country code that libphonenumber read. */
    phonesReadByCountry: number
    /**
     * Since the previous run (absent on the first): records new to the sources, records gone,
     * records now in another profile; CustomerIds new, and CustomerIds no longer there.
     */
    recordsAdded?: number
    recordsRemoved?: number
    recordsMoved?: number
    customersAdded?: number
    customersRemoved?: number
    /** 1 when the first probabilistic rule kept the previous run's model, 0 when it estimated one. */
    modelKept?: number
    /** Of the first probabilistic rule's model: its threshold and what it expects there. */
    modelThreshold?: number
    modelExpectedPrecision?: number
    modelExpectedRecall?: number
    modelComparedPairs?: number
    modelMatchShare?: number
    /** Milliseconds per phase: map and normalise (one pass), match, cluster, merge (and write). */
    mapMs: number
    matchMs: number
    clusterMs: number
    mergeMs: number
  }
}

/** Blocks larger than this are not compared pairwise (their records can still match by other rules). */
const MAX_BLOCK = 2000

const KEEP_ALL_NORMALIZATION: Record<string, Normalization[]> = {
  Email: ['email'],
  Phone: ['phone'],
}

/**
 * Map, match and merge in one DuckDB session: records of every mapped source → normalised values
 * → edges by rule (blocked) → connected components → stable CustomerIds → merged profiles.
 * Writes the three output entities as Parquet under `outDirs` and returns their manifests.
 */
export async function computeUnification(
  duck: DuckDb,
  input: {
    config: UnifyConfig
    sources: UnifySourceInput[]
    /** Files of the current CustomerSourceKeys, for stable ids. */
    previousKeys: string[] | undefined
    outDir: (entity: UnifyEntity) => string
    /** The job's watchdog: its abort interrupts the running statement. */
    watch?: Watch
    /**
     * The models the previous run saved (match-model.json), by rule name: a rule with
     * `model: keep` uses its own as it is.
     */
    savedModels?: { runId: string; models: Record<string, MatchModel> }
    /** Answers from the review queue: they override the rules and teach the model. */
    labels?: readonly {
      sourceA: string
      keyA: string
      sourceB: string
      keyB: string
      sameCustomer: boolean
    }[]
  },
): Promise<UnificationResult> {
  const { config } = input
  const mapped = new Set(input.sources.flatMap((s) => Object.values(s.attributes)))
  const attributes = [
    ...new Set([...mapped, ...['FirstName', 'LastName', 'FullName'].filter((a) => derivable(a, mapped))]),
  ].sort()

  // One normalised column per distinct (attribute, normalisations) a rule or a list needs.
  const columns = new Map<string, { column: string; attribute: string; normalize: Normalization[] }>()
  const columnFor = (attribute: string, normalize: Normalization[]) => {
    const key = `${attribute}|${normalize.join(',')}`
    let found = columns.get(key)
    if (!found) {
      found = { column: `v${columns.size}`, attribute, normalize }
      columns.set(key, found)
    }
    return found.column
  }
  const rules = config.rules.map((rule, index) => ({
    index,
    probabilistic: rule.probabilistic,
    neverMatch: rule.neverMatch,
    minScore: rule.minScore,
    blockOn: rule.blockOn,
    conditions: rule.conditions.map(
      (c): PreparedCondition => ({ ...c, column: columnFor(c.attribute, c.normalize) }),
    ),
  }))
  const keepAll = config.merge.keepAll
    .filter((a) => attributes.includes(a))
    .map((attribute) => ({
      attribute,
      normalized: columnFor(attribute, KEEP_ALL_NORMALIZATION[attribute] ?? ['whitespace']),
    }))

  const session = await SqlSession.open(duck)
  const unsupervise = await superviseSession(session, input.watch)
  const one = async (statement: Sql) => Number((await session.value(statement)) ?? 0)
  const records = sql`records`
  const clusters = sql`clusters`
  const edges = sql`edges`
  const ids = sql`ids`
  const phases: number[] = [performance.now()]
  const mark = () => phases.push(performance.now())
  try {
    await session.run(
      sql`create or replace temp table records as ${unifiedRecordsSql(input.sources, attributes, {
        columns: [...columns.values()],
        defaultCountry: config.defaultCountry,
        hasCountry: attributes.includes('Country'),
      })}`,
    )
    // Numbers written without a country code, read by libphonenumber (the default country
    // inferred from the data when none is configured).
    const phones = await normalizePhoneColumns(session, {
      columns: [...columns.values()],
      hasCountry: attributes.includes('Country'),
      defaultCountry: config.defaultCountry,
    })
    mark()
    // Labelled pairs, as record ids (a label naming a record that is gone is left out).
    const labels = input.labels ?? []
    const labelled = sql`labelled_pairs`
    await session.run(
      labels.length > 0
        ? sql`create or replace temp table labelled_pairs as
            select least(a.rid, b.rid) as rid_a, greatest(a.rid, b.rid) as rid_b, bool_and(l.same) as same
            from (values ${join(labels.map((l) => sql`(${literal(l.sourceA)}, ${literal(l.keyA)}, ${literal(l.sourceB)}, ${literal(l.keyB)}, ${l.sameCustomer})`))}) l(source_a, key_a, source_b, key_b, same)
            join records a on a.source = l.source_a and a.source_key = l.key_a
            join records b on b.source = l.source_b and b.source_key = l.key_b
            where a.rid <> b.rid group by all`
        : sql`create or replace temp table labelled_pairs as select null::bigint as rid_a, null::bigint as rid_b, null::boolean as same where false`,
    )
    const skippedBlocks = await countSkippedBlocks(session, rules)
    const ruleEdges: Sql[] = []
    const models: MatchModel[] = []
    const scoredTables: ({ rule: number } & Awaited<ReturnType<typeof estimateMatchModel>>)[] = []
    for (const rule of rules) {
      if (rule.neverMatch) continue
      if (!rule.probabilistic) {
        ruleEdges.push(ruleEdgesSql(records, rule, MAX_BLOCK))
        continue
      }
      const compared = rule.probabilistic.attributes ?? attributes
      const saved =
        rule.probabilistic.model === 'keep'
          ? input.savedModels?.models[config.rules[rule.index]?.name ?? '']
          : undefined
      // Kept only while every attribute it compares is still mapped.
      const kept = saved?.comparisons.every((c) => compared.includes(c.attribute)) ? saved : undefined
      const estimated = await estimateMatchModel(session, {
        records,
        attributes: compared,
        threshold: rule.probabilistic.threshold,
        prefix: `model${rule.index}`,
        labelled,
        kept,
      })
      if (kept && input.savedModels) estimated.model.keptFrom = kept.keptFrom ?? input.savedModels.runId
      scoredTables.push({ rule: rule.index, ...estimated })
      models.push(estimated.model)
      // Each attribute's level and its contribution in bits, for MatchPairs and explanations.
      const described = estimated.comparisons.map((c, i) => {
        const labels = estimated.model.comparisons[i]?.levels ?? []
        return sql`case when ${ident(`l${i}`)} >= 0 then ${literal(`${c.attribute} `)} || case ${ident(`l${i}`)} ${join(
          labels.map((label, level) => sql`when ${level} then ${literal(label)}`),
          ' ',
        )} end || ' ' || printf('%+.1f', ${ident(`w${i}`)}) end`
      })
      ruleEdges.push(
        sql`select rid_a, rid_b, ${rule.index} as rule, probability::double as score, concat_ws(', ', ${join(described)}) as similarities
          from ${estimated.pairs} where probability >= ${estimated.model.threshold} and not (${householdGuardSql(estimated.comparisons)})`,
      )
    }
    // Pairs confirmed in review join whatever the rules say (rule number: one past the last).
    ruleEdges.push(
      sql`select rid_a, rid_b, ${config.rules.length} as rule, 1.0::double as score, 'confirmed in review' as similarities from labelled_pairs where same`,
    )
    await session.run(sql`create or replace temp table edges as ${edgesSql(ruleEdges)}`)
    // Never-match overrides: a link stays only where every condition of each holds (or a value is missing).
    const never = rules.filter((rule) => rule.neverMatch)
    if (never.length > 0)
      await session.run(
        sql`create or replace temp table edges as select e.* from edges e
          join records a on a.rid = e.rid_a join records b on b.rid = e.rid_b
          where e.rule = ${config.rules.length} or not (${join(
            never.map((rule) => neverMatchViolationSql(rule.conditions)),
            ' or ',
          )})`,
      )
    // Pairs rejected in review are never linked directly.
    await session.run(
      sql`create or replace temp table edges as select e.* from edges e anti join (select rid_a, rid_b from labelled_pairs where not same) r using (rid_a, rid_b)`,
    )

    mark()
    // Connected components by label propagation with pointer jumping, until nothing moves. Only
    // records with an edge take part; every other record is a profile of its own.
    await session.run(
      sql`create or replace temp table clusters as select rid, rid as cid from (select rid_a as rid from edges union select rid_b from edges)`,
    )
    let rounds = 0
    for (; rounds < 100; rounds++) {
      await session.run(
        sql`create or replace temp table clusters_next as ${propagateClustersSql(clusters, edges)}`,
      )
      const moved = await one(
        sql`select count(*) from clusters_next n join clusters c using (rid) where n.cid <> c.cid`,
      )
      await session.run(sql`drop table clusters`)
      await session.run(sql`alter table clusters_next rename to clusters`)
      if (moved === 0) break
    }
    await session.run(
      sql`insert into clusters select rid, rid as cid from records anti join clusters using (rid)`,
    )

    mark()
    const previous = input.previousKeys && input.previousKeys.length > 0 ? sql`previous_keys` : undefined
    if (previous)
      await session.run(
        sql`create or replace temp view previous_keys as select * from read_parquet(${literalList(input.previousKeys as string[])})`,
      )
    await session.run(sql`create or replace temp table ids as ${customerIdsSql(records, clusters, previous)}`)
    // What changed since the previous run: records added, gone, or now in another profile.
    if (previous)
      await session.run(
        sql`create or replace temp table run_changes as ${runChangesSql(records, clusters, ids, previous)}`,
      )
    const changes = previous
      ? ((
          await session.rows<Record<string, bigint | number>>(
            sql`select count(*) filter (where Change = 'added') as added, count(*) filter (where Change = 'removed') as removed,
              count(*) filter (where Change = 'moved') as moved,
              (select count(distinct i.customer_id) from ids i where i.customer_id not in (select CustomerId from previous_keys)) as customers_added,
              (select count(distinct CustomerId) from previous_keys where CustomerId not in (select customer_id from ids)) as customers_removed
              from run_changes`,
          )
        )[0] ?? {})
      : undefined

    const policies: Record<string, MergePolicy> = Object.fromEntries(
      attributes.map((a) => [a, (config.merge.attributes[a] ?? config.merge.default) as MergePolicy]),
    )
    const rulesTable = sql`(select * from (values ${join([...config.rules.map((r, i) => sql`(${i}, ${literal(r.name)})`), sql`(${config.rules.length}, 'confirmed in review')`])}) t(rule, name))`
    const queries: Record<UnifyEntity, { sql: Sql; key: string | null }> = {
      UnifiedCustomer: {
        sql: mergeSql({
          records,
          clusters,
          ids,
          attributes,
          policies,
          sourcePriority: config.merge.sourcePriority ?? [],
          keepAll,
        }),
        key: 'CustomerId',
      },
      CustomerSourceKeys: {
        sql: sql`select i.customer_id as CustomerId, r.source as SourceName, r.source_key as SourceKey
          from records r join clusters c using (rid) join ids i using (cid)`,
        key: null,
      },
      MatchPairs: {
        sql: sql`select i.customer_id as CustomerId, a.source as SourceA, a.source_key as KeyA, b.source as SourceB, b.source_key as KeyB,
            r.name as Rule, e.score as Score, e.similarities as Similarities
          from edges e join records a on a.rid = e.rid_a join records b on b.rid = e.rid_b
          join clusters c on c.rid = e.rid_a join ids i using (cid) join ${rulesTable} r on r.rule = e.rule`,
        key: null,
      },
    }
    const outputs: UnifyOutput[] = []
    for (const entity of UNIFY_ENTITIES)
      outputs.push({
        entity,
        ...(await writeEntityOutput(session, queries[entity].sql, input.outDir(entity), queries[entity].key)),
      })
    // The estimated model(s) beside the match pairs they made: each run's parameters are kept
    // with its output (and the previous run's, to compare), so a later run can keep them and
    // what changed between runs can be read back.
    if (models.length > 0)
      await writeFile(
        joinPath(input.outDir('MatchPairs'), MATCH_MODEL_FILE),
        `${JSON.stringify(
          {
            rules: config.rules.filter((r) => r.probabilistic).map((r) => r.name),
            models,
            ...(input.savedModels ? { previous: input.savedModels } : {}),
          },
          null,
          2,
        )}\n`,
      )
    if (previous)
      await session.run(
        sql`copy (select * from run_changes order by Change, SourceName, SourceKey) to ${literal(
          joinPath(input.outDir('CustomerSourceKeys'), RUN_CHANGES_FILE),
        )} (format parquet)`,
      )
    // The pairs a person may want to look at, each with its waterfall: every pair a model joined,
    // and those it compared and left apart with a probability of 5 % or more.
    for (const scored of scoredTables)
      await session.run(
        sql`copy (${reviewPairsSql(scored, records, config.rules[scored.rule]?.name ?? '')}) to ${literal(
          joinPath(input.outDir('MatchPairs'), `review-pairs-${scored.rule}.parquet`),
        )} (format parquet)`,
      )
    const model = models[0]
    mark()
    const ms = (i: number) => Math.round((phases[i + 1] as number) - (phases[i] as number))
    return {
      outputs,
      models,
      phoneCountry: phones.defaultCountry
        ? { country: phones.defaultCountry, inferred: phones.inferred }
        : undefined,
      stats: {
        mapMs: ms(0),
        matchMs: ms(1),
        clusterMs: ms(2),
        mergeMs: ms(3),
        sourceRecords: await one(sql`select count(*) from records`),
        unifiedProfiles: outputs.find((o) => o.entity === 'UnifiedCustomer')?.rowCount ?? 0,
        matchPairs: outputs.find((o) => o.entity === 'MatchPairs')?.rowCount ?? 0,
        clusteringRounds: rounds + 1,
        skippedBlocks,
        phonesReadByCountry: phones.rewritten,
        ...(changes
          ? {
              recordsAdded: Number(changes.added ?? 0),
              recordsRemoved: Number(changes.removed ?? 0),
              recordsMoved: Number(changes.moved ?? 0),
              customersAdded: Number(changes.customers_added ?? 0),
              customersRemoved: Number(changes.customers_removed ?? 0),
            }
          : {}),
        ...(model ? { modelKept: model.keptFrom ? 1 : 0 } : {}),
        ...(model
          ? {
              modelThreshold: model.threshold,
              modelExpectedPrecision: model.expected.precision,
              modelExpectedRecall: model.expected.recall,
              modelComparedPairs: model.comparedPairs,
              modelMatchShare: model.matchShare,
            }
          : {}),
      },
    }
  } finally {
    unsupervise()
    session.close()
  }
}

/** Blocks of fuzzy rules too large to compare pairwise, reported in the run's stats. */
async function countSkippedBlocks(
  session: SqlSession,
  rules: { conditions: PreparedCondition[]; minScore?: number | undefined }[],
): Promise<number> {
  let skipped = 0
  for (const rule of rules) {
    if (rule.minScore !== undefined) continue
    const fuzzy = rule.conditions.filter((c) => c.precision === 'fuzzy')
    if (fuzzy.length === 0) continue
    const exact = rule.conditions.filter((c) => c.precision === 'exact')
    const block =
      exact.length > 0
        ? join(
            exact.map((c) => ident(c.column)),
            sql` || '\u0001' || `,
          )
        : sql`left(${ident((fuzzy[0] as PreparedCondition).column)}, 3)`
    const notNull = join(
      rule.conditions.map((c) => sql`${ident(c.column)} is not null`),
      ' and ',
    )
    skipped += Number(
      (await session.value(
        sql`select count(*) from (select ${block} as b from records where ${notNull} group by b having count(*) > ${MAX_BLOCK})`,
      )) ?? 0,
    )
  }
  return skipped
}
