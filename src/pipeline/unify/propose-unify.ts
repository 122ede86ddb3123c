import { AppError } from '../../errors.js'
import { type DuckDb, SqlSession } from '../../query/index.js'
import { listDataSources } from '../../store/data-sources.js'
import type { Db } from '../../store/database.js'
import { getEntity } from '../../store/entities.js'
import { getUnifyConfig } from '../../store/unify.js'
import { versionFiles } from '../entity-reader.js'
import { countryVotes, inferCountry } from './phone-numbers.js'
import { type ColumnSuggestion, suggestMapping, suggestRules } from './suggest-mapping.js'
import { type UnifyConfig, unifyConfigSchema } from './unify-config.js'

/** Suggestions below this confidence are shown but not applied. */
export const APPLY_CONFIDENCE = 0.6

export interface UnifyProposal {
  /** Per data source: each column's suggested attribute with confidence and reason. */
  sources: Record<string, { columns: ColumnSuggestion[]; updatedAt: string | undefined; published: boolean }>
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
  for (const source of await listDataSources(db, instanceId)) {
    const entity = await getEntity(db, instanceId, source.name)
    if (!entity) {
      sources[source.name] = { columns: [], updatedAt: undefined, published: false }
      continue
    }
    const suggestion = await suggestMapping(duck, entity)
    sources[source.name] = { ...suggestion, published: true }
    if (mappings[source.name]) continue
    const attributes = Object.fromEntries(
      suggestion.columns.filter((c) => c.confidence >= APPLY_CONFIDENCE).map((c) => [c.column, c.attribute]),
    )
    if (Object.keys(attributes).length === 0) continue
    mappings[source.name] = {
      attributes,
      ...(suggestion.updatedAt ? { updatedAt: suggestion.updatedAt } : {}),
    }
  }
  const mapped = new Set(Object.values(mappings).flatMap((m) => Object.values(m.attributes)))
  const suggested = suggestRules(mapped)
  // Numbers written without a country code are read as numbers of the country the data is from.
  const defaultCountry =
    current?.defaultCountry ?? (await inferDefaultCountry(db, duck, instanceId, mappings))
  const parsed = unifyConfigSchema.safeParse({
    ...(defaultCountry ? { defaultCountry } : {}),
    sources: mappings,
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
  return { sources, unify: parsed.data }
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
