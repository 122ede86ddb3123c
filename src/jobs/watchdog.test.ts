import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { watched } from './watchdog.js'

const what = { name: 'refresh of crm', target: 'dataSources.crm' }

describe('the job watchdog', () => {
  it('returns what the work returns while it makes progress, however long it takes in all', async () => {
    const value = await watched({ stallMs: 150, maxMs: 5000 }, what, async (watch) => {
      for (let i = 0; i < 8; i++) {
        await sleep(50)
        watch.progress()
      }
      return 'done'
    })
    expect(value).toBe('done')
  })

  it('stops work that makes no progress: aborts it, then throws Stalled once it has wound down', async () => {
    let aborted = false
    const started = Date.now()
    await expect(
      watched(
        { stallMs: 100, maxMs: 5000 },
        what,
        (watch) =>
          new Promise((_, reject) =>
            watch.signal.addEventListener('abort', () => {
              aborted = true
              reject(new Error('interrupted'))
            }),
          ),
      ),
    ).rejects.toMatchObject({
      code: 'Stalled',
      target: 'dataSources.crm',
      message: /refresh of crm made no progress/,
    })
    expect(aborted).toBe(true)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('ends a job whose work ignores the abort (stuck in native code) after the grace period', async () => {
    const started = Date.now()
    await expect(
      watched({ stallMs: 100, maxMs: 5000, graceMs: 200 }, what, () => new Promise(() => {})),
    ).rejects.toMatchObject({ code: 'Stalled' })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('stops work that keeps moving but runs past its time limit', async () => {
    await expect(
      watched({ stallMs: 1000, maxMs: 200, graceMs: 100 }, what, async (watch) => {
        for (;;) {
          await sleep(20)
          watch.progress()
          if (watch.signal.aborted) throw new Error('stopped')
        }
      }),
    ).rejects.toMatchObject({ code: 'TimedOut', message: /over its limit of 0 s|over its limit/ })
  })

  it('passes the work’s own failure through', async () => {
    await expect(
      watched({ stallMs: 1000, maxMs: 1000 }, what, async () => {
        throw new Error('bad file')
      }),
    ).rejects.toThrow('bad file')
  })
})
