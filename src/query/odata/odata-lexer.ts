import { odataSyntaxError } from './odata-syntax-error.js'

export type TokenKind = 'string' | 'number' | 'date' | 'datetime' | 'identifier' | '(' | ')' | ',' | 'end'

export interface Token {
  kind: TokenKind
  /** The token's text; for strings, the value with '' unescaped. */
  text: string
  /** 1-based character position in the option's text. */
  position: number
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?/
const DATE = /^\d{4}-\d{2}-\d{2}(?![\w:.-])/
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?(?![\w.])/
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*/

/** Splits an OData expression into tokens; every token knows where it started. */
export function tokenize(text: string, option: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    const position = i + 1
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, position })
      i++
      continue
    }
    if (c === "'") {
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= text.length) throw odataSyntaxError(option, position, 'unterminated string literal')
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'"
            j += 2
            continue
          }
          break
        }
        value += text[j]
        j++
      }
      tokens.push({ kind: 'string', text: value, position })
      i = j + 1
      continue
    }
    const rest = text.slice(i, i + 64)
    const datetime = DATETIME.exec(rest)
    if (datetime) {
      tokens.push({ kind: 'datetime', text: datetime[0], position })
      i += datetime[0].length
      continue
    }
    const date = DATE.exec(rest)
    if (date) {
      tokens.push({ kind: 'date', text: date[0], position })
      i += date[0].length
      continue
    }
    const number = NUMBER.exec(rest)
    if (number) {
      tokens.push({ kind: 'number', text: number[0], position })
      i += number[0].length
      continue
    }
    const identifier = IDENTIFIER.exec(text.slice(i, i + 256))
    if (identifier) {
      tokens.push({ kind: 'identifier', text: identifier[0], position })
      i += identifier[0].length
      continue
    }
    throw odataSyntaxError(option, position, `unexpected character '${c}'`)
  }
  tokens.push({ kind: 'end', text: '', position: text.length + 1 })
  return tokens
}
