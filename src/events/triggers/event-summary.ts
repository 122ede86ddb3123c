const count = (value: unknown) =>
  typeof value === 'number'
    ? value.toLocaleString('en-US')
    : value === null || value === undefined
      ? '—'
      : String(value)
const seconds = (ms: unknown) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '')
const errorOf = (data: Record<string, unknown>) => {
  const error = data.error as { code?: string; message?: string } | null | undefined
  return error?.message ? `${error.code ? `${error.code}: ` : ''}${error.message}` : undefined
}

/** One line a person reads for an event: what happened, to what, with the figures that matter. */
export function summarizeEvent(type: string, data: Record<string, unknown>): string {
  const error = errorOf(data)
  switch (type) {
    case 'datasource.refresh.succeeded':
      return `${data.dataSourceName}: ${count(data.rowCount)} rows, ${count(data.rejectedRowCount)} rejected`
    case 'datasource.refresh.failed':
      return `${data.dataSourceName}: ${error ?? 'failed'}`
    case 'segment.threshold.crossed':
    case 'measure.threshold.crossed': {
      const arrow = data.direction === 'down' ? 'fell below' : 'reached'
      return `${data.name}${data.dimension ? ` (${data.dimension})` : ''} ${arrow} ${count(data.threshold)}: ${count(data.previousValue)} → ${count(data.value)}`
    }
    case 'unify.completed':
      return data.status === 'succeeded'
        ? `${count(data.unifiedProfiles)} profiles from ${count(data.sourceRecords)} records in ${seconds(data.durationMs)}`
        : `failed: ${error ?? ''}`
    case 'refresh.full.completed':
      return data.status === 'succeeded'
        ? `succeeded in ${seconds(data.durationMs)}`
        : `${data.status}${data.failedStep ? ` at ${data.failedStep}` : ''}${error ? `: ${error}` : ''}`
    case 'insights.run.failed':
      return `measures and segments: ${error ?? 'failed'}; the previous figures stay`
    case 'flow.run.failed':
      return `${data.flowName}${data.failedAction ? ` at ${data.failedAction}` : ''}: ${error ?? 'failed'}`
    default:
      return error ?? ''
  }
}
