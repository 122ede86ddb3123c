import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { AppError } from '../errors.js'
import { isProcessAlive } from '../process-alive.js'

/**
 * PGlite in a local directory, served over the PostgreSQL wire protocol on loopback, so the
 * rest of the code (Kysely over `pg`, pg-boss) uses one code path for embedded and server mode.
 *
 * PGlite is a single session, so the process uses exactly one connection to it (the pool in
 * runtime.ts has size 1, shared by Kysely and pg-boss). Why not more: pglite-socket multiplexes
 * connections one protocol message at a time, and when PGlite yields mid-statement (syncing its
 * files after a write) another connection's Parse/Bind can land between one client's Execute and
 * Sync — seen here as pg-boss reading a result that was not its own. Why not PGlite's in-process
 * API beside the socket: its queries would run inside whatever transaction a socket client has
 * open. One connection through one door has neither problem.
 */
export interface EmbeddedPostgres {
  connectionString: string
  close(): Promise<void>
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const releaseLock = acquireDirectoryLock(dataDir)
  let db: PGlite | undefined
  try {
    db = await PGlite.create(dataDir)
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 })
    await server.start()
    const address = (server as unknown as { server: import('node:net').Server }).server.address()
    if (address === null || typeof address === 'string') throw new Error('pglite-socket has no TCP address')
    const pglite = db
    return {
      connectionString: `postgres://postgres@127.0.0.1:${address.port}/postgres`,
      async close() {
        await server.stop()
        await pglite.close()
        releaseLock()
      },
    }
  } catch (error) {
    await db?.close().catch(() => {})
    releaseLock()
    throw error
  }
}

/**
 * PGlite admits one process per directory; a second one would corrupt it. A lock file holding
 * the owner's pid keeps others out; a lock left by a dead process is taken over.
 */
function acquireDirectoryLock(dataDir: string): () => void {
  const lockFile = join(dirname(dataDir), 'pglite.lock')
  mkdirSync(dirname(lockFile), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(lockFile, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = Number(readFileSync(lockFile, 'utf8').trim())
      if (owner && owner !== process.pid && isProcessAlive(owner)) {
        throw new AppError(
          'StoreLocked',
          `the embedded store ${dataDir} is in use by process ${owner}; stop it, or point the CLI at its server`,
          { target: lockFile },
        )
      }
      rmSync(lockFile, { force: true })
    }
  }
  throw new AppError('StoreLocked', `could not lock ${dataDir}`, { target: lockFile })
}
