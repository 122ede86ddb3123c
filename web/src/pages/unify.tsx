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
                <TableHead
                  columns={['When', 'Status', 'Why', 'Changes', 'Model', 'Map', 'Match', 'Merge', 'Total']}
                />
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
                      <td>{runChanges(run.stats)}</td>
                      <td>
                        {run.stats?.modelThreshold === undefined
                          ? ''
                          : `${run.stats.modelKept ? 'kept' : 'estimated'}, p ≥ ${run.stats.modelThreshold.toFixed(3)}`}
                      </td>
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
            <>
              <Activities
                activities={(c.unify as { activities?: Record<string, ActivityDefinition> }).activities}
              />
              <UnifyEditor
                key={JSON.stringify(c.unify)}
                initial={c.unify as UnifySection}
                onSaved={(ran) => {
                  config.reload()
                  if (ran) runs.reload()
                }}
              />
            </>
          ) : (
            <Empty>
              No unify section yet: add your data sources (Data sources → Add a data source) and use the
              mapping suggested there.
            </Empty>
          )
        }
      </Async>
      <Review
        latest={latest}
        previous={runs.data?.value.find((r) => r !== latest && r.stats?.modelThreshold !== undefined)}
      />
      <Explain />
    </>
  )
}

interface ReviewPair {
  sourceA: string
  keyA: string
  sourceB: string
  keyB: string
  probability: number
  weight: number
  priorBits: number
  threshold: number
  joined: boolean
  reason: string
  comparisons: { attribute: string; level: string; a: string | null; b: string | null; bits: number }[]
}

const signed = (bits: number) => `${bits >= 0 ? '+' : '−'}${Math.abs(bits).toFixed(1)}`
const share = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(1)}%`)

/**
 * The review queue: the pairs the match model was least sure of, each as a waterfall (the
 * prior, then what each attribute adds or takes away, with the values compared), answered with
 * Same customer / Different customers. The next run follows the answers and learns from them.
 */
function Review({ latest, previous }: { latest: UnifyRun | undefined; previous: UnifyRun | undefined }) {
  const instanceId = useInstance()
  const queue = useApi<{ value: ReviewPair[]; labelled: number }>(
    instancePath(instanceId, '/unify/review?$top=10'),
  )
  const [answered, setAnswered] = useState(0)
  const label = useAction(async (pair: ReviewPair, sameCustomer: boolean) => {
    await api(instancePath(instanceId, '/unify/review'), {
      method: 'POST',
      body: { a: `${pair.sourceA}:${pair.keyA}`, b: `${pair.sourceB}:${pair.keyB}`, sameCustomer },
    })
    setAnswered((n) => n + 1)
    queue.reload()
  })
  const stats = latest?.stats
  if (stats?.modelThreshold === undefined) return null
  const moved = (key: string) => {
    const before = previous?.stats?.[key]
    const now = stats[key]
    if (before === undefined || now === undefined || before === now) return ''
    return ` (was ${share(before)})`
  }
  return (
    <section aria-labelledby="review-title">
      <h2 id="review-title">Review pairs the model is unsure of</h2>
      <p className="muted">
        The match model joins two records at a probability of {stats.modelThreshold.toFixed(3)} or more. At
        that threshold it expects a precision of {share(stats.modelExpectedPrecision)}
        {moved('modelExpectedPrecision')} and a recall of {share(stats.modelExpectedRecall)}
        {moved('modelExpectedRecall')} — its own estimate, not a measurement.
      </p>
      {label.error && <ErrorBox error={label.error} />}
      <Async loaded={queue}>
        {(q) => (
          <>
            <p role="status">
              {q.labelled} pair(s) labelled{answered > 0 ? '; run unification to apply the answers' : ''}.
            </p>
            {q.value.length === 0 ? (
              <Empty>Nothing to review.</Empty>
            ) : (
              q.value.map((pair) => {
                const name = `${pair.sourceA}:${pair.keyA} and ${pair.sourceB}:${pair.keyB}`
                return (
                  <article key={name} className="review-pair" aria-label={`Pair ${name}`}>
                    <h3>
                      {pair.sourceA}:{pair.keyA} ↔ {pair.sourceB}:{pair.keyB}
                    </h3>
                    <p>
                      Probability {pair.probability.toFixed(3)} —{' '}
                      {pair.joined ? 'joined' : `not joined: ${pair.reason}`}
                    </p>
                    <Waterfall pair={pair} />
                    <div className="actions">
                      <button type="button" disabled={label.busy} onClick={() => void label.run(pair, true)}>
                        Same customer
                      </button>
                      <button
                        type="button"
                        className="secondary"
                        disabled={label.busy}
                        onClick={() => void label.run(pair, false)}
                      >
                        Different customers
                      </button>
                    </div>
                  </article>
                )
              })
            )}
          </>
        )}
      </Async>
    </section>
  )
}

/** A pair's match weight as a waterfall: the prior, then each attribute's bits with the values compared. */
function Waterfall({ pair }: { pair: ReviewPair }) {
  const widest = Math.max(Math.abs(pair.priorBits), ...pair.comparisons.map((c) => Math.abs(c.bits)), 1)
  const bar = (bits: number) => (
    <span
      className={`bits-bar ${bits >= 0 ? 'for' : 'against'}`}
      style={{ width: `${(50 * Math.abs(bits)) / widest}%` }}
    />
  )
  return (
    <table className="compact waterfall">
      <TableHead columns={['Attribute', 'Compared', 'Values', 'Bits', '']} />
      <tbody>
        <tr>
          <td>Prior</td>
          <td>two records picked at random</td>
          <td />
          <td className="num">{signed(pair.priorBits)}</td>
          <td>{bar(pair.priorBits)}</td>
        </tr>
        {pair.comparisons.map((c) => (
          <tr key={c.attribute}>
            <td>{c.attribute}</td>
            <td>{c.level}</td>
            <td>
              {formatValue(c.a)} | {formatValue(c.b)}
            </td>
            <td className="num">{signed(c.bits)}</td>
            <td>{bar(c.bits)}</td>
          </tr>
        ))}
        <tr>
          <th scope="row">Match weight</th>
          <td />
          <td />
          <td className="num">{signed(pair.weight)}</td>
          <td />
        </tr>
      </tbody>
    </table>
  )
}

/** Why two records of a profile matched, as the match model weighed them (asked when opened). */
function PairWhy({ a, b }: { a: string; b: string }) {
  const instanceId = useInstance()
  const [open, setOpen] = useState(false)
  const pair = useApi<ReviewPair>(
    open
      ? instancePath(instanceId, `/unify/pairs?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`)
      : null,
  )
  return open ? (
    <Async loaded={pair}>{(p) => <Waterfall pair={p} />}</Async>
  ) : (
    <button type="button" className="link" onClick={() => setOpen(true)}>
      Show the weights
    </button>
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
                <TableHead columns={['Record', 'Matched', 'Rule', 'Score', 'Why']} />
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
                      <td>
                        {/ [+-]\d+\.\d(,|$)/.test(m.similarities ?? '') && (
                          <PairWhy a={`${m.sourceA}:${m.keyA}`} b={`${m.sourceB}:${m.keyB}`} />
                        )}
                      </td>
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

/** Since the run before: customers new and gone, records moved, added, removed. */
function runChanges(stats: Record<string, number> | null | undefined): string {
  if (!stats || stats.recordsMoved === undefined) return ''
  const parts = [
    `+${formatCount(stats.customersAdded)} / −${formatCount(stats.customersRemoved)} customers`,
    `${formatCount(stats.recordsMoved)} records moved`,
  ]
  if (stats.recordsAdded) parts.push(`${formatCount(stats.recordsAdded)} added`)
  if (stats.recordsRemoved) parts.push(`${formatCount(stats.recordsRemoved)} removed`)
  return parts.join(', ')
}

interface ActivityDefinition {
  customer: { source: string; column: string } | { attribute: string; column: string }
  dateColumn?: string
}

/** Sources of activities: linked to profiles by a customer key, not unified as people. */
function Activities({ activities }: { activities: Record<string, ActivityDefinition> | undefined }) {
  const entries = Object.entries(activities ?? {})
  if (entries.length === 0) return null
  return (
    <section aria-labelledby="activities-title">
      <h2 id="activities-title">Activities</h2>
      <p className="muted">
        These sources hold what customers did, not who they are: each row reaches a profile through its
        customer key, and measures and segments over them use that link.
      </p>
      <table>
        <TableHead columns={['Source', 'Customer key', 'Linked to', 'When']} />
        <tbody>
          {entries.map(([source, a]) => (
            <tr key={source}>
              <td>{source}</td>
              <td>{a.customer.column}</td>
              <td>{'source' in a.customer ? `${a.customer.source} (its key)` : a.customer.attribute}</td>
              <td>{a.dateColumn ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
