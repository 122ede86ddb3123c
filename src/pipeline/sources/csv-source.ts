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
  sampleCsvText,
  sniffCsv,
  sniffDialect,
} from '../sql/duckdb-sql.js'
import { blankLines, findBrokenQuotes } from './csv-quotes.js'
import { dayFirstFormat, mayHoldDayFirstDates } from './day-first-dates.js'
import { asPathList, assertFilesExist, filePathOption } from './source-files.js'
import type { DetectedDialect, OpenedSource, ReadContext, SourceReader } from './source-reader.js'

const csvOptions = z
  .object({
    path: filePathOption,
    header: z.boolean().default(true).describe('Whether the first line names the columns'),
    delimiter: z
      .string()
      .min(1)
      .max(4)
      .optional()
      .describe('Field separator; detected from the data when not set (, ; tab |)'),
    quote: z.string().length(1).optional().describe('Quote character; detected when not set (default ")'),
    escape: z.string().length(1).optional().describe('Escape character inside quotes (default: the quote)'),
    encoding: z
      .enum(['utf-8', 'latin-1', 'utf-16'])
      .optional()
      .describe(
        'Character encoding; detected when not set: UTF-16 by its byte-order mark or zero bytes, UTF-8 when the bytes are UTF-8, else Latin-1',
      ),
    decimalSeparator: z
      .enum(['.', ','])
      .optional()
      .describe('Decimal mark of numbers; detected when not set (1234,56 in a file separated by ;)'),
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
    const dialect = await detectDialect(context.session, first, options, encoding)
    const dates = await detectDayFirstDates(context, first, { ...options, ...dialect, encoding })
    if (dates) dialect.dateFormat = dates.format
    const columnTypes = { ...(dates?.columnTypes ?? {}), ...context.columnTypes }
    const read = (rejectsTable: string, layout?: CsvLayout, files: readonly string[] = paths) =>
      readCsv(files, {
        header: options.header,
        delimiter: dialect.delimiter,
        quote: dialect.quote,
        escape: options.escape,
        encoding,
        decimalSeparator: dialect.decimalSeparator,
        ...(dates ? { dateFormat: dates.format } : {}),
        columnTypes,
        rejectsTable,
        rejectsScanTable: `${rejectsTable}_scans`,
        ...(layout ? { layout } : {}),
      })
    const detected: DetectedDialect = {
      delimiter: dialect.delimiter,
      quote: dialect.quote,
      encoding,
      decimalSeparator: dialect.decimalSeparator,
      ...(dialect.dateFormat ? { dateFormat: dialect.dateFormat } : {}),
      detected: [
        ...(['delimiter', 'quote', 'encoding', 'decimalSeparator'] as const).filter(
          (k) => options[k] === undefined,
        ),
        ...(dialect.dateFormat ? ['dateFormat'] : []),
      ],
    }
    const opened = (relation: Sql, rejectsTable: string): OpenedSource => ({
      relation,
      rejects: csvRejects(rejectsTable),
      dialect: detected,
    })
    // A quote that opens a value and never closes makes every line after it part of that value:
    // such lines are left out of a copy (their numbers kept) and rejected each on its own.
    const mended = async (): Promise<OpenedSource | undefined> => {
      const repair = await repairQuotes(context, paths, first, { ...options, ...dialect, encoding })
      if (!repair) return undefined
      const rejectsTable = 'csv_rejects_mended'
      const relation = read(rejectsTable, undefined, [repair.file])
      if (!(await readable(context.session, relation))) return undefined
      return {
        relation,
        rejects: sql`${csvRejects(rejectsTable)} union all ${readRejectsFile(repair.rejects)}`,
        dialect: detected,
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
          const layout = await sniffPrefix(context, first, lines, { ...options, ...dialect, encoding })
          const rejectsTable = `csv_rejects_${lines}`
          if (layout && (await readable(context.session, read(rejectsTable, layout))))
            return opened(read(rejectsTable, layout), rejectsTable)
        }
        throw new AppError(
          'SourceUnreadable',
          `data source '${context.dataSourceName}': cannot make out CSV in ${paths.join(', ')} with delimiter ${JSON.stringify(dialect.delimiter)}, quote ${JSON.stringify(dialect.quote)} and encoding ${encoding}, even in its first lines; check that it is CSV and set delimiter, quote and encoding to match`,
          { target: `dataSources.${context.dataSourceName}.options` },
        )
      },
    }
  },
}

/** How a CSV source is read once what was not set is detected. */
type ResolvedCsv = Omit<CsvOptions, 'delimiter' | 'quote' | 'encoding' | 'decimalSeparator'> & {
  delimiter: string
  quote: string
  encoding: Encoding
  decimalSeparator: '.' | ','
}
type Encoding = 'utf-8' | 'latin-1' | 'utf-16'

/**
 * The delimiter, quote and decimal mark to read with: those set, the others as DuckDB's sniffer
 * finds them in the file (a file it cannot sniff keeps , and "). Numbers are taken to use a
 * decimal comma when the delimiter is not a comma and reading so finds more numeric columns.
 */
async function detectDialect(
  session: SqlSession,
  file: string,
  options: CsvOptions,
  encoding: Encoding,
): Promise<{
  delimiter: string
  quote: string
  decimalSeparator: '.' | ','
  dateFormat: string | null
  /** The columns as the sniffer typed them (empty when it could not). */
  columns: { name: string; type: string }[]
}> {
  const sniff = async (decimalSeparator?: '.' | ',', delimiter = options.delimiter) => {
    try {
      return (
        await session.rows(
          sniffDialect(file, {
            header: options.header,
            encoding,
            delimiter,
            quote: options.quote,
            escape: options.escape,
            decimalSeparator,
          }),
        )
      )[0]
    } catch (error) {
      if (wasInterrupted(error)) throw error // cancelled: not a file to recover
      return undefined // a damaged or odd file: the read reports it, or recovers
    }
  }
  // The delimiter by counting, so one malformed line cannot make the sniffer choose another.
  const known = {
    ...options,
    delimiter:
      options.delimiter ??
      guessDelimiter(
        await readHead(file, 64 * 1024).catch(() => Buffer.alloc(0)),
        encoding,
        options.quote ?? '"',
      ),
  }
  const found = await sniff(options.decimalSeparator, known.delimiter)
  const delimiter = known.delimiter ?? (typeof found?.delimiter === 'string' ? found.delimiter : ',')
  const sniffedQuote = typeof found?.quote === 'string' && found.quote.length === 1 ? found.quote : '"'
  const quote = options.quote ?? sniffedQuote
  let decimalSeparator = options.decimalSeparator ?? '.'
  let dateFormat = typeof found?.date_format === 'string' ? found.date_format : null
  if (options.decimalSeparator === undefined && delimiter !== ',' && found) {
    const withComma = await sniff(',', delimiter)
    if (withComma && numericColumns(withComma.columns) > numericColumns(found.columns)) {
      decimalSeparator = ','
      dateFormat = typeof withComma.date_format === 'string' ? withComma.date_format : dateFormat
    }
  }
  const columns = Array.isArray(found?.columns)
    ? (found.columns as { name: unknown; type: unknown }[]).map((c) => ({
        name: String(c.name),
        type: String(c.type),
      }))
    : []
  return { delimiter, quote, decimalSeparator, dateFormat, columns }
}

const DELIMITERS = [',', ';', '\t', '|'] as const

/**
 * The delimiter most lines of a file's start agree on: for each candidate, the number of fields
 * per line (quotes respected), and the share of lines with the most common count of 2 or more.
 * Ties go to the earlier candidate (, before ;). Undefined when none splits the lines.
 */
export function guessDelimiter(head: Buffer, encoding: string, quote: string): string | undefined {
  const text = head.toString(encoding === 'utf-16' ? 'utf16le' : encoding === 'latin-1' ? 'latin1' : 'utf8')
  const lines = text.split(/\r?\n/).slice(0, 200)
  if (lines.length > 1 && head.length === 64 * 1024) lines.pop() // cut by the sample's end
  const sample = lines.filter((line) => line.trim() !== '')
  let best: { delimiter: string; share: number } | undefined
  for (const delimiter of DELIMITERS) {
    const counts = new Map<number, number>()
    for (const line of sample) {
      let fields = 1
      let quoted = false
      for (const char of line) {
        if (char === quote) quoted = !quoted
        else if (char === delimiter && !quoted) fields++
      }
      counts.set(fields, (counts.get(fields) ?? 0) + 1)
    }
    const [fields, lines] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [1, 0]
    const share = fields >= 2 ? lines / sample.length : 0
    if (share > (best?.share ?? 0)) best = { delimiter, share }
  }
  return best?.delimiter
}

/**
 * Columns of day-first dates without separators (251191 in a birth-date column), which the
 * sniffer takes for numbers: read as DATE with their format, so a value that is not one is a
 * reject. Only when the sniffer found no other date format (DuckDB has one per file).
 */
async function detectDayFirstDates(
  context: ReadContext,
  file: string,
  options: ResolvedCsv & { dateFormat: string | null; columns: { name: string; type: string }[] },
): Promise<{ format: string; columnTypes: Record<string, string> } | undefined> {
  // Only a column named as dates that the sniffer took for numbers or text is worth a look.
  if (options.dateFormat || !options.columns.some((c) => mayHoldDayFirstDates(c.name, c.type)))
    return undefined
  let rows: Record<string, unknown>[]
  try {
    rows = await context.session.rows(sampleCsvText(file, options, 1000))
  } catch (error) {
    if (wasInterrupted(error)) throw error
    return undefined // the read reports what is wrong with the file
  }
  const columns = Object.keys(rows[0] ?? {}).filter((c) => !(c in context.columnTypes))
  const found = columns
    .map((column) => ({
      column,
      format: dayFirstFormat(
        column,
        rows.map((r) => (r[column] as string | null) ?? null),
      ),
    }))
    .filter((f): f is { column: string; format: '%d%m%y' | '%d%m%Y' } => f.format !== undefined)
  const format = found[0]?.format
  if (!format) return undefined
  return {
    format,
    columnTypes: Object.fromEntries(found.filter((f) => f.format === format).map((f) => [f.column, 'DATE'])),
  }
}

const numericColumns = (columns: unknown) =>
  Array.isArray(columns)
    ? columns.filter((c) => /^(DOUBLE|FLOAT|DECIMAL)/i.test(String((c as { type?: unknown }).type))).length
    : 0

/**
 * The encoding to read with: the configured one, except that a file whose bytes say UTF-16 (a
 * byte-order mark, or a NUL in every other byte — what Excel's "Unicode text" writes) is read as
 * UTF-16 when UTF-8 was set: such bytes are never UTF-8 anyway. Not set: UTF-16 so detected, else
 * UTF-8 when the file's first megabyte is valid UTF-8, else Latin-1 (what Excel writes as "CSV"
 * on Windows in western Europe).
 */
async function effectiveEncoding(
  file: string,
  configured: CsvOptions['encoding'],
  dataSourceName: string,
): Promise<Encoding> {
  if (configured === 'latin-1' || configured === 'utf-16') return configured
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
  if (startsLikeUtf16 && pairs >= 8 && oddNuls / pairs > 0.4) return 'utf-16'
  if (configured === 'utf-8') return 'utf-8'
  return isUtf8(await readHead(file, 1 << 20).catch(() => Buffer.alloc(0))) ? 'utf-8' : 'latin-1'
}

/** Whether bytes are UTF-8 (a character cut at the end of the sample does not count against it). */
function isUtf8(bytes: Buffer): boolean {
  let end = bytes.length
  // Back off to the start of a character the sample's end may have cut.
  for (let i = 0; i < 3 && end > 0 && ((bytes[end - 1] as number) & 0xc0) === 0x80; i++) end--
  if (end > 0 && ((bytes[end - 1] as number) & 0xc0) === 0xc0) end--
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end))
    return true
  } catch {
    return false
  }
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
  !wasInterrupted(error) &&
  /Error when sniffing|could not detect|sniff/i.test(String((error as Error).message))

/** A statement stopped by a cancelled refresh (session.interrupt()): never a reason to try another way. */
const wasInterrupted = (error: unknown) => /interrupt/i.test(String((error as Error)?.message ?? error))

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
  options: ResolvedCsv,
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
  options: ResolvedCsv,
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
