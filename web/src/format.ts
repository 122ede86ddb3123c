const numbers = new Intl.NumberFormat('en')

/**
 * A cell's value as text: a number of a DECIMAL(p,s) column with its s decimals (2708.10), other
 * numbers with at most 15 significant digits so binary rounding noise (2708.0900000000006) does
 * not show, objects as JSON.
 */
export function formatValue(value: unknown, type?: string): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') {
    const scale = /^DECIMAL\(\s*\d+\s*,\s*(\d+)\s*\)/i.exec(type ?? '')?.[1]
    if (scale !== undefined && Number.isFinite(value)) return value.toFixed(Number(scale))
    return Number.isInteger(value) || !Number.isFinite(value)
      ? String(value)
      : String(Number(value.toPrecision(15)))
  }
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export const formatCount = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : numbers.format(n)

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** "30 Nov 2026, 21:05:09" in the reader's time zone: one form for every row of a log. */
export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}

/** "3 min ago", and the exact time in a tooltip (see <Time>). */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—'
  const seconds = Math.round((now - Date.parse(iso)) / 1000)
  if (seconds < 5) return 'just now'
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })
}
