import { describe, expect, it } from 'vitest'
import { timeoutSignal } from './timeout-signal.js'

describe('timeoutSignal', () => {
  it('aborts after its time with a TimeoutError, as AbortSignal.timeout does', async () => {
    const { signal } = timeoutSignal(20)
    expect(signal.aborted).toBe(false)
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
    expect((signal.reason as DOMException).name).toBe('TimeoutError')
  })

  it('never aborts once cleared', async () => {
    const { signal, clear } = timeoutSignal(20)
    clear()
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(signal.aborted).toBe(false)
  })
})
