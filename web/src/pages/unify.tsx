import { type FormEvent, useState } from 'react'
import { Link } from 'wouter'
import { api, instancePath } from '../api'
import { Async, Empty, ErrorBox, PageHeader, Status, TableHead, Time } from '../components'
import { formatCount, formatDuration, formatValue } from '../format'
import { useAction, useApi, useInstance } from '../hooks'
import { UnifyEditor, type UnifySection } from './unify-editor'

interface UnifyConfig {
  sources?: Record<string, { attributes: Record<string, string>; updatedAt?: string }>
  rules?: {
    name: string
    conditions: {
      attribute: string
      algorithm: string
      precision: string
      threshold: number
      normalize?: string[]
    }[]
  }[]
  merge?: { default?: string; keepAll?: string[]; attributes?: Record<string, string> }
}
interface UnifyRun {
  id: string
  state: string
  reason: string
  requestedAt: string
  completedAt: string | null
  durationMs: number | null
  stats: Record<string, number> | null
  error: { code: string; message: string } | null
}
interface Explanation {
  customer: Record<string, unknown>
  records: { source: string; key: string; record: Record<string, unknown> }[]
  matches: {
    sourceA: string
    keyA: string
    sourceB: string
    keyB: string
    rule: string
    score: number
    similarities: string | null
  }[]
}

export default function Unify() {
  const instanceId = useInstance()
  const config = useApi<{ unify?: UnifyConfig }>(instancePath(instanceId, '/config'))
  const runs = useApi<{ value: UnifyRun[] }>(instancePath(instanceId, '/unify/runs'), {
    pollMs: 2000,
    pollWhile: (d) => d.value[0]?.state === 'running' || d.value[0]?.state === 'queued',
  })
  const start = useAction(() => api(instancePath(instanceId, '/unify/runs'), { method: 'POST', body: {} }))
  const latest = runs.data?.value[0]
  return (
    <>
      <PageHeader
        title="Unify"
        subtitle="Map source columns to the profile, match records that are the same person, merge them into one customer."
        actions={
          <button
            type="button"
            disabled={start.busy || latest?.state === 'running'}
            onClick={() => void start.run().then(runs.reload)}
          >
            Run unification
          </button>
        }
      />
      {start.error && <ErrorBox error={start.error} />}
      <h2>Match statistics</h2>
      <Async loaded={runs}>
        {(r) =>
          latest ? (
            <>
              <section className="tiles" aria-label="Last unification">
                <div className="tile">
                  <span className="tile-value">{formatCount(latest.stats?.sourceRecords)}</span>
                  <span className="tile-label">Source records</span>
                </div>
                <div className="tile">
                  <span className="tile-value">{formatCount(latest.stats?.unifiedProfiles)}</span>
                  <span className="tile-label">Unified profiles</span>
                </div>
                <div className="tile">
                  <span className="tile-value">{formatCount(latest.stats?.matchPairs)}</span>
                  <span className="tile-label">Match pairs</span>
                </div>
                <div className="tile">
                  <span className="tile-value">
                    {latest.stats?.sourceRecords && latest.stats.unifiedProfiles
                      ? `${(100 * (1 - latest.stats.unifiedProfiles / latest.stats.sourceRecords)).toFixed(1)}%`
                      : '—'}
                  </span>
                  <span className="tile-label">Records merged away</span>
                </div>
              </section>
              <table>
                <TableHead columns={['When', 'Status', 'Why', 'Map', 'Match', 'Merge', 'Total']} />
                <tbody>
                  {r.value.slice(0, 10).map((run) => (
                    <tr key={run.id}>
                      <td>
                        <Time at={run.completedAt ?? run.requestedAt} />
                      </td>
                      <td>
                        <Status value={run.state} /> {run.error?.message}
                      </td>
                      <td>{run.reason}</td>
                      <td className="num">{formatDuration(run.stats?.mapMs)}</td>
                      <td className="num">{formatDuration(run.stats?.matchMs)}</td>
                      <td className="num">{formatDuration(run.stats?.mergeMs)}</td>
                      <td className="num">{formatDuration(run.durationMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : (
            <Empty>No unification has run yet.</Empty>
          )
        }
      </Async>
      <Async loaded={config}>
        {(c) =>
          c.unify ? (
            <UnifyEditor
              key={JSON.stringify(c.unify)}
              initial={c.unify as UnifySection}
              onSaved={(ran) => {
                config.reload()
                if (ran) runs.reload()
              }}
            />
          ) : (
            <Empty>
              No unify section yet: add your data sources (Data sources → Add a data source) and use the
              mapping suggested there.
            </Empty>
          )
        }
      </Async>
      <Explain />
    </>
  )
}

function Explain() {
  const instanceId = useInstance()
  const [draft, setDraft] = useState('')
  const [customerId, setCustomerId] = useState<string>()
  const explanation = useApi<Explanation>(
    customerId
      ? instancePath(instanceId, `/unify/customers/${encodeURIComponent(customerId)}/explain`)
      : null,
  )
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setCustomerId(draft.trim() || undefined)
  }
  return (
    <section aria-labelledby="explain-title">
      <h2 id="explain-title">Explain a customer</h2>
      <form className="inline-form" onSubmit={submit}>
        <label>
          CustomerId{' '}
          <input
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="e.g. from Entities → UnifiedCustomer"
          />
        </label>
        <button type="submit" className="secondary">
          Explain
        </button>
        <Link href="/entities/UnifiedCustomer">Browse customers</Link>
      </form>
      {customerId && (
        <Async loaded={explanation}>
          {(e) => (
            <>
              <h3>Profile</h3>
              <table className="compact profile">
                <tbody>
                  {Object.entries(e.customer).map(([attribute, value]) => (
                    <tr key={attribute}>
                      <th scope="row">{attribute}</th>
                      <td>
                        {Array.isArray(value)
                          ? value.map((v) => formatValue(v)).join(', ')
                          : formatValue(value)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h3>{e.records.length} source records</h3>
              {[...new Set(e.records.map((r) => r.source))].map((source) => {
                const records = e.records.filter((r) => r.source === source)
                const columns = [...new Set(records.flatMap((r) => Object.keys(r.record ?? {})))]
                return (
                  <section key={source} aria-label={`Records from ${source}`}>
                    <h4>{source}</h4>
                    {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling table must be reachable by keyboard */}
                    <div className="table-scroll full" tabIndex={0}>
                      <table className="compact">
                        <TableHead columns={columns.length > 0 ? columns : ['Key']} />
                        <tbody>
                          {records.map((r) => (
                            <tr key={r.key}>
                              {columns.length > 0 ? (
                                columns.map((c) => <td key={c}>{formatValue(r.record?.[c])}</td>)
                              ) : (
                                <td>{r.key} (no longer in the source)</td>
                              )}
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </section>
                )
              })}
              <h3>Why they match ({e.matches.length} pairs)</h3>
              <table className="compact">
                <TableHead columns={['Record', 'Matched', 'Rule', 'Score']} />
                <tbody>
                  {e.matches.slice(0, 100).map((m) => (
                    <tr key={`${m.keyA}-${m.keyB}-${m.rule}`}>
                      <td>
                        {m.sourceA}:{m.keyA}
                      </td>
                      <td>
                        {m.sourceB}:{m.keyB}
                      </td>
                      <td>
                        {m.rule} {m.similarities && <small className="muted">({m.similarities})</small>}
                      </td>
                      <td className="num">{m.score.toFixed(3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </Async>
      )}
    </section>
  )
}
