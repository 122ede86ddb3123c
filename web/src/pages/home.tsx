import { useEffect } from 'react'
import { Link } from 'wouter'
import { api, type FlowRun, instancePath, type Refresh } from '../api'
import { Async, ErrorBox, PageHeader, Progress, Status, TableHead, Time } from '../components'
import { formatCount, formatDuration } from '../format'
import { useAction, useApi, useInstance } from '../hooks'

interface Instance {
  id: string
  name: string
  dataSourceCount: number
  entityCount: number
  lastRefreshes: Refresh[]
}
interface FullRefresh {
  id: string
  state: string
  requestedAt: string
  completedAt: string | null
  durationMs: number | null
  fraction: number
  steps?: { name: string; state: string }[]
}

export default function Home() {
  const instanceId = useInstance()
  const instance = useApi<Instance>(instancePath(instanceId))
  const full = useApi<{ value: FullRefresh[] }>(`${instancePath(instanceId, '/full-refreshes')}?$top=1`, {
    pollMs: 2000,
    pollWhile: (d) => d.value[0]?.state === 'running' || d.value[0]?.state === 'queued',
  })
  const runs = useApi<{ value: FlowRun[] }>(`${instancePath(instanceId, '/flow-runs')}?$top=5`)
  const customers = useApi<{ '@odata.count': number }>(
    `${instancePath(instanceId, '/data/UnifiedCustomer')}?$top=0&$count=true`,
  )
  const refreshAll = useAction(() =>
    api(instancePath(instanceId, '/full-refreshes'), { method: 'POST', body: {} }),
  )
  const latest = full.data?.value[0]
  const running = latest && (latest.state === 'running' || latest.state === 'queued')
  // When a full refresh ends, what it changed is shown without a reload of the page.
  const ended = latest && !running ? `${latest.id}:${latest.state}` : undefined
  const { reload: reloadInstance } = instance
  const { reload: reloadCustomers } = customers
  const { reload: reloadRuns } = runs
  useEffect(() => {
    if (!ended) return
    reloadInstance()
    reloadCustomers()
    reloadRuns()
  }, [ended, reloadInstance, reloadCustomers, reloadRuns])

  return (
    <>
      <PageHeader
        title="Home"
        subtitle="Your instance at a glance"
        actions={
          <button
            type="button"
            disabled={refreshAll.busy || running}
            onClick={() => void refreshAll.run().then(full.reload)}
          >
            {running ? 'Refreshing…' : 'Refresh all'}
          </button>
        }
      />
      {refreshAll.error && <ErrorBox error={refreshAll.error} />}
      <Async loaded={instance}>
        {(i) => (
          <section className="tiles" aria-label="Counts">
            <div className="tile">
              <span className="tile-value">{formatCount(customers.data?.['@odata.count'])}</span>
              <span className="tile-label">Unified customers</span>
            </div>
            <div className="tile">
              <span className="tile-value">{i.dataSourceCount}</span>
              <span className="tile-label">Data sources</span>
            </div>
            <div className="tile">
              <span className="tile-value">{i.entityCount}</span>
              <span className="tile-label">Entities</span>
            </div>
            <div className="tile">
              <span className="tile-value">{latest ? <Status value={latest.state} /> : '—'}</span>
              <span className="tile-label">
                Last full refresh {latest && <Time at={latest.completedAt ?? latest.requestedAt} />}
              </span>
            </div>
          </section>
        )}
      </Async>
      {running && (
        <p>
          Full refresh running: <Progress fraction={latest?.fraction} label="Full refresh progress" />{' '}
          {latest?.steps?.map((s) => `${stepName(s.name)} ${s.state}`).join(' · ')}
        </p>
      )}
      <div className="columns">
        <section>
          <h2>Last refreshes</h2>
          <Async loaded={instance}>
            {(i) => (
              <table>
                <TableHead columns={['Data source', 'Status', 'Rows', 'Took', 'When']} />
                <tbody>
                  {i.lastRefreshes.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Link href={`/data-sources/${encodeURIComponent(r.dataSourceName)}`}>
                          {r.dataSourceName}
                        </Link>
                      </td>
                      <td>
                        <Status value={r.state} />
                      </td>
                      <td className="num">{formatCount(r.rowCount)}</td>
                      <td className="num">{formatDuration(r.durationMs)}</td>
                      <td>
                        <Time at={r.completedAt ?? r.requestedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Async>
        </section>
        <section>
          <h2>Recent flow runs</h2>
          <Async loaded={runs}>
            {(r) =>
              r.value.length === 0 ? (
                <p className="empty">
                  No flow has run yet. <Link href="/admin/export-destinations">Set one up</Link>.
                </p>
              ) : (
                <ul className="plain">
                  {r.value.map((run) => (
                    <li key={run.id}>
                      <Status value={run.state} /> <Link href={`/flow-runs/${run.id}`}>{run.flowName}</Link>{' '}
                      <Time at={run.requestedAt} />
                    </li>
                  ))}
                </ul>
              )
            }
          </Async>
        </section>
      </div>
    </>
  )
}

/** "source:crm_contacts" → "crm_contacts"; "unify" → "unification"; "insights" → "measures and segments". */
function stepName(name: string): string {
  if (name.startsWith('source:')) return name.slice('source:'.length)
  return name === 'unify' ? 'unification' : name === 'insights' ? 'measures and segments' : name
}
