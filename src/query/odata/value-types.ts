/** How OData sees a column or an expression: the type families comparisons work within. */
export type ValueType =
  | 'string'
  | 'number'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'time'
  | 'guid'
  | 'null'
  | 'other'

/** The OData family of a DuckDB column type. */
export function valueTypeOf(duckType: string): ValueType {
  const t = duckType.toUpperCase()
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(')) return 'string'
  if (t === 'BOOLEAN') return 'boolean'
  if (t === 'DATE') return 'date'
  if (t.startsWith('TIMESTAMP')) return 'datetime'
  if (t === 'TIME') return 'time'
  if (t === 'UUID') return 'guid'
  if (
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL)$/.test(
      t,
    ) ||
    t.startsWith('DECIMAL')
  )
    return 'number'
  return 'other'
}

/** Whether a numeric DuckDB type holds whole numbers (OData's Edm.Int*). */
export function isIntegerType(duckType: string | undefined): boolean {
  return (
    !!duckType &&
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/i.test(duckType)
  )
}
