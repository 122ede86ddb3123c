/**
 * An AbortSignal that aborts after `ms` with a TimeoutError (as AbortSignal.timeout's does), and
 * `clear()` to stop its timer once the work has ended. AbortSignal.timeout's timer lives until it
 * fires or its signal is garbage-collected (a FinalizationRegistry clears it): every flow action
 * and webhook delivery left one behind, for its whole timeout (120 s by default), weighing on
 * the collector; this one goes when the work does.
 */
export function timeoutSignal(ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  )
  timer.unref?.()
  return { signal: controller.signal, clear: () => clearTimeout(timer) }
}
