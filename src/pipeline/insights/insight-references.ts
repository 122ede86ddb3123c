import { AppError } from '../../errors.js'
import { nearestName, unknownName } from '../../names.js'
import type { FilterExpression } from '../../query/index.js'
import { filterToSql, parseFilter } from '../../query/index.js'
import { listDataSources } from '../../store/data-sources.js'
import type { DbOrTx } from '../../store/database.js'
import { listEntities } from '../../store/entities.js'
import type { ColumnSchema } from '../../store/tables.js'
import { getUnifyConfig } from '../../store/unify.js'
import type { MeasureConfig } from '../measures/measure-config.js'
import type { SegmentConfig } from '../segments/segment-config.js'

/** A reference that does not resolve: where it is, what is wrong, and how to fix it. */
export interface ReferenceProblem {
  path: (string | number)[]
  message: string
  fix: string
}

/** What measures and segments may refer to: entities (with columns once published) and the profile. */
export interface InsightCatalog {
  /** Every entity by name: its columns when published, undefined for a data source not refreshed yet. */
  entities: ReadonlyMap<string, ColumnSchema[] | undefined>
  /** UnifiedCustomer's columns when published, else the attributes unify maps (types unknown). */
  profile: { columns: ColumnSchema[]; typed: boolean } | undefined
}

/**
 * The catalog of an instance as it stands: published entities with their current columns, data
 * sources that will publish one, and the profile's columns (or, before the first unification,
 * the attribute names its unify section maps).
 */
export async function insightCatalog(
  db: DbOrTx,
  instanceId: string,
  context: {
    dataSources: Iterable<string>
    unify: { sources: Record<string, { attributes: Record<string, string> }> } | undefined
  },
): Promise<InsightCatalog> {
  const entities = new Map<string, ColumnSchema[] | undefined>()
  for (const name of context.dataSources) entities.set(name, undefined)
  for (const entity of await listEntities(db, instanceId)) entities.set(entity.name, entity.current.schema)
  const published = entities.get('UnifiedCustomer')
  let profile: InsightCatalog['profile']
  if (published) profile = { columns: published, typed: true }
  else if (context.unify) {
    const attributes = new Set(['CustomerId'])
    for (const source of Object.values(context.unify.sources))
      for (const attribute of Object.values(source.attributes)) attributes.add(attribute)
    profile = { columns: [...attributes].map((name) => ({ name, type: 'VARCHAR' })), typed: false }
  }
  return { entities, profile }
}

/**
 * Every reference of measures and segments that does not resolve against the catalog: entities,
 * their columns (aggregated, grouped by, windowed, linking to customers) and the properties of
 * every filter (checked with their types once the entity is published), each with the nearest
 * name when it looks like a typo. Columns of an entity not published yet are checked at its run.
 */
export function insightReferenceProblems(
  config: { measures: Record<string, MeasureConfig>; segments: Record<string, SegmentConfig> },
  catalog: InsightCatalog,
): ReferenceProblem[] {
  const problems: ReferenceProblem[] = []
  const entityNames = [...catalog.entities.keys()].sort()
  const entity = (path: (string | number)[], name: string | undefined) => {
    if (name === undefined) return undefined
    if (!catalog.entities.has(name)) {
      problems.push({
        path,
        message: unknownName('entity', name, entityNames, 'entities'),
        fix: `name an entity or data source, e.g. ${entityNames[0] ?? 'crm_contacts'}`,
      })
      return undefined
    }
    return catalog.entities.get(name)
  }
  const column = (
    path: (string | number)[],
    columns: ColumnSchema[] | undefined,
    name: string | undefined,
  ) => {
    if (!columns || name === undefined || columns.some((c) => c.name === name)) return
    const names = columns.map((c) => c.name)
    problems.push({
      path,
      message: unknownName('column', name, names),
      fix: `use one of the entity's columns${nearestName(name, names) ? '' : `, e.g. ${names[0]}`}`,
    })
  }
  const filter = (
    path: (string | number)[],
    text: string | undefined,
    columns: ColumnSchema[] | undefined,
    typed = true,
  ) => {
    if (text === undefined || !columns) return
    let parsed: FilterExpression
    try {
      parsed = parseFilter(text, 'filter')
    } catch {
      return // The document's own validation reports syntax.
    }
    if (!typed) {
      const names = columns.map((c) => c.name)
      for (const property of properties(parsed))
        if (!names.some((n) => n.toLowerCase() === property.toLowerCase()))
          problems.push({
            path,
            message: `unknown property '${property}'${nearestName(property, names) ? `; did you mean '${nearestName(property, names)}'?` : ''} (the profile has ${names.join(', ')})`,
            fix: 'use a profile attribute, a customer measure or an activity of the segment',
          })
      return
    }
    try {
      filterToSql(parsed, columns, 'filter', 'inline')
    } catch (error) {
      problems.push({
        path,
        message: (error as Error).message,
        fix: "write a filter over the entity's columns, e.g. Country eq 'DK'",
      })
    }
  }

  for (const [name, measure] of Object.entries(config.measures)) {
    if (measure.sql !== undefined) continue // Checked against the entities when it runs.
    const path = ['measures', name]
    const columns = entity([...path, 'entity'], measure.entity)
    column([...path, 'column'], columns, measure.column)
    column([...path, 'groupBy'], columns, measure.groupBy)
    column([...path, 'window', 'column'], columns, measure.window?.column)
    column([...path, 'customer', 'column'], columns, measure.customer?.column)
    filter([...path, 'filter'], measure.filter, columns)
  }
  const customerMeasures = Object.entries(config.measures)
    .filter(([, m]) => m.kind === 'customer')
    .map(([name]): ColumnSchema => ({ name, type: 'DOUBLE' }))
  for (const [name, segment] of Object.entries(config.segments)) {
    const path = ['segments', name]
    for (const [activityName, activity] of Object.entries(segment.activities)) {
      const at = [...path, 'activities', activityName]
      const columns = entity([...at, 'entity'], activity.entity)
      column([...at, 'dateColumn'], columns, activity.dateColumn)
      column([...at, 'customer', 'column'], columns, activity.customer?.column)
      filter([...at, 'filter'], activity.filter, columns)
    }
    if (segment.filter === undefined) continue
    // Without unification yet there is no profile to check against: the run says so.
    if (!catalog.profile) continue
    const activities = Object.keys(segment.activities).map((a): ColumnSchema => ({ name: a, type: 'BIGINT' }))
    filter(
      [...path, 'filter'],
      segment.filter,
      [...catalog.profile.columns, ...customerMeasures, ...activities],
      catalog.profile.typed,
    )
  }
  return problems
}

/** The property names a filter uses. */
function properties(expression: FilterExpression): string[] {
  switch (expression.kind) {
    case 'property':
      return [expression.name]
    case 'compare':
    case 'and':
    case 'or':
    case 'arithmetic':
      return [...properties(expression.left), ...properties(expression.right)]
    case 'not':
    case 'negate':
      return properties(expression.operand)
    case 'call':
      return expression.args.flatMap(properties)
    case 'in':
      return [...properties(expression.operand), ...expression.list.flatMap(properties)]
    default:
      return []
  }
}

type InsightDefinitions = { measures: Record<string, MeasureConfig>; segments: Record<string, SegmentConfig> }

/**
 * Refuses a change of measures and segments (InvalidReference, naming the path and the nearest
 * name) that leaves a reference unresolved in the instance as it stands: in what it adds or
 * changes, or in what stays (a segment whose measure it deletes). A problem that was there before
 * the change is not this change's doing and does not stop it.
 */
export async function assertInsightReferences(
  db: DbOrTx,
  instanceId: string,
  before: InsightDefinitions,
  after: InsightDefinitions,
): Promise<void> {
  const sources = await listDataSources(db, instanceId)
  const unify = (await getUnifyConfig(db, instanceId)) as Parameters<typeof insightCatalog>[2]['unify']
  const catalog = await insightCatalog(db, instanceId, { dataSources: sources.map((s) => s.name), unify })
  const key = (p: ReferenceProblem) => `${p.path.join('.')}\u0000${p.message}`
  const known = new Set(insightReferenceProblems(before, catalog).map(key))
  const problems = insightReferenceProblems(after, catalog).filter((p) => !known.has(key(p)))
  const first = problems[0]
  if (!first) return
  const path = first.path.join('.')
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
  throw new AppError('InvalidReference', `${path}: ${first.message}; fix: ${first.fix}${more}`, {
    target: path,
  })
}
