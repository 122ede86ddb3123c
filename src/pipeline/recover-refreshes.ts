import { rm } from 'node:fs/promises'
import type { Db } from '../store/database.js'
import { findAbandonedRefreshes, type Refresh } from '../store/refreshes.js'
import { dataLayout } from './data-layout.js'
import { failRefresh } from './refresh-source.js'

/**
 * Fails refreshes whose process died mid-way (SIGKILL, crash, power loss), with an event each,
 * and removes their unpublished files. Their data source keeps its previously published version.
 */
export async function recoverAbandonedRefreshes(
  db: Db,
  dataDir: string,
  criteria: { heartbeatOlderThanMs: number } | { allRunning: true },
): Promise<Refresh[]> {
  const recovered: Refresh[] = []
  for (const refresh of await findAbandonedRefreshes(db, criteria)) {
    const failed = await failRefresh(db, refresh.id, 'failed', {
      code: 'RefreshInterrupted',
      message: `this refresh stopped before it finished (attempt ${refresh.attempt}): its process stopped, or it lost its job without recording an end; the previously published version of ${refresh.dataSourceName} stays current`,
    })
    if (!failed) continue
    await rm(dataLayout.versionDir(dataDir, refresh.instanceId, refresh.dataSourceName, refresh.id), {
      recursive: true,
      force: true,
    })
    await rm(dataLayout.workDir(dataDir, refresh.instanceId, refresh.id), { recursive: true, force: true })
    recovered.push(failed)
  }
  return recovered
}
