import { z } from 'zod'
import { csvRejects, readCsv } from '../sql/duckdb-sql.js'
import { asPathList, assertFilesExist } from './source-files.js'
import type { SourceReader } from './source-reader.js'

const csvOptions = z
  .object({
    path: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('File path, glob or list of them'),
    header: z.boolean().default(true).describe('Whether the first line names the columns'),
    delimiter: z.string().min(1).max(4).default(',').describe('Field separator'),
    quote: z.string().length(1).default('"').describe('Quote character'),
    escape: z.string().length(1).optional().describe('Escape character inside quotes (default: the quote)'),
    encoding: z
      .enum(['utf-8', 'latin-1', 'utf-16'])
      .default('utf-8')
      .describe('Character encoding of the file'),
  })
  .strict()

export type CsvOptions = z.infer<typeof csvOptions>

const SNIFF_SAMPLES = [undefined, 2048, 256] as const

/** Delimited text files, read by DuckDB's CSV reader with malformed lines stored as rejects. */
export const csvSource: SourceReader<CsvOptions> = {
  kind: 'csv',
  options: csvOptions,
  appliesColumnTypes: true,
  describe: (options) => asPathList(options.path).join(', '),
  async open(context, options) {
    const paths = asPathList(options.path)
    await assertFilesExist(paths, context.dataSourceName)
    const read = (sampleSize: number | undefined) =>
      readCsv(paths, {
        header: options.header,
        delimiter: options.delimiter,
        quote: options.quote,
        escape: options.escape,
        encoding: options.encoding,
        columnTypes: context.columnTypes,
        rejectsTable: 'csv_rejects',
        rejectsScanTable: 'csv_reject_scans',
        ...(sampleSize === undefined ? {} : { sampleSize }),
      })
    // DuckDB's sniffer samples the whole of a small file; damage in it (an unterminated quote
    // that runs to the end) can make it give up. Looking at fewer lines lets the good part set
    // the dialect and types, and the damage then becomes rejects with their line numbers.
    for (const sampleSize of SNIFF_SAMPLES) {
      try {
        await context.connection.run(`describe ${read(sampleSize)}`)
        return { relation: read(sampleSize), rejects: csvRejects('csv_rejects') }
      } catch (error) {
        if (
          !/Error when sniffing/i.test(String((error as Error).message)) ||
          sampleSize === SNIFF_SAMPLES.at(-1)
        )
          throw error
      }
    }
    throw new Error('unreachable')
  },
}
