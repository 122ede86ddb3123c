import { sql } from 'kysely'
import type { DbOrTx } from './database.js'

export interface WebUser {
  id: string
  username: string
  passwordHash: string
}

export async function countWebUsers(db: DbOrTx): Promise<number> {
  const row = await db
    .selectFrom('web_users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function findWebUser(db: DbOrTx, username: string): Promise<WebUser | undefined> {
  const row = await db.selectFrom('web_users').selectAll().where('username', '=', username).executeTakeFirst()
  return row && { id: row.id, username: row.username, passwordHash: row.password_hash }
}

export async function insertWebUser(db: DbOrTx, user: WebUser): Promise<void> {
  await db
    .insertInto('web_users')
    .values({ id: user.id, username: user.username, password_hash: user.passwordHash })
    .execute()
}

export async function insertWebSession(
  db: DbOrTx,
  session: { tokenHash: string; userId: string; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('web_sessions')
    .values({ token_hash: session.tokenHash, user_id: session.userId, expires_at: session.expiresAt })
    .execute()
}

/** The user a live session belongs to. */
export async function findSessionUser(
  db: DbOrTx,
  tokenHash: string,
): Promise<{ id: string; username: string } | undefined> {
  return db
    .selectFrom('web_sessions as s')
    .innerJoin('web_users as u', 'u.id', 's.user_id')
    .select(['u.id', 'u.username'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst()
}

export async function deleteWebSession(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.deleteFrom('web_sessions').where('token_hash', '=', tokenHash).execute()
}

/** Replaces any earlier setup link with this one. */
export async function replaceSetupToken(db: DbOrTx, tokenHash: string, expiresAt: Date): Promise<void> {
  await db.deleteFrom('web_setup_tokens').execute()
  await db.insertInto('web_setup_tokens').values({ token_hash: tokenHash, expires_at: expiresAt }).execute()
}

/** Uses up a setup link: true when it was live (it is gone either way). */
export async function consumeSetupToken(db: DbOrTx, tokenHash: string): Promise<boolean> {
  const row = await db
    .deleteFrom('web_setup_tokens')
    .where('token_hash', '=', tokenHash)
    .returning(sql<boolean>`expires_at > now()`.as('live'))
    .executeTakeFirst()
  return row?.live === true
}
