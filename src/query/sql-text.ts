/**
 * The only ways a name or a value is written into DuckDB SQL text: quoted, never spliced. (Values
 * of user queries travel as bound parameters; see odata/filter-to-sql.ts.)
 */

/** Quotes an identifier (column, table). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Quotes a string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

export function literalList(values: readonly string[]): string {
  return `[${values.map(literal).join(', ')}]`
}
