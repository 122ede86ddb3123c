import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import { type DbOrTx, prepared } from './database.js'
import { storableJson } from './safe-values.js'
import { sameJson } from './stable-json.js'
import type { FlowsTable } from './tables.js'

/** A trigger some subscription or flow uses: its event type and parameters as stored. */
export interface TriggerUse {
  eventType: string
  parameters: Record<string, unknown>
}

export interface StoredFlow {
  instanceId: string
  name: string
  definition: Record<string, unknown>
  enabled: boolean
  origin: string
  createdAt: string
  updatedAt: string
}

export async function putFlow(
  db: DbOrTx,
  flow: {
    instanceId: string
    name: string
    definition: Record<string, unknown>
    enabled: boolean
    origin: string
  },
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await getFlow(db, flow.instanceId, flow.name)
  if (existing && sameJson(existing.definition, flow.definition) && existing.enabled === flow.enabled)
    return 'unchanged'
  const values = { definition: storableJson(flow.definition), enabled: flow.enabled, origin: flow.origin }
  await db
    .insertInto('flows')
    .values({ instance_id: flow.instanceId, name: flow.name, ...values })
    .onConflict((oc) =>
      oc.columns(['instance_id', 'name']).doUpdateSet({ ...values, updated_at: sql`now()` }),
    )
    .execute()
  return existing ? 'updated' : 'created'
}

export async function getFlow(db: DbOrTx, instanceId: string, name: string): Promise<StoredFlow | undefined> {
  const row = await db
    .selectFrom('flows')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst()
  return row ? toFlow(row) : undefined
}

export async function listFlows(db: DbOrTx, instanceId: string): Promise<StoredFlow[]> {
  // Prepared: the dispatcher asks this for every batch of events (planning was half its cost).
  const { rows } = await prepared(
    sql<Selectable<FlowsTable>>`select * from flows where instance_id = ${instanceId} order by name`,
  ).execute(db)
  return rows.map(toFlow)
}

export async function deleteFlow(db: DbOrTx, instanceId: string, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('flows')
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

function toFlow(row: {
  instance_id: string
  name: string
  definition: Record<string, unknown>
  enabled: boolean
  origin: string
  created_at: Date
  updated_at: Date
}): StoredFlow {
  return {
    instanceId: row.instance_id,
    name: row.name,
    definition: row.definition,
    enabled: row.enabled,
    origin: row.origin,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** The triggers of an instance's enabled flows: their event types and parameters. */
export async function enabledFlowTriggers(db: DbOrTx, instanceId: string): Promise<TriggerUse[]> {
  const flows = await listFlows(db, instanceId)
  return flows.flatMap((flow) => {
    const trigger = flow.definition.trigger as
      | { type?: string; parameters?: Record<string, unknown> }
      | undefined
    return flow.enabled && trigger?.type && trigger.type !== 'Recurrence'
      ? [{ eventType: trigger.type, parameters: trigger.parameters ?? {} }]
      : []
  })
}

/** Every instance's enabled flows that run on a schedule (a Recurrence trigger). */
export async function listScheduledFlows(db: DbOrTx): Promise<StoredFlow[]> {
  const rows = await db
    .selectFrom('flows')
    .selectAll()
    .where('enabled', '=', true)
    .where(sql<string>`definition->'trigger'->>'type'`, '=', 'Recurrence')
    .execute()
  return rows.map(toFlow)
}
