import { applyConfig, loadConfigFile } from '../../config/index.js'
import { DEMO_INSTANCE_ID, DEMO_NOTES_ENTITY, prepareDemo } from '../../demo/index.js'
import { defineWritableEntity } from '../../pipeline/entities/index.js'
import { requestRefreshes } from '../../pipeline/index.js'
import { createLogger, openRuntime, type Role } from '../../runtime/index.js'
import { ensureLocalAdminKey, localAdminKeyFile } from '../../server/auth/api-key-service.js'
import { buildApp } from '../../server/index.js'
import { createSetupToken } from '../../server/web-admin/index.js'
import { listEntities } from '../../store/entities.js'
import { injectClient, writeServerInfo } from '../api-client.js'
import type { CliContext } from '../cli-context.js'
import { formatCount } from '../output.js'
import { describeOutcome, waitForRefreshes } from '../refresh-progress.js'

export interface StartOptions {
  demo: boolean
  port: string
  host: string
  role: Role
}

/** Runs `openinsights start`: the runtime, the HTTP server and, with --demo, the demo instance. */
export async function start(context: CliContext, options: StartOptions): Promise<void> {
  if (!['api', 'worker', 'all'].includes(options.role)) {
    throw new Error(`--role ${options.role}: use api, worker or all`)
  }
  const settings = context.settings()
  const logger = createLogger()
  const out = (line: string) => process.stdout.write(`${line}\n`)
  const started = Date.now()

  const demo = options.demo ? await prepareDemo(settings.home) : undefined
  if (demo?.generated) {
    const g = demo.generated
    out(
      `demo data: ${formatCount(g.people)} people as ${formatCount(g.crmContacts)} CRM contacts, ${formatCount(g.webshopOrders)} web-shop orders and ${formatCount(g.loyaltyMembers)} loyalty members in ${demo.directory}`,
    )
  }

  const runtime = await openRuntime({ settings, role: options.role, logger })
  const app = options.role === 'worker' ? undefined : await buildApp(runtime)
  let removeServerInfo = () => {}
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info(`${signal}: stopping`)
    removeServerInfo()
    await app?.close()
    await runtime.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))

  const adminKey = await ensureLocalAdminKey(runtime.db, settings.home)
  let url: string | undefined
  if (app) {
    url = await app.listen({ port: Number(options.port), host: options.host })
    removeServerInfo = writeServerInfo(settings.home, {
      url,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    })
    out(`openinsights: listening on ${url}`)
  }

  if (demo) {
    const config = loadConfigFile(demo.configFile)
    await applyConfig(runtime, config)
    await defineWritableEntity(
      { db: runtime.db, duck: runtime.duck, dataDir: settings.dataDir },
      DEMO_INSTANCE_ID,
      DEMO_NOTES_ENTITY.name,
      DEMO_NOTES_ENTITY,
    )
    const published = new Set((await listEntities(runtime.db, DEMO_INSTANCE_ID)).map((e) => e.name))
    const missing = Object.keys(config.dataSources).filter((name) => !published.has(name))
    if (missing.length > 0 && app) {
      out(`refreshing ${missing.join(', ')}…`)
      const queued = await requestRefreshes(runtime.db, runtime.jobs, DEMO_INSTANCE_ID, missing)
      const client = injectClient(app, adminKey, 'this server')
      const finished = await waitForRefreshes(
        client,
        DEMO_INSTANCE_ID,
        queued.map((q) => q.refresh),
        { stream: process.stdout },
      )
      for (const refresh of finished) out(describeOutcome(refresh))
    } else if (missing.length === 0) {
      out(
        `demo instance already refreshed (${Object.keys(config.dataSources).length} data sources); refresh again with: npx openinsights refresh --wait`,
      )
    }
  }

  const mode =
    runtime.mode === 'embedded' ? `embedded store in ${settings.home}` : 'PostgreSQL (DATABASE_URL)'
  out('')
  out(
    `openinsights is running (${mode}, role ${options.role}), ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  if (url) {
    const instance = demo ? DEMO_INSTANCE_ID : '{instanceId}'
    const uiUrl = url.replace('://[::1]', '://localhost')
    const setupToken = await createSetupToken(runtime.db)
    if (setupToken) {
      out(
        `  web UI       ${uiUrl}/  — first start: create the admin account with this one-time link (valid 24 h):`,
      )
      out(`               ${uiUrl}/setup#token=${setupToken}`)
    } else out(`  web UI       ${uiUrl}/ (sign in with the admin account)`)
    out(`  API key      ${localAdminKeyFile(settings.home)} (admin; send as x-api-key)`)
    out(`  API docs     ${url}/docs`)
    out(`  instance     ${url}/api/v1/instances/${instance}`)
    out(
      `  events       curl -H "x-api-key: $(cat ${localAdminKeyFile(settings.home)})" ${url}/api/v1/instances/${instance}/events`,
    )
    out(`  entities     ${url}/api/v1/instances/${instance}/entities`)
    out(
      '  CLI          npx openinsights sources | refresh --wait | refreshes | events --follow | keys create --name NAME',
    )
  }
  out('Press Ctrl+C to stop.')
}
