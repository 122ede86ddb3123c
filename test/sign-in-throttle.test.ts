import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Runtime } from '../src/runtime/index.js'
import { type ApiApp, buildApp } from '../src/server/index.js'
import { createSetupToken, setUpAdmin } from '../src/server/web-admin/index.js'
import { SignInThrottle } from '../src/server/web-admin/sign-in-throttle.js'
import { createTestStore, type TestStore } from './helpers/test-store.js'

const PASSWORD = 'correct horse battery'

describe('sign-in throttling', () => {
  let store: TestStore
  let runtime: Runtime
  let app: ApiApp
  const login = (username: string, password: string, forwardedFor?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/web/login',
      headers: {
        'content-type': 'application/json',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
      payload: JSON.stringify({ username, password }),
    })
  const waitOut = (response: { headers: Record<string, unknown> }) =>
    new Promise((resolve) => setTimeout(resolve, Number(response.headers['retry-after']) * 1000 + 200))

  beforeAll(async () => {
    // Behind a proxy that is believed blindly, every request can claim a new client address.
    store = await createTestStore('pglite', { OPENINSIGHTS_TRUST_PROXY: 'true' })
    runtime = await store.open({ role: 'api' })
    app = await buildApp(runtime)
    const token = (await createSetupToken(runtime.db)) as string
    await setUpAdmin(runtime.db, { token, username: 'admin', password: PASSWORD })
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    await store?.dispose()
  })

  it('checks few of 30 wrong passwords sent at once, and lets the right one in after a short wait', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login('admin', `guess number ${i}`)),
    )
    const checked = answers.filter((a) => a.statusCode === 401).length
    expect(checked).toBeLessThanOrEqual(6)
    expect(answers.filter((a) => a.statusCode === 429).length).toBe(30 - checked)
    const waiting = await login('admin', PASSWORD)
    expect(waiting.statusCode).toBe(429)
    expect(Number(waiting.headers['retry-after'])).toBeLessThanOrEqual(60)
    await waitOut(waiting)
    expect((await login('admin', PASSWORD)).statusCode).toBe(200)
  })

  it('throttles the account whatever address each guess claims (X-Forwarded-For)', async () => {
    const statuses = []
    for (let i = 0; i < 20; i++)
      statuses.push((await login('admin', `guess ${i}`, `203.0.113.${i + 1}`)).statusCode)
    expect(statuses.filter((s) => s === 401)).toHaveLength(6)
    expect(statuses.slice(6).every((s) => s === 429)).toBe(true)
    // Another account from yet another address is not held up by this one.
    expect((await login('someone-else', 'whatever123', '198.51.100.7')).statusCode).toBe(401)
    const waiting = await login('admin', PASSWORD, '198.51.100.8')
    await waitOut(waiting)
    expect((await login('admin', PASSWORD, '198.51.100.8')).statusCode).toBe(200)
  })

  it('prunes keys nobody has tried for a day', async () => {
    await sql`insert into sign_in_attempts (key, failures, next_at, updated_at)
      values ('address:192.0.2.1', 3, now() - interval '2 days', now() - interval '2 days')`.execute(
      runtime.db,
    )
    expect(await new SignInThrottle(runtime.db).prune()).toBeGreaterThanOrEqual(1)
    const left = await sql<{
      n: number
    }>`select count(*)::int as n from sign_in_attempts where key = 'address:192.0.2.1'`.execute(runtime.db)
    expect(left.rows[0]?.n).toBe(0)
  })
})
