/**
 * Dates written day first without separators, as some exports write birth dates: 251191 is
 * 25 November 1991 (ddmmyy), 25111991 (ddmmyyyy). A reader cannot tell them from numbers by their
 * look, so a column is taken for such dates only when its name says it holds dates, every value
 * has the length, at least 90 % are dates read so (the others become rejects), and at least one
 * can only be read day first (not as yymmdd nor mmddyy).
 */
const DATE_NAME = /(birth|born|dob|geburt|fødsel|fodsel|naissance|nacimiento|nascita|datum|date|dato)/i

/** Whether a column, by its name and the type it was sniffed as, may hold such dates. */
export const mayHoldDayFirstDates = (column: string, sniffedType: string) =>
  DATE_NAME.test(column) && /^(BIGINT|INTEGER|HUGEINT|VARCHAR)$/i.test(sniffedType)

function valid(day: number, month: number, year: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** The 4-digit year of a 2-digit one as strptime's %y reads it (69–99 → 19xx, 00–68 → 20xx). */
const century = (yy: number) => (yy >= 69 ? 1900 + yy : 2000 + yy)

/** The strptime format of a column's values if they are day-first dates without separators. */
export function dayFirstFormat(
  column: string,
  values: readonly (string | null)[],
): '%d%m%y' | '%d%m%Y' | undefined {
  if (!DATE_NAME.test(column)) return undefined
  const present = values.map((v) => v?.trim() ?? '').filter((v) => v !== '')
  if (present.length === 0) return undefined
  for (const [length, format] of [
    [6, '%d%m%y'],
    [8, '%d%m%Y'],
  ] as const) {
    if (!present.every((v) => v.length === length && /^\d+$/.test(v))) continue
    const year = (y: number) => (length === 6 ? century(y) : y)
    const parts = present
      .map((v) => [Number(v.slice(0, 2)), Number(v.slice(2, 4)), Number(v.slice(4))] as const)
      .filter(([d, m, y]) => valid(d, m, year(y)))
    if (parts.length < 0.9 * present.length) continue
    // Some value must rule out the other readings, or the column may be month first or year first.
    const onlyDayFirst = parts.some(([d, m, y]) => {
      const monthFirst = valid(m, d, year(y))
      const yearFirst = length === 6 && valid(y, m, century(d))
      return !monthFirst && !yearFirst
    })
    if (onlyDayFirst) return format
  }
  return undefined
}
