import type { DbOrTx } from './database.js'
import type { StatusReportRow } from './tables.js'

/** What a flow reported about one of its runs ("Send status report"). */
export interface StatusReport {
  id: string
  instanceId: string
  runId: string
  flowName: string | null
  status: 'Succeeded' | 'Failed' | 'Cancelled' | 'Running' | 'Skipped'
  message: string | null
  details: unknown
  createdAt: string
}

function toReport(row: StatusReportRow): StatusReport {
  return {
    id: row.id,
    instanceId: row.instance_id,
    runId: row.run_id,
    flowName: row.flow_name,
    status: row.status as StatusReport['status'],
    message: row.message,
    details: row.details,
    createdAt: row.created_at.toISOString(),
  }
}

export async function insertStatusReport(
  db: DbOrTx,
  report: Omit<StatusReport, 'createdAt'> & { keyId: string | null },
): Promise<StatusReport> {
  const row = await db
    .insertInto('status_reports')
    .values({
      id: report.id,
      instance_id: report.instanceId,
      run_id: report.runId,
      flow_name: report.flowName,
      status: report.status,
      message: report.message,
      details:
        report.details === null || report.details === undefined ? null : JSON.stringify(report.details),
      key_id: report.keyId,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toReport(row)
}

export async function listStatusReports(
  db: DbOrTx,
  instanceId: string,
  filter: { runId?: string; limit: number },
): Promise<StatusReport[]> {
  let query = db.selectFrom('status_reports').selectAll().where('instance_id', '=', instanceId)
  if (filter.runId) query = query.where('run_id', '=', filter.runId).orderBy('id', 'asc')
  else query = query.orderBy('id', 'desc')
  const rows = await query.limit(filter.limit).execute()
  return rows.map(toReport)
}
