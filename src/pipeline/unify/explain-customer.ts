import { notFound } from '../../errors.js'
import type { JsonValue } from '../../query/index.js'
import { type DuckDb, ident, join, param, sql } from '../../query/index.js'
import type { Db } from '../../store/database.js'
import { type Entity, getEntity } from '../../store/entities.js'
import { queryEntityRows } from '../entity-reader.js'

export interface CustomerExplanation {
  customer: Record<string, JsonValue>
  /** The source records that form the profile, each as it is in its source. */
  records: { source: string; key: string; record: Record<string, JsonValue> | null }[]
  /** The pairs that joined them: which rule, and how similar the compared values were. */
  matches: {
    sourceA: string
    keyA: string
    sourceB: string
    keyB: string
    rule: string
    score: number
    similarities: string | null
  }[]
}

async function rowsWhere(
  duck: DuckDb,
  entity: Entity,
  column: string,
  values: readonly string[],
): Promise<Record<string, JsonValue>[]> {
  if (values.length === 0) return []
  const { rows } = await queryEntityRows(duck, entity.current, {
    select: entity.current.schema.map((c) => c.name),
    where: sql`cast(${ident(column)} as varchar) in (${join(values.map(param))})`,
    orderBy: [],
    limit: 10_000,
    offset: 0,
    count: false,
  })
  return rows
}

/** Which records make up a customer profile, and which rules and scores joined them. */
export async function explainCustomer(
  db: Db,
  duck: DuckDb,
  instanceId: string,
  customerId: string,
): Promise<CustomerExplanation> {
  const [profiles, keys, pairs] = await Promise.all(
    ['UnifiedCustomer', 'CustomerSourceKeys', 'MatchPairs'].map((name) => getEntity(db, instanceId, name)),
  )
  if (!profiles || !keys || !pairs) throw notFound('Unified profiles of instance', instanceId)
  const [customer] = await rowsWhere(duck, profiles, 'CustomerId', [customerId])
  if (!customer) throw notFound('Customer', customerId)
  const members = await rowsWhere(duck, keys, 'CustomerId', [customerId])
  const records: CustomerExplanation['records'] = []
  const bySource = new Map<string, string[]>()
  for (const m of members)
    bySource.set(String(m.SourceName), [...(bySource.get(String(m.SourceName)) ?? []), String(m.SourceKey)])
  for (const [source, sourceKeys] of bySource) {
    const entity = await getEntity(db, instanceId, source)
    const keyColumn = entity?.current.keyColumn
    const rows = entity && keyColumn ? await rowsWhere(duck, entity, keyColumn, sourceKeys) : []
    const byKey = new Map(rows.map((r) => [String(r[keyColumn as string]), r]))
    for (const key of sourceKeys.sort()) records.push({ source, key, record: byKey.get(key) ?? null })
  }
  const matches = (await rowsWhere(duck, pairs, 'CustomerId', [customerId])).map((p) => ({
    sourceA: String(p.SourceA),
    keyA: String(p.KeyA),
    sourceB: String(p.SourceB),
    keyB: String(p.KeyB),
    rule: String(p.Rule),
    score: Number(p.Score),
    similarities: p.Similarities === null ? null : String(p.Similarities),
  }))
  return { customer, records, matches }
}
