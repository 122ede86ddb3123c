import type { DuckDBConnection } from '@duckdb/node-api'
import { AppError } from '../../errors.js'
import { literal } from '../sql/duckdb-sql.js'

/**
 * Checks a measure's SQL escape hatch before it runs: exactly one SELECT (DuckDB's own parser
 * decides: it serialises only SELECT statements), reading only entities by name or its own CTEs —
 * no table functions (read_csv, glob…), so it cannot reach files or anything but published data.
 */
export async function validateMeasureSql(
  connection: DuckDBConnection,
  path: string,
  text: string,
  entityNames: ReadonlySet<string>,
): Promise<void> {
  const fail = (message: string) => {
    throw new AppError('InvalidMeasureSql', `${path}.sql: ${message}`, { target: `${path}.sql` })
  }
  const result = await connection.runAndReadAll(`select json_serialize_sql(${literal(text)})`)
  const parsed = JSON.parse(String(result.getRowsJS()[0]?.[0])) as {
    error?: boolean
    error_message?: string
    statements?: unknown[]
  }
  if (parsed.error)
    fail(
      /Only SELECT/.test(parsed.error_message ?? '')
        ? 'only a SELECT is allowed (no INSERT, COPY, ATTACH, SET…)'
        : `${parsed.error_message}`,
    )
  if (parsed.statements?.length !== 1) fail('write exactly one SELECT statement')
  const ctes = new Set<string>()
  const tables: string[] = []
  const functions: string[] = []
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item)
      return
    }
    if (!node || typeof node !== 'object') return
    const record = node as Record<string, unknown>
    if (record.type === 'BASE_TABLE') tables.push(String(record.table_name))
    if (record.type === 'TABLE_FUNCTION')
      functions.push(String((record.function as { function_name?: string } | undefined)?.function_name))
    const cteMap = record.cte_map as { map?: { key: string }[] } | undefined
    for (const entry of cteMap?.map ?? []) ctes.add(entry.key)
    for (const value of Object.values(record)) walk(value)
  }
  walk(parsed.statements)
  if (functions.length > 0)
    fail(`table functions are not allowed (${[...new Set(functions)].join(', ')}); read entities by name`)
  const unknown = [...new Set(tables.filter((t) => !entityNames.has(t) && !ctes.has(t)))]
  if (unknown.length > 0)
    fail(
      `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not an entity; entities are ${[...entityNames].sort().join(', ')}`,
    )
}
