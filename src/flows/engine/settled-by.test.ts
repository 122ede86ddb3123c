import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { settledBy } from './settled-by.js'

describe('an action past its timeout', () => {
  const timedOut = () => new Error('timed out')

  it('keeps the action’s own outcome when it ends in time', async () => {
    await expect(
      settledBy(
        sleep(20).then(() => 'ok'),
        AbortSignal.timeout(1000),
        timedOut,
        50,
      ),
    ).resolves.toBe('ok')
    await expect(
      settledBy(Promise.reject(new Error('own')), AbortSignal.timeout(1000), timedOut, 50),
    ).rejects.toThrow('own')
  })

  it('is abandoned a grace period after its timeout when it ignores the abort', async () => {
    const started = Date.now()
    await expect(settledBy(new Promise(() => {}), AbortSignal.timeout(50), timedOut, 50)).rejects.toThrow(
      'timed out',
    )
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('leaves nothing behind once the action has ended (no late rejection)', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    await settledBy(Promise.resolve(1), AbortSignal.timeout(20), timedOut, 10)
    await sleep(100)
    process.off('unhandledRejection', onUnhandled)
    expect(unhandled).toEqual([])
  })
})
