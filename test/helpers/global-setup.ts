import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { createLogger, openRuntime, readSettings } from '../../src/runtime/index.js'
import { adminQuery, databaseUrl, postgresReachable } from './postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplateDir: string
    postgresTemplate: string | null
  }
}

/**
 * Builds migrated templates once per run: a PGlite directory (copied per test file) and, when
 * PostgreSQL is reachable, a template database (cloned per test file). Under CI=true an
 * unreachable PostgreSQL fails the run instead of skipping its suites.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(join(tmpdir(), 'oi-templates-'))
  const home = join(root, 'home')
  const quiet = createLogger('silent')
  const pglite = await openRuntime({
    settings: readSettings({ OPENINSIGHTS_HOME: home }),
    role: 'api',
    logger: quiet,
  })
  await pglite.close()

  let postgresTemplate: string | null = null
  if (await postgresReachable()) {
    postgresTemplate = `oi_template_${process.pid}_${Date.now()}`
    await adminQuery(`create database ${postgresTemplate}`)
    const server = await openRuntime({
      settings: readSettings({
        OPENINSIGHTS_HOME: join(root, 'pg-home'),
        DATABASE_URL: databaseUrl(postgresTemplate),
      }),
      role: 'api',
      logger: quiet,
    })
    await server.close()
  } else if (process.env.CI === 'true') {
    throw new Error(
      'PostgreSQL at 127.0.0.1:5432 is unreachable; CI=true requires it for the server-mode suites',
    )
  } else {
    console.warn(
      '\n[openinsights tests] PostgreSQL at 127.0.0.1:5432 is unreachable: server-mode suites are SKIPPED\n',
    )
  }

  project.provide('pgliteTemplateDir', join(home, 'state'))
  project.provide('postgresTemplate', postgresTemplate)
  return async () => {
    if (postgresTemplate) await adminQuery(`drop database if exists ${postgresTemplate} with (force)`)
    rmSync(root, { recursive: true, force: true })
  }
}
