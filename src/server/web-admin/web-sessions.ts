import { randomBytes } from 'node:crypto'
import { AppError } from '../../errors.js'
import { newId } from '../../ids.js'
import type { Db, DbOrTx } from '../../store/database.js'
import {
  consumeSetupToken,
  countWebUsers,
  deleteWebSession,
  findSessionUser,
  findWebUser,
  insertWebSession,
  insertWebUser,
  replaceSetupToken,
} from '../../store/web-admin.js'
import { hashKey } from '../auth/key-material.js'
import { hashPassword, verifyPassword } from './passwords.js'

/** The session cookie: HttpOnly, SameSite=Lax, the whole site. */
export const SESSION_COOKIE = 'oi_session'
export const SESSION_DAYS = 7
const SETUP_LINK_HOURS = 24

export interface SessionUser {
  id: string
  username: string
}

const token = () => randomBytes(32).toString('base64url')

/**
 * On a first start (no admin yet): a one-time setup token, valid for a day, replacing any earlier
 * one. Undefined once an admin exists.
 */
export async function createSetupToken(db: Db): Promise<string | undefined> {
  if ((await countWebUsers(db)) > 0) return undefined
  const value = token()
  await replaceSetupToken(db, hashKey(value), new Date(Date.now() + SETUP_LINK_HOURS * 3600_000))
  return value
}

export async function setupNeeded(db: Db): Promise<boolean> {
  return (await countWebUsers(db)) === 0
}

async function startSession(db: DbOrTx, userId: string): Promise<string> {
  const value = token()
  await insertWebSession(db, {
    tokenHash: hashKey(value),
    userId,
    expiresAt: new Date(Date.now() + SESSION_DAYS * 86400_000),
  })
  return value
}

/** Creates the admin account with a setup token; answers a session token. */
export async function setUpAdmin(
  db: Db,
  input: { token: string; username: string; password: string },
): Promise<{ session: string; user: SessionUser }> {
  return db.transaction().execute(async (tx) => {
    if ((await countWebUsers(tx)) > 0)
      throw new AppError('AlreadySetUp', 'the admin account exists already; sign in instead', {
        target: 'token',
      })
    if (!(await consumeSetupToken(tx, hashKey(input.token))))
      throw new AppError(
        'InvalidSetupLink',
        'this setup link is not valid (used, expired or replaced); restart openinsights for a new one',
        { target: 'token' },
      )
    const user = { id: newId(), username: input.username, passwordHash: await hashPassword(input.password) }
    await insertWebUser(tx, user)
    return { session: await startSession(tx, user.id), user: { id: user.id, username: user.username } }
  })
}

export async function signIn(
  db: Db,
  input: { username: string; password: string },
): Promise<{ session: string; user: SessionUser }> {
  const user = await findWebUser(db, input.username)
  // The same answer, and about the same time, whether the name or the password was wrong.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH)
  if (!user || !ok)
    throw new AppError('InvalidCredentials', 'wrong user name or password', {
      target: 'password',
    })
  return { session: await startSession(db, user.id), user: { id: user.id, username: user.username } }
}

export async function sessionUser(db: Db, session: string | undefined): Promise<SessionUser | undefined> {
  if (!session) return undefined
  return findSessionUser(db, hashKey(session))
}

export async function signOut(db: Db, session: string | undefined): Promise<void> {
  if (session) await deleteWebSession(db, hashKey(session))
}

const DUMMY_HASH = 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
