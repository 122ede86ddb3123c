import { AppError } from '../../errors.js'
import { type DuckDb, SqlSession } from '../../query/index.js'
import { listDataSources } from '../../store/data-sources.js'
import type { Db } from '../../store/database.js'
import { type Entity, getEntity } from '../../store/entities.js'
import { getUnifyConfig } from '../../store/unify.js'
import { versionFiles } from '../entity-reader.js'
import { countryVotes, inferCountry } from './phone-numbers.js'
import { type ActivitySuggestion, suggestActivities } from './suggest-activities.js'
import { APPLY_CONFIDENCE, type ColumnSuggestion, suggestMapping, suggestRules } from './suggest-mapping.js'
import { type UnifyConfig, unifyConfigSchema } from './unify-config.js'

export { APPLY_CONFIDENCE }

export interface UnifyProposal {
  /** Per data source: each column's suggested attribute with confidence and reason. */
  sources: Record<string, { columns: ColumnSuggestion[]; updatedAt: string | undefined; published: boolean }>
  /** Sources whose rows are activities of customers (orders, visits), with their link and why. */
  activities: ActivitySuggestion[]
  /** The unify section these suggestions make, keeping what is configured already. */
  unify: UnifyConfig
}

/**
 * Maps every published data source's columns to profile attributes (from names and values), and
 * proposes match rules and merge policies for what gets mapped. Mappings and rules already in
 * the configuration are kept; suggestions fill in sources that have none.
 */
export async function proposeUnify(db: Db, duck: DuckDb, instanceId: string): Promise<UnifyProposal> {
  const existing = await getUnifyConfig(db, instanceId)
  const current = existing ? unifyConfigSchema.parse(existing) : undefined
  const sources: UnifyProposal['sources'] = {}
  const mappings: UnifyConfig['sources'] = { ...(current?.sources ?? {}) }
  const entities = new Map<string, Entity>()
  for (const source of await listDataSources(db, instanceId)) {
    const entity = await getEntity(db, instanceId, source.name)
    if (!entity) {
      sources[source.name] = { columns: [], updatedAt: undefined, published: false }
      continue
    }
    entities.set(source.name, entity)
    sources[source.name] = { ...(await suggestMapping(duck, entity)), published: true }
  }
  // Activities (orders of customers another source holds) are linked, never unified as people.
  const configured = new Set([...Object.keys(mappings), ...Object.keys(current?.activities ?? {})])
  const activities = (
    await suggestActivities(
      duck,
      entities,
      new Map(Object.entries(sources).map(([name, s]) => [name, s.columns])),
    )
  ).filter((a) => !configured.has(a.source) && !('source' in a.customer && a.customer.source === a.source))
  const activityOf = new Map(activities.map((a) => [a.source, a]))
  for (const [name, suggestion] of Object.entries(sources)) {
    if (!suggestion.published || mappings[name] || activityOf.has(name)) continue
    const attributes = Object.fromEntries(
      suggestion.columns.filter((c) => c.confidence >= APPLY_CONFIDENCE).map((c) => [c.column, c.attribute]),
    )
    if (Object.keys(attributes).length === 0) continue
    mappings[name] = {
      attributes,
      ...(suggestion.updatedAt ? { updatedAt: suggestion.updatedAt } : {}),
    }
  }
  // An activity linked to a source that ends up unmapped has nothing to reach.
  const applied = activities.filter((a) => !('source' in a.customer) || a.customer.source in mappings)
  const mapped = new Set(Object.values(mappings).flatMap((m) => Object.values(m.attributes)))
  const suggested = suggestRules(mapped)
  // Numbers written without a country code are read as numbers of the country the data is from.
  const defaultCountry =
    current?.defaultCountry ?? (await inferDefaultCountry(db, duck, instanceId, mappings))
  const parsed = unifyConfigSchema.safeParse({
    ...(defaultCountry ? { defaultCountry } : {}),
    sources: mappings,
    activities: {
      ...(current?.activities ?? {}),
      ...Object.fromEntries(
        applied.map((a) => [
          a.source,
          { customer: a.customer, ...(a.dateColumn ? { dateColumn: a.dateColumn } : {}) },
        ]),
      ),
    },
    rules: current?.rules.length ? current.rules : suggested.rules,
    merge: current?.merge ?? suggested.merge,
  })
  if (!parsed.success) {
    throw new AppError(
      'NothingToUnify',
      'no columns of the published data sources were recognised as names, emails, phones or addresses; map them by hand under unify.sources',
      { target: 'unify' },
    )
  }
  return { sources, activities: applied, unify: parsed.data }
}

/** The country most mapped phone numbers and Country values name, if one clearly leads. */
async function inferDefaultCountry(
  db: Db,
  duck: DuckDb,
  instanceId: string,
  mappings: UnifyConfig['sources'],
): Promise<string | undefined> {
  const votes: [string | undefined, number][] = []
  const session = await SqlSession.open(duck)
  try {
    for (const [name, mapping] of Object.entries(mappings)) {
      const columnOf = (attribute: string) =>
        Object.entries(mapping.attributes).find(([, a]) => a === attribute)?.[0]
      const phone = columnOf('Phone')
      if (!phone) continue
      const entity = await getEntity(db, instanceId, name)
      if (!entity) continue
      votes.push(
        ...(await countryVotes(session, versionFiles(entity.current), {
          phone,
          country: columnOf('Country'),
        })),
      )
    }
  } finally {
    session.close()
  }
  return inferCountry(votes)?.country
}
