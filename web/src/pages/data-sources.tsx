import { useState } from 'react'
import { Link } from 'wouter'
import { api, type DataSource, instancePath, type Refresh, withQuery } from '../api'
import { Async, Empty, ErrorBox, Json, PageHeader, Progress, Status, TableHead, Time } from '../components'
import { formatCount, formatDuration } from '../format'
import { useAction, useApi, useInstance } from '../hooks'
import { AddDataSource, describeSchedule } from './add-data-source'

const busy = (r: Refresh | null | undefined) => r?.state === 'queued' || r?.state === 'running'

export default function DataSources({ selected }: { selected?: string }) {
  const instanceId = useInstance()
  // While a refresh runs, its progress is polled.
  const sources = useApi<{ value: DataSource[] }>(instancePath(instanceId, '/datasources'), {
    pollMs: 1000,
    pollWhile: (d) => d.value.some((s) => busy(s.lastRefresh)),
  })
  const list = sources.data
  const refresh = useAction(async (name: string) => {
    await api(instancePath(instanceId, `/datasources/${encodeURIComponent(name)}/refresh`), {
      method: 'POST',
      body: {},
    })
    sources.reload()
  })

  return (
    <>
      <PageHeader
        title="Data sources"
        subtitle="Where customer data comes from; each refresh succeeds or fails, and says so as an event."
      />
      {refresh.error && <ErrorBox error={refresh.error} />}
      <Async loaded={sources}>
        {() => (
          <table>
            <TableHead
              columns={['Name', 'Kind', 'Status', 'Rows', 'Rejected', 'Last refresh', 'Schedule', '']}
            />
            <tbody>
              {list?.value.map((s) => (
                <tr key={s.name} className={s.name === selected ? 'selected' : ''}>
                  <td>
                    <Link href={`/data-sources/${encodeURIComponent(s.name)}`}>{s.name}</Link>
                  </td>
                  <td>{s.kind}</td>
                  <td>
                    {s.lastRefresh ? <Status value={s.lastRefresh.state} /> : 'never refreshed'}{' '}
                    {busy(s.lastRefresh) && (
                      <Progress fraction={s.lastRefresh?.progress?.fraction} label={`Refresh of ${s.name}`} />
                    )}
                  </td>
                  <td className="num">
                    {formatCount(s.publishedRowCount)}
                    {s.lastRefresh?.state === 'failed' && s.publishedRowCount !== null && (
                      <span
                        className="muted"
                        title="The last refresh failed; these rows, from the refresh before, are still served"
                      >
                        {' '}
                        (kept)
                      </span>
                    )}
                  </td>
                  <td className="num">{formatCount(s.lastRefresh?.rejectedRowCount)}</td>
                  <td>
                    <Time at={s.lastRefresh?.completedAt ?? s.lastRefresh?.requestedAt} />
                  </td>
                  <td>{describeSchedule(s.schedule)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy(s.lastRefresh) || refresh.busy}
                      onClick={() => void refresh.run(s.name)}
                      aria-label={`Refresh ${s.name} now`}
                    >
                      Refresh now
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      {selected && <SourceDetail name={selected} />}
      <AddDataSource onAdded={sources.reload} />
    </>
  )
}

function SourceDetail({ name }: { name: string }) {
  const instanceId = useInstance()
  const history = useApi<{ value: Refresh[] }>(
    withQuery(instancePath(instanceId, '/refreshes'), { dataSource: name, $top: 20 }),
    {
      pollMs: 3000,
    },
  )
  const source = useApi<DataSource>(instancePath(instanceId, `/datasources/${encodeURIComponent(name)}`))
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Refresh history of {name}</h2>
      <Async loaded={history}>
        {(h) =>
          h.value.length === 0 ? (
            <Empty>Never refreshed.</Empty>
          ) : (
            <table>
              <TableHead columns={['Started', 'Status', 'Attempt', 'Rows', 'Rejected', 'Took', 'Error']} />
              <tbody>
                {h.value.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Time at={r.startedAt ?? r.requestedAt} />
                    </td>
                    <td>
                      <Status value={r.state} />
                    </td>
                    <td className="num">{r.attempt}</td>
                    <td className="num">{formatCount(r.rowCount)}</td>
                    <td className="num">
                      {r.rejectedRowCount ? <RejectsLink refresh={r} /> : formatCount(r.rejectedRowCount)}
                    </td>
                    <td className="num">{formatDuration(r.durationMs)}</td>
                    <td>{r.error ? `${r.error.code}: ${r.error.message}` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
      <h3>Settings</h3>
      <Async loaded={source}>
        {(s) => (
          <Json
            value={{ kind: s.kind, primaryKey: s.primaryKey, options: s.options }}
            label="Data source settings"
          />
        )}
      </Async>
    </section>
  )
}

function RejectsLink({ refresh }: { refresh: Refresh }) {
  const instanceId = useInstance()
  const [open, setOpen] = useState(false)
  const rejects = useApi<unknown>(open ? instancePath(instanceId, `/refreshes/${refresh.id}/rejects`) : null)
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{formatCount(refresh.rejectedRowCount)} rejected</summary>
      {open && <Async loaded={rejects}>{(value) => <Json value={value} label="Rejected rows" />}</Async>}
    </details>
  )
}
