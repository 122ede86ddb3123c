import {
  callFunction,
  DecimalNumber,
  describe,
  FUNCTION_NAMES,
  hasFunction,
  isContent,
  type Value,
} from './expression-functions.js'
import { ExpressionError, type ExpressionNode, parseTemplate, type Template } from './expression-parser.js'

/** What an expression can read of its run. */
export interface ExpressionScope {
  /** The event that started the run: triggerBody() is its data, triggerOutputs() the whole event. */
  trigger: { body: Value; outputs: Value }
  /** Actions that have finished, by name. */
  actions: Record<string, { status: string; inputs?: Value; outputs?: Value; error?: Value }>
  /** The current item of each enclosing foreach, by loop name; the innermost last. */
  items: [string, Value][]
  parameters?: Record<string, Value>
  workflow?: { id: string; name: string; runId: string }
  /** The instance's secrets, opened: secret('name'). Run history never shows their values. */
  secrets?: Record<string, string>
  /** The run's variables (InitializeVariable, SetVariable, …): variables('name'). */
  variables?: Record<string, Value>
  /** The index of the current iteration of each enclosing loop (Until, Foreach), by loop name. */
  iterations?: Record<string, number>
  /** The top-level action results of finished scopes (Scope, Foreach, Until): result('name'). */
  results?: Record<string, Value[]>
  /** The action being evaluated (an Until's condition reads action()). */
  currentAction?: Value
  /** The run's clock for utcNow(), getFutureTime(), … (tests fix it). */
  now?: () => number
}

const WORKFLOW_FUNCTIONS = [
  'trigger',
  'triggerBody',
  'triggerOutputs',
  'body',
  'outputs',
  'action',
  'actions',
  'actionBody',
  'actionOutputs',
  'result',
  'variables',
  'iterationIndexes',
  'formDataValue',
  'formDataMultiValues',
  'multipartBody',
  'items',
  'item',
  'parameters',
  'workflow',
  'secret',
  'if',
] as const

/** Every function an expression may call. */
export const EXPRESSION_FUNCTIONS = [...FUNCTION_NAMES, ...WORKFLOW_FUNCTIONS].sort()

function action(scope: ExpressionScope, name: Value, fn: string) {
  if (typeof name !== 'string') throw new Error(`${fn}() needs an action name, got ${describe(name)}`)
  const found = scope.actions[name] ?? scope.actions[name.replaceAll(' ', '_')]
  if (!found) {
    const known = Object.keys(scope.actions)
    throw new Error(
      `no finished action '${name}'${known.length ? ` (finished: ${known.join(', ')})` : ''}; check its name and runAfter`,
    )
  }
  return found
}

const asRecord = (v: Value): Record<string, Value> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Value>) : {}

const bodyOf = (outputs: Value): Value =>
  outputs && typeof outputs === 'object' ? ((outputs as Record<string, Value>).body ?? null) : null

/** Is a number argument a float as the language types it (5.0, float(), a float sum)? */
function isFloatNode(node: ExpressionNode): boolean {
  if (node.kind === 'literal')
    return node.float === true || (typeof node.value === 'number' && !Number.isInteger(node.value))
  if (node.kind !== 'call') return false
  if (node.name === 'float' || node.name === 'decimal') return true
  if (['add', 'sub', 'mul', 'div', 'min', 'max'].includes(node.name)) return node.args.some(isFloatNode)
  return false
}

/** The values of a key in a form-encoded body (text, or binary content of that type). */
function formValues(body: Value, key: string): string[] {
  const text = isContent(body)
    ? Buffer.from(body.$content, 'base64').toString('utf8')
    : typeof body === 'string'
      ? body
      : undefined
  if (text === undefined) {
    const record = asRecord(body)
    const value = record[key]
    return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]
  }
  return new URLSearchParams(text).getAll(key)
}

/** The parts of a multipart body ({ $multipart: [{ body }] }, as the runtime describes one). */
function multipart(outputs: Value): Value[] {
  const body = bodyOf(outputs)
  const parts = asRecord(body).$multipart
  if (!Array.isArray(parts)) throw new Error("the action's output has no multipart body")
  return parts.map((part) => asRecord(part).body ?? null)
}

/** Evaluates a parsed expression against a run. Errors name the position and the function. */
export function evaluate(node: ExpressionNode, scope: ExpressionScope): Value {
  switch (node.kind) {
    case 'literal':
      return node.value
    case 'access': {
      const target = evaluate(node.target, scope)
      const key = evaluate(node.key, scope)
      if (target === null || target === undefined) {
        if (node.optional) return null
        throw new ExpressionError(
          `cannot read [${JSON.stringify(key)}] of null; write ?[${JSON.stringify(key)}] to allow a missing value`,
          node.position,
        )
      }
      if (Array.isArray(target)) {
        if (typeof key !== 'number' || !Number.isInteger(key))
          throw new ExpressionError(
            `an array is indexed by a whole number, not ${describe(key)}`,
            node.position,
          )
        const item = target[key]
        if (item === undefined && !node.optional)
          throw new ExpressionError(
            `index ${key} is outside an array of length ${target.length}`,
            node.position,
          )
        return item ?? null
      }
      if (typeof target === 'object') {
        const record = target as Record<string, Value>
        const name = String(key)
        if (Object.hasOwn(record, name)) return record[name]
        // Property names are matched regardless of case, as the language does.
        const folded = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase())
        if (folded !== undefined) return record[folded]
        if (node.optional) return null
        throw new ExpressionError(
          `the object has no property '${name}' (it has ${Object.keys(record).join(', ') || 'none'}); write ?['${name}'] to allow a missing one`,
          node.position,
        )
      }
      throw new ExpressionError(`cannot read [${JSON.stringify(key)}] of ${describe(target)}`, node.position)
    }
    case 'call': {
      const { name } = node
      try {
        if (name === 'if') {
          if (node.args.length !== 3) throw new Error(`if() takes 3 arguments, got ${node.args.length}`)
          const condition = evaluate(node.args[0] as ExpressionNode, scope)
          if (typeof condition !== 'boolean')
            throw new Error(`if() needs a boolean condition, got ${describe(condition)}`)
          return evaluate(node.args[condition ? 1 : 2] as ExpressionNode, scope)
        }
        const args = node.args.map((a) => evaluate(a, scope))
        switch (name) {
          case 'trigger':
            return { outputs: { body: scope.trigger.body, ...asRecord(scope.trigger.outputs) } }
          case 'triggerBody':
            return scope.trigger.body
          case 'triggerOutputs':
            return scope.trigger.outputs
          case 'body':
          case 'actionBody':
            return bodyOf(action(scope, args[0], name).outputs)
          case 'outputs':
          case 'actionOutputs':
            return action(scope, args[0], name).outputs ?? null
          case 'actions':
            return { name: args[0], ...action(scope, args[0], name) }
          case 'action':
            if (scope.currentAction === undefined)
              throw new Error("action() reads the current action: only in an Until's condition")
            return scope.currentAction
          case 'result': {
            const results = scope.results?.[String(args[0])]
            if (!results)
              throw new Error(
                `no finished scope, foreach or until '${String(args[0])}'; result() needs one that ran before (runAfter)`,
              )
            return results
          }
          case 'variables': {
            const variables = scope.variables ?? {}
            if (typeof args[0] !== 'string' || !Object.hasOwn(variables, args[0]))
              throw new Error(
                `no variable '${String(args[0])}'${Object.keys(variables).length ? ` (there are ${Object.keys(variables).join(', ')})` : ''}; initialize it with an InitializeVariable action that runs before`,
              )
            return variables[args[0]]
          }
          case 'iterationIndexes': {
            const index = scope.iterations?.[String(args[0])]
            if (index === undefined) throw new Error(`not inside a loop named '${String(args[0])}'`)
            return index
          }
          case 'formDataValue':
          case 'formDataMultiValues': {
            const values = formValues(bodyOf(action(scope, args[0], name).outputs), String(args[1]))
            if (name === 'formDataMultiValues') return values
            if (values.length > 1)
              throw new Error(`'${String(args[1])}' has ${values.length} values; use formDataMultiValues()`)
            return values[0] ?? null
          }
          case 'multipartBody': {
            const parts = multipart(action(scope, args[0], name).outputs)
            const index = args[1]
            if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= parts.length)
              throw new Error(`the output has ${parts.length} parts; ${String(index)} is not one of them`)
            return parts[index]
          }
          case 'div': {
            // Whole numbers divide as integers unless either was written or computed as a float.
            return callFunction(name, [...args, node.args.some(isFloatNode)], scope.now)
          }
          case 'items': {
            const loop = scope.items.find(([loopName]) => loopName === args[0])
            if (!loop) throw new Error(`no enclosing foreach '${String(args[0])}'`)
            return loop[1]
          }
          case 'item': {
            const innermost = scope.items.at(-1)
            if (!innermost) throw new Error('item() is only available inside a foreach')
            return innermost[1]
          }
          case 'parameters': {
            const parameters = scope.parameters ?? {}
            if (typeof args[0] !== 'string' || !Object.hasOwn(parameters, args[0]))
              throw new Error(`no parameter '${String(args[0])}'`)
            return parameters[args[0]]
          }
          case 'workflow':
            return scope.workflow ?? null
          case 'secret': {
            const secrets = scope.secrets ?? {}
            if (typeof args[0] !== 'string' || !Object.hasOwn(secrets, args[0]))
              throw new Error(
                `no secret '${String(args[0])}'; set it with 'openinsights secrets set ${String(args[0])}'`,
              )
            return secrets[args[0]]
          }
        }
        if (!hasFunction(name))
          throw new Error(
            `unknown function; known: ${EXPRESSION_FUNCTIONS.filter((f) => f[0] === name[0]?.toLowerCase()).join(', ') || EXPRESSION_FUNCTIONS.join(', ')}`,
          )
        return callFunction(name, args, scope.now)
      } catch (error) {
        if (error instanceof ExpressionError) throw error
        throw new ExpressionError((error as Error).message, node.position, name)
      }
    }
  }
}

const templateCache = new Map<string, Template>()

function template(text: string): Template {
  let parsed = templateCache.get(text)
  if (!parsed) {
    parsed = parseTemplate(text)
    if (templateCache.size > 10_000) templateCache.clear()
    templateCache.set(text, parsed)
  }
  return parsed
}

const asText = (v: Value) =>
  v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)

/**
 * Evaluates every expression in a value as a definition writes it: strings starting with `@`
 * become the expression's value, `@{…}` inside strings is interpolated, objects and arrays are
 * walked. Anything else is returned as it is.
 */
export function evaluateValue(value: Value, scope: ExpressionScope): Value {
  if (typeof value === 'string') {
    const parsed = template(value)
    switch (parsed.kind) {
      case 'constant':
        return parsed.value
      case 'expression': {
        const result = evaluate(parsed.node, scope)
        return result instanceof DecimalNumber ? result.valueOf() : result
      }
      case 'interpolation':
        return parsed.parts
          .map((part) => (typeof part === 'string' ? part : asText(evaluate(part, scope))))
          .join('')
    }
  }
  if (Array.isArray(value)) return value.map((item) => evaluateValue(item, scope))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluateValue(v, scope)]))
  return value
}

/** Every expression in a value parses (for validating definitions before they run). */
export function checkExpressions(
  value: Value,
  path: string,
  problems: { path: string; message: string }[],
): void {
  if (typeof value === 'string') {
    try {
      template(value)
    } catch (error) {
      problems.push({ path, message: (error as Error).message })
    }
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkExpressions(item, `${path}[${i}]`, problems)
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) checkExpressions(v, `${path}.${k}`, problems)
}
