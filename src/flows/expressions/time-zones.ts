/**
 * Time zones as Power Automate names them: Windows names ("Pacific Standard Time", "W. Europe
 * Standard Time") mapped to IANA by the maintained Unicode CLDR table in windows-iana; IANA names
 * and "UTC" are taken as they are. Offsets (with daylight saving) come from Intl.
 */
import { findIana, WINDOWS_TO_IANA_MAP } from 'windows-iana'
import { type Timestamp, timestamp } from './dotnet-format.js'

/** A zone name with only its letters and digits, lower-case: how names typed without punctuation match. */
const bare = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')
let byBareName: Map<string, string> | undefined
/** Windows zone names by their bare form ("weuropestandardtime" → "W. Europe Standard Time"). */
function withoutPunctuation(): Map<string, string> {
  byBareName ??= new Map(WINDOWS_TO_IANA_MAP.map((entry) => [bare(entry.windowsName), entry.windowsName]))
  return byBareName
}

const UTC_NAMES = new Set(['utc', 'coordinated universal time', 'gmt', 'etc/utc', 'z'])

/** The IANA zone for a Windows or IANA name; null for UTC. */
export function ianaZone(name: unknown): string | null {
  if (typeof name !== 'string' || !name.trim())
    throw new Error('a time zone is a name like "Pacific Standard Time"')
  const text = name.trim()
  if (UTC_NAMES.has(text.toLowerCase())) return null
  // Windows names, also as the guide allows them without punctuation ("W Europe Standard Time").
  const windows = findIana(text)[0] ?? findIana(withoutPunctuation().get(bare(text)) ?? '')[0]
  if (windows) return windows
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone
  } catch {
    throw new Error(
      `'${text}' is not a time zone: use a Windows name ("Pacific Standard Time", "W. Europe Standard Time") or an IANA one ("Europe/Paris")`,
    )
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
/** Minutes east of UTC in a zone at an instant. */
function offsetAt(zone: string, instant: number): number {
  let format = formatters.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, format)
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]))
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  )
  return Math.round((wall - (instant - (instant % 1000))) / 60_000)
}

/** The instant of a wall-clock time in a zone (null: UTC). */
export function toUtc(ts: Timestamp, zone: string | null): Timestamp {
  if (zone === null || ts.kind === 'utc') return { ...ts, kind: 'utc' }
  let guess = ts.ms - offsetAt(zone, ts.ms) * 60_000
  guess = ts.ms - offsetAt(zone, guess) * 60_000
  return timestamp(guess, 'utc', ts.ticks)
}

/** The wall-clock time in a zone of an instant (unzoned, as .NET's ConvertTime gives it). */
export function fromUtc(ts: Timestamp, zone: string | null): Timestamp {
  if (zone === null) return { ...ts, kind: 'utc' }
  return timestamp(ts.ms + offsetAt(zone, ts.ms) * 60_000, 'unspecified', ts.ticks)
}
