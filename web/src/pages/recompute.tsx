import { useState } from 'react'
import { api, instancePath } from '../api'
import { ErrorBox, Status, Time } from '../components'
import { useAction, useApi, useInstance } from '../hooks'

interface InsightRun {
  id: string
  state: string
  error: { code: string; message: string } | null
}

/**
 * "Compute now": recomputes every measure and segment over the current data (joining a
 * computation already queued), shows its state until it ends, then calls `onDone`.
 */
export function ComputeNow({ onDone, label = 'Compute now' }: { onDone: () => void; label?: string }) {
  const instanceId = useInstance()
  const [run, setRun] = useState<InsightRun>()
  const compute = useAction(async () => {
    let current = await api<InsightRun>(instancePath(instanceId, '/insights/runs'), {
      method: 'POST',
      body: {},
    })
    setRun(current)
    while (current.state === 'queued' || current.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 700))
      current = await api<InsightRun>(instancePath(instanceId, `/insights/runs/${current.id}`))
      setRun(current)
    }
    onDone()
  })
  return (
    <span>
      <button type="button" className="secondary" disabled={compute.busy} onClick={() => void compute.run()}>
        {compute.busy ? 'Computing…' : label}
      </button>{' '}
      {run && (
        <span role="status">
          <Status value={run.state} />
          {run.error && ` ${run.error.message}`}
        </span>
      )}
      {compute.error && <ErrorBox error={compute.error} />}
    </span>
  )
}

/** Says so when the last computation of measures and segments failed: the figures are older. */
export function LastComputation() {
  const instanceId = useInstance()
  const runs = useApi<{ value: (InsightRun & { completedAt: string | null })[] }>(
    `${instancePath(instanceId, '/insights/runs')}?$top=1`,
    { pollMs: 5000 },
  )
  const last = runs.data?.value[0]
  if (last?.state !== 'failed') return null
  return (
    <div className="error-box" role="alert">
      <strong>The last computation failed</strong> <Time at={last.completedAt} />: {last.error?.message}. The
      figures shown are from the computation before it.
    </div>
  )
}
