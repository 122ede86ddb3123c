import cliProgress from 'cli-progress'
import type { Refresh } from '../store/refreshes.js'
import type { ApiClient } from './api-client.js'
import { formatCount, formatDuration } from './output.js'

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled'])

/**
 * Polls refreshes until each has ended, drawing a progress bar per data source on a terminal
 * (one line per phase change otherwise). Returns their final state.
 */
export async function waitForRefreshes(
  client: ApiClient,
  instanceId: string,
  refreshes: Refresh[],
  options: { stream?: NodeJS.WriteStream; pollMs?: number } = {},
): Promise<Refresh[]> {
  const stream = options.stream ?? process.stderr
  const current = new Map(refreshes.map((r) => [r.id, r]))
  const tty = Boolean(stream.isTTY)
  const multibar = tty
    ? new cliProgress.MultiBar(
        {
          stream,
          format: ' {source} |{bar}| {percentage}% {phase} {detail}',
          barCompleteChar: '█',
          barIncompleteChar: '░',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  const width = Math.max(...refreshes.map((r) => r.dataSourceName.length))
  const bars = new Map(
    refreshes.map((r) => [
      r.id,
      multibar?.create(100, 0, { source: r.dataSourceName.padEnd(width), phase: r.state, detail: '' }),
    ]),
  )
  const lastPhase = new Map<string, string>()
  const render = (refresh: Refresh) => {
    const phase = TERMINAL.has(refresh.state) ? refresh.state : (refresh.progress?.phase ?? refresh.state)
    const detail =
      refresh.state === 'succeeded'
        ? `${formatCount(refresh.rowCount)} rows${refresh.rejectedRowCount ? `, ${formatCount(refresh.rejectedRowCount)} rejected` : ''} in ${formatDuration(refresh.durationMs)}`
        : refresh.error
          ? refresh.error.code
          : ''
    const percent = refresh.state === 'succeeded' ? 100 : Math.round((refresh.progress?.fraction ?? 0) * 100)
    if (multibar) {
      bars.get(refresh.id)?.update(percent, { phase, detail })
    } else if (lastPhase.get(refresh.id) !== phase) {
      lastPhase.set(refresh.id, phase)
      stream.write(`  ${refresh.dataSourceName.padEnd(width)}  ${phase}${detail ? ` — ${detail}` : ''}\n`)
    }
  }
  try {
    for (;;) {
      for (const refresh of current.values()) render(refresh)
      const pending = [...current.values()].filter((r) => !TERMINAL.has(r.state))
      if (pending.length === 0) break
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250))
      for (const refresh of pending) {
        current.set(
          refresh.id,
          await client.request<Refresh>('GET', `/api/v1/instances/${instanceId}/refreshes/${refresh.id}`),
        )
      }
    }
  } finally {
    multibar?.stop()
  }
  return [...current.values()]
}

/** A summary line per refresh: what happened and, on failure, why. */
export function describeOutcome(refresh: Refresh): string {
  if (refresh.state === 'succeeded') {
    return `✓ ${refresh.dataSourceName}: ${formatCount(refresh.rowCount)} rows${refresh.rejectedRowCount ? ` (${formatCount(refresh.rejectedRowCount)} rejected, see ${refresh.rejectsPath})` : ''} in ${formatDuration(refresh.durationMs)}`
  }
  return `✗ ${refresh.dataSourceName}: ${refresh.state}: ${refresh.error?.message ?? 'no reason recorded'} [${refresh.error?.code ?? '?'}]`
}
