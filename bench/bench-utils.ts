/** Helpers shared by the benchmarks: timing, medians, peak memory and the RESULT line. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint()
  const value = await work()
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value }
}

/** Samples this process's resident memory until stopped; returns the peak in MB. */
export function trackPeakMemory(): () => number {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 50)
  return () => {
    clearInterval(timer)
    return Math.round(Math.max(peak, process.memoryUsage().rss) / 1024 / 1024)
  }
}

export function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : Number(process.argv[index + 1])
}

/** The one machine-readable line every benchmark ends with. */
export function printResult(values: Record<string, number | string>): void {
  const fields = Object.entries(values).map(
    ([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(3)) : v}`,
  )
  console.log(`RESULT ${fields.join(' ')}`)
}

/**
 * Fails the benchmark with a clear error once it has run `minutes` (override: `--time-limit MIN`):
 * a benchmark waiting for something that never comes must end, not loop. Child processes a
 * benchmark starts are killed by their own `exit` handlers (see killOnExit).
 */
export function timeLimit(name: string, minutes: number): void {
  const limit = argument('time-limit', minutes)
  const timer = setTimeout(() => {
    console.error(`bench:${name}: not finished after ${limit} min (--time-limit); stopped, no result`)
    process.exit(3)
  }, limit * 60_000)
  timer.unref()
}

/**
 * Kills `child` and everything it started (it must be spawned `detached`, as a process group of
 * its own), at once: now, or when this process exits, however it exits.
 */
export function killGroup(child: { pid?: number | undefined; kill(signal?: NodeJS.Signals): unknown }): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL')
    else child.kill('SIGKILL')
  } catch {
    child.kill('SIGKILL')
  }
}

/** Kills `child` (and its group, when it has one) when this process exits. */
export function killOnExit(child: {
  pid?: number | undefined
  kill(signal?: NodeJS.Signals): unknown
}): void {
  process.on('exit', () => killGroup(child))
}
