import cliProgress from 'cli-progress'
import type { FullRefresh } from '../store/runs.js'
import type { ApiClient } from './api-client.js'
import { formatDuration } from './output.js'

/**
 * Polls a full refresh until it ends, drawing one progress bar (steps ended / steps) on a
 * terminal, or one line per step as it ends otherwise. Returns its final state.
 */
export async function waitForFullRefresh(
  client: ApiClient,
  instanceId: string,
  fullRefresh: FullRefresh,
  options: { stream?: NodeJS.WriteStream; pollMs?: number } = {},
): Promise<FullRefresh> {
  const stream = options.stream ?? process.stderr
  const bar = stream.isTTY
    ? new cliProgress.SingleBar(
        { stream, format: ' full refresh |{bar}| {percentage}% {step}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  bar?.start(100, 0, { step: '' })
  const reported = new Set<string>()
  let current = fullRefresh
  for (;;) {
    current = await client.request<FullRefresh>(
      'GET',
      `/api/v1/instances/${instanceId}/full-refreshes/${current.id}`,
    )
    const active = current.steps.filter((s) => s.state === 'running').map((s) => s.name)
    bar?.update(Math.round(current.fraction * 100), { step: active.join(', ') })
    for (const step of current.steps)
      if (
        !bar &&
        !reported.has(step.name) &&
        ['succeeded', 'failed', 'skipped', 'cancelled'].includes(step.state)
      ) {
        reported.add(step.name)
        stream.write(
          `${step.name}: ${step.state}${step.durationMs !== null ? ` in ${formatDuration(step.durationMs)}` : ''}\n`,
        )
      }
    if (!['queued', 'running'].includes(current.state)) break
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 300))
  }
  bar?.stop()
  return current
}

/** One line per step: ✓/✗ name, duration, counts or error. */
export function describeFullRefresh(done: FullRefresh): string {
  const lines = done.steps.map((s) => {
    const mark = s.state === 'succeeded' ? '✓' : s.state === 'failed' ? '✗' : '–'
    const counts = s.counts
      ? Object.entries(s.counts)
          .filter(([k]) => k !== 'durationMs')
          .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
          .join(', ')
      : ''
    const detail = s.error ? `${s.error.code}: ${s.error.message}` : counts
    return `${mark} ${s.name} ${s.state}${s.durationMs !== null ? ` in ${formatDuration(s.durationMs)}` : ''}${detail ? ` (${detail})` : ''}`
  })
  return [
    ...lines,
    `full refresh ${done.id} ${done.state}${done.durationMs !== null ? ` in ${formatDuration(done.durationMs)}` : ''}`,
  ].join('\n')
}
