import { AppError } from '../../errors.js'
import { filterToSql, type Sql } from '../../query/index.js'
import { valueTypeOf } from '../../query/odata/value-types.js'
import type { Entity } from '../../store/entities.js'

/**
 * The condition that selects one item by key. In the OData form `Entity('a''b')` or `Entity(42)`
 * the key is a literal; in the plain form `…/Entity/a'b` it is the text itself.
 */
export function keyCondition(entity: Entity, keyText: string, form: 'odata' | 'plain'): Sql {
  const keyColumn = entity.current.keyColumn
  if (!keyColumn) {
    throw new AppError('NoKey', `entity ${entity.name} has no key column; query it with $filter instead`, {
      target: entity.name,
    })
  }
  const column = entity.current.schema.find((c) => c.name === keyColumn)
  const type = column ? valueTypeOf(column.type) : 'string'
  let text = keyText
  if (form === 'odata') {
    // `Entity(Key=value)` names the key property, as generated clients write it.
    const named = /^\s*([\p{L}_][\p{L}\p{N}_]*)\s*=\s*(.*)$/su.exec(text)
    if (named && !/^'/.test(text)) {
      if (named[1] !== keyColumn)
        throw new AppError(
          'InvalidKey',
          `${named[1]} is not the key of ${entity.name}; its key is ${keyColumn}`,
          {
            target: 'key',
          },
        )
      text = named[2] as string
    }
    const quoted = /^'((?:[^']|'')*)'$/.exec(text)
    text = quoted ? (quoted[1] as string).replaceAll("''", "'") : text
  }
  let value: number | string | boolean = text
  if (type === 'number') {
    value = Number(text)
    if (text.trim() === '' || !Number.isFinite(value))
      throw new AppError('InvalidKey', `key '${keyText}' is not a number (${keyColumn} is ${column?.type})`, {
        target: 'key',
      })
  }
  return filterToSql(
    {
      kind: 'compare',
      operator: 'eq',
      left: { kind: 'property', name: keyColumn, position: 1 },
      right:
        typeof value === 'number'
          ? { kind: 'literal', type: 'number', value, position: 1 }
          : { kind: 'literal', type: 'string', value, position: 1 },
      position: 1,
    },
    entity.current.schema,
    'key',
  )
}
