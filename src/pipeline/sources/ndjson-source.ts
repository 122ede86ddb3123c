import { once } from 'node:events'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../errors.js'
import { noRejects, readJson, readRejectsFile } from '../sql/duckdb-sql.js'
import { assertFilesExist } from './source-files.js'
import type { SourceReader } from './source-reader.js'

const ndjsonOptions = z
  .object({
    path: z.string().min(1).describe('File path (one JSON object per line)'),
  })
  .strict()

export type NdjsonOptions = z.infer<typeof ndjsonOptions>

const RECORD_EXCERPT = 500

/**
 * Newline-delimited JSON. Each line is checked here (UTF-8, JSON, an object) because DuckDB's
 * reader either stops at the first bad line or, told to ignore errors, also blanks the next one.
 * Bad lines become rejects with their line number; when there are any, the good lines are copied
 * to a clean file for DuckDB, otherwise DuckDB reads the original.
 */
export const ndjsonSource: SourceReader<NdjsonOptions> = {
  kind: 'ndjson',
  options: ndjsonOptions,
  appliesColumnTypes: false,
  describe: (options) => options.path,
  async open(context, options) {
    await assertFilesExist([options.path], context.dataSourceName)
    const rejectsFile = join(context.workDir, 'ndjson-rejects.ndjson')
    const rejects = createWriteStream(rejectsFile)
    let rejected = 0
    let accepted = 0
    await forEachLine(options.path, context.signal, (line, lineNumber) => {
      const problem = checkLine(line)
      if (problem === null) {
        accepted++
        return
      }
      rejected++
      const record = decoder.decode(line.subarray(0, RECORD_EXCERPT))
      rejects.write(`${JSON.stringify({ line: lineNumber, column: null, reason: problem, record })}\n`)
    })
    rejects.end()
    await once(rejects, 'close')
    if (rejected === 0) return { relation: readJson([options.path], 'newline_delimited'), rejects: noRejects }
    if (accepted === 0) {
      throw new AppError(
        'SourceUnreadable',
        `data source '${context.dataSourceName}': none of the ${rejected} lines of ${options.path} is a JSON object; is it NDJSON?`,
        { target: `dataSources.${context.dataSourceName}.options.path` },
      )
    }
    const cleanFile = join(context.workDir, 'ndjson-clean.ndjson')
    const clean = createWriteStream(cleanFile)
    await forEachLine(options.path, context.signal, (line) => {
      if (checkLine(line) === null) writeLine(clean, line)
    })
    clean.end()
    await once(clean, 'close')
    return { relation: readJson([cleanFile], 'newline_delimited'), rejects: readRejectsFile(rejectsFile) }
  },
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true })
const decoder = new TextDecoder('utf-8')

/** Why a line is not one JSON object, or null when it is (blank lines count as fine and are skipped by DuckDB). */
function checkLine(line: Buffer): string | null {
  let text: string
  try {
    text = strictDecoder.decode(line)
  } catch {
    return 'INVALID ENCODING: the line is not valid UTF-8'
  }
  if (text.trim() === '') return null
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return `MALFORMED JSON: ${(error as Error).message}`
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `NOT AN OBJECT: each line must be a JSON object, this one is ${Array.isArray(value) ? 'an array' : typeof value}`
  }
  return null
}

function writeLine(stream: WriteStream, line: Buffer): void {
  stream.write(line)
  stream.write('\n')
}

/** Calls `visit` with each line's bytes (without the line break) and its 1-based number. */
async function forEachLine(
  path: string,
  signal: AbortSignal,
  visit: (line: Buffer, lineNumber: number) => void,
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0)
  let lineNumber = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    let data = pending.length > 0 ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer)
    let start = 0
    for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
      lineNumber++
      visit(stripCarriageReturn(data.subarray(start, end)), lineNumber)
      start = end + 1
    }
    data = data.subarray(start)
    pending = Buffer.from(data)
  }
  if (pending.length > 0) visit(stripCarriageReturn(pending), lineNumber + 1)
}

function stripCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line
}
