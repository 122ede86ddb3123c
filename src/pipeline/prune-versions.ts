import { rm } from 'node:fs/promises'
import type { Db } from '../store/database.js'
import { deleteEntityVersions, listEntityVersions } from '../store/entities.js'

/** Keeps the newest `keep` versions of an entity (never the current one) and removes the files of the rest. */
export async function pruneEntityVersions(
  db: Db,
  instanceId: string,
  entity: string,
  keep: number,
): Promise<void> {
  const versions = await listEntityVersions(db, instanceId, entity)
  const stale = versions.slice(keep).map((v) => v.id)
  const removed = await deleteEntityVersions(db, stale)
  for (const version of removed) await rm(version.directory, { recursive: true, force: true })
}
