import { sameJson } from '../store/stable-json.js'

const MAX_LINES = 20
const MAX_VALUE = 60

function shown(value: unknown): string {
  if (value === undefined) return '(none)'
  const text = JSON.stringify(value)
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * What differs between two JSON documents, one line per changed path, e.g.
 * `options.path: "a.csv" → "b.csv"`; arrays compare whole. At most 20 lines (then "… and N more").
 */
export function jsonDifferences(before: unknown, after: unknown): string[] {
  const lines: string[] = []
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isObject(a) && isObject(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
      for (const key of keys) walk(a[key], b[key], path ? `${path}.${key}` : key)
      return
    }
    // Arrays, and a value that became an object (or back), compare whole with keys sorted.
    if (sameJson(a, b)) return
    lines.push(`${path || '(whole)'}: ${shown(a)} → ${shown(b)}`)
  }
  walk(before, after, '')
  return lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more`]
    : lines
}
