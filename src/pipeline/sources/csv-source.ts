import { createReadStream } from 'node:fs'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../errors.js'
import { type Sql, type SqlSession, sql } from '../../query/index.js'
import {
  type CsvLayout,
  csvRejects,
  firstFile,
  readCsv,
  readRejectsFile,
  sniffCsv,
} from '../sql/duckdb-sql.js'
import { blankLines, findBrokenQuotes } from './csv-quotes.js'
import { asPathList, assertFilesExist, filePathOption } from './source-files.js'
import type { OpenedSource, ReadContext, SourceReader } from './source-reader.js'

const csvOptions = z
  .object({
    path: filePathOption,
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

/** Lines of the file's start that are sniffed when sniffing the whole sample fails. */
const PREFIX_LINES = [1024, 64, 16] as const

/** Delimited text files, read by DuckDB's CSV reader with malformed lines stored as rejects. */
export const csvSource: SourceReader<CsvOptions> = {
  kind: 'csv',
  options: csvOptions,
  appliesColumnTypes: true,
  describe: (options) => asPathList(options.path).join(', '),
  async open(context, options) {
    const paths = asPathList(options.path)
    await assertFilesExist(paths, context.dataSourceName)
    const first = String((await context.session.rows(firstFile(paths)))[0]?.file ?? paths[0])
    const encoding = await effectiveEncoding(first, options.encoding, context.dataSourceName)
    const read = (rejectsTable: string, layout?: CsvLayout) =>
      readCsv(paths, {
        header: options.header,
        delimiter: options.delimiter,
        quote: options.quote,
        escape: options.escape,
        encoding,
        columnTypes: context.columnTypes,
        rejectsTable,
        rejectsScanTable: `${rejectsTable}_scans`,
        ...(layout ? { layout } : {}),
      })
    const opened = (relation: Sql, rejectsTable: string) => ({
      relation,
      rejects: csvRejects(rejectsTable),
    })
    // A quote that opens a value and never closes makes every line after it part of that value:
    // such lines are left out of a copy (their numbers kept) and rejected each on its own.
    const mended = async (): Promise<OpenedSource | undefined> => {
      const repair = await repairQuotes(context, paths, first, { ...options, encoding })
      if (!repair) return undefined
      const rejectsTable = 'csv_rejects_mended'
      const relation = readCsv([repair.file], {
        header: options.header,
        delimiter: options.delimiter,
        quote: options.quote,
        escape: options.escape,
        encoding,
        columnTypes: context.columnTypes,
        rejectsTable,
        rejectsScanTable: `${rejectsTable}_scans`,
      })
      if (!(await readable(context.session, relation))) return undefined
      return {
        relation,
        rejects: sql`${csvRejects(rejectsTable)} union all ${readRejectsFile(repair.rejects)}`,
      }
    }
    return {
      ...opened(read('csv_rejects'), 'csv_rejects'),
      async repair() {
        const swallowed = await context.session.rows(
          sql`select count(*) as n from csv_rejects where error_type = 'UNQUOTED VALUE'`,
        )
        return Number(swallowed[0]?.n ?? 0) > 0 ? mended() : undefined
      },
      // DuckDB's sniffer gives up on files with damage inside its sample (a truncated export whose
      // last quote never closes). The damaged lines are left out if they can be found; else the
      // file's start decides the layout and the damage becomes rejects.
      async recover(error) {
        if (!isSniffError(error)) return undefined
        const repaired = await mended()
        if (repaired) return repaired
        for (const lines of PREFIX_LINES) {
          const layout = await sniffPrefix(context, first, lines, { ...options, encoding })
          const rejectsTable = `csv_rejects_${lines}`
          if (layout && (await readable(context.session, read(rejectsTable, layout))))
            return opened(read(rejectsTable, layout), rejectsTable)
        }
        throw new AppError(
          'SourceUnreadable',
          `data source '${context.dataSourceName}': cannot make out CSV in ${paths.join(', ')} with delimiter ${JSON.stringify(options.delimiter)}, quote ${JSON.stringify(options.quote)} and encoding ${options.encoding}, even in its first lines; check that it is CSV and set delimiter, quote and encoding to match`,
          { target: `dataSources.${context.dataSourceName}.options` },
        )
      },
    }
  },
}

/**
 * The encoding to read with: the configured one, except that a file whose bytes say UTF-16 (a
 * byte-order mark, or a NUL in every other byte — what Excel's "Unicode text" writes) is read as
 * UTF-16 when UTF-8 (the default) was set: such bytes are never UTF-8 anyway.
 */
async function effectiveEncoding(
  file: string,
  configured: CsvOptions['encoding'],
  dataSourceName: string,
): Promise<CsvOptions['encoding']> {
  if (configured !== 'utf-8') return configured
  // A glob that matches nothing is for the reader to report.
  const head = await readHead(file, 4096).catch(() => Buffer.alloc(0))
  if (head[0] === 0xfe && head[1] === 0xff)
    throw new AppError(
      'SourceUnreadable',
      `data source '${dataSourceName}': ${file} is UTF-16 big-endian, which cannot be read; save it as UTF-8 (or UTF-16 little-endian, Excel's "Unicode text")`,
      { target: `dataSources.${dataSourceName}.options.encoding` },
    )
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16'
  const pairs = Math.floor(head.length / 2)
  let oddNuls = 0
  for (let i = 1; i < head.length; i += 2) if (head[i] === 0 && head[i - 1] !== 0) oddNuls++
  // Without a mark: text that starts as UTF-16 little-endian does (a character, then a zero byte)
  // and goes on so.
  const startsLikeUtf16 = head[0] !== 0 && head[1] === 0
  return startsLikeUtf16 && pairs >= 8 && oddNuls / pairs > 0.4 ? 'utf-16' : 'utf-8'
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(bytes)
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

const isSniffError = (error: unknown) =>
  /Error when sniffing|could not detect|sniff/i.test(String((error as Error).message))

async function readable(session: SqlSession, relation: Sql): Promise<boolean> {
  try {
    await session.run(sql`describe ${relation}`)
    return true
  } catch (error) {
    if (isSniffError(error)) return false
    throw error
  }
}

async function sniffPrefix(
  context: ReadContext,
  file: string,
  lines: number,
  options: CsvOptions,
): Promise<CsvLayout | undefined> {
  const prefix = join(context.workDir, `sniff-${lines}.csv`)
  await writeFile(prefix, await firstLines(file, lines + (options.header ? 1 : 0)))
  try {
    const row = (await context.session.rows(sniffCsv(prefix, options)))[0]
    if (!row) return undefined
    const columns = (row.columns as { name: string; type: string }[]).map((c) => ({
      name: String(c.name),
      type: String(c.type),
    }))
    return {
      columns,
      dateFormat: (row.date_format as string | null) ?? null,
      timestampFormat: (row.timestamp_format as string | null) ?? null,
    }
  } catch (error) {
    if (isSniffError(error)) return undefined
    throw error
  }
}

/** The bytes of a file's first `count` lines. */
async function firstLines(file: string, count: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let seen = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
    const buffer = chunk as Buffer
    let end = -1
    for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) {
      if (++seen === count) {
        end = i + 1
        break
      }
    }
    chunks.push(end === -1 ? buffer : buffer.subarray(0, end))
    if (end !== -1) break
  }
  return Buffer.concat(chunks)
}

/**
 * A copy of a single-file CSV source with the lines whose quote never closes left blank, and
 * those lines as NDJSON rejects; undefined when there are none (or the file cannot be mended so:
 * several files, a delimiter or quote of more than one byte, UTF-16).
 */
async function repairQuotes(
  context: ReadContext,
  paths: readonly string[],
  file: string,
  options: CsvOptions,
): Promise<{ file: string; rejects: string } | undefined> {
  const byte = (text: string | undefined) =>
    text !== undefined && Buffer.byteLength(text) === 1 ? text.charCodeAt(0) : undefined
  const delimiter = byte(options.delimiter)
  const quote = byte(options.quote)
  const escapeByte = options.escape === undefined ? quote : byte(options.escape)
  if (paths.length !== 1 || paths[0] !== file || options.encoding === 'utf-16') return undefined
  if (delimiter === undefined || quote === undefined || escapeByte === undefined) return undefined
  const broken = await findBrokenQuotes(file, { delimiter, quote, escape: escapeByte }, 1000)
  // Damage in the header, or everywhere, is not a damaged line: it is not this CSV at all.
  if (broken.length === 0 || broken.length >= 1000 || broken[0]?.line === 1) return undefined
  const repaired = join(context.workDir, 'mended.csv')
  const removed = await blankLines(file, repaired, broken, options.encoding === 'latin-1' ? 'latin1' : 'utf8')
  const rejects = join(context.workDir, 'quote-rejects.ndjson')
  await writeFile(
    rejects,
    removed
      .map((r) =>
        JSON.stringify({
          line: r.line,
          column: null,
          reason: `UNTERMINATED QUOTE: a quoted value opens on this line and does not close as CSV requires (a quote, then the delimiter or the end of the line); the line is left out so the lines after it are read`,
          record: r.record,
        }),
      )
      .join('\n') + '\n',
  )
  return { file: repaired, rejects }
}
