/**
 * The workflow definition language's expressions, as Power Automate and Logic Apps write them:
 * `triggerBody()?['segmentName']`, `body('Get_items')?['value']`, `concat('a', 'b')`,
 * `items('For_each').email`. A parser into a small tree; nothing is ever passed to eval.
 */

export type ExpressionNode =
  | {
      kind: 'literal'
      value: string | number | boolean | null
      position: number
      /** A number written as a float (5.0, .3, 1e3): div() of floats does not truncate. */
      float?: boolean
    }
  | { kind: 'call'; name: string; args: ExpressionNode[]; position: number }
  | {
      kind: 'access'
      target: ExpressionNode
      key: ExpressionNode
      /** `?[…]` / `?.x`: a missing target gives null instead of an error. */
      optional: boolean
      position: number
    }

/** An expression that does not parse or evaluate; positions count characters of the value from 1. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly functionName?: string,
  ) {
    super(`${message} (at position ${position + 1}${functionName ? `, in ${functionName}()` : ''})`)
    this.name = 'ExpressionError'
  }
}

type Token =
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: number; position: number; float: boolean }
  | { kind: 'name'; value: string; position: number }
  | { kind: '(' | ')' | '[' | ']' | ',' | '.' | '?' | 'end'; position: number }

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === "'") {
      const start = i
      let value = ''
      i++
      for (;;) {
        if (i >= text.length) throw new ExpressionError('unterminated string', start)
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'"
            i += 2
            continue
          }
          i++
          break
        }
        value += text[i]
        i++
      }
      tokens.push({ kind: 'string', value, position: start })
      continue
    }
    // A number: 10, -2, 1.5, .3 (not after a value, where . reads a property), 1e3.
    const afterValue = ['name', 'string', 'number', ')', ']'].includes(tokens.at(-1)?.kind ?? '')
    const number = /^-?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i))
    if (
      number &&
      (c !== '-' || /[\d.]/.test(text[i + 1] ?? '')) &&
      !(afterValue && (c === '.' || (c === '-' && text[i + 1] === '.')))
    ) {
      tokens.push({
        kind: 'number',
        value: Number(number[0]),
        position: i,
        float: /[.eE]/.test(number[0]),
      })
      i += number[0].length
      continue
    }
    const name = /^[A-Za-z_@][A-Za-z0-9_]*/.exec(text.slice(i))
    if (name) {
      tokens.push({ kind: 'name', value: name[0], position: i })
      i += name[0].length
      continue
    }
    if ('()[],.?'.includes(c)) {
      tokens.push({ kind: c as '(' | ')' | '[' | ']' | ',' | '.' | '?', position: i })
      i++
      continue
    }
    throw new ExpressionError(`unexpected character '${c}'`, i)
  }
  tokens.push({ kind: 'end', position: text.length })
  return tokens
}

/** Parses one expression (the text after `@`, or inside `@{…}`). */
export function parseExpression(text: string, offset = 0): ExpressionNode {
  const tokens = tokenize(text)
  let index = 0
  const peek = () => tokens[index] as Token
  const next = () => tokens[index++] as Token
  const expect = (kind: Token['kind'], what: string) => {
    const token = next()
    if (token.kind !== kind) throw new ExpressionError(`expected ${what}`, token.position + offset)
    return token
  }

  function primary(): ExpressionNode {
    const token = next()
    switch (token.kind) {
      case 'string':
        return { kind: 'literal', value: token.value, position: token.position + offset }
      case 'number':
        return { kind: 'literal', value: token.value, position: token.position + offset, float: token.float }
      case 'name': {
        if (peek().kind !== '(') {
          if (token.value === 'true' || token.value === 'false')
            return { kind: 'literal', value: token.value === 'true', position: token.position + offset }
          if (token.value === 'null')
            return { kind: 'literal', value: null, position: token.position + offset }
          throw new ExpressionError(
            `'${token.value}' is not a function call; write ${token.value}() or quote it as '${token.value}'`,
            token.position + offset,
          )
        }
        next()
        const args: ExpressionNode[] = []
        if (peek().kind !== ')') {
          for (;;) {
            args.push(postfix())
            if (peek().kind === ',') {
              next()
              continue
            }
            break
          }
        }
        expect(')', `, or ) to close ${token.value}(`)
        return { kind: 'call', name: token.value, args, position: token.position + offset }
      }
      default:
        throw new ExpressionError(
          token.kind === 'end' ? 'expected a value but found the end' : `unexpected '${token.kind}'`,
          token.position + offset,
        )
    }
  }

  function postfix(): ExpressionNode {
    let node = primary()
    for (;;) {
      const token = peek()
      let optional = false
      if (token.kind === '?') {
        const after = tokens[index + 1]
        if (after?.kind !== '[' && after?.kind !== '.') break
        next()
        optional = true
      }
      const accessor = peek()
      if (accessor.kind === '[') {
        next()
        const key = postfix()
        expect(']', '] after the index')
        node = { kind: 'access', target: node, key, optional, position: accessor.position + offset }
      } else if (accessor.kind === '.') {
        next()
        const name = expect('name', 'a property name after .') as Token & { value: string }
        node = {
          kind: 'access',
          target: node,
          key: { kind: 'literal', value: name.value, position: name.position + offset },
          optional,
          position: accessor.position + offset,
        }
      } else break
    }
    return node
  }

  const node = postfix()
  const rest = peek()
  if (rest.kind !== 'end')
    throw new ExpressionError(
      `unexpected '${'value' in rest ? rest.value : rest.kind}' after the expression`,
      rest.position + offset,
    )
  return node
}

/**
 * A value as a definition writes it: a string starting with `@` is one expression (its value
 * keeps its type); `@{…}` inside a string is interpolated; `@@` is a literal `@`.
 */
export type Template =
  | { kind: 'constant'; value: string }
  | { kind: 'expression'; node: ExpressionNode }
  | { kind: 'interpolation'; parts: (string | ExpressionNode)[] }

export function parseTemplate(text: string): Template {
  if (text.startsWith('@@')) return { kind: 'constant', value: text.slice(1) }
  if (text.startsWith('@') && !text.startsWith('@{'))
    return { kind: 'expression', node: parseExpression(text.slice(1), 1) }
  if (!text.includes('@{')) return { kind: 'constant', value: text }
  const parts: (string | ExpressionNode)[] = []
  let i = 0
  let literal = ''
  while (i < text.length) {
    if (text.startsWith('@{', i)) {
      // Find the matching }, skipping quoted strings.
      let j = i + 2
      let inString = false
      while (j < text.length) {
        const c = text[j]
        if (c === "'") inString = !inString
        else if (c === '}' && !inString) break
        j++
      }
      if (j >= text.length) throw new ExpressionError('@{ without a closing }', i)
      if (literal) parts.push(literal)
      literal = ''
      parts.push(parseExpression(text.slice(i + 2, j), i + 2))
      i = j + 1
    } else {
      literal += text[i]
      i++
    }
  }
  if (literal) parts.push(literal)
  return { kind: 'interpolation', parts }
}
