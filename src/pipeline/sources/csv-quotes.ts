import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { finished } from 'node:stream/promises'

const LF = 0x0a
const CR = 0x0d

/** A line whose quoted field never closes properly: its 1-based number and its text. */
export interface BrokenLine {
  line: number
  /** Byte offsets of the line, without its line break. */
  start: number
  end: number
}

export interface QuoteRules {
  delimiter: number
  quote: number
  /** The escape byte inside quotes; the quote itself when quotes are doubled. */
  escape: number
}

/**
 * Finds the lines of a CSV file where a quoted field opens and never closes as CSV says it must
 * (by a quote followed by the delimiter, a line break or the end of the file). A reader that
 * trusts such a quote reads everything after it as one value, so the rows after it vanish into
 * one reject. Each such line is taken as damaged on its own, and the scan goes on after it as if
 * the quote were not there: legitimate quoted fields spanning lines are kept. At most `limit`
 * lines are reported (the scan of the rest starts over after each one), and the passes read at
 * most four times the file.
 */
export async function findBrokenQuotes(
  file: string,
  rules: QuoteRules,
  limit = 50,
  /** What all passes together may read (default four times the file, at least 256 MB). */
  maxBytes?: number,
): Promise<BrokenLine[]> {
  const broken: BrokenLine[] = []
  let from = { offset: 0, line: 1 }
  // Each pass reads at most the rest of the file: all passes together read at most four times the
  // file (or 256 MB), so a file damaged on many lines costs a bounded time; what lies beyond is
  // left to the reader's own rejects.
  const size = (await stat(file)).size
  const budget = maxBytes ?? Math.max(4 * size, 256 * 1024 * 1024)
  let spent = 0
  while (broken.length < limit && spent + (size - from.offset) <= budget) {
    spent += size - from.offset
    const found = await scanFrom(file, rules, from)
    if (!found) break
    broken.push(found.broken)
    if (found.next === undefined) break
    from = found.next
  }
  return broken
}

/** One pass from a line start: the first broken line, and where the next pass starts. */
async function scanFrom(
  file: string,
  rules: QuoteRules,
  from: { offset: number; line: number },
): Promise<{ broken: BrokenLine; next: { offset: number; line: number } | undefined } | undefined> {
  let position = from.offset
  let line = from.line
  let lineStart = from.offset
  let inQuote = false
  let fieldStart = true
  let afterQuote = false // in a quoted field, just after a quote: the next byte decides
  let escaped = false
  let open = { line: 0, start: 0 }
  let result: { broken: BrokenLine; next: { offset: number; line: number } | undefined } | undefined
  // The line break after a broken line's start, found by reading on once the damage is known.
  let seekingEndOf: { line: number; start: number } | undefined

  const stream = createReadStream(file, { start: from.offset, highWaterMark: 256 * 1024 })
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer
      for (let i = 0; i < bytes.length; i++, position++) {
        const byte = bytes[i] as number
        if (seekingEndOf) {
          if (byte === LF) {
            result = {
              broken: { line: seekingEndOf.line, start: seekingEndOf.start, end: trimCr(bytes, i, position) },
              next: { offset: position + 1, line: seekingEndOf.line + 1 },
            }
            return result
          }
          continue
        }
        if (inQuote) {
          if (afterQuote) {
            afterQuote = false
            if (byte === rules.quote && rules.escape === rules.quote) continue // a doubled quote
            if (byte === rules.delimiter || byte === LF || byte === CR) {
              inQuote = false
              // fall through: the byte ends the field or the line
            } else {
              // A quote followed by text: the field that opened on `open.line` is damaged.
              if (open.line === line) {
                seekingEndOf = open
                continue
              }
              return await brokenAt(file, open)
            }
          } else if (escaped) {
            escaped = false
            if (byte === LF) {
              line++
              lineStart = position + 1
            }
            continue
          } else if (byte === rules.escape && rules.escape !== rules.quote) {
            escaped = true
            continue
          } else if (byte === rules.quote) {
            afterQuote = true
            continue
          } else {
            if (byte === LF) {
              line++
              lineStart = position + 1
            }
            continue
          }
        }
        if (byte === LF) {
          line++
          lineStart = position + 1
          fieldStart = true
        } else if (byte === rules.delimiter) {
          fieldStart = true
        } else if (fieldStart && byte === rules.quote) {
          inQuote = true
          open = { line, start: lineStart }
          fieldStart = false
        } else {
          fieldStart = false
        }
      }
    }
  } finally {
    stream.destroy()
  }
  if (seekingEndOf)
    return { broken: { line: seekingEndOf.line, start: seekingEndOf.start, end: position }, next: undefined }
  // The end of the file: a field still open (and not just closed by its last byte) is damaged.
  if (inQuote && !afterQuote) return brokenAt(file, open)
  return undefined
}

/** The broken line that starts at `open`, with where its line ends and the next pass starts. */
async function brokenAt(
  file: string,
  open: { line: number; start: number },
): Promise<{ broken: BrokenLine; next: { offset: number; line: number } | undefined }> {
  let position = open.start
  const stream = createReadStream(file, { start: open.start, highWaterMark: 64 * 1024 })
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer
      const at = bytes.indexOf(LF)
      if (at !== -1) {
        const end = position + at
        return {
          broken: { line: open.line, start: open.start, end: trimCr(bytes, at, end) },
          next: { offset: end + 1, line: open.line + 1 },
        }
      }
      position += bytes.length
    }
  } finally {
    stream.destroy()
  }
  return { broken: { line: open.line, start: open.start, end: position }, next: undefined }
}

/** The end offset of a line whose LF is at `index` of `bytes` (offset `lfOffset`), before any CR. */
function trimCr(bytes: Buffer, index: number, lfOffset: number): number {
  return index > 0 && bytes[index - 1] === CR ? lfOffset - 1 : lfOffset
}

/**
 * Copies a file with the bytes of the given lines removed and their line breaks kept, so every
 * other line keeps its number (readers skip the blank lines left). Returns each removed line's
 * text (its first 1,000 characters).
 */
export async function blankLines(
  file: string,
  out: string,
  lines: readonly BrokenLine[],
  encoding: BufferEncoding = 'utf8',
): Promise<{ line: number; record: string }[]> {
  const sorted = [...lines].sort((a, b) => a.start - b.start)
  const removed: { line: number; record: string }[] = []
  const sink = createWriteStream(out)
  const copy = async (start: number, end?: number) => {
    // createReadStream's end is inclusive; an empty range copies nothing.
    if (end !== undefined && end <= start) return
    const source = createReadStream(file, { start, ...(end === undefined ? {} : { end: end - 1 }) })
    for await (const chunk of source) if (!sink.write(chunk)) await once(sink, 'drain')
  }
  let at = 0
  for (const span of sorted) {
    await copy(at, span.start)
    const head = Math.min(span.end, span.start + 4000)
    const parts: Buffer[] = []
    if (head > span.start)
      for await (const chunk of createReadStream(file, { start: span.start, end: head - 1 }))
        parts.push(chunk as Buffer)
    removed.push({ line: span.line, record: Buffer.concat(parts).toString(encoding).slice(0, 1000) })
    at = span.end
  }
  await copy(at)
  sink.end()
  await finished(sink)
  return removed
}
