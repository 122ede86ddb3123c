/**
 * PostgreSQL cannot store the character U+0000: a text value holding it is refused ("invalid byte
 * sequence for encoding UTF8: 0x00"), and so is jsonb holding "\u0000". User data reaches the
 * control plane in error messages, event payloads, flow run inputs and outputs; one stray NUL in
 * a customer's file must not make the statement that records its failure fail too (a refresh
 * then stayed `running` for ever). Every value a statement sends passes through here: NULs become
 * U+FFFD (the replacement character), the rest is untouched.
 */
export function storableValues(values: unknown[] | undefined): unknown[] | undefined {
  if (!values) return values
  let copy: unknown[] | undefined
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    const safe = storable(value)
    if (safe !== value) {
      copy ??= values.slice()
      copy[i] = safe
    }
  }
  return copy ?? values
}

const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g

/** A text as the store keeps it: NULs as U+FFFD. */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text
}

function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value)
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    // pg writes arrays as array literals, element by element (objects as JSON).
    let copy: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const safe = storable(value[i])
      if (safe !== value[i]) {
        copy ??= value.slice()
        copy[i] = safe
      }
    }
    return copy ?? value
  }
  if (value instanceof Date || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value
  if (typeof (value as { toPostgres?: unknown }).toPostgres === 'function') return value
  // What pg would send for an object: its JSON, with the escaped NULs replaced.
  return storableJson(value)
}

/** A value's JSON, to send as jsonb: NULs (escaped as \u0000 by JSON) become U+FFFD. */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null'
  return json.includes('\\u0000') ? json.replace(NUL_ESCAPE, '$1\\ufffd') : json
}
