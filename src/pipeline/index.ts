export { dataLayout } from './data-layout.js'
export { openDuckDb } from './duckdb-engine.js'
export {
  type EntityRowsQuery,
  keysNotIn,
  queryEntityRows,
  readEntityPage,
  versionFiles,
} from './entity-reader.js'
export { recoverAbandonedRefreshes } from './recover-refreshes.js'
export { type RefreshWorkerContext, runSourceRefresh } from './refresh-source.js'
export { cancelRefresh, requestRefreshes } from './request-refresh.js'
export { requestRun } from './request-run.js'
export { dialectText, redact, SOURCE_KINDS, sourceReader, sourceReaders } from './sources/index.js'
export { previewSource, type SourcePreview } from './sources/preview-source.js'
export {
  openSourceOptions,
  publicSourceOptions,
  sealClearSourceSecrets,
  sealSourceOptions,
} from './sources/source-secrets.js'
