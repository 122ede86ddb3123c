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

/**
 * The fields of an item as a connector shows them (GetEntitySchema): `read` every column as it
 * comes back (any may be empty); `create` the fields of a new item, the key required unless a
 * text key is generated for it; `update` the fields that can change (not the key, which is in
 * the path). Each field is described by its column's type.
 */
export function itemFieldsSchema(
  columns: ColumnSchema[],
  keyColumn: string | null,
  use: 'read' | 'create' | 'update',
): z.ZodObject {
  const shape: Record<string, z.ZodType> = {}
  for (const column of columns) {
    if (use === 'update' && column.name === keyColumn) continue
    const typed = valueTypeOf(column.type) === 'other' ? z.unknown() : columnValueSchema(column)
    const isKey = column.name === keyColumn
    const described = typed.describe(
      `${isKey ? 'The key' : 'A column'} of type ${column.type}${isKey && use === 'create' && /VARCHAR/i.test(column.type) ? '; generated when left empty' : ''}`,
    )
    const keyRequired = use === 'create' && isKey && !/VARCHAR/i.test(column.type)
    shape[column.name] = (
      keyRequired ? described : use === 'read' ? described.nullable() : described.nullable().optional()
    ).meta({
      'x-ms-summary': column.name,
      ...(isKey ? { 'x-ms-visibility': 'important' } : {}),
    })
  }
  return z.object(shape)
}
