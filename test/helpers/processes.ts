import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { inject } from 'vitest'

const BIN = resolve(import.meta.dirname, '../../bin/openinsights.js')

/** A fresh $OPENINSIGHTS_HOME; with `store: 'template'` its PGlite store is already migrated. */
export function freshHome(options: { store?: 'template' | 'empty' } = {}): string {
  const home = mkdtempSync(join(tmpdir(), 'oi-cli-'))
  if (options.store !== 'empty') cpSync(inject('pgliteTemplateDir'), join(home, 'state'), { recursive: true })
  return home
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI as a user would, to completion. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  cwd?: string,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, OPENINSIGHTS_LOG_LEVEL: 'warn', ...env },
      ...(cwd ? { cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`openinsights ${args.join(' ')} timed out; stdout: ${stdout}; stderr: ${stderr}`))
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
  })
}

export interface ServerProcess {
  url: string
  /** The local admin key the server wrote to its home. */
  adminKey: string
  /** Fetches JSON from a path of this server with the admin key. */
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked by the assertions that read them
  fetchJson(path: string, init?: RequestInit): Promise<any>
  child: ChildProcess
  output: () => string
  /** Resolves once the process printed a line matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>
  stop(): Promise<number | null>
}

/** Starts `openinsights start` on a free port and waits until it listens. */
export async function startServer(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
  cwd?: string,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', ...args], {
    env: { ...process.env, OPENINSIGHTS_LOG_LEVEL: 'info', ...env },
    ...(cwd ? { cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const listeners = new Set<() => void>()
  const onData = (d: Buffer) => {
    output += d
    for (const listener of listeners) listener()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = new Promise<number | null>((resolvePromise) =>
    child.on('exit', (code) => resolvePromise(code)),
  )
  const waitForOutput = (pattern: RegExp, ms = timeoutMs) =>
    new Promise<string>((resolvePromise, reject) => {
      const check = () => {
        const match = pattern.exec(output)
        if (match) {
          listeners.delete(check)
          clearTimeout(timer)
          resolvePromise(match[0])
        }
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`no output matching ${pattern} within ${ms} ms:\n${output}`))
      }, ms)
      listeners.add(check)
      void exited.then(() => {
        if (listeners.has(check)) {
          listeners.delete(check)
          clearTimeout(timer)
          reject(new Error(`the server exited before printing ${pattern}:\n${output}`))
        }
      })
      check()
    })
  const line = await waitForOutput(/listening on (http:\/\/\S+)/)
  const url = line.replace('listening on ', '')
  const home = env.OPENINSIGHTS_HOME || process.env.OPENINSIGHTS_HOME || join(cwd ?? '.', '.openinsights')
  const adminKey = readFileSync(join(home, 'admin.key'), 'utf8').trim()
  return {
    url,
    adminKey,
    async fetchJson(path, init = {}) {
      const response = await fetch(url + path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), 'x-api-key': adminKey },
      })
      return response.json()
    },
    child,
    output: () => output,
    waitForOutput,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT')
      return exited
    },
  }
}
