import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { type Document, isNode, LineCounter, parseDocument } from 'yaml'
import { AppError } from '../errors.js'
import { type ConfigProblem, problemsFromZod } from './config-problems.js'
import { type ConfigDocument, configSchema } from './config-schema.js'

/** The reader kinds whose `options.path` names files, resolved against the config file's folder. */
const FILE_KINDS = new Set(['csv', 'json', 'ndjson', 'parquet'])

export type LoadResult = { ok: true; config: ConfigDocument } | { ok: false; problems: ConfigProblem[] }

/** Parses and validates configuration text (YAML or JSON); problems carry line and column. */
export function parseConfig(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => ({
        path: '(document)',
        message: error.message.split('\n')[0] ?? error.message,
        fix: 'fix the YAML syntax at that position',
        line: error.linePos?.[0].line,
        column: error.linePos?.[0].col,
      })),
    }
  }
  let value: unknown
  try {
    value = doc.toJS() ?? {}
  } catch (error) {
    // e.g. an alias (*name) with no anchor
    return {
      ok: false,
      problems: [
        { path: '(document)', message: (error as Error).message, fix: 'fix the YAML at that point' },
      ],
    }
  }
  const parsed = configSchema.safeParse(value, { reportInput: true })
  if (!parsed.success) {
    return {
      ok: false,
      problems: problemsFromZod(parsed.error).map((problem) => ({
        ...problem,
        ...position(doc, lineCounter, problem.path),
      })),
    }
  }
  return { ok: true, config: resolveFilePaths(parsed.data, dirname(resolve(file))) }
}

/** Reads, parses and validates a configuration file; throws one AppError listing every problem. */
export function loadConfigFile(file: string): ConfigDocument {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new AppError(
      'ConfigNotFound',
      `${file}: cannot read it (${(error as NodeJS.ErrnoException).code}); check the path`,
      {
        target: file,
      },
    )
  }
  const result = parseConfig(text, file)
  if (result.ok) return result.config
  throw new AppError('InvalidConfig', result.problems.map((p) => formatProblem(file, p)).join('\n'), {
    target: file,
    details: result.problems,
  })
}

/** `file:line:column path: message; fix: …` — one line per problem. */
export function formatProblem(file: string, problem: ConfigProblem): string {
  const where = problem.line ? `${file}:${problem.line}:${problem.column ?? 1}` : file
  return `${where} ${problem.path}: ${problem.message}; fix: ${problem.fix}`
}

function position(
  doc: Document,
  lineCounter: LineCounter,
  dottedPath: string,
): { line?: number; column?: number } {
  const segments = dottedPath === '(document)' ? [] : splitPath(dottedPath)
  // A missing key has no node: point at the closest ancestor that exists.
  for (let length = segments.length; length >= 0; length--) {
    const node = length === 0 ? doc.contents : doc.getIn(segments.slice(0, length), true)
    if (isNode(node) && node.range) {
      const { line, col } = lineCounter.linePos(node.range[0])
      return { line, column: col }
    }
  }
  return {}
}

function splitPath(path: string): (string | number)[] {
  const segments: (string | number)[] = []
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]))
    else if (match[1] !== undefined) segments.push(match[1])
  }
  return segments
}

function resolveFilePaths(config: ConfigDocument, baseDir: string): ConfigDocument {
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const dataSources = Object.fromEntries(
    Object.entries(config.dataSources).map(([name, source]) => {
      if (!FILE_KINDS.has(source.kind)) return [name, source]
      const options = source.options as { path: string | string[] }
      const path = Array.isArray(options.path) ? options.path.map(resolvePath) : resolvePath(options.path)
      return [name, { ...source, options: { ...options, path } }]
    }),
  )
  return { ...config, dataSources: dataSources as ConfigDocument['dataSources'] }
}
