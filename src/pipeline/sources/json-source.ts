import { z } from 'zod'
import { noRejects, readJson } from '../sql/duckdb-sql.js'
import { asPathList, assertFilesExist, filePathOption } from './source-files.js'
import type { SourceReader } from './source-reader.js'

const jsonOptions = z
  .object({
    path: filePathOption,
  })
  .strict()

export type JsonOptions = z.infer<typeof jsonOptions>

/**
 * JSON documents: an array of objects (or one object) per file. A malformed document fails the
 * refresh with DuckDB's position of the error; a document has no partially valid rows to keep.
 */
export const jsonSource: SourceReader<JsonOptions> = {
  kind: 'json',
  options: jsonOptions,
  appliesColumnTypes: false,
  describe: (options) => asPathList(options.path).join(', '),
  async open(context, options) {
    const paths = asPathList(options.path)
    await assertFilesExist(paths, context.dataSourceName)
    return { relation: readJson(paths, 'auto'), rejects: noRejects }
  },
}
