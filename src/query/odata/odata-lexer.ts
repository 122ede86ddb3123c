import { odataSyntaxError } from './odata-syntax-error.js'

export type TokenKind =
  | 'string'
  | 'number'
  | 'date'
  | 'datetime'
  | 'time'
  | 'guid'
  | 'identifier'
  | '('
  | ')'
  | ','
  | '-'
  | '['
  | ']'
  | '='
  | 'end'

export interface Token {
  kind: TokenKind
  /** The token's text; for strings, the value with '' unescaped. */
  text: string
  /** 1-based character position in the option's text. */
  position: number
  /** Whitespace came right before it. */
  spaced?: boolean
}

// Years may have more than four digits and a sign (0000 and -10000 are valid OData dates).
const YEAR = '-?\\d{4,}'
const DATETIME = new RegExp(
  `^${YEAR}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,12})?)?(Z|[+-]\\d{2}:\\d{2})?(?![\\w:.+-])`,
  'i',
)
const DATE = new RegExp(`^${YEAR}-\\d{2}-\\d{2}(?![\\w:.-])`)
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(?![\w:.])/
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-])/
const NUMBER = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?(?![\w.])/
const SPECIAL_NUMBER = /^(-?INF|NaN)(?![\w.])/
// Property names: any Unicode letter or underscore first, then letters, digits, marks, connectors.
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]*/u
/** Something shaped like a GUID or a date that is not one: refused where it goes wrong. */
const HEXLIKE = /^[0-9A-Fa-f]{1,8}[g-zG-Z0-9A-Fa-f]*-[\w-]*/

/** Splits an OData expression into tokens; every token knows where it started. */
export function tokenize(text: string, option: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let spaced = false
  while (i < text.length) {
    const c = text[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      spaced = true
      continue
    }
    const position = i + 1
    const push = (kind: TokenKind, value: string, length: number) => {
      tokens.push({ kind, text: value, position, ...(spaced ? { spaced: true } : {}) })
      i += length
      spaced = false
    }
    if (c === '(' || c === ')' || c === ',' || c === '[' || c === ']' || c === '=') {
      push(c, c, 1)
      continue
    }
    // Dataverse's query functions: Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',…).
    const qualified = /^Microsoft\.Dynamics\.CRM\.[A-Za-z0-9]+/i.exec(text.slice(i, i + 64))?.[0]
    if (qualified) {
      push('identifier', qualified, qualified.length)
      continue
    }
    // 'text' ('' inside is a quote); "text" too, as Dataverse's PropertyValues arrays write it.
    if (c === "'" || c === '"') {
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= text.length) throw odataSyntaxError(option, position, 'unterminated string literal')
        if (text[j] === c) {
          if (text[j + 1] === c) {
            value += c
            j += 2
            continue
          }
          break
        }
        value += text[j]
        j++
      }
      push('string', value, j + 1 - i)
      continue
    }
    const rest = text.slice(i, i + 80)
    const match = (pattern: RegExp) => pattern.exec(rest)?.[0]
    const guid = match(GUID)
    if (guid) {
      push('guid', guid.toLowerCase(), guid.length)
      continue
    }
    const datetime = match(DATETIME)
    if (datetime) {
      push('datetime', datetime, datetime.length)
      continue
    }
    const date = match(DATE)
    if (date) {
      push('date', date, date.length)
      continue
    }
    const time = match(TIME)
    if (time) {
      push('time', time, time.length)
      continue
    }
    const special = match(SPECIAL_NUMBER)
    if (special) {
      push('number', special, special.length)
      continue
    }
    const number = match(NUMBER)
    // A sign belongs to the number when nothing that ends a value is right before it.
    const previous = tokens.at(-1)
    const valueBefore = previous && !spaced && ['identifier', 'number', 'string', ')'].includes(previous.kind)
    if (number && !((c === '-' || c === '+') && valueBefore)) {
      push('number', number, number.length)
      continue
    }
    if (c === '-') {
      push('-', '-', 1)
      continue
    }
    if (/\d/.test(c) && HEXLIKE.test(rest)) {
      // Looks like a GUID or a date but is not one: say where it stops being one.
      const bad = rest.search(/[^0-9A-Fa-f-]/)
      throw odataSyntaxError(
        option,
        position + Math.max(bad, 0),
        `'${rest.split(/[\s),]/)[0]}' is not a GUID (8-4-4-4-12 hexadecimal digits) or a date`,
      )
    }
    const identifier = IDENTIFIER.exec(text.slice(i, i + 256))?.[0]
    if (identifier) {
      push('identifier', identifier, identifier.length)
      continue
    }
    throw odataSyntaxError(option, position, `unexpected character '${c}'`)
  }
  tokens.push({ kind: 'end', text: '', position: text.length + 1, ...(spaced ? { spaced: true } : {}) })
  return tokens
}
