import { upsertDataSource } from '../../src/store/data-sources.js'
import type { Db } from '../../src/store/database.js'

/** A datasource.refresh.failed payload; `refreshId` tells events apart. */
export const refreshFailed = (instanceId: string, refreshId: string, dataSourceName = 'crm') => ({
  instanceId,
  dataSourceName,
  refreshId,
  startedAt: '',
  completedAt: '',
  rowCount: null,
  rejectedRowCount: null,
  error: { code: 'X', message: 'x' },
})

/** CSV data sources that are never refreshed: flows may only name data sources that exist. */
export async function addPlaceholderSources(db: Db, instanceId: string, names: string[]): Promise<void> {
  for (const name of names)
    await upsertDataSource(db, instanceId, {
      name,
      kind: 'csv',
      options: { path: `/nowhere/${name}.csv` },
      primaryKey: 'id',
      columnTypes: {},
      rejectRatio: 0.05,
      maxShrink: 0.5,
    })
}
