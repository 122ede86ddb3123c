/**
 * JSON text with object keys sorted, for comparing documents: a jsonb column gives its keys back
 * in its own order, so a definition read from the store and the same one from a file differ in
 * key order only.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  )
}

export const sameJson = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b)
