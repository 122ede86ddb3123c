import { useState } from 'react'
import { api, instancePath, withQuery } from '../api'
import { Async, Empty, ErrorBox, PageHeader, Status, TableHead, Time } from '../components'
import { useAction, useApi, useInstance } from '../hooks'

interface Delivery {
  id: string
  subscriptionId: string
  eventId: string
  state: string
  attemptCount: number
  nextAttemptAt: string | null
  lastStatus: number | null
  lastError: string | null
  createdAt: string
  completedAt: string | null
}
interface Attempt {
  attempt: number
  startedAt: string
  latencyMs: number
  status: number | null
  error: string | null
}

export default function Deliveries() {
  const instanceId = useInstance()
  const [state, setState] = useState('')
  const deliveries = useApi<{ value: Delivery[] }>(
    withQuery(instancePath(instanceId, '/deliveries'), { state, $top: 100 }),
    {
      pollMs: 5000,
    },
  )
  const [open, setOpen] = useState<string>()
  const redrive = useAction(async (ids?: string[]) => {
    await api(instancePath(instanceId, '/deliveries/redrive'), { method: 'POST', body: ids ? { ids } : {} })
    deliveries.reload()
  })
  const dead = deliveries.data?.value.filter((d) => d.state === 'dead') ?? []
  return (
    <>
      <PageHeader
        title="Deliveries"
        subtitle="Webhook deliveries to connector subscriptions (Power Automate and others): signed, retried, and dead-lettered when they keep failing."
        actions={
          <button
            type="button"
            className="secondary"
            disabled={redrive.busy || dead.length === 0}
            onClick={() => void redrive.run()}
          >
            Redrive all dead ({dead.length})
          </button>
        }
      />
      {redrive.error && <ErrorBox error={redrive.error} />}
      <label className="inline-form">
        State{' '}
        <select value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">all</option>
          <option value="pending">pending</option>
          <option value="succeeded">succeeded</option>
          <option value="dead">dead letters</option>
          <option value="cancelled">cancelled</option>
        </select>
      </label>
      <Async loaded={deliveries}>
        {(d) =>
          d.value.length === 0 ? (
            <Empty>
              No deliveries{state ? ` in state ${state}` : ''}. They appear when a subscribed trigger fires.
            </Empty>
          ) : (
            <table>
              <TableHead
                columns={['Created', 'Event', 'Subscription', 'State', 'Attempts', 'Last answer', '']}
              />
              <tbody>
                {d.value.map((delivery) => (
                  <DeliveryRow
                    key={delivery.id}
                    delivery={delivery}
                    open={open === delivery.id}
                    onToggle={() => setOpen(open === delivery.id ? undefined : delivery.id)}
                    onRedrive={() => void redrive.run([delivery.id])}
                  />
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </>
  )
}

function DeliveryRow({
  delivery,
  open,
  onToggle,
  onRedrive,
}: {
  delivery: Delivery
  open: boolean
  onToggle: () => void
  onRedrive: () => void
}) {
  const instanceId = useInstance()
  const detail = useApi<{ attempts: Attempt[] }>(
    open ? instancePath(instanceId, `/deliveries/${encodeURIComponent(delivery.id)}`) : null,
  )
  return (
    <>
      <tr>
        <td>
          <Time at={delivery.createdAt} />
        </td>
        <td>
          <code>{delivery.eventId.slice(-8)}</code>
        </td>
        <td>
          <code>{delivery.subscriptionId.slice(-8)}</code>
        </td>
        <td>
          <Status value={delivery.state} />
        </td>
        <td className="num">
          <button type="button" className="link" aria-expanded={open} onClick={onToggle}>
            {delivery.attemptCount} attempt{delivery.attemptCount === 1 ? '' : 's'}
          </button>
        </td>
        <td>{delivery.lastStatus ?? delivery.lastError ?? ''}</td>
        <td>
          {delivery.state === 'dead' && (
            <button type="button" className="secondary" onClick={onRedrive}>
              Redrive
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={7}>
            <Async loaded={detail}>
              {(d) => (
                <table className="compact">
                  <TableHead columns={['#', 'When', 'Status', 'Latency', 'Error']} />
                  <tbody>
                    {d.attempts.map((a) => (
                      <tr key={a.attempt}>
                        <td>{a.attempt}</td>
                        <td>
                          <Time at={a.startedAt} />
                        </td>
                        <td>{a.status ?? '—'}</td>
                        <td className="num">{a.latencyMs} ms</td>
                        <td className="clip">{a.error}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Async>
          </td>
        </tr>
      )}
    </>
  )
}
