import { type FormEvent, useState } from 'react'
import { Link } from 'wouter'
import { api, type FlowRun, instancePath, type StoredFlow, withQuery } from '../api'
import { Async, Empty, ErrorBox, Field, PageHeader, Status, TableHead, Time } from '../components'
import { formatDuration } from '../format'
import { useAction, useApi, useInstance } from '../hooks'

export const designerHref = (flow?: string) =>
  `/admin/export-destinations/power-automate/configure${flow ? `?flow=${encodeURIComponent(flow)}` : ''}`

export default function Flows({ selected }: { selected?: string }) {
  const instanceId = useInstance()
  const flows = useApi<{ value: StoredFlow[] }>(instancePath(instanceId, '/flows'))
  return (
    <>
      <PageHeader
        title="Flows"
        subtitle="Events that act: each flow starts on a trigger and runs its steps. Every run is kept with each step's inputs and outputs."
        actions={
          <Link className="button" href={designerHref()}>
            New flow
          </Link>
        }
      />
      <Async loaded={flows}>
        {(f) =>
          f.value.length === 0 ? (
            <Empty>
              No flows yet.{' '}
              <Link href="/admin/export-destinations">Admin → Export destinations → Power Automate</Link> sets
              one up.
            </Empty>
          ) : (
            <table>
              <TableHead columns={['Name', 'Trigger', 'Steps', 'State', 'Modified', '']} />
              <tbody>
                {f.value.map((flow) => (
                  <tr key={flow.name} className={flow.name === selected ? 'selected' : ''}>
                    <td>
                      <Link href={`/flows/${encodeURIComponent(flow.name)}`}>{flow.name}</Link>
                    </td>
                    <td>{(flow.definition.trigger as { type: string }).type}</td>
                    <td>{Object.keys((flow.definition.actions as object) ?? {}).join(', ')}</td>
                    <td>{flow.enabled ? <Status value="active" /> : <Status value="cancelled" />}</td>
                    <td>
                      <Time at={flow.updatedAt} />
                    </td>
                    <td>
                      <Link href={designerHref(flow.name)}>Edit</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
      {selected && <RunHistory flow={selected} />}
      <Templates onInstalled={flows.reload} />
    </>
  )
}

interface Template {
  id: string
  title: string
  description: string
  parameters: Record<string, { description: string; required: boolean; secret?: boolean }>
}

/** Start from a template (as Power Automate's templates gallery): fill its values, install. */
function Templates({ onInstalled }: { onInstalled: () => void }) {
  const instanceId = useInstance()
  const templates = useApi<{ value: Template[] }>(instancePath(instanceId, '/flow-templates'))
  return (
    <section aria-labelledby="templates-title">
      <h2 id="templates-title">Start from a template</h2>
      <Async loaded={templates}>
        {(t) => (
          <div className="template-list">
            {t.value.map((template) => (
              <TemplateForm key={template.id} template={template} onInstalled={onInstalled} />
            ))}
          </div>
        )}
      </Async>
    </section>
  )
}

function TemplateForm({ template, onInstalled }: { template: Template; onInstalled: () => void }) {
  const instanceId = useInstance()
  const [values, setValues] = useState<Record<string, string>>({})
  const [name, setName] = useState('')
  const [done, setDone] = useState<string>()
  const install = useAction(async (event: FormEvent) => {
    event.preventDefault()
    const filled = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ''))
    // Always a new flow: without a name the server numbers the template's name when it is taken.
    const result = await api<{ name: string }>(instancePath(instanceId, `/flow-templates/${template.id}`), {
      method: 'POST',
      body: { values: filled, ...(name.trim() ? { name: name.trim() } : {}) },
    })
    setDone(result.name)
    onInstalled()
  })
  return (
    <form className="card" onSubmit={(e) => void install.run(e)} aria-label={template.title}>
      <h3>{template.title}</h3>
      <p className="muted">{template.description}</p>
      <Field label="Flow name" hint="Leave empty for the template's name (numbered when taken)">
        {(id) => <input id={id} type="text" value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      {Object.entries(template.parameters).map(([key, p]) => (
        <Field key={key} label={`${key}${p.required ? ' *' : ''}`} hint={p.description}>
          {(id) => (
            <input
              id={id}
              type={p.secret ? 'password' : 'text'}
              required={p.required}
              value={values[key] ?? ''}
              onChange={(e) => setValues({ ...values, [key]: e.target.value })}
            />
          )}
        </Field>
      ))}
      <button type="submit" disabled={install.busy}>
        Use this template
      </button>{' '}
      {done && (
        <span role="status">
          Created <Link href={`/flows/${encodeURIComponent(done)}`}>{done}</Link>
        </span>
      )}
      {install.error && <ErrorBox error={install.error} />}
    </form>
  )
}

/** A flow's 28-day run history, as Power Automate lists it: start, duration, status. */
export function RunHistory({ flow }: { flow: string }) {
  const instanceId = useInstance()
  const runs = useApi<{ value: FlowRun[] }>(
    withQuery(instancePath(instanceId, '/flow-runs'), { flow, $top: 50 }),
    { pollMs: 3000 },
  )
  const test = useAction(() =>
    api<FlowRun>(instancePath(instanceId, `/flows/${encodeURIComponent(flow)}/test`), { method: 'POST' }),
  )
  return (
    <section aria-labelledby="runs-title">
      <div className="section-head">
        <h2 id="runs-title">Run history of {flow}</h2>
        <button
          type="button"
          className="secondary"
          disabled={test.busy}
          onClick={() => void test.run().then(runs.reload)}
        >
          Test with the last event
        </button>
      </div>
      {test.error && <ErrorBox error={test.error} />}
      <Async loaded={runs}>
        {(r) =>
          r.value.length === 0 ? (
            <Empty>This flow has not run yet.</Empty>
          ) : (
            <table>
              <TableHead columns={['Start', 'Duration', 'Status', 'Started by', 'Error']} />
              <tbody>
                {r.value.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Link href={`/flow-runs/${run.id}`} aria-label={`Run ${run.id} of ${run.flowName}`}>
                        {new Date(run.requestedAt).toLocaleString()}
                      </Link>
                    </td>
                    <td className="num">{formatDuration(run.durationMs)}</td>
                    <td>
                      <Status value={run.state} />
                    </td>
                    <td>
                      {run.rerunOf
                        ? `re-run of ${run.rerunOf.slice(-6)}`
                        : run.eventId
                          ? 'event'
                          : 'manual test'}
                    </td>
                    <td>{run.error?.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </section>
  )
}
