import { AppError } from '../errors.js'
import { ApiError } from './api-client.js'

/** Prints rows as aligned columns; long cells are cut so a row stays on one line. */
export function printTable(
  rows: Record<string, unknown>[],
  columns: string[],
  write = (s: string) => process.stdout.write(s),
): void {
  if (rows.length === 0) {
    write('(none)\n')
    return
  }
  const cell = (value: unknown) => {
    const text =
      value === null || value === undefined
        ? ''
        : typeof value === 'object'
          ? JSON.stringify(value)
          : typeof value === 'number'
            ? plainNumber(value)
            : String(value)
    return text
  }
  // Long cells are cut, except in the last column, where nothing follows them.
  const cut = (text: string, last: boolean) => (!last && text.length > 60 ? `${text.slice(0, 59)}…` : text)
  const cells = rows.map((row) => columns.map((c, i) => cut(cell(row[c]), i === columns.length - 1)))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)))
  const line = (values: string[]) =>
    `${values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()}\n`
  write(line(columns.map((c) => c.toUpperCase())))
  for (const row of cells) write(line(row))
}

/** One line per error (several for a config with several problems), on stderr. */
export function formatCliError(error: unknown): string {
  if (error instanceof AppError || error instanceof ApiError) {
    if (error.code === 'InvalidConfig') return error.message
    const target = error.target && !error.message.includes(error.target) ? ` (${error.target})` : ''
    return `openinsights: ${error.message}${target} [${error.code}]`
  }
  const e = error as Error
  return `openinsights: unexpected error: ${e?.stack ?? String(error)}`
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return ''
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '' : n.toLocaleString('en-US')
}

/**
 * A number as people write it: at most 15 significant digits, so the rounding noise of binary
 * floating point (2708.0900000000006) does not show; the API keeps the value it computed.
 */
export function plainNumber(value: number): string {
  return Number.isInteger(value) || !Number.isFinite(value)
    ? String(value)
    : String(Number(value.toPrecision(15)))
}
