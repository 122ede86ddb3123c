import { z } from 'zod'
import { valueTypeOf } from '../../query/odata/value-types.js'
import type { ColumnSchema } from '../../store/tables.js'

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/

/** The zod schema of one column's values in a written item (null allowed except for the key). */
export function columnValueSchema(column: ColumnSchema): z.ZodType {
  const type = column.type.toUpperCase()
  switch (valueTypeOf(type)) {
    case 'string':
      return z.string().max(100_000)
    case 'number':
      return INTEGER.test(type)
        ? z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)
        : z.number()
    case 'boolean':
      return z.boolean()
    case 'date':
      return z.iso.date()
    case 'datetime':
      return z.iso.datetime({ offset: true })
    default:
      return z.never()
  }
}

/** Types a writable entity's columns may have. */
export function isWritableColumnType(type: string): boolean {
  return valueTypeOf(type) !== 'other' && !/HUGEINT|UBIGINT/i.test(type)
}

/** Validates an item against the entity's columns: known columns only, typed, the key present when required. */
export function itemSchema(columns: ColumnSchema[], keyColumn: string, mode: 'create' | 'update') {
  const shape: Record<string, z.ZodType> = {}
  for (const column of columns) {
    const value = columnValueSchema(column)
    shape[column.name] =
      column.name === keyColumn
        ? mode === 'create'
          ? value.optional()
          : value.optional()
        : value.nullable().optional()
  }
  return z.object(shape).strict()
}
