import { sql } from 'kysely'
import { type DbOrTx, prepared } from './database.js'
import { storableJson } from './safe-values.js'
import { sameJson } from './stable-json.js'

/** The unify configurations of several instances (those that have one), in one query. */
export async function getUnifyConfigs(
  db: DbOrTx,
  instanceIds: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  if (instanceIds.length === 0) return new Map()
  // Prepared (one text whatever the number of instances): asked for every batch of events.
  const { rows } = await prepared(
    sql<{ instance_id: string; config: Record<string, unknown> }>`
      select instance_id, config from unify_configs where instance_id = any(${[...instanceIds]}::text[])`,
  ).execute(db)
  return new Map(rows.map((r) => [r.instance_id, r.config]))
}

export async function getUnifyConfig(
  db: DbOrTx,
  instanceId: string,
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('unify_configs')
    .select('config')
    .where('instance_id', '=', instanceId)
    .executeTakeFirst()
  return row?.config
}

/** Stores the unify section; returns whether it changed. */
export async function putUnifyConfig(
  db: DbOrTx,
  instanceId: string,
  config: Record<string, unknown>,
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await getUnifyConfig(db, instanceId)
  if (existing && sameJson(existing, config)) return 'unchanged'
  await db
    .insertInto('unify_configs')
    .values({ instance_id: instanceId, config: storableJson(config) })
    .onConflict((oc) =>
      oc.column('instance_id').doUpdateSet({ config: storableJson(config), updated_at: sql`now()` }),
    )
    .execute()
  return existing ? 'updated' : 'created'
}

export async function deleteUnifyConfig(db: DbOrTx, instanceId: string): Promise<boolean> {
  const result = await db.deleteFrom('unify_configs').where('instance_id', '=', instanceId).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** A person's answer from the review queue: are these two records the same customer? */
export interface UnifyLabel {
  sourceA: string
  keyA: string
  sourceB: string
  keyB: string
  sameCustomer: boolean
  labelledBy: string | null
  createdAt: string
}

/** The two records of a pair in the order they are stored: by source, then key. */
export function orderedPair(
  a: { source: string; key: string },
  b: { source: string; key: string },
): { sourceA: string; keyA: string; sourceB: string; keyB: string } {
  const first = a.source < b.source || (a.source === b.source && a.key < b.key)
  const [x, y] = first ? [a, b] : [b, a]
  return { sourceA: x.source, keyA: x.key, sourceB: y.source, keyB: y.key }
}

/** Stores (or changes) the answer for a pair of records. */
export async function putUnifyLabel(
  db: DbOrTx,
  instanceId: string,
  label: Omit<UnifyLabel, 'createdAt'>,
): Promise<void> {
  const pair = orderedPair(
    { source: label.sourceA, key: label.keyA },
    { source: label.sourceB, key: label.keyB },
  )
  const row = {
    instance_id: instanceId,
    source_a: pair.sourceA,
    key_a: pair.keyA,
    source_b: pair.sourceB,
    key_b: pair.keyB,
    same_customer: label.sameCustomer,
    labelled_by: label.labelledBy,
  }
  await db
    .insertInto('unify_labels')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['instance_id', 'source_a', 'key_a', 'source_b', 'key_b']).doUpdateSet({
        same_customer: row.same_customer,
        labelled_by: row.labelled_by,
        created_at: sql`now()`,
      }),
    )
    .execute()
}

export async function listUnifyLabels(db: DbOrTx, instanceId: string): Promise<UnifyLabel[]> {
  const rows = await db
    .selectFrom('unify_labels')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('created_at', 'desc')
    .execute()
  return rows.map((r) => ({
    sourceA: r.source_a,
    keyA: r.key_a,
    sourceB: r.source_b,
    keyB: r.key_b,
    sameCustomer: r.same_customer,
    labelledBy: r.labelled_by,
    createdAt: new Date(r.created_at as unknown as string).toISOString(),
  }))
}
