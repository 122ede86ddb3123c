/**
 * DuckDB SQL as values: a tagged template `sql\`…\`` builds a statement or fragment — its text and
 * the values bound to its `?` placeholders — from text written in code and interpolations that
 * are fragments themselves, numbers, booleans or null. A string cannot be interpolated: a name
 * goes through `ident`, a constant through `literal`, a value of user input through `param` (bound,
 * never in the text), a type through `typeName`. Those are the only ways anything enters SQL.
 */

const BRAND: unique symbol = Symbol('sql')

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | boolean | null

/** A statement or a fragment of one: its text and the values its placeholders bind, in order. */
export interface Sql {
  readonly [BRAND]: true
  readonly text: string
  readonly params: readonly SqlValue[]
}

/** What may stand in a template's `${…}`: never a plain string. */
export type SqlInterpolation = Sql | number | bigint | boolean | null

/** A fragment spliced into a plain template string would lose its bound values: refuse. */
function refuseText(this: Sql): string {
  throw new TypeError(`SQL used as a string ("${this.text.slice(0, 60)}"): build it with sql\`…\``)
}

function make(text: string, params: readonly SqlValue[]): Sql {
  const fragment = { [BRAND]: true as const, text, params }
  Object.defineProperty(fragment, 'toString', { value: refuseText, enumerable: false })
  return fragment
}

export function isSql(value: unknown): value is Sql {
  return typeof value === 'object' && value !== null && (value as Sql)[BRAND] === true
}

function inline(value: SqlInterpolation): Sql {
  if (isSql(value)) return value
  if (value === null) return make('null', [])
  if (typeof value === 'boolean') return make(value ? 'true' : 'false', [])
  if (typeof value === 'bigint') return make(value < 0n ? `(${value})` : value.toString(), [])
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`)
    // A negative number in parentheses: `a -${n}` must never become the comment `a --5`.
    const text = numberText(value)
    return make(value < 0 || Object.is(value, -0) ? `(${text})` : text, [])
  }
  throw new TypeError(`SQL takes fragments, numbers, booleans or null, not ${typeof value}`)
}

/** Builds SQL from code's text and safe interpolations (see the module comment). */
export function sql(strings: TemplateStringsArray, ...values: SqlInterpolation[]): Sql {
  let text = strings[0] ?? ''
  const params: SqlValue[] = []
  values.forEach((value, i) => {
    const part = inline(value)
    text += part.text + (strings[i + 1] ?? '')
    params.push(...part.params)
  })
  return make(text, params)
}

/** Fragments one after another, with a separator written in code. */
export function join(
  parts: readonly Sql[],
  separator:
    | ', '
    | ',\n'
    | ' and '
    | ' or '
    | ' + '
    | ' union all '
    | ' union '
    | ' '
    | '\n'
    | ';\n'
    | Sql = ', ',
): Sql {
  if (isSql(separator)) {
    const params: SqlValue[] = []
    for (const [i, p] of parts.entries()) {
      if (i > 0) params.push(...separator.params)
      params.push(...p.params)
    }
    return make(parts.map((p) => p.text).join(separator.text), params)
  }
  return make(
    parts.map((p) => p.text).join(separator),
    parts.flatMap((p) => p.params),
  )
}

/** A quoted identifier (a column, a table, a view). */
export function ident(name: string): Sql {
  return make(`"${name.replaceAll('"', '""')}"`, [])
}

/** A quoted string literal: for constants of code and configuration (a file path, a format). */
export function literal(value: string): Sql {
  return make(`'${value.replaceAll("'", "''")}'`, [])
}

/** `['a', 'b']`: a list of string literals. */
export function literalList(values: readonly string[]): Sql {
  return make(`[${values.map((v) => literal(v).text).join(', ')}]`, [])
}

/** A value bound to a placeholder: user input never becomes SQL text. */
export function param(value: SqlValue): Sql {
  return make('?', [value])
}

/**
 * A number as SQL text that reads back as the same double. Fractions are written in exponent
 * form: DuckDB reads `0.0000011264301084130803` as a DECIMAL and rounds it on the way to DOUBLE,
 * while `1.1264301084130803e-6` is a DOUBLE literal, and JavaScript's exponent form is the
 * shortest that round-trips.
 */
function numberText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 2 ** 53 ? String(value) : value.toExponential()
}

/**
 * A value written into the text as a literal instead of bound: for statements that must stand
 * alone (a measure's SQL kept and replayed, DDL that takes no parameters). Strings are quoted;
 * numbers must be finite.
 */
export function inlineValue(value: SqlValue): Sql {
  if (typeof value === 'string') return literal(value)
  if (typeof value === 'bigint') return make(value.toString(), [])
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`)
    const text = Number.isInteger(value) ? numberText(value) : `${numberText(value)}::DOUBLE`
    return make(value < 0 ? `(${text})` : text, [])
  }
  if (typeof value === 'boolean') return make(value ? 'TRUE' : 'FALSE', [])
  return make('NULL', [])
}

/**
 * A DuckDB type name (a column type override, a cast): checked against the shape of DuckDB's
 * type syntax, since types cannot be bound as parameters.
 */
export function typeName(type: string): Sql {
  if (!/^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*$/.test(type.trim()))
    throw new TypeError(`not a DuckDB type: ${type}`)
  return make(type.trim(), [])
}

/**
 * SQL a user wrote (a measure's escape hatch): the one text that enters as it is. Only the
 * measure sandbox runs it — a DuckDB with no file access — after its checks.
 */
export function userWrittenSql(text: string): Sql {
  return make(text, [])
}

/** The empty fragment. */
export const EMPTY: Sql = make('', [])
