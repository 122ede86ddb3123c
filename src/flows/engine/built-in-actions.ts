/**
 * Power Automate's built-in actions that compute rather than call out: variables and the data
 * operations (Join, Select, Filter array, Parse JSON, Create CSV/HTML table), and the designer's
 * object form of a condition. They run inside the engine, synchronously, with the run's scope.
 */
import { Ajv } from 'ajv'
import { type ActionDefinition, VARIABLE_ACTIONS, type VariableType } from '../definition/flow-definition.js'
import { callFunction, describe, type ExpressionScope, evaluateValue } from '../expressions/index.js'
import { ActionFailure } from './action-failure.js'

const fail = (code: string, message: string): never => {
  throw new ActionFailure(code, message)
}

/**
 * A condition as a definition writes it: an expression ("@greater(…)"), a boolean, or the
 * designer's object form: {"and": [...]}, {"or": [...]}, {"not": {...}}, {"equals": [a, b]}.
 */
export function evaluateCondition(condition: unknown, scope: ExpressionScope): unknown {
  if (!condition || typeof condition !== 'object' || Array.isArray(condition))
    return evaluateValue(condition, scope)
  const entries = Object.entries(condition)
  if (entries.length !== 1)
    return fail(
      'InvalidCondition',
      `a condition object has one operator, got ${entries.map(([k]) => k).join(', ') || 'none'}`,
    )
  const [operator, operands] = entries[0] as [string, unknown]
  const list = Array.isArray(operands) ? operands : [operands]
  switch (operator) {
    case 'and':
      return list.every((c) => evaluateCondition(c, scope) === true)
    case 'or':
      return list.some((c) => evaluateCondition(c, scope) === true)
    case 'not':
      return evaluateCondition(list[0], scope) !== true
  }
  try {
    return callFunction(
      operator,
      list.map((operand) => evaluateValue(operand, scope)),
      scope.now,
    )
  } catch (error) {
    return fail('InvalidCondition', `${operator}: ${(error as Error).message}`)
  }
}

// --- variables ---------------------------------------------------------------------------

const DEFAULTS: Record<VariableType, () => unknown> = {
  Boolean: () => false,
  Integer: () => 0,
  Float: () => 0,
  String: () => '',
  Object: () => ({}),
  Array: () => [],
}

function fits(type: VariableType, value: unknown): boolean {
  switch (type) {
    case 'Boolean':
      return typeof value === 'boolean'
    case 'Integer':
      return typeof value === 'number' && Number.isInteger(value)
    case 'Float':
      return typeof value === 'number'
    case 'String':
      return typeof value === 'string'
    case 'Object':
      return !!value && typeof value === 'object' && !Array.isArray(value)
    case 'Array':
      return Array.isArray(value)
  }
}

/** The run's variables and their declared types; a resumed run restores both from its records. */
export class Variables {
  readonly values: Record<string, unknown> = {}
  readonly #types = new Map<string, VariableType>()

  /** A recorded change, applied again when a run is resumed. */
  restore(outputs: unknown): void {
    const change = outputs as { name?: string; type?: VariableType; value?: unknown } | null
    if (!change?.name) return
    if (change.type) this.#types.set(change.name, change.type)
    this.values[change.name] = change.value
  }

  #typeOf(name: string): VariableType {
    const type = this.#types.get(name)
    if (!type)
      return fail(
        'InvalidVariable',
        `no variable '${name}'${this.#types.size ? ` (there are ${[...this.#types.keys()].join(', ')})` : ''}; initialize it first`,
      )
    return type
  }

  /** Runs a variable action on its evaluated inputs; its outputs record the change. */
  apply(action: ActionDefinition, inputs: unknown): { name: string; type?: VariableType; value: unknown } {
    if (action.type === 'initializeVariable') {
      const [declared] = (inputs as { variables: { name: string; type: VariableType; value?: unknown }[] })
        .variables
      const { name, type } = declared as { name: string; type: VariableType; value?: unknown }
      if (this.#types.has(name)) fail('InvalidVariable', `the variable '${name}' is already initialized`)
      let value = (declared as { value?: unknown }).value ?? DEFAULTS[type]()
      if (
        type === 'Float' &&
        typeof value === 'string' &&
        value.trim() !== '' &&
        Number.isFinite(Number(value))
      )
        value = Number(value)
      if (type === 'Integer' && typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()))
        value = Number(value)
      if (!fits(type, value))
        fail('InvalidVariable', `'${name}' is ${type}; its initial value is ${describe(value)}`)
      this.#types.set(name, type)
      this.values[name] = value
      return { name, type, value }
    }
    const { name, value } = inputs as { name: string; value?: unknown }
    const type = this.#typeOf(name)
    const current = this.values[name]
    let next: unknown
    switch (action.type) {
      case 'setVariable':
        if (!fits(type, value))
          fail('InvalidVariable', `'${name}' is ${type}; cannot set it to ${describe(value)}`)
        next = value
        break
      case 'incrementVariable':
      case 'decrementVariable': {
        if (type !== 'Integer' && type !== 'Float')
          fail('InvalidVariable', `'${name}' is ${type}; only Integer and Float variables count up or down`)
        const by = value === undefined || value === null ? 1 : value
        if (typeof by !== 'number' || (type === 'Integer' && !Number.isInteger(by)))
          fail(
            'InvalidVariable',
            `'${name}' changes by a ${type === 'Integer' ? 'whole ' : ''}number, not ${describe(by)}`,
          )
        next = (current as number) + (action.type === 'incrementVariable' ? (by as number) : -(by as number))
        break
      }
      case 'appendToStringVariable':
        if (type !== 'String') fail('InvalidVariable', `'${name}' is ${type}; append to a String variable`)
        next = `${current as string}${value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value)}`
        break
      case 'appendToArrayVariable':
        if (type !== 'Array') fail('InvalidVariable', `'${name}' is ${type}; append to an Array variable`)
        next = [...(current as unknown[]), value]
        break
      default:
        return fail('UnsupportedAction', `${action.type} is not a variable action`)
    }
    this.values[name] = next
    return { name, value: next }
  }
}

// --- data operations -----------------------------------------------------------------------

const itemScope = (scope: ExpressionScope, name: string, item: unknown): ExpressionScope => ({
  ...scope,
  items: [...scope.items, [name, item]],
})

function fromArray(action: ActionDefinition, scope: ExpressionScope): unknown[] {
  const from = evaluateValue((action.inputs as { from?: unknown }).from, scope)
  if (!Array.isArray(from))
    return fail(
      'InvalidInput',
      `'From' must be an array, got ${describe(from)}; e.g. @body('Get_items')?['value']`,
    )
  return from
}

const ajv = new Ajv({ strict: false, allErrors: true })
const validators = new Map<string, ReturnType<Ajv['compile']>>()

const html = (v: unknown) =>
  (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
const csv = (v: unknown) => {
  const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** Runs a data operation: its inputs are evaluated here, per item where it has item(). */
export function runDataOperation(
  name: string,
  action: ActionDefinition,
  scope: ExpressionScope,
): { inputs: unknown; outputs: unknown } {
  const raw = action.inputs as Record<string, unknown>
  switch (action.type) {
    case 'join': {
      const from = fromArray(action, scope)
      const joinWith = evaluateValue(raw.joinWith, scope)
      const body = callFunction('join', [from, String(joinWith ?? '')])
      return { inputs: { from: { count: from.length }, joinWith }, outputs: { body } }
    }
    case 'select': {
      const from = fromArray(action, scope)
      const body = from.map((item) => evaluateValue(raw.select, itemScope(scope, name, item)))
      return { inputs: { from: { count: from.length } }, outputs: { body } }
    }
    case 'query': {
      const from = fromArray(action, scope)
      const body = from.filter((item) => {
        const keep = evaluateCondition(raw.where, itemScope(scope, name, item))
        if (typeof keep !== 'boolean')
          fail('InvalidCondition', `'where' gave ${describe(keep)} for an item, not true or false`)
        return keep
      })
      return { inputs: { from: { count: from.length } }, outputs: { body } }
    }
    case 'parseJson': {
      let content = evaluateValue(raw.content, scope)
      if (typeof content === 'string') {
        try {
          content = JSON.parse(content)
        } catch (error) {
          fail('InvalidJSON', `the content is not JSON: ${(error as Error).message}`)
        }
      }
      const schema = (raw.schema ?? {}) as Record<string, unknown>
      const key = JSON.stringify(schema)
      let validate = validators.get(key)
      if (!validate) {
        try {
          validate = ajv.compile(schema)
        } catch (error) {
          return fail('InvalidSchema', `the schema is not a JSON Schema: ${(error as Error).message}`)
        }
        if (validators.size > 200) validators.clear()
        validators.set(key, validate)
      }
      if (!validate(content))
        fail(
          'ValidationFailed',
          `the JSON does not match the schema: ${(validate.errors ?? [])
            .slice(0, 5)
            .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
            .join('; ')}`,
        )
      return { inputs: { content }, outputs: { body: content } }
    }
    case 'table': {
      const from = fromArray(action, scope)
      const format = raw.format as 'CSV' | 'HTML'
      const custom = raw.columns as { header?: string; value: unknown }[] | undefined
      const first = from.find((item) => item && typeof item === 'object' && !Array.isArray(item)) as
        | Record<string, unknown>
        | undefined
      const columns = custom ?? Object.keys(first ?? {}).map((key) => ({ header: key, value: undefined }))
      const headers = columns.map((c, i) => c.header ?? (custom ? '' : Object.keys(first ?? {})[i]) ?? '')
      const rows = from.map((item) =>
        columns.map((column, i) =>
          custom
            ? evaluateValue(column.value, itemScope(scope, name, item))
            : (item as Record<string, unknown> | null)?.[headers[i] as string],
        ),
      )
      const body =
        format === 'CSV'
          ? [headers.map(csv).join(','), ...rows.map((row) => row.map(csv).join(','))].join('\r\n')
          : `<table><thead><tr>${headers.map((h) => `<th>${html(h)}</th>`).join('')}</tr></thead><tbody>${rows
              .map((row) => `<tr>${row.map((v) => `<td>${html(v)}</td>`).join('')}</tr>`)
              .join('')}</tbody></table>`
      return { inputs: { from: { count: from.length }, format }, outputs: { body } }
    }
    default:
      return fail('UnsupportedAction', `${action.type} is not a data operation`)
  }
}

export { VARIABLE_ACTIONS }
export const DATA_OPERATIONS = new Set(['join', 'select', 'query', 'parseJson', 'table'])
/** Actions that hold actions: a resumed run walks into them again (their insides replay). */
export const CONTROL_ACTIONS = new Set(['condition', 'foreach', 'switch', 'until', 'scope'])
