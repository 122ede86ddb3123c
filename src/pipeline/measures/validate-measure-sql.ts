import { AppError } from '../../errors.js'
import { literal, type SqlSession, sql } from '../../query/index.js'

/**
 * Checks a measure's SQL escape hatch before it runs: exactly one SELECT (DuckDB's own parser
 * decides: it serialises only SELECT statements), reading only entities by name or its own CTEs —
 * no table functions (read_csv, glob…). This is the first line only: the SQL then runs in a
 * DuckDB that cannot touch files (see sql-sandbox.ts).
 */
export async function validateMeasureSql(
  session: SqlSession,
  path: string,
  text: string,
  entityNames: ReadonlySet<string>,
): Promise<void> {
  const fail = (message: string) => {
    throw new AppError('InvalidMeasureSql', `${path}.sql: ${message}`, { target: `${path}.sql` })
  }
  const parsed = JSON.parse(
    String(await session.value(sql`select json_serialize_sql(${literal(text)})`)),
  ) as {
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
  const tables: string[] = []
  const functions: string[] = []
  // A CTE's name resolves only in the query that defines it (and what that query holds), so
  // names are tracked per scope: a CTE named '/srv/x.json' in one subquery must not make
  // `FROM '/srv/x.json'` in another pass as a reference to it.
  const walk = (node: unknown, visible: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, visible)
      return
    }
    if (!node || typeof node !== 'object') return
    const record = node as Record<string, unknown>
    const cteMap = record.cte_map as { map?: { key: string }[] } | undefined
    const scope = cteMap?.map?.length ? new Set([...visible, ...cteMap.map.map((e) => e.key)]) : visible
    if (record.type === 'BASE_TABLE') {
      const name = String(record.table_name)
      const qualifier = [record.catalog_name, record.schema_name].filter(Boolean).join('.')
      if (qualifier) tables.push(`${qualifier}.${name}`)
      else if (!(entityNames.has(name) || scope.has(name))) tables.push(name)
    }
    if (record.type === 'TABLE_FUNCTION')
      functions.push(String((record.function as { function_name?: string } | undefined)?.function_name))
    for (const value of Object.values(record)) walk(value, scope)
  }
  walk(parsed.statements, new Set())
  if (functions.length > 0)
    fail(`table functions are not allowed (${[...new Set(functions)].join(', ')}); read entities by name`)
  const unknown = [...new Set(tables)]
  if (unknown.length > 0)
    fail(
      `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not an entity; entities are ${[...entityNames].sort().join(', ')}`,
    )
}
