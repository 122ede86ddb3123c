import { describe, expect, it } from 'vitest'
import { groupCommit } from './group-commit.js'

describe('groupCommit', () => {
  it('sends writes that arrive while one is in flight as one batch, and answers each caller', async () => {
    const batches: number[][] = []
    let release: () => void = () => undefined
    const write = groupCommit<number, number>(async (items) => {
      batches.push(items)
      if (batches.length === 1) await new Promise<void>((r) => (release = r))
      return items.map((n) => n * 10)
    })
    const first = write(1)
    await new Promise((r) => setImmediate(r))
    const later = [write(2), write(3), write(4)]
    release()
    expect(await first).toBe(10)
    expect(await Promise.all(later)).toEqual([20, 30, 40])
    expect(batches).toEqual([[1], [2, 3, 4]])
  })

  it('fails every caller of a failed batch and goes on with the next', async () => {
    let calls = 0
    const write = groupCommit<string>(async (items) => {
      calls++
      if (items.includes('bad')) throw new Error('constraint')
      return undefined
    })
    const results = await Promise.allSettled([write('a'), write('bad')])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    await expect(write('c')).resolves.toBeUndefined()
    expect(calls).toBe(2)
  })
})
