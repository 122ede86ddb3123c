import secureJson from 'secure-json-parse'
import { AppError } from '../errors.js'

/** Nesting deeper than this is refused before parsing (every reader of it recurses). */
export const MAX_JSON_DEPTH = 64

/** How deeply a JSON text nests arrays and objects, counting outside strings; stops past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) {
        deepest = depth
        if (deepest > limit) return deepest
      }
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return deepest
}

/**
 * Parses a JSON request body: refused with 400 when it nests deeper than MAX_JSON_DEPTH (a
 * 10,000-deep body overflowed the stack of whatever read it: a 500) or is not JSON, and with
 * prototype-poisoning keys (`__proto__`, `constructor.prototype`) refused as Fastify's own does.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw new AppError(
      'JsonTooDeep',
      `the body nests arrays and objects more than ${MAX_JSON_DEPTH} deep; flatten it`,
      { target: 'body' },
    )
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (error) {
    throw new AppError('InvalidJson', `the body is not valid JSON: ${(error as Error).message}`, {
      target: 'body',
    })
  }
}
