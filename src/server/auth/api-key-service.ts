import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../errors.js'
import { newId } from '../../ids.js'
import { type ApiKey, findActiveApiKeyByHash, insertApiKey, revokeApiKey } from '../../store/api-keys.js'
import type { DbOrTx } from '../../store/database.js'
import { displayPrefix, generateKey, hashKey } from './key-material.js'
import { CONNECTOR_SCOPES, isScope, SCOPES, type Scope } from './scopes.js'

export interface CreatedApiKey {
  /** The key itself: shown once, stored nowhere. */
  key: string
  apiKey: ApiKey
}

/** Creates a connection key. Names are unique among active keys. */
export async function createApiKey(
  db: DbOrTx,
  request: { name: string; scopes?: string[]; rateLimit?: number | null },
): Promise<CreatedApiKey> {
  const scopes = request.scopes && request.scopes.length > 0 ? request.scopes : CONNECTOR_SCOPES
  const unknown = scopes.filter((s) => !isScope(s))
  if (unknown.length > 0) {
    throw new AppError('InvalidScope', `unknown scope ${unknown.join(', ')}; use ${SCOPES.join(', ')}`, {
      target: 'scopes',
    })
  }
  const key = generateKey()
  try {
    const apiKey = await insertApiKey(db, {
      id: newId(),
      name: request.name,
      prefix: displayPrefix(key),
      hash: hashKey(key),
      scopes: [...new Set(scopes as Scope[])],
      rateLimit: request.rateLimit ?? null,
    })
    return { key, apiKey }
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new AppError(
        'KeyNameTaken',
        `a key named '${request.name}' exists; revoke it or choose another name`,
        {
          target: 'name',
        },
      )
    }
    throw error
  }
}

export const localAdminKeyFile = (home: string) => join(home, 'admin.key')

/**
 * The key the CLI uses on this machine: kept in `$OPENINSIGHTS_HOME/admin.key` (mode 600), with
 * scope admin and no rate limit. Created on first start; replaced when revoked or unknown to the
 * store (e.g. a new DATABASE_URL).
 */
export async function ensureLocalAdminKey(db: DbOrTx, home: string): Promise<string> {
  const file = localAdminKeyFile(home)
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8').trim()
    if (existing && (await findActiveApiKeyByHash(db, hashKey(existing)))) return existing
  }
  const name = `local admin (${home})`
  await revokeApiKey(db, name)
  const { key } = await createApiKey(db, { name, scopes: ['admin'], rateLimit: 0 })
  // In server mode nothing else may have made the home yet (the store is in PostgreSQL).
  mkdirSync(home, { recursive: true, mode: 0o700 })
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return key
}

/** The local admin key if this home has one (for the CLI talking to a running server). */
export function readLocalAdminKey(home: string): string | undefined {
  const file = localAdminKeyFile(home)
  if (!existsSync(file)) return undefined
  return readFileSync(file, 'utf8').trim() || undefined
}
