/**
 * npm run bench:unify -- accuracy   pairwise precision / recall / F1 and cluster counts on the demo
 *                                   generator's ground truth and on the FEBRL data sets
 *                                   (../shared/data/febrl/, when present): hand-written rules, and
 *                                   "auto" — what a new user gets with no rules at all (each file's
 *                                   columns mapped by the suggestion, the suggested rules applied)
 * npm run bench:unify -- speed [--records 1000000]
 *                                   map, match and merge of generated records (30% duplicates with
 *                                   typos) against a bare DuckDB blocked self-join with
 *                                   jaro_winkler_similarity on the same data, in the same run
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { demoConfigYaml, generateDemoData } from '../src/demo/index.js'
import { openDuckDb } from '../src/pipeline/index.js'
import type { UnifySourceInput } from '../src/pipeline/sql/unify-sql.js'
import {
  APPLY_CONFIDENCE,
  computeUnification,
  suggestMapping,
  suggestRules,
  type UnifyConfig,
  unifyConfigSchema,
} from '../src/pipeline/unify/index.js'
import { join as joinSql, literal, type Sql, SqlSession, sql } from '../src/query/index.js'
import type { Entity } from '../src/store/entities.js'
import { argument, printResult, timed, timeLimit, trackPeakMemory } from './bench-utils.js'
import { EXPORT_FILES, generateExports } from './exports-generator.js'
import { FAKER_EXPORT_FILES, generateFakerExports } from './faker-exports.js'
import { generatedPeopleSql } from './people-generator.js'

timeLimit('unify', 30)

const mode = process.argv[2] === 'speed' ? 'speed' : 'accuracy'
/** `-- accuracy --only faker`: one data set (demo, exports, faker, febrl), while working on it. */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const wanted = (name: string) => only === undefined || only === name
const work = resolve(import.meta.dirname, '.work', 'unify')
mkdirSync(work, { recursive: true })
const duck = await openDuckDb({ tempDir: join(work, 'duck-tmp') })

async function toParquet(session: SqlSession, select: Sql, file: string): Promise<string> {
  await session.run(sql`copy (${select}) to ${literal(file)} (format parquet)`)
  return file
}

async function describeTypes(session: SqlSession, file: string): Promise<Record<string, string>> {
  const rows = await session.rows(sql`describe select * from read_parquet(${literal(file)})`)
  return Object.fromEntries(rows.map((r) => [String(r.column_name), String(r.column_type)]))
}

/** Pairwise and cluster metrics of a unification against truth (source, key, entity). */
async function score(
  session: SqlSession,
  outDir: string,
  truth: Sql,
): Promise<{
  precision: number
  recall: number
  f1: number
  entities: number
  profiles: number
  exactClusters: number
}> {
  const rows = (
    await session.rows(sql`
    with j as (
      select t.entity, k.CustomerId from (${truth}) t
      join read_parquet(${literal(join(outDir, 'CustomerSourceKeys', 'part-00000.parquet'))}) k
        on k.SourceName = t.source and k.SourceKey = t.key
    ),
    both_ as (select count(*) as n from j group by entity, CustomerId),
    person as (select count(*) as n from j group by entity),
    profile as (select count(*) as n from j group by CustomerId),
    -- A person's cluster is exactly right when all their records form one profile with nothing else in it.
    exact as (
      select count(*) as n from (
        select entity, count(distinct CustomerId) as profiles, min(CustomerId) as customer from j group by entity
      ) e
      where e.profiles = 1 and (select count(*) from j where j.CustomerId = e.customer) = (select count(*) from j where j.entity = e.entity)
    )
    select (select sum(n * (n - 1) / 2) from both_) as tp, (select n from exact) as exact_clusters,
      (select sum(n * (n - 1) / 2) from person) as truth_pairs,
      (select sum(n * (n - 1) / 2) from profile) as predicted_pairs,
      (select count(*) from person) as entities, (select count(*) from profile) as profiles`)
  )[0] as Record<string, number | bigint>
  const tp = Number(rows.tp)
  const precision = tp / Number(rows.predicted_pairs)
  const recall = tp / Number(rows.truth_pairs)
  return {
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall),
    entities: Number(rows.entities),
    profiles: Number(rows.profiles),
    exactClusters: Number(rows.exact_clusters) / Number(rows.entities),
  }
}

/**
 * How merged profiles read against each person's true values, over profiles of several records
 * (each taken as the person most of its records are): the share whose FirstName and LastName are
 * the true ones as written, whose FullName is FirstName + LastName, whose Phones hold the true
 * number in E.164, and that hold more than one phone although the person has one.
 */
async function scoreMerged(session: SqlSession, outDir: string, truth: Sql, people: Sql) {
  const row = (
    await session.rows(sql`
    with j as (
      select k.CustomerId, mode(t.entity) as entity from (${truth}) t
      join read_parquet(${literal(join(outDir, 'CustomerSourceKeys', 'part-00000.parquet'))}) k
        on k.SourceName = t.source and k.SourceKey = t.key group by k.CustomerId
    ),
    p as (
      select u.*, t.* from read_parquet(${literal(join(outDir, 'UnifiedCustomer', 'part-00000.parquet'))}) u
      join j using (CustomerId) join (${people}) t on t.person_id = j.entity
      where u.RecordCount > 1
    )
    select count(*) as profiles,
      avg((FirstName is not distinct from first_name)::int) as first_name,
      avg((LastName is not distinct from last_name)::int) as last_name,
      avg((FullName is not distinct from FirstName || ' ' || LastName)::int) as full_name,
      avg(coalesce(list_contains(Phones, phone), false)::int) filter (where Phones is not null) as phone,
      avg((len(Phones) > 1)::int) filter (where Phones is not null) as extra_phones
    from p`)
  )[0] as Record<string, number | bigint>
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as Record<
    'profiles' | 'first_name' | 'last_name' | 'full_name' | 'phone' | 'extra_phones',
    number
  >
}
const describeMerged = (m: Awaited<ReturnType<typeof scoreMerged>>) =>
  `merged values over ${m.profiles} profiles of several records: first name right ${(m.first_name * 100).toFixed(1)}%, last name ${(m.last_name * 100).toFixed(1)}%, FullName = first + last ${(m.full_name * 100).toFixed(1)}%, true phone in E.164 ${(m.phone * 100).toFixed(1)}%, more than one phone ${(m.extra_phones * 100).toFixed(1)}%`

async function unify(name: string, config: UnifyConfig, sources: UnifySourceInput[]) {
  const outDir = join(work, 'out', name)
  rmSync(outDir, { recursive: true, force: true })
  return {
    outDir,
    ...(await timed(() =>
      computeUnification(duck, {
        config,
        sources,
        previousKeys: undefined,
        outDir: (e) => join(outDir, e),
      }),
    )),
  }
}

/**
 * What `sources add` + `unify suggest --apply` make of these files and nothing else: each file's
 * columns mapped by the suggestion (confidence ≥ APPLY_CONFIDENCE), the suggested rules.
 */
async function autoSources(
  session: SqlSession,
  files: { name: string; file: string; keyColumn: string }[],
): Promise<{ config: UnifyConfig; sources: UnifySourceInput[]; mapped: string[] }> {
  const sources: UnifySourceInput[] = []
  for (const f of files) {
    const types = await describeTypes(session, f.file)
    const entity = {
      name: f.name,
      origin: `datasource:${f.name}`,
      writable: false,
      updatedAt: '',
      current: {
        id: f.name,
        instanceId: 'bench',
        entityName: f.name,
        refreshId: f.name,
        directory: dirname(f.file),
        rowCount: 0,
        schema: Object.entries(types).map(([name, type]) => ({ name, type })),
        partitions: [{ name: 'part-00000', file: basename(f.file), rowCount: 0, sizeBytes: 0 }],
        keyColumn: f.keyColumn,
        createdAt: '',
      },
    } as unknown as Entity
    const suggestion = await suggestMapping(duck, entity)
    const attributes = Object.fromEntries(
      suggestion.columns.filter((c) => c.confidence >= APPLY_CONFIDENCE).map((c) => [c.column, c.attribute]),
    )
    sources.push({
      name: f.name,
      files: [f.file],
      keyColumn: f.keyColumn,
      attributes,
      updatedAt: suggestion.updatedAt,
      types,
    })
  }
  const mapped = new Set(sources.flatMap((s) => Object.values(s.attributes)))
  const config = unifyConfigSchema.parse({
    sources: Object.fromEntries(
      sources.map((s) => [
        s.name,
        { attributes: s.attributes, ...(s.updatedAt ? { updatedAt: s.updatedAt } : {}) },
      ]),
    ),
    ...suggestRules(mapped),
  })
  return { config, sources, mapped: [...mapped].sort() }
}

/** One line on the model a probabilistic rule estimated: blocking, threshold, what it expects. */
function describeModels(models: Awaited<ReturnType<typeof computeUnification>>['models']): string {
  return models
    .map(
      (m) =>
        `model: ${m.comparedPairs.toLocaleString()} pairs compared (${m.blocking
          .filter((b) => b.pairs > 0)
          .map(
            (b) => `${b.name}: ${b.pairs.toLocaleString()} pairs, recall ≈ ${b.estimatedRecall.toFixed(3)}`,
          )
          .join(
            '; ',
          )}), threshold ${m.threshold.toFixed(3)} (${m.thresholdChosen}), expects precision ${m.expected.precision.toFixed(3)} recall ${m.expected.recall.toFixed(3)}, ${m.emIterations} EM iterations, match share ${m.matchShare.toFixed(4)}`,
    )
    .join('; ')
}

/**
 * Rules for person records of the FEBRL kind (names, addresses, dates), not tuned to one file: one
 * scored rule weighing every attribute, over records that share any of postcode, birth date,
 * last name or (when mapped) social security id.
 */
function febrlConfig(withSocSec: boolean): UnifyConfig {
  const fuzzy = (attribute: string, weight: number, normalize = ['name'], algorithm = 'jaroWinkler') => ({
    attribute,
    normalize,
    precision: 'fuzzy',
    algorithm,
    weight,
  })
  return unifyConfigSchema.parse({
    sources: {},
    rules: [
      {
        name: 'weighted person match',
        minScore: 0.75,
        blockOn: ['PostalCode', 'DateOfBirth', 'LastName', ...(withSocSec ? ['SocSecId'] : [])],
        conditions: [
          fuzzy('FirstName', 2),
          fuzzy('LastName', 2),
          fuzzy('Address1', 1.5, ['address']),
          fuzzy('City', 1, ['case', 'accents', 'whitespace']),
          // Digits: one typo in eight costs an eighth (edit distance), not the few percent Jaro–Winkler takes off.
          fuzzy('PostalCode', 1, ['numerals'], 'levenshtein'),
          fuzzy('DateOfBirth', 2, ['numerals'], 'levenshtein'),
          ...(withSocSec ? [fuzzy('SocSecId', 3, ['numerals'], 'levenshtein')] : []),
        ],
      },
    ],
  })
}

const febrlAttributes = (withSocSec: boolean): Record<string, string> => ({
  given_name: 'FirstName',
  surname: 'LastName',
  address_1: 'Address1',
  suburb: 'City',
  postcode: 'PostalCode',
  date_of_birth: 'DateOfBirth',
  ...(withSocSec ? { soc_sec_id: 'SocSecId' } : {}),
})

if (mode === 'accuracy') {
  const session = await SqlSession.open(duck)
  const results: Record<string, number> = {}
  if (wanted('demo')) {
    // The demo generator's three messy sources, with the demo's own unify section.
    const demoDir = join(work, 'demo')
    if (!existsSync(join(demoDir, 'ground-truth-people.csv'))) await generateDemoData(demoDir)
    const demoDoc = parseYaml(demoConfigYaml()) as {
      unify: unknown
      dataSources: Record<string, { primaryKey: string; options: { path: string } }>
    }
    const demo = unifyConfigSchema.parse(demoDoc.unify)
    const readers: Record<string, Sql> = {
      crm_contacts: sql`select * from read_csv(${literal(join(demoDir, 'crm-contacts.csv'))}, all_varchar = true)`,
      webshop_orders: sql`select * from read_parquet(${literal(join(demoDir, 'webshop-orders.parquet'))})`,
      loyalty_members: sql`select * from read_json(${literal(join(demoDir, 'loyalty-members.ndjson'))}, format = 'newline_delimited')`,
    }
    const demoSources: UnifySourceInput[] = []
    for (const [name, mapping] of Object.entries(demo.sources)) {
      const file = await toParquet(session, readers[name] as Sql, join(work, `${name}.parquet`))
      demoSources.push({
        name,
        files: [file],
        keyColumn: demoDoc.dataSources[name]?.primaryKey as string,
        attributes: mapping.attributes,
        updatedAt: mapping.updatedAt,
        types: await describeTypes(session, file),
      })
    }
    const demoRun = await unify('demo', demo, demoSources)
    const demoScore = await score(
      session,
      demoRun.outDir,
      sql`select source, key, person_id as entity from read_csv(${literal(join(demoDir, 'ground-truth.csv'))}, all_varchar = true)`,
    )
    console.log(
      `demo (${demoRun.value.stats.sourceRecords.toLocaleString()} records, ${demoScore.entities} people): precision ${demoScore.precision.toFixed(4)}, recall ${demoScore.recall.toFixed(4)}, F1 ${demoScore.f1.toFixed(4)}; ${demoScore.profiles} profiles, ${(demoScore.exactClusters * 100).toFixed(1)}% of people exactly one profile; ${demoRun.seconds.toFixed(2)} s`,
    )
    results.demo_f1 = demoScore.f1
    results.demo_exact_clusters = demoScore.exactClusters
    const demoTruth = sql`select source, key, person_id as entity from read_csv(${literal(join(demoDir, 'ground-truth.csv'))}, all_varchar = true)`
    const demoPeople = sql`select * from read_csv(${literal(join(demoDir, 'ground-truth-people.csv'))}, all_varchar = true)`
    {
      const merged = await scoreMerged(session, demoRun.outDir, demoTruth, demoPeople)
      console.log(`demo ${describeMerged(merged)}`)
      results.demo_first_name_right = merged.first_name
      results.demo_full_name_agrees = merged.full_name
      results.demo_phone_e164 = merged.phone
    }
    {
      const auto = await autoSources(
        session,
        demoSources.map((s) => ({ name: s.name, file: s.files[0] as string, keyColumn: s.keyColumn })),
      )
      const run = await unify('demo-auto', auto.config, auto.sources)
      const result = await score(session, run.outDir, demoTruth)
      console.log(
        `demo auto (mapped ${auto.mapped.join(', ')}): precision ${result.precision.toFixed(4)}, recall ${result.recall.toFixed(4)}, F1 ${result.f1.toFixed(4)}; ${result.profiles} profiles for ${result.entities} people; ${run.seconds.toFixed(2)} s; ${describeModels(run.value.models)}`,
      )
      results.demo_auto_f1 = result.f1
      const merged = await scoreMerged(session, run.outDir, demoTruth, demoPeople)
      console.log(
        `demo auto ${describeMerged(merged)}; phones without a country code read as ${run.value.phoneCountry ? `${run.value.phoneCountry.country}${run.value.phoneCountry.inferred ? ' (inferred)' : ''}` : 'no country'}`,
      )
      results.demo_auto_first_name_right = merged.first_name
      results.demo_auto_phone_e164 = merged.phone
    }
  }

  /** A set of exports with its ground truth, mapped and unified as `unify suggest --apply` would. */
  const autoExportSet = async (
    label: string,
    dir: string,
    exportFiles: readonly { name: string; file: string; key: string }[],
    truthFile: string,
  ) => {
    const files = []
    for (const f of exportFiles)
      files.push({
        name: f.name,
        keyColumn: f.key,
        file: await toParquet(
          session,
          sql`select * from read_csv(${literal(join(dir, f.file))}, all_varchar = true)`,
          join(work, `${label}-${f.name}.parquet`),
        ),
      })
    const auto = await autoSources(session, files)
    const run = await unify(`${label}-auto`, auto.config, auto.sources)
    const result = await score(
      session,
      run.outDir,
      sql`select source, key, person_id as entity from read_csv(${literal(join(dir, truthFile))}, all_varchar = true)`,
    )
    const mapped = auto.sources
      .map(
        (s) =>
          `${s.name}: ${Object.entries(s.attributes)
            .map(([c, a]) => `${c}→${a}`)
            .join(' ')}`,
      )
      .join('; ')
    console.log(
      `${label} auto (${run.value.stats.sourceRecords.toLocaleString()} records; mapped ${mapped}): precision ${result.precision.toFixed(4)}, recall ${result.recall.toFixed(4)}, F1 ${result.f1.toFixed(4)}; ${result.entities} people → ${result.profiles} profiles; ${run.seconds.toFixed(2)} s; phones without a country code read as ${run.value.phoneCountry?.country ?? 'no country'}; ${describeModels(run.value.models)}`,
    )
    return result.f1
  }

  // Three exports with column names and formats of their own, households, in-source duplicates.
  if (wanted('exports')) {
    const exportsDir = join(work, 'exports')
    mkdirSync(exportsDir, { recursive: true })
    await generateExports(exportsDir)
    results.exports_auto_f1 = await autoExportSet('exports', exportsDir, EXPORT_FILES, 'ground-truth.csv')
  }

  // A second set of three exports, made from faker's locale data (eight countries).
  if (wanted('faker')) {
    const fakerDir = join(work, 'faker-exports')
    mkdirSync(fakerDir, { recursive: true })
    generateFakerExports(fakerDir)
    results.faker_exports_auto_f1 = await autoExportSet(
      'faker',
      fakerDir,
      FAKER_EXPORT_FILES,
      'faker-ground-truth.csv',
    )
  }

  const febrl = resolve(import.meta.dirname, '../../shared/data/febrl')
  if (!wanted('febrl')) {
    // left out (--only)
  } else if (!existsSync(febrl)) console.log(`FEBRL data not found at ${febrl}; skipped`)
  else {
    const read = (file: string) =>
      sql`select trim(rec_id) as rec_id, * exclude (rec_id) from read_csv(${literal(join(febrl, file))}, all_varchar = true, header = true)`
    const sets: { name: string; files: string[] }[] = [
      { name: 'febrl1', files: ['dataset1.csv'] },
      { name: 'febrl2', files: ['dataset2.csv'] },
      { name: 'febrl3', files: ['dataset3.csv'] },
      { name: 'febrl4', files: ['dataset4a.csv', 'dataset4b.csv'] },
    ]
    for (const withSocSec of [false, true]) {
      for (const set of sets) {
        const sources: UnifySourceInput[] = []
        for (const [i, file] of set.files.entries()) {
          // Trim the leading space after each comma, as the data set's README says.
          const parquet = await toParquet(
            session,
            sql`select columns(*)::varchar from (select trim(columns(*)) from (${read(file)}))`,
            join(work, `${set.name}-${i}.parquet`),
          )
          sources.push({
            name: `${set.name}_${i}`,
            files: [parquet],
            keyColumn: 'rec_id',
            attributes: febrlAttributes(withSocSec),
            types: await describeTypes(session, parquet),
          })
        }
        const config = febrlConfig(withSocSec)
        config.sources = Object.fromEntries(sources.map((s) => [s.name, { attributes: s.attributes }]))
        const run = await unify(`${set.name}-${withSocSec}`, config, sources)
        const truth = joinSql(
          sources.map(
            (s) =>
              sql`select ${literal(s.name)} as source, rec_id as key, regexp_extract(rec_id, 'rec-(\\d+)-', 1) as entity from read_parquet(${literal(s.files[0] as string)})`,
          ),
          ' union all ',
        )
        const result = await score(session, run.outDir, truth)
        const label = `${set.name}${withSocSec ? '+ssn' : ''}`
        console.log(
          `${label.padEnd(13)} (${run.value.stats.sourceRecords.toLocaleString()} records): precision ${result.precision.toFixed(4)}, recall ${result.recall.toFixed(4)}, F1 ${result.f1.toFixed(4)}; ${result.entities} people → ${result.profiles} profiles, ${(result.exactClusters * 100).toFixed(1)}% exact; ${run.seconds.toFixed(2)} s`,
        )
        results[`${label.replace('+', '_')}_f1`] = result.f1
      }
    }
    // Auto: the files as they are (every column; soc_sec_id included or left out), no rules.
    for (const withSocSec of [false, true]) {
      for (const set of sets) {
        const files = []
        for (const [i, file] of set.files.entries()) {
          const parquet = await toParquet(
            session,
            sql`select columns(*)::varchar from (select trim(columns(*)) from (select * ${withSocSec ? sql`` : sql`exclude (soc_sec_id)`} from (${read(file)})))`,
            join(work, `${set.name}-${i}-auto-${withSocSec}.parquet`),
          )
          files.push({ name: `${set.name}_${i}`, file: parquet, keyColumn: 'rec_id' })
        }
        const auto = await autoSources(session, files)
        const run = await unify(`${set.name}-auto-${withSocSec}`, auto.config, auto.sources)
        const truth = joinSql(
          files.map(
            (f) =>
              sql`select ${literal(f.name)} as source, rec_id as key, regexp_extract(rec_id, 'rec-(\\d+)-', 1) as entity from read_parquet(${literal(f.file)})`,
          ),
          ' union all ',
        )
        const result = await score(session, run.outDir, truth)
        const label = `${set.name}${withSocSec ? '+ssn' : ''} auto`
        console.log(
          `${label.padEnd(18)} (mapped ${Object.entries(auto.sources[0]?.attributes ?? {})
            .map(([c, a]) => `${c}→${a}`)
            .join(
              ' ',
            )}): precision ${result.precision.toFixed(4)}, recall ${result.recall.toFixed(4)}, F1 ${result.f1.toFixed(4)}; ${result.entities} people → ${result.profiles} profiles; ${run.seconds.toFixed(2)} s; ${describeModels(run.value.models)}`,
        )
        results[`${set.name}${withSocSec ? '_ssn' : ''}_auto_f1`] = result.f1
      }
    }
  }
  session.close()
  printResult(results)
} else {
  const records = argument('records', 1_000_000)
  const session = await SqlSession.open(duck)
  const file = join(work, `people-${records}.parquet`)
  if (!existsSync(file)) {
    console.log(`generating ${records.toLocaleString()} records (70% originals, 30% duplicates with typos)…`)
    // Typos: a dropped, doubled or swapped letter in a name; a dropped digit in a phone.
    await session.run(sql`copy (${generatedPeopleSql(records)}) to ${literal(file)} (format parquet)`)
  }
  const config = unifyConfigSchema.parse({
    defaultCountry: 'DK',
    sources: {
      people: {
        attributes: {
          first_name: 'FirstName',
          last_name: 'LastName',
          postcode: 'PostalCode',
          phone: 'Phone',
          email: 'Email',
        },
      },
    },
    rules: [
      { name: 'email', conditions: [{ attribute: 'Email', normalize: ['email'] }] },
      {
        name: 'phone and last name',
        conditions: [
          { attribute: 'Phone', normalize: ['phone'] },
          { attribute: 'LastName', normalize: ['name'], precision: 'fuzzy', threshold: 0.85 },
        ],
      },
      {
        name: 'postcode and names',
        conditions: [
          { attribute: 'PostalCode', normalize: ['numerals'] },
          { attribute: 'FirstName', normalize: ['name'], precision: 'fuzzy', threshold: 0.85 },
          { attribute: 'LastName', normalize: ['name'], precision: 'fuzzy', threshold: 0.9 },
        ],
      },
    ],
  })
  // The generated people as one source, for both runs.
  const people: UnifySourceInput[] = [
    {
      name: 'people',
      files: [file],
      keyColumn: 'record_id',
      attributes: config.sources.people!.attributes,
      types: await describeTypes(session, file),
    },
  ]
  const stopMemory = trackPeakMemory()
  const ours = await unify('speed', config, people)
  const peak = stopMemory()
  // The floor: the same blocked fuzzy comparison, written by hand, on the raw columns.
  const bare = await timed(async () => {
    const result = await session.value(sql`
      select count(*) from read_parquet(${literal(file)}) a join read_parquet(${literal(file)}) b
        on a.postcode = b.postcode and a.record_id < b.record_id
      where jaro_winkler_similarity(a.first_name, b.first_name) >= 0.85 and jaro_winkler_similarity(a.last_name, b.last_name) >= 0.9`)
    return Number(result)
  })
  const quality = await score(
    session,
    ours.outDir,
    sql`select 'people' as source, record_id::varchar as key, person::varchar as entity from read_parquet(${literal(file)})`,
  )
  // The same records with no rules written: one probabilistic rule, estimated on this data
  // (blocking, random pairs, EM, scoring) within the same run.
  const probabilistic = unifyConfigSchema.parse({
    ...config,
    rules: [{ name: 'model', probabilistic: {} }],
  })
  const auto = await unify('speed-auto', probabilistic, people)
  const autoQuality = await score(
    session,
    auto.outDir,
    sql`select 'people' as source, record_id::varchar as key, person::varchar as entity from read_parquet(${literal(file)})`,
  )
  const autoRatio = auto.seconds / bare.seconds
  console.log(
    `probabilistic (no rules, model estimated in the run): ${auto.seconds.toFixed(1)} s, F1 ${autoQuality.f1.toFixed(4)}, ratio ${autoRatio.toFixed(2)} to the bare join (goals ≤ 60 s, ≤ 4); ${describeModels(auto.value.models)}`,
  )
  const at = auto.value.stats
  console.log(
    `probabilistic phases: map and normalise ${at.mapMs} ms, match (estimate and score) ${at.matchMs} ms, cluster ${at.clusterMs} ms (${at.clusteringRounds} rounds), merge+write ${at.mergeMs} ms`,
  )
  const ratio = ours.seconds / bare.seconds
  const st = ours.value.stats
  console.log(
    `phases: map and normalise ${st.mapMs} ms, match ${st.matchMs} ms, cluster ${st.clusterMs} ms (${st.clusteringRounds} rounds), merge+write ${st.mergeMs} ms`,
  )
  console.log(
    `${records.toLocaleString()} records: unify ${ours.seconds.toFixed(1)} s (${ours.value.stats.unifiedProfiles.toLocaleString()} profiles, ${ours.value.stats.matchPairs.toLocaleString()} pairs, F1 ${quality.f1.toFixed(4)}), peak RSS ${peak} MB; bare blocked jaro_winkler self-join ${bare.seconds.toFixed(1)} s (${bare.value.toLocaleString()} pairs); ratio ${ratio.toFixed(2)} (goals ≤ 60 s, ≤ 3)`,
  )
  session.close()
  printResult({
    records,
    seconds: ours.seconds,
    bare_seconds: bare.seconds,
    ratio,
    peak_mb: peak,
    f1: quality.f1,
    auto_seconds: auto.seconds,
    auto_ratio: autoRatio,
    auto_f1: autoQuality.f1,
  })
}
process.exit(0)
