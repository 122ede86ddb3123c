import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { EXPRESSION_FUNCTIONS, type ExpressionScope, evaluateValue } from './evaluate.js'

/**
 * The examples of Microsoft's "Reference guide to workflow expression functions in Azure Logic
 * Apps and Power Automate" (articles/logic-apps/expression-functions-reference.md) that state a
 * result, one per line of guide-examples.jsonl: the expression as the guide writes it, the result
 * it states (`r`), or a pattern (`match`) or set (`oneOf`) for random ones. Where the guide's
 * printed result is a typo, `note` says so and `r` is what .NET gives. Examples that read a run
 * name a scope below with the values the guide supposes; `now` fixes the clock.
 */
interface Example {
  e: string
  r?: unknown
  match?: string
  oneOf?: unknown[]
  now?: string
  scope?: keyof typeof SCOPES
  note?: string
}

const ITEMS =
  '<?xml version="1.0"?><produce><item><name>Gala</name><type>apple</type><count>20</count></item><item><name>Honeycrisp</name><type>apple</type><count>10</count></item></produce>'
const GET_USER = {
  status: 'Succeeded',
  outputs: {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: { FullName: 'Contoso Corporation', Id: 283541717, UserName: 'ContosoInc', status: 'Succeeded' },
  },
}
const base: ExpressionScope = { trigger: { body: null, outputs: null }, actions: {}, items: [] }
const SCOPES: Record<string, Partial<ExpressionScope>> = {
  fullName: { parameters: { fullName: 'Sophia Owen' } },
  numItems: { variables: { numItems: 20 } },
  items: { parameters: { items: ITEMS } },
  http: {
    actions: {
      Http: {
        status: 'Succeeded',
        outputs: {
          body: '<?xml version="1.0"?><file xmlns="https://contoso.com"><location>Paris</location></file>',
        },
      },
    },
  },
  getUser: { actions: { Get_user: GET_USER } },
  workflow: {
    workflow: {
      id: 'digest',
      name: 'digest',
      runId: '08585',
      run: { name: '08585', id: '08585' },
      tags: { flowDisplayName: 'Daily digest', environmentName: 'default' },
    } as ExpressionScope['workflow'],
  },
}

const EXAMPLES: Example[] = readFileSync(new URL('./guide-examples.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line))

function scopeOf(example: Example): ExpressionScope {
  const clock = example.now ? Date.parse(example.now) : undefined
  return {
    ...base,
    ...(example.scope ? SCOPES[example.scope] : {}),
    ...(clock === undefined ? {} : { now: () => clock }),
  }
}

/** Numbers as close as a double allows (.NET prints 15 digits); everything else exactly. */
function close(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'number' && typeof expected === 'number')
    return actual === expected || Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected))
  if (Array.isArray(actual) && Array.isArray(expected))
    return actual.length === expected.length && actual.every((a, i) => close(a, expected[i]))
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const keys = Object.keys(expected)
    return (
      keys.length === Object.keys(actual).length &&
      keys.every((k) =>
        close((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]),
      )
    )
  }
  return actual === expected
}

function passes(example: Example): { ok: boolean; actual?: unknown; error?: string } {
  try {
    const actual = evaluateValue(`@${example.e}`, scopeOf(example))
    if (example.match !== undefined) return { ok: new RegExp(example.match).test(String(actual)), actual }
    if (example.oneOf !== undefined) return { ok: example.oneOf.some((v) => close(actual, v)), actual }
    return { ok: close(actual, example.r), actual }
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  }
}

describe("the reference guide's examples", () => {
  it.each(EXAMPLES.map((example) => [example.e, example] as const))('%s', (_, example) => {
    const result = passes(example)
    expect(result.error).toBeUndefined()
    expect(
      result.ok,
      `got ${JSON.stringify(result.actual)}, the guide says ${JSON.stringify(example.r)}`,
    ).toBe(true)
  })

  it('covers the functions of the guide but the trigger form-data and multipart ones and listCallbackUrl', () => {
    // Every function of the guide's alphabetical list.
    const guide =
      'action actions add addDays addHours addMinutes addProperty addSeconds addToTime and array base64 base64ToBinary base64ToString binary body bool chunk coalesce concat contains convertFromUtc convertTimeZone convertToUtc createArray dataUri dataUriToBinary dataUriToString dateDifference dayOfMonth dayOfWeek dayOfYear decimal decodeBase64 decodeDataUri decodeUriComponent div empty encodeUriComponent endsWith equals first float formatDateTime formDataMultiValues formDataValue formatNumber getFutureTime getPastTime greater greaterOrEquals guid if indexOf int intersection isFloat isInt item items iterationIndexes join json last lastIndexOf length less lessOrEquals listCallbackUrl max min mod mul multipartBody not nthIndexOf or outputs parameters parseDateTime rand range removeProperty replace result reverse setProperty skip slice sort split startOfDay startOfHour startOfMonth startsWith string sub substring subtractFromTime take ticks toLower toUpper trigger triggerBody triggerFormDataMultiValues triggerFormDataValue triggerMultipartBody triggerOutputs trim union uriComponent uriComponentToBinary uriComponentToString uriHost uriPath uriPathAndQuery uriPort uriQuery uriScheme utcNow variables workflow xml xpath'.split(
        ' ',
      )
    const missing = guide.filter((name) => !EXPRESSION_FUNCTIONS.includes(name))
    expect(missing).toEqual([
      'listCallbackUrl',
      'triggerFormDataMultiValues',
      'triggerFormDataValue',
      'triggerMultipartBody',
    ])
    expect(guide.length - missing.length).toBeGreaterThanOrEqual(120)
  })
})
