import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createDuckDb,
  ident,
  join as joinSql,
  literal,
  literalList,
  type Sql,
  SqlSession,
  sql,
} from '../../query/index.js'

/** A DuckDB that runs SQL a user wrote, over named entities and nothing else. */
export interface SqlSandbox {
  session: SqlSession
  /** Runs a SELECT in the sandbox and writes its rows to a Parquet file the caller may read. */
  copyToFile(select: Sql, name: string): Promise<string>
  close(): Promise<void>
}

/**
 * Opens a DuckDB of its own for user-written SQL (measures' escape hatch): each entity a view over
 * its current Parquet files, then every file system operation disabled except reading exactly
 * those files and writing into a scratch directory of its own, and the configuration locked —
 * so `FROM '/etc/passwd'`, `read_csv(…)`, ATTACH, INSTALL and `SET` fail inside DuckDB itself,
 * whatever passes the SQL checks in front of it.
 */
export async function openSqlSandbox(
  entities: readonly { name: string; files: readonly string[] }[],
  options: { scratchParent?: string; memoryLimit?: string } = {},
): Promise<SqlSandbox> {
  const scratch = await mkdtemp(join(options.scratchParent ?? tmpdir(), 'sql-sandbox-'))
  const instance = await createDuckDb({
    memory_limit: options.memoryLimit ?? '2GB',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  })
  const session = await SqlSession.open(instance)
  try {
    const files = entities.flatMap((e) => e.files)
    await session.run(
      joinSql(
        [
          sql`set allowed_paths = ${literalList(files)}`,
          sql`set allowed_directories = ${literalList([`${scratch}/`])}`,
          sql`set temp_directory = ${literal(join(scratch, 'spill'))}`,
          // Progress is watched (see superviseSession); printing stays off.
          sql`set enable_progress_bar = true`,
          sql`set enable_progress_bar_print = false`,
          sql`set enable_external_access = false`,
          ...entities.map(
            (e) => sql`create view ${ident(e.name)} as select * from read_parquet(${literalList(e.files)})`,
          ),
          sql`set lock_configuration = true`,
        ],
        ';\n',
      ),
    )
  } catch (error) {
    session.close()
    instance.closeSync()
    await rm(scratch, { recursive: true, force: true })
    throw error
  }
  let written = 0
  return {
    session,
    async copyToFile(select, name) {
      const file = join(scratch, `${++written}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}.parquet`)
      await session.run(sql`copy (${select}) to ${literal(file)} (format parquet)`)
      return file
    },
    async close() {
      session.close()
      instance.closeSync()
      await rm(scratch, { recursive: true, force: true })
    },
  }
}
