import { type DuckDb, ident, literalList, SqlSession, sql } from '../../query/index.js'
import type { Entity } from '../../store/entities.js'
import { versionFiles } from '../entity-reader.js'
import { APPLY_CONFIDENCE, type ColumnSuggestion } from './suggest-mapping.js'
import type { ActivityLink } from './unify-config.js'

/** A source proposed as activities (orders, visits, events) rather than people. */
export interface ActivitySuggestion {
  source: string
  customer: ActivityLink
  dateColumn: string | undefined
  reason: string
}

/** Column names that hold a customer's key in a file of activities. */
const CUSTOMER_KEY =
  /^(customer|client|kunde|kunden|cliente|klant|kund|asiakas|member|contact|account|user|person|buyer|shopper|patient|guest)[ _-]?(id|no|nr|num|number|key|ref|code|nummer|numero)?$/i
const NAMES = new Set(['FirstName', 'LastName', 'FullName'])
/** Share of a column's distinct values another source must hold for it to be that source's key. */
const REFERENCED = 0.8

/** "CustomerID", "customer-no", "kunde_nr" → words apart, for CUSTOMER_KEY. */
const isCustomerKey = (name: string) => CUSTOMER_KEY.test(name.replace(/([a-z])([A-Z])/g, '$1_$2').trim())

/**
 * Sources whose rows are activities of customers held elsewhere: their rows repeat a customer key
 * (on average 1.5 rows or more per value) that is another source's primary key (80 % or more of
 * its values found there; if the rows name people themselves, that source must name people too),
 * or an email address the other sources hold while the rows name no person themselves. Such a source is linked to profiles by that key and never unified as people
 * (an order file with 600 orders of 150 customers makes 150 profiles, not 750).
 */
export async function suggestActivities(
  duck: DuckDb,
  entities: ReadonlyMap<string, Entity>,
  columns: ReadonlyMap<string, readonly ColumnSuggestion[]>,
): Promise<ActivitySuggestion[]> {
  const session = await SqlSession.open(duck)
  const found: ActivitySuggestion[] = []
  try {
    const peopleIn = (source: string) =>
      (columns.get(source) ?? []).some((c) => NAMES.has(c.attribute) && c.confidence >= APPLY_CONFIDENCE)
    const read = (entity: Entity) => sql`read_parquet(${literalList(versionFiles(entity.current))})`
    for (const [name, entity] of entities) {
      const suggested = columns.get(name) ?? []
      const attributeOf = (column: string) =>
        suggested.find((c) => c.column === column && c.confidence >= APPLY_CONFIDENCE)?.attribute
      const namesPeople = peopleIn(name)
      const candidates = entity.current.schema
        .map((c) => c.name)
        .filter((c) => c !== entity.current.keyColumn)
        .filter((c) => isCustomerKey(c) || (attributeOf(c) === 'Email' && !namesPeople))
      let best: (ActivitySuggestion & { share: number }) | undefined
      for (const column of candidates) {
        const email = attributeOf(column) === 'Email'
        const normal = (x: ReturnType<typeof ident>) =>
          email
            ? sql`nullif(lower(trim(cast(${x} as varchar))), '')`
            : sql`nullif(trim(cast(${x} as varchar)), '')`
        const value = normal(ident(column))
        const [counts] = await session.rows<{ n: bigint; d: bigint }>(
          sql`select count(${value}) as n, count(distinct ${value}) as d from ${read(entity)}`,
        )
        const n = Number(counts?.n ?? 0)
        const d = Number(counts?.d ?? 0)
        if (n < 10 || d === 0 || n / d < 1.5) continue
        for (const [other, target] of entities) {
          // Rows that name people of their own are activities only of a source that names people
          // too (orders that copy the customer's name); contacts that point to accounts are people.
          if (other === name || (namesPeople && !peopleIn(other))) continue
          // The other source's primary key, or (for an email) its email columns.
          const targets = email
            ? (columns.get(other) ?? []).filter((c) => c.attribute === 'Email').map((c) => c.column)
            : target.current.keyColumn
              ? [target.current.keyColumn]
              : []
          for (const targetColumn of targets) {
            const [overlap] = await session.rows<{ share: number }>(
              sql`select count(*) filter (where v in (select ${normal(ident(targetColumn))} from ${read(target)})) / greatest(count(*), 1) as share
                from (select distinct ${normal(ident(column))} as v from ${read(entity)}) where v is not null`,
            )
            const share = Number(overlap?.share ?? 0)
            if (share < REFERENCED || (best && best.share >= share)) continue
            best = {
              source: name,
              customer: email ? { attribute: 'Email', column } : { source: other, column },
              dateColumn: dateColumnOf(entity, suggested),
              share,
              reason: `its ${n.toLocaleString('en')} rows repeat ${column} (${d.toLocaleString('en')} values, ${(n / d).toFixed(1)} rows each), and ${Math.round(share * 100)}% of those values are ${email ? `email addresses in ${other}.${targetColumn}` : `keys of ${other} (${targetColumn})`}`,
            }
          }
        }
      }
      if (best) {
        const { share: _share, ...suggestion } = best
        found.push(suggestion)
      }
    }
  } finally {
    session.close()
  }
  return found
}

/** When each activity happened: a date or timestamp column that is not a birth date. */
function dateColumnOf(entity: Entity, suggested: readonly ColumnSuggestion[]): string | undefined {
  const birth = new Set(suggested.filter((c) => c.attribute === 'DateOfBirth').map((c) => c.column))
  const columns = entity.current.schema.filter((c) => !birth.has(c.name))
  return (
    columns.find((c) => /^(DATE|TIMESTAMP)/i.test(c.type))?.name ??
    columns.find((c) => /(date|time|_at$|dato|datum|fecha)/i.test(c.name))?.name
  )
}
