import { Link, useLocation } from 'wouter'
import { type ActionRecord, api, type FlowRun, instancePath } from '../api'
import { Async, ErrorBox, Json, PageHeader, Status } from '../components'
import { formatDuration } from '../format'
import { useAction, useApi, useInstance } from '../hooks'

type RunDetail = FlowRun & { trigger: { type: string; data?: unknown }; actions: ActionRecord[] }

const ICONS: Record<string, string> = { Succeeded: '✓', Failed: '✕', TimedOut: '⏱', Skipped: '–' }

/** One run as Power Automate shows it: the trigger, then each step as a card with inputs and outputs. */
export default function FlowRunPage({ runId }: { runId: string }) {
  const instanceId = useInstance()
  const [, navigate] = useLocation()
  const run = useApi<RunDetail>(instancePath(instanceId, `/flow-runs/${runId}`), {
    pollMs: 2000,
    pollWhile: (r) => r.state === 'queued' || r.state === 'running',
  })
  const rerun = useAction(async (from: 'start' | 'failed') => {
    const next = await api<FlowRun>(instancePath(instanceId, `/flow-runs/${runId}/rerun`), {
      method: 'POST',
      body: { from },
    })
    navigate(`/flow-runs/${next.id}`)
  })
  return (
    <Async loaded={run} what="Loading the run">
      {(r) => (
        <>
          <PageHeader
            title={`${r.flowName}: run`}
            subtitle={
              <>
                <Status value={r.state} /> started {new Date(r.requestedAt).toLocaleString()}, took{' '}
                {formatDuration(r.durationMs)}.{' '}
                <Link href={`/flows/${encodeURIComponent(r.flowName)}`}>All runs of {r.flowName}</Link>
              </>
            }
            actions={
              r.state === 'failed' || r.state === 'cancelled' || r.state === 'succeeded' ? (
                <>
                  <button
                    type="button"
                    className="secondary"
                    disabled={rerun.busy}
                    onClick={() => void rerun.run('start')}
                  >
                    Resubmit
                  </button>
                  {r.state === 'failed' && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={rerun.busy}
                      onClick={() => void rerun.run('failed')}
                    >
                      Re-run from the failed step
                    </button>
                  )}
                </>
              ) : undefined
            }
          />
          {rerun.error && <ErrorBox error={rerun.error} />}
          {r.error && (
            <div className="error-box" role="alert">
              <strong>{r.error.code}</strong> {r.error.message}
            </div>
          )}
          <ol className="run-steps" aria-label="Steps of the run">
            <li className="run-step status-border-good">
              <details open>
                <summary>
                  <span className="step-icon" aria-hidden="true">
                    ⚡
                  </span>{' '}
                  Trigger: {r.trigger.type}
                </summary>
                <h4>Outputs</h4>
                <Json value={r.trigger.data} label="Trigger outputs" />
              </details>
            </li>
            {r.actions.map((a) => (
              <li
                key={a.path}
                className={`run-step depth-${a.path.split('/').length - 1} status-border-${a.status}`}
              >
                <details open={a.status !== 'Skipped'}>
                  <summary>
                    <span className="step-icon" aria-hidden="true">
                      {ICONS[a.status] ?? '•'}
                    </span>{' '}
                    <strong>{a.path.replaceAll('_', ' ')}</strong> <span className="muted">{a.type}</span>{' '}
                    <Status value={a.status} />{' '}
                    <span className="muted">
                      {formatDuration(a.durationMs)}
                      {a.attempts > 1 ? `, ${a.attempts} attempts` : ''}
                    </span>
                  </summary>
                  {a.error && (
                    <p className="error-text">
                      <strong>{a.error.code}</strong> {a.error.message}
                    </p>
                  )}
                  {a.type === 'teams.postMessage' && <CardPreview inputs={a.inputs} />}
                  <div className="io">
                    <div>
                      <h4>Inputs</h4>
                      <Json value={a.inputs} label={`Inputs of ${a.name}`} />
                    </div>
                    <div>
                      <h4>Outputs</h4>
                      <Json value={a.outputs} label={`Outputs of ${a.name}`} />
                    </div>
                  </div>
                </details>
              </li>
            ))}
            {r.actions.length === 0 && (
              <li className="muted">
                {r.state === 'queued' ? 'Waiting to start…' : 'No step has finished yet.'}
              </li>
            )}
          </ol>
        </>
      )}
    </Async>
  )
}

interface CardElement {
  type?: string
  text?: string
  weight?: string
  size?: string
  facts?: { title?: string; value?: string }[]
}

/** The Adaptive Card a Teams step sent, drawn roughly as Teams shows it (text blocks and fact sets). */
function CardPreview({ inputs }: { inputs: unknown }) {
  const card = (inputs as { card?: { body?: CardElement[] }; title?: string; text?: string } | null) ?? {}
  const body: CardElement[] = card.card?.body ?? [
    ...(card.title ? [{ type: 'TextBlock', text: card.title, weight: 'Bolder' }] : []),
    ...(card.text ? [{ type: 'TextBlock', text: card.text }] : []),
  ]
  return (
    <figure className="card-preview" aria-label="The card as sent">
      <figcaption className="muted">The card as sent</figcaption>
      {body.map((element, i) =>
        element.type === 'FactSet' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: card elements have no identity
          <dl key={i}>
            {(element.facts ?? []).map((f) => (
              <div key={`${f.title}-${f.value}`}>
                <dt>{f.title}</dt>
                <dd>{f.value}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p
            // biome-ignore lint/suspicious/noArrayIndexKey: card elements have no identity
            key={i}
            className={`${element.weight === 'Bolder' ? 'bold' : ''} ${element.size === 'Medium' || element.size === 'Large' ? 'big' : ''}`}
          >
            {element.text}
          </p>
        ),
      )}
    </figure>
  )
}
