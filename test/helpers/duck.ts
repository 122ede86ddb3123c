import { afterAll, beforeAll } from 'vitest'
import { createDuckDb, type DuckDb, type Sql, SqlSession } from '../../src/query/index.js'

/** Runs one statement on a session of its own (writing a fixture file, say). */
export async function duckRun(duck: DuckDb, statement: Sql): Promise<void> {
  const session = await SqlSession.open(duck)
  try {
    await session.run(statement)
  } finally {
    session.close()
  }
}

/** The rows of one query, on a session of its own. */
export async function duckRows<Row = Record<string, unknown>>(duck: DuckDb, statement: Sql): Promise<Row[]> {
  const session = await SqlSession.open(duck)
  try {
    return await session.rows<Row>(statement)
  } finally {
    session.close()
  }
}

/** A DuckDB and one session on it for the tests of a file, opened before them and closed after. */
export function useSqlSession(): () => SqlSession {
  let duck: DuckDb | undefined
  let session: SqlSession | undefined
  beforeAll(async () => {
    duck = await createDuckDb()
    session = await SqlSession.open(duck)
  })
  afterAll(() => {
    session?.close()
    duck?.closeSync()
  })
  return () => {
    if (!session) throw new Error('useSqlSession(): the session opens in beforeAll')
    return session
  }
}
