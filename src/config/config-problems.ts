import type { z } from 'zod'

/** One thing wrong with a configuration: where, what, and how to fix it. */
export interface ConfigProblem {
  /** Dotted path in the document, e.g. `dataSources.crm.options.delimiter`. */
  path: string
  message: string
  fix: string
  line?: number
  column?: number
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out === '' ? String(segment) : `.${String(segment)}`
  }
  return out || '(document)'
}

/** Turns zod's issues into problems a person can act on. */
export function problemsFromZod(error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue) => problemsFromIssue(issue, []))
}

function problemsFromIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): ConfigProblem[] {
  const path = [...prefix, ...issue.path]
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: formatPath([...path, key]),
        message: `unknown key '${key}'`,
        fix: 'remove it or check its spelling against the schema',
      }))
    case 'invalid_type': {
      const input = (issue as { input?: unknown }).input
      if (input === undefined) {
        return [
          {
            path: formatPath(path),
            message: `is required (${issue.expected})`,
            fix: `add ${formatPath(path)}`,
          },
        ]
      }
      return [
        {
          path: formatPath(path),
          message: `expected ${issue.expected}, got ${describeValue(input)}`,
          fix: `set it to a ${issue.expected}`,
        },
      ]
    }
    case 'invalid_value':
      return [
        {
          path: formatPath(path),
          message: `got ${describeValue((issue as { input?: unknown }).input)}`,
          fix: `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        },
      ]
    case 'invalid_union': {
      const { note, discriminator, options, input } = issue as {
        note?: string
        discriminator?: string
        options?: unknown[]
        input?: unknown
      }
      if (note?.includes('discriminator') && discriminator) {
        const got =
          input && typeof input === 'object' ? (input as Record<string, unknown>)[discriminator] : input
        return [
          {
            path: formatPath(path.at(-1) === discriminator ? path : [...path, discriminator]),
            message: `got ${describeValue(got)}`,
            fix: `set ${discriminator} to one of ${(options ?? []).map((o) => JSON.stringify(o)).join(', ')}`,
          },
        ]
      }
      // The branch with the fewest problems is the one the author most likely meant.
      const branches = issue.errors.map((errors) => errors.flatMap((e) => problemsFromIssue(e, path)))
      const closest = branches.sort((a, b) => a.length - b.length)[0]
      return closest && closest.length > 0
        ? closest
        : [{ path: formatPath(path), message: issue.message, fix: 'see the schema' }]
    }
    case 'invalid_key':
      return [
        {
          path: formatPath(path),
          message: `the key is not a valid name: ${issue.issues.map((i) => i.message).join('; ')}`,
          fix: 'rename it',
        },
      ]
    case 'too_small':
    case 'too_big':
      return [{ path: formatPath(path), message: issue.message, fix: 'change the value to fit' }]
    case 'invalid_format':
      return [{ path: formatPath(path), message: issue.message, fix: 'change the value to that format' }]
    case 'custom': {
      const fix = (issue.params as { fix?: string } | undefined)?.fix
      return [{ path: formatPath(path), message: issue.message, fix: fix ?? 'see the schema' }]
    }
    default:
      return [{ path: formatPath(path), message: issue.message, fix: 'see the schema' }]
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}
