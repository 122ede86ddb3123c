import { sql } from 'kysely'
import type { DbOrTx } from './database.js'
import { storableJson } from './safe-values.js'
import type { ApiKeyRow } from './tables.js'

/** A connection's key as stored: never the key itself, only its hash and a recognisable prefix. */
export interface ApiKey {
  id: string
  name: string
  prefix: string
  scopes: string[]
  /** Calls per window; null: the default; 0: unlimited. */
  rateLimit: number | null
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    rateLimit: row.rate_limit,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  }
}

export async function insertApiKey(
  db: DbOrTx,
  key: { id: string; name: string; prefix: string; hash: string; scopes: string[]; rateLimit: number | null },
): Promise<ApiKey> {
  const row = await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      hash: key.hash,
      scopes: storableJson(key.scopes),
      rate_limit: key.rateLimit,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toApiKey(row)
}

/** The active (not revoked) key with this hash. */
export async function findActiveApiKeyByHash(db: DbOrTx, hash: string): Promise<ApiKey | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row ? toApiKey(row) : undefined
}

export async function listApiKeys(db: DbOrTx, options: { includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
  let query = db.selectFrom('api_keys').selectAll()
  if (!options.includeRevoked) query = query.where('revoked_at', 'is', null)
  const rows = await query.orderBy('created_at').orderBy('id').execute()
  return rows.map(toApiKey)
}

/** Revokes the active key with this id or name; returns it, or undefined if there is none. */
export async function revokeApiKey(db: DbOrTx, idOrName: string): Promise<ApiKey | undefined> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`now()` })
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .returningAll()
    .executeTakeFirst()
  return row ? toApiKey(row) : undefined
}

/** Records use at most once a minute per key, so authentication costs no write on most calls. */
export async function touchApiKey(db: DbOrTx, id: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: sql`now()` })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`),
      ]),
    )
    .execute()
}
