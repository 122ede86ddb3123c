import { type ComparisonOperator, type FilterExpression, FUNCTIONS, type FunctionName } from './filter-ast.js'
import { type Token, tokenize } from './odata-lexer.js'
import { odataSyntaxError } from './odata-syntax-error.js'

const COMPARISONS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le'])
const MAX_DEPTH = 100
const MAX_IN_LIST = 1000

/**
 * Parses an OData `$filter` (comparisons, and/or/not, parentheses, in, the string and date
 * functions) into an expression tree. Errors name the position and what was expected.
 * Precedence, loosest first: or, and, not, comparison.
 */
export function parseFilter(text: string, option = '$filter'): FilterExpression {
  const tokens = tokenize(text, option)
  let index = 0
  let depth = 0
  const peek = (): Token => tokens[index] as Token
  const next = (): Token => tokens[index++] as Token
  const isKeyword = (token: Token, word: string) =>
    token.kind === 'identifier' && token.text.toLowerCase() === word
  const fail = (token: Token, expected: string): never => {
    const found = token.kind === 'end' ? 'the end' : `'${token.text}'`
    throw odataSyntaxError(option, token.position, `expected ${expected} but found ${found}`)
  }
  const expect = (kind: Token['kind'], what: string): Token => {
    const token = next()
    if (token.kind !== kind) fail(token, what)
    return token
  }

  function or(): FilterExpression {
    let left = and()
    while (isKeyword(peek(), 'or')) {
      const { position } = next()
      left = { kind: 'or', left, right: and(), position }
    }
    return left
  }

  function and(): FilterExpression {
    let left = unary()
    while (isKeyword(peek(), 'and')) {
      const { position } = next()
      left = { kind: 'and', left, right: unary(), position }
    }
    return left
  }

  function unary(): FilterExpression {
    if (isKeyword(peek(), 'not')) {
      const { position } = next()
      if (++depth > MAX_DEPTH) throw odataSyntaxError(option, position, 'the expression nests too deeply')
      const operand = unary()
      depth--
      return { kind: 'not', operand, position }
    }
    return comparison()
  }

  function comparison(): FilterExpression {
    const left = primary()
    const token = peek()
    if (token.kind === 'identifier' && COMPARISONS.has(token.text.toLowerCase())) {
      next()
      const right = primary()
      return {
        kind: 'compare',
        operator: token.text.toLowerCase() as ComparisonOperator,
        left,
        right,
        position: token.position,
      }
    }
    if (isKeyword(token, 'in')) {
      next()
      expect('(', "'(' after in")
      const list: FilterExpression[] = []
      for (;;) {
        list.push(primary())
        if (list.length > MAX_IN_LIST)
          throw odataSyntaxError(option, token.position, `in takes at most ${MAX_IN_LIST} values`)
        const separator = next()
        if (separator.kind === ')') break
        if (separator.kind !== ',') fail(separator, "',' or ')'")
      }
      return { kind: 'in', operand: left, list, position: token.position }
    }
    return left
  }

  function primary(): FilterExpression {
    const token = next()
    switch (token.kind) {
      case '(': {
        if (++depth > MAX_DEPTH)
          throw odataSyntaxError(option, token.position, 'the expression nests too deeply')
        const inner = or()
        depth--
        expect(')', "')'")
        return inner
      }
      case 'string':
        return { kind: 'literal', type: 'string', value: token.text, position: token.position }
      case 'number': {
        const integer = /^-?\d+$/.test(token.text)
        const n = Number(token.text)
        const value = integer && !Number.isSafeInteger(n) ? BigInt(token.text) : n
        if (typeof value === 'number' && !Number.isFinite(value))
          throw odataSyntaxError(option, token.position, `number ${token.text} is out of range`)
        return { kind: 'literal', type: 'number', value, position: token.position }
      }
      case 'date':
        if (Number.isNaN(Date.parse(token.text)))
          throw odataSyntaxError(option, token.position, `${token.text} is not a valid date`)
        return { kind: 'literal', type: 'date', value: token.text, position: token.position }
      case 'datetime':
        if (Number.isNaN(Date.parse(token.text)))
          throw odataSyntaxError(option, token.position, `${token.text} is not a valid date and time`)
        return { kind: 'literal', type: 'datetime', value: token.text, position: token.position }
      case 'identifier': {
        const word = token.text.toLowerCase()
        if (word === 'true' || word === 'false')
          return { kind: 'literal', type: 'boolean', value: word === 'true', position: token.position }
        if (word === 'null') return { kind: 'literal', type: 'null', value: null, position: token.position }
        if (peek().kind === '(') {
          if (!(word in FUNCTIONS)) {
            throw odataSyntaxError(
              option,
              token.position,
              `unknown function '${token.text}'; use ${Object.keys(FUNCTIONS).join(', ')}`,
            )
          }
          const name = word as FunctionName
          next()
          if (++depth > MAX_DEPTH)
            throw odataSyntaxError(option, token.position, 'the expression nests too deeply')
          const args: FilterExpression[] = []
          if (peek().kind !== ')') {
            for (;;) {
              args.push(or())
              const separator = next()
              if (separator.kind === ')') break
              if (separator.kind !== ',') fail(separator, "',' or ')'")
            }
          } else next()
          depth--
          if (args.length !== FUNCTIONS[name].args) {
            throw odataSyntaxError(
              option,
              token.position,
              `${name} takes ${FUNCTIONS[name].args} argument${FUNCTIONS[name].args === 1 ? '' : 's'}, not ${args.length}`,
            )
          }
          return { kind: 'call', name, args, position: token.position }
        }
        if (['and', 'or', 'not', 'in', ...COMPARISONS].includes(word)) fail(token, 'a value or a property')
        return { kind: 'property', name: token.text, position: token.position }
      }
      default:
        return fail(token, 'a value, a property or (')
    }
  }

  if (peek().kind === 'end') throw odataSyntaxError(option, 1, 'the filter is empty')
  const expression = or()
  const rest = peek()
  if (rest.kind !== 'end') fail(rest, 'and, or, or the end of the filter')
  return expression
}
