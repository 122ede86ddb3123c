import { distance } from 'fastest-levenshtein'
import { z } from 'zod'

/** Names of instances, data sources and entities: safe in paths, SQL identifiers and URLs. */
export const nameSchema = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{0,62}$/,
    'a name starts with a letter and has only letters, digits and _ (at most 63)',
  )

export const instanceIdSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,39}$/,
    'an instance id is lower-case letters, digits and -, starting with a letter (at most 40)',
  )

/**
 * The candidate a mistyped name most likely meant: the closest by edit distance (case ignored),
 * if it is close enough to be a typo (at most a third of the name's letters, at least 1, at most 3).
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const d = distance(wanted, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(name.length / 3)))
  return best !== undefined && bestDistance <= allowed ? best : undefined
}

/**
 * "there is no segment 'Hi'; did you mean 'HighValue'? (segments: A, B, …)" — the names listed in
 * order, at most 20.
 */
export function unknownName(
  what: string,
  name: string,
  candidates: readonly string[],
  plural = `${what}s`,
): string {
  const near = nearestName(name, candidates)
  const listed =
    candidates.length === 0
      ? `there are no ${plural}`
      : `${plural}: ${candidates.slice(0, 20).join(', ')}${candidates.length > 20 ? ', …' : ''}`
  return `there is no ${what} '${name}'${near ? `; did you mean '${near}'?` : ''} (${listed})`
}
