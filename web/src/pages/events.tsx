import { useState } from 'react'
import { instancePath, type StoredEvent, withQuery } from '../api'
import { Async, Empty, Json, PageHeader, Time } from '../components'
import { useApi, useInstance } from '../hooks'

const TYPES = [
  'datasource.refresh.failed',
  'datasource.refresh.succeeded',
  'segment.threshold.crossed',
  'measure.threshold.crossed',
  'refresh.full.completed',
  'unify.completed',
  'flow.run.failed',
  'insights.run.failed',
]

/** What happened, newest first, a page at a time (the outbox every trigger and flow reads). */
export default function Events() {
  const instanceId = useInstance()
  const [type, setType] = useState('')
  const [cursors, setCursors] = useState<string[]>([])
  const before = cursors[cursors.length - 1]
  const events = useApi<{ value: StoredEvent[]; '@odata.nextLink'?: string }>(
    withQuery(instancePath(instanceId, '/events'), { type, order: 'desc', before, $top: 50 }),
    { pollMs: 5000 },
  )
  return (
    <>
      <PageHeader
        title="Events"
        subtitle="Every state change a flow or subscription can react to, newest first."
      />
      <label className="inline-form">
        Type{' '}
        <select
          value={type}
          onChange={(e) => {
            setType(e.target.value)
            setCursors([])
          }}
        >
          <option value="">all</option>
          {TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <Async loaded={events}>
        {(e) => (
          <>
            {e.value.length === 0 ? (
              <Empty>No events{type ? ` of type ${type}` : ''} yet.</Empty>
            ) : (
              <ul className="event-list">
                {e.value.map((event) => (
                  <li key={event.id}>
                    <details>
                      <summary>
                        <Time at={event.occurredAt} absolute /> <strong>{event.type}</strong> {event.summary}
                      </summary>
                      <Json value={event} label={`Event ${event.id}`} />
                    </details>
                  </li>
                ))}
              </ul>
            )}
            <div className="pager">
              <button
                type="button"
                className="secondary"
                disabled={cursors.length === 0}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Newer
              </button>
              <button
                type="button"
                className="secondary"
                disabled={!e['@odata.nextLink']}
                onClick={() => setCursors([...cursors, e.value[e.value.length - 1]?.id as string])}
              >
                Older
              </button>
            </div>
          </>
        )}
      </Async>
    </>
  )
}
