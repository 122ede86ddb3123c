import { AppError } from '../../errors.js'
import type { DataSourceKind } from '../../store/data-sources.js'
import { csvSource } from './csv-source.js'
import { jsonSource } from './json-source.js'
import { ndjsonSource } from './ndjson-source.js'
import { parquetSource } from './parquet-source.js'
import { postgresSource } from './postgres-source.js'
import type { SourceReader } from './source-reader.js'

export { redact } from './postgres-source.js'
export {
  type DetectedDialect,
  dialectText,
  type OpenedSource,
  type ReadContext,
  type SourceReader,
} from './source-reader.js'

/** Every kind of data source, by the `kind` a definition names. */
export const sourceReaders: Record<DataSourceKind, SourceReader<unknown>> = {
  csv: csvSource as SourceReader<unknown>,
  json: jsonSource as SourceReader<unknown>,
  ndjson: ndjsonSource as SourceReader<unknown>,
  parquet: parquetSource as SourceReader<unknown>,
  postgres: postgresSource as SourceReader<unknown>,
}

export const SOURCE_KINDS = Object.keys(sourceReaders) as DataSourceKind[]

export function sourceReader(kind: string): SourceReader<unknown> {
  const reader = sourceReaders[kind as DataSourceKind]
  if (!reader) {
    throw new AppError(
      'UnknownSourceKind',
      `unknown data source kind '${kind}'; use one of ${SOURCE_KINDS.join(', ')}`,
      {
        target: 'kind',
      },
    )
  }
  return reader
}
