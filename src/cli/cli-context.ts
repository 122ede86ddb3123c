import type { Command } from 'commander'
import { AppError } from '../errors.js'
import { locateHome, readSettings, type Settings } from '../runtime/settings.js'
import type { Instance } from '../store/instances.js'
import { type ApiClient, connectApi } from './api-client.js'
import { formatCliError } from './output.js'

/** What every command gets: settings from global options, a way to the API, the chosen instance. */
export interface CliContext {
  settings(): Settings
  /** Runs `work` with an API client and closes it after; errors become one line and exit code 1. */
  withApi(options: { needsWorkers?: boolean }, work: (client: ApiClient) => Promise<void>): Promise<void>
  /** `--instance`, else `$OPENINSIGHTS_INSTANCE`, else the only instance there is. */
  instanceId(client: ApiClient): Promise<string>
}

export function createCliContext(program: Command): CliContext {
  const globals = () => program.opts<{ home?: string; server?: string; instance?: string }>()
  const env = () => ({ ...process.env, ...(globals().home ? { OPENINSIGHTS_HOME: globals().home } : {}) })
  let told = false
  const settings = () => {
    // A command run outside any project would make a store of its own where it stands: say so.
    const located = locateHome(env())
    if (located.how === 'new' && !told && !globals().server && !process.env.OPENINSIGHTS_SERVER) {
      told = true
      process.stderr.write(
        `openinsights: no ${located.home.split(/[\\/]/).pop()} folder in ${process.cwd()} or any folder above it; creating a new, empty home at ${located.home} (to use another, run from its project folder or set OPENINSIGHTS_HOME or --home)\n`,
      )
    }
    return readSettings(env())
  }
  return {
    settings,
    async withApi(options, work) {
      let client: ApiClient | undefined
      try {
        const server = globals().server
        client = await connectApi(settings(), { ...options, ...(server ? { server } : {}) })
        await work(client)
      } catch (error) {
        process.stderr.write(`${formatCliError(error)}\n`)
        process.exitCode = process.exitCode || 1
      } finally {
        // Closing the store waits for workers to stop; it must not wait forever.
        setTimeout(() => process.exit(process.exitCode ?? 0), 20_000).unref()
        await client?.close().catch(() => {})
        // The work is done and the store closed: a timer or socket left behind by a library must
        // not keep the command from ending (seen on a busy machine). Unref'd, so a clean exit is not delayed.
        setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref()
      }
    },
    async instanceId(client) {
      const chosen = globals().instance ?? process.env.OPENINSIGHTS_INSTANCE
      if (chosen) return chosen
      const { value } = await client.request<{ value: Instance[] }>('GET', '/api/v1/instances')
      if (value.length === 1) return (value[0] as Instance).id
      if (value.length === 0) {
        throw new AppError(
          'NoInstance',
          'there is no instance yet; create one with `openinsights apply -f openinsights.yaml` or `openinsights start --demo`',
        )
      }
      throw new AppError(
        'InstanceRequired',
        `there are ${value.length} instances (${value.map((i) => i.id).join(', ')}); choose one with --instance or OPENINSIGHTS_INSTANCE`,
        { target: '--instance' },
      )
    },
  }
}
