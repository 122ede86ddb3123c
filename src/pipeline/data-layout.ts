import { join } from 'node:path'

/**
 * Where the data plane keeps files, under the data directory:
 * `<instance>/entities/<Entity>/<versionId>/part-NNNNN.parquet`, rejects beside them per source,
 * and scratch space per refresh.
 */
export const dataLayout = {
  entityDir: (dataDir: string, instanceId: string, entity: string) =>
    join(dataDir, instanceId, 'entities', entity),
  versionDir: (dataDir: string, instanceId: string, entity: string, versionId: string) =>
    join(dataDir, instanceId, 'entities', entity, versionId),
  rejectsFile: (dataDir: string, instanceId: string, source: string, refreshId: string) =>
    join(dataDir, instanceId, 'rejects', source, `${refreshId}.csv`),
  workDir: (dataDir: string, instanceId: string, refreshId: string) =>
    join(dataDir, instanceId, 'work', refreshId),
  duckTempDir: (dataDir: string) => join(dataDir, '.duckdb-tmp'),
  /** Files uploaded through the web UI, read by the data sources made of them. */
  uploadsDir: (dataDir: string, instanceId: string) => join(dataDir, instanceId, 'uploads'),
}
