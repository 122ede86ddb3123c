import { sql } from 'kysely'
import { type DbOrTx, prepared } from './database.js'
import type { FlowRunActionRow } from './tables.js'

/** A finished action's record, for the run it belongs to. */
export type RunActionRecord = { runId: string; record: Omit<ActionRecord, 'durationMs'> }

export interface ActionRecord {
  path: string
  name: string
  type: string
  status: 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut'
  inputs: unknown
  outputs: unknown
  error: { code: string; message: string } | null
  attempts: number
  startedAt: string
  completedAt: string
  durationMs: number
}

function toActionRecord(row: FlowRunActionRow): ActionRecord {
  return {
    path: row.path,
    name: row.name,
    type: row.type,
    status: row.status,
    inputs: row.inputs,
    outputs: row.outputs,
    error: row.error as ActionRecord['error'],
    attempts: row.attempts,
    startedAt: row.started_at.toISOString(),
    completedAt: row.completed_at.toISOString(),
    durationMs: row.completed_at.getTime() - row.started_at.getTime(),
  }
}

/** Records a finished action once; a second record of the same path (a resumed run) is ignored. */
export async function recordAction(
  db: DbOrTx,
  runId: string,
  record: Omit<ActionRecord, 'durationMs'>,
): Promise<void> {
  await recordActions(db, [{ runId, record }])
}

/** Records finished actions of any runs in one statement (see recordAction). */
export async function recordActions(db: DbOrTx, records: RunActionRecord[]): Promise<void> {
  if (records.length === 0) return
  await prepared(insertActionRecords(records)).execute(db)
}

export function insertActionRecords(records: RunActionRecord[]) {
  const column = <T>(pick: (record: Omit<ActionRecord, 'durationMs'>) => T) =>
    records.map(({ record }) => pick(record))
  return sql`
    insert into flow_run_actions
      (run_id, path, name, type, status, inputs, outputs, error, attempts, started_at, completed_at)
    select * from unnest(${records.map((r) => r.runId)}::text[], ${column((r) => r.path)}::text[],
      ${column((r) => r.name)}::text[], ${column((r) => r.type)}::text[], ${column((r) => r.status)}::text[],
      ${column((r) => JSON.stringify(r.inputs ?? null))}::jsonb[], ${column((r) => JSON.stringify(r.outputs ?? null))}::jsonb[],
      ${column((r) => JSON.stringify(r.error ?? null))}::jsonb[], ${column((r) => r.attempts)}::int[],
      ${column((r) => r.startedAt)}::timestamptz[], ${column((r) => r.completedAt)}::timestamptz[])
    on conflict (run_id, path) do nothing`
}

export async function listActionRecords(db: DbOrTx, runId: string): Promise<ActionRecord[]> {
  const rows = await db
    .selectFrom('flow_run_actions')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('started_at')
    .orderBy('path')
    .execute()
  return rows.map(toActionRecord)
}
