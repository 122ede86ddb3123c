import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Duplex } from 'node:stream'
import { PGlite } from '@electric-sql/pglite'
import { AppError } from '../errors.js'
import { isProcessAlive } from '../process-alive.js'
import { PGliteStream } from './pglite-stream.js'

/**
 * PGlite in a local directory, spoken to over the PostgreSQL wire protocol by `pg` through an
 * in-process stream (pglite-stream.ts), so the rest of the code (Kysely over `pg`, pg-boss) uses
 * one code path for embedded and server mode.
 *
 * PGlite is a single session, so the process uses exactly one connection to it (the pool in
 * runtime.ts has size 1, shared by Kysely and pg-boss): two connections would share one session,
 * the second's statements landing inside the first's transaction. Until December 2026 the
 * connection went through pglite-socket on a loopback port; the stream does the same without the
 * socket's two trips through the kernel per message, and opens no port another local process
 * could reach the store through.
 */
export interface EmbeddedPostgres {
  /** A new connection's stream, for pg's `stream` option. */
  stream(): Duplex
  close(): Promise<void>
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const releaseLock = acquireDirectoryLock(dataDir)
  let db: PGlite | undefined
  try {
    db = await PGlite.create(dataDir)
    const pglite = db
    return {
      stream: () => new PGliteStream(pglite),
      async close() {
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
