import { z } from 'zod'
import { noRejects, readParquet } from '../sql/duckdb-sql.js'
import { asPathList, assertFilesExist, filePathOption } from './source-files.js'
import type { SourceReader } from './source-reader.js'

const parquetOptions = z
  .object({
    path: filePathOption,
  })
  .strict()

export type ParquetOptions = z.infer<typeof parquetOptions>

/** Parquet files. A corrupt file fails the refresh: Parquet has no partially valid rows to keep. */
export const parquetSource: SourceReader<ParquetOptions> = {
  kind: 'parquet',
  options: parquetOptions,
  appliesColumnTypes: false,
  describe: (options) => asPathList(options.path).join(', '),
  async open(context, options) {
    const paths = asPathList(options.path)
    await assertFilesExist(paths, context.dataSourceName)
    return { relation: readParquet(paths), rejects: noRejects }
  },
}
