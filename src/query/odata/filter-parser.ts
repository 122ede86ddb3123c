import { type DataverseArgument, dataverseFunction } from './dataverse-functions.js'
import {
  type ArithmeticOperator,
  type ComparisonOperator,
  type FilterExpression,
  FUNCTIONS,
  type FunctionName,
  type NumberKind,
} from './filter-ast.js'
import { type Token, tokenize } from './odata-lexer.js'
import { odataSyntaxError } from './odata-syntax-error.js'

const TYPED_LITERALS = new Set(['datetime', 'datetimeoffset', 'guid', 'date', 'time'])
const MAX_DEPTH = 100
const MAX_IN_LIST = 1000
const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'eq',
  'ne',
  'gt',
  'ge',
  'lt',
  'le',
  'add',
  'sub',
  'mul',
  'div',
  'divby',
  'mod',
])

/**
 * A date, time or date-time literal as OData writes it, checked for real: months 1–12, the days
 * the month has (years may be 0 or negative, proleptic Gregorian), hours 0–23 (24:00 is not one),
 * minutes 0–59, seconds 0–59 (60 only as a leap second). Returns why not, or undefined.
 */
export function temporalProblem(text: string): string | undefined {
  const m =
    /^(-?\d{4,})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|([+-])(\d{2}):(\d{2}))?)?$/i.exec(
      text,
    ) ?? /^()()()(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?()$/.exec(text)
  if (!m) return 'not a date or time'
  const [, y, mo, d, h, mi, s, , , oh, om] = m
  if (y) {
    const year = Number(y)
    const month = Number(mo)
    const day = Number(d)
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    if (!days) return `month ${mo} does not exist`
    if (day < 1 || day > days) return `${y}-${mo} has no day ${d}`
  }
  if (h !== undefined && Number(h) > 23) return `hour ${h} does not exist (the day ends at 23:59:59)`
  if (mi !== undefined && Number(mi) > 59) return `minute ${mi} does not exist`
  if (s !== undefined && Number(s) > 60) return `second ${s} does not exist`
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return `offset ${oh}:${om} does not exist`
  return undefined
}

function numberLiteral(text: string): { value: number | bigint; kind: NumberKind } {
  if (text === 'INF' || text === '-INF')
    return { value: text === 'INF' ? Infinity : -Infinity, kind: 'double' }
  if (text === 'NaN') return { value: Number.NaN, kind: 'double' }
  if (/[eE]/.test(text)) return { value: Number(text), kind: 'double' }
  if (/\./.test(text)) return { value: Number(text), kind: 'decimal' }
  const n = Number(text)
  return { value: Number.isSafeInteger(n) ? n : BigInt(text.replace(/^\+/, '')), kind: 'integer' }
}

/**
 * Parses an OData `$filter` (or an `$orderby` item) into an expression tree: OData 4.01's
 * operators with its precedence — grouping, then unary `-` and `not`, then `mul div divby mod`,
 * `add sub`, `gt ge lt le in`, `eq ne`, `and`, `or` — keywords in any case, the canonical
 * functions, and every literal an entity query uses (strings, numbers with INF and NaN, GUIDs,
 * dates, date-times, times, booleans, null). Errors name the position and what was expected.
 */
export function parseFilter(text: string, option = '$filter'): FilterExpression {
  if (/^\s/.test(text) && text.trim() !== '')
    throw odataSyntaxError(option, 1, 'no whitespace is allowed before the expression')
  const tokens = tokenize(text, option)
  let index = 0
  let depth = 0
  const peek = (): Token => tokens[index] as Token
  const next = (): Token => tokens[index++] as Token
  const isKeyword = (token: Token, ...words: string[]) =>
    token.kind === 'identifier' && words.includes(token.text.toLowerCase())
  const fail = (token: Token, expected: string): never => {
    const found = token.kind === 'end' ? 'the end' : `'${token.text}'`
    throw odataSyntaxError(option, token.position, `expected ${expected} but found ${found}`)
  }
  const expect = (kind: Token['kind'], what: string): Token => {
    const token = next()
    if (token.kind !== kind) fail(token, what)
    return token
  }
  const deeper = (token: Token) => {
    if (++depth > MAX_DEPTH) throw odataSyntaxError(option, token.position, 'the expression nests too deeply')
  }
  /** A binary level: operands of `operand()`, joined by any of `words`. */
  const binary = <K extends string>(
    words: readonly K[],
    operand: () => FilterExpression,
    make: (
      operator: K,
      left: FilterExpression,
      right: FilterExpression,
      position: number,
    ) => FilterExpression,
  ) => {
    let left = operand()
    while (isKeyword(peek(), ...words)) {
      const token = next()
      left = make(token.text.toLowerCase() as K, left, operand(), token.position)
    }
    return left
  }

  const or = (): FilterExpression =>
    binary(['or'] as const, and, (_, left, right, position) => ({ kind: 'or', left, right, position }))
  const and = (): FilterExpression =>
    binary(['and'] as const, equality, (_, left, right, position) => ({ kind: 'and', left, right, position }))
  const equality = (): FilterExpression =>
    binary(['eq', 'ne'] as const, relational, (operator, left, right, position) => ({
      kind: 'compare',
      operator: operator as ComparisonOperator,
      left,
      right,
      position,
    }))

  function relational(): FilterExpression {
    let left = additive()
    for (;;) {
      const token = peek()
      if (isKeyword(token, 'gt', 'ge', 'lt', 'le')) {
        next()
        left = {
          kind: 'compare',
          operator: token.text.toLowerCase() as ComparisonOperator,
          left,
          right: additive(),
          position: token.position,
        }
      } else if (isKeyword(token, 'in')) {
        next()
        expect('(', "'(' after in")
        const list: FilterExpression[] = []
        if (peek().kind === ')') next()
        else
          for (;;) {
            const item = unary()
            if (item.kind !== 'literal' && !(item.kind === 'negate' && item.operand.kind === 'literal'))
              throw odataSyntaxError(option, item.position, 'in takes a list of literal values')
            list.push(item)
            if (list.length > MAX_IN_LIST)
              throw odataSyntaxError(option, token.position, `in takes at most ${MAX_IN_LIST} values`)
            const separator = next()
            if (separator.kind === ')') break
            if (separator.kind !== ',') fail(separator, "',' or ')'")
          }
        left = { kind: 'in', operand: left, list, position: token.position }
      } else return left
    }
  }

  const arithmetic =
    (words: readonly ArithmeticOperator[], operand: () => FilterExpression) => (): FilterExpression =>
      binary(words, operand, (operator, left, right, position) => ({
        kind: 'arithmetic',
        operator,
        left,
        right,
        position,
      }))
  const multiplicative = arithmetic(['mul', 'div', 'divby', 'mod'], () => unary())
  const additive = arithmetic(['add', 'sub'], multiplicative)

  function unary(): FilterExpression {
    const token = peek()
    if (isKeyword(token, 'not')) {
      next()
      deeper(token)
      const operand = unary()
      depth--
      return { kind: 'not', operand, position: token.position }
    }
    if (token.kind === '-') {
      next()
      deeper(token)
      const operand = unary()
      depth--
      return { kind: 'negate', operand, position: token.position }
    }
    return primary()
  }

  function primary(): FilterExpression {
    const token = next()
    switch (token.kind) {
      case '(': {
        deeper(token)
        const inner = or()
        depth--
        expect(')', "')'")
        return inner
      }
      case 'string':
        return { kind: 'literal', type: 'string', value: token.text, position: token.position }
      case 'number': {
        const { value, kind } = numberLiteral(token.text)
        return {
          kind: 'literal',
          type: 'number',
          value,
          numberKind: kind,
          ...(kind === 'decimal' ? { digits: token.text.replace(/^\+/, '') } : {}),
          position: token.position,
        }
      }
      case 'guid':
        return { kind: 'literal', type: 'guid', value: token.text, position: token.position }
      case 'date':
      case 'datetime':
      case 'time': {
        const problem = temporalProblem(token.text)
        if (problem) throw odataSyntaxError(option, token.position, `${token.text} is not valid: ${problem}`)
        return { kind: 'literal', type: token.kind, value: token.text, position: token.position }
      }
      case 'identifier': {
        const word = token.text.toLowerCase()
        if (word === 'true' || word === 'false')
          return { kind: 'literal', type: 'boolean', value: word === 'true', position: token.position }
        if (word === 'null') return { kind: 'literal', type: 'null', value: null, position: token.position }
        // OData 3's typed literals, as SharePoint makers still write them: datetime'2024-01-01T00:00:00'.
        if (TYPED_LITERALS.has(word) && peek().kind === 'string' && !peek().spaced)
          return typedLiteral(word, next())
        if (word.startsWith('microsoft.dynamics.crm.') && peek().kind === '(') return dataverse(token)
        if (word === 'substringof' && peek().kind === '(' && !peek().spaced) {
          // OData 3's substringof(needle, haystack) is contains(haystack, needle).
          next()
          const needle = or()
          expect(',', "',' between the arguments of substringof")
          const haystack = or()
          expect(')', "')' after the arguments of substringof")
          return { kind: 'call', name: 'contains', args: [haystack, needle], position: token.position }
        }
        if (peek().kind === '(' && !peek().spaced) {
          if (!(word in FUNCTIONS))
            throw odataSyntaxError(
              option,
              token.position,
              `unknown function '${token.text}'; use ${Object.keys(FUNCTIONS).join(', ')}`,
            )
          const name = word as FunctionName
          next()
          deeper(token)
          const args: FilterExpression[] = []
          if (peek().kind === ')') next()
          else
            for (;;) {
              args.push(or())
              const separator = next()
              if (separator.kind === ')') break
              if (separator.kind !== ',') fail(separator, "',' or ')'")
            }
          depth--
          const { min, max } = FUNCTIONS[name]
          if (args.length < min || args.length > max)
            throw odataSyntaxError(
              option,
              token.position,
              `${name} takes ${min === max ? min : `${min} or ${max}`} argument${max === 1 ? '' : 's'}, not ${args.length}`,
            )
          return { kind: 'call', name, args, position: token.position }
        }
        if (KEYWORDS.has(word)) fail(token, 'a value or a property')
        return { kind: 'property', name: token.text, position: token.position }
      }
      default:
        return fail(token, 'a value, a property or (')
    }
  }

  function typedLiteral(prefix: string, token: Token): FilterExpression {
    const text = token.text.trim()
    const position = token.position
    if (prefix === 'guid') {
      if (!/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/.test(text))
        throw odataSyntaxError(option, position, `guid'${text}' is not a GUID`)
      return { kind: 'literal', type: 'guid', value: text.toLowerCase(), position }
    }
    const type = prefix === 'date' ? 'date' : prefix === 'time' ? 'time' : 'datetime'
    const problem = temporalProblem(text)
    if (problem) throw odataSyntaxError(option, position, `${prefix}'${text}' is not valid: ${problem}`)
    return { kind: 'literal', type, value: text, position }
  }

  /** Microsoft.Dynamics.CRM.Name(PropertyName='x',PropertyValue=7 | PropertyValues=['a','b']). */
  function dataverse(token: Token): FilterExpression {
    next()
    deeper(token)
    const args: Record<string, DataverseArgument> = {}
    const scalar = (t: Token): string | number => {
      if (t.kind === 'string') return t.text
      if (t.kind === 'number') return Number(t.text)
      if (t.kind === 'date' || t.kind === 'datetime' || t.kind === 'guid') return t.text
      return fail(t, 'a value')
    }
    if (peek().kind !== ')')
      for (;;) {
        const name = expect('identifier', 'a parameter name (PropertyName, PropertyValue or PropertyValues)')
        expect('=', "'=' after the parameter name")
        if (peek().kind === '[') {
          next()
          const list: (string | number)[] = []
          if (peek().kind !== ']')
            for (;;) {
              list.push(scalar(next()))
              const separator = next()
              if (separator.kind === ']') break
              if (separator.kind !== ',') fail(separator, "',' or ']'")
            }
          else next()
          args[name.text] = list
        } else args[name.text] = scalar(next())
        const separator = next()
        if (separator.kind === ')') break
        if (separator.kind !== ',') fail(separator, "',' or ')'")
      }
    else next()
    depth--
    return dataverseFunction(token.text, args, token.position, (message) => {
      throw odataSyntaxError(option, token.position, message)
    })
  }

  if (peek().kind === 'end') throw odataSyntaxError(option, 1, 'the filter is empty')
  const expression = or()
  const rest = peek()
  if (rest.kind !== 'end') fail(rest, 'an operator, or the end of the expression')
  return expression
}
