import { type FormEvent, useState } from 'react'
import { Link } from 'wouter'
import { type Entity, instancePath, withQuery } from '../api'
import { Async, Empty, PageHeader, Time } from '../components'
import { formatCount, formatValue } from '../format'
import { useApi, useInstance } from '../hooks'

const PAGE = 50

export default function Entities({ selected }: { selected?: string }) {
  const instanceId = useInstance()
  const entities = useApi<{ value: Entity[] }>(instancePath(instanceId, '/entities'))
  return (
    <>
      <PageHeader
        title="Entities"
        subtitle="Tables the pipeline publishes: sources, unified customers, measures and segments."
      />
      <div className="split">
        <Async loaded={entities}>
          {(e) => (
            <ul className="entity-list" aria-label="Entities">
              {e.value.map((entity) => (
                <li key={entity.name}>
                  <Link
                    href={`/entities/${encodeURIComponent(entity.name)}`}
                    aria-current={entity.name === selected ? 'page' : undefined}
                    className={entity.name === selected ? 'active' : ''}
                  >
                    {entity.name}
                  </Link>{' '}
                  <span className="muted">{formatCount(entity.rowCount)}</span>
                </li>
              ))}
            </ul>
          )}
        </Async>
        <div className="grow">
          {selected && entities.data ? (
            <EntityRows entity={entities.data.value.find((e) => e.name === selected)} name={selected} />
          ) : (
            <Empty>Pick an entity to browse its rows.</Empty>
          )}
        </div>
      </div>
    </>
  )
}

/** Rows of an entity, a page at a time from the server ($top/$skip/$orderby/$filter): 1M rows stay smooth. */
function EntityRows({ entity, name }: { entity: Entity | undefined; name: string }) {
  const instanceId = useInstance()
  const [skip, setSkip] = useState(0)
  const [orderBy, setOrderBy] = useState<string>()
  const [filter, setFilter] = useState('')
  const [draft, setDraft] = useState('')
  const rows = useApi<{ value: Record<string, unknown>[]; '@odata.count'?: number }>(
    withQuery(instancePath(instanceId, `/data/${encodeURIComponent(name)}`), {
      $top: PAGE,
      $skip: skip,
      $count: true,
      $orderby: orderBy,
      $filter: filter || undefined,
    }),
  )
  const columns = entity?.schema.map((c) => c.name) ?? Object.keys(rows.data?.value[0] ?? {})
  const types = new Map(entity?.schema.map((c) => [c.name, c.type]) ?? [])
  const total = rows.data?.['@odata.count']
  const apply = (event: FormEvent) => {
    event.preventDefault()
    setSkip(0)
    setFilter(draft)
  }
  const sortBy = (column: string) => {
    setSkip(0)
    setOrderBy(orderBy === column ? `${column} desc` : column)
  }
  return (
    <section aria-labelledby="rows-title">
      <h2 id="rows-title">
        {name}{' '}
        {entity && (
          <small className="muted">
            updated <Time at={entity.updatedAt} />
          </small>
        )}
      </h2>
      <form className="inline-form" onSubmit={apply}>
        <label>
          Filter (OData){' '}
          <input
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="Country eq 'DK'"
            size={40}
          />
        </label>
        <button type="submit" className="secondary">
          Apply
        </button>
      </form>
      <Async loaded={rows}>
        {(r) => (
          <>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling table must be reachable by keyboard to scroll it */}
            <section className="table-scroll" aria-label={`Rows of ${name}`} tabIndex={0}>
              <table className={rows.loading ? 'stale' : ''}>
                <thead>
                  <tr>
                    {columns.map((c) => (
                      <th
                        key={c}
                        scope="col"
                        aria-sort={
                          orderBy === c ? 'ascending' : orderBy === `${c} desc` ? 'descending' : 'none'
                        }
                      >
                        <button type="button" className="link" onClick={() => sortBy(c)}>
                          {c}
                          {orderBy === c ? ' ▲' : orderBy === `${c} desc` ? ' ▼' : ''}
                        </button>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {r.value.map((row, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: rows of a page have no other identity
                    <tr key={skip + i}>
                      {columns.map((c) => (
                        <td key={c} title={formatValue(row[c], types.get(c))}>
                          {formatValue(row[c], types.get(c))}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <div className="pager">
              <button
                type="button"
                className="secondary"
                disabled={skip === 0}
                onClick={() => setSkip(Math.max(0, skip - PAGE))}
              >
                Previous
              </button>
              <span aria-live="polite">
                {r.value.length === 0
                  ? 'No rows'
                  : `Rows ${formatCount(skip + 1)}–${formatCount(skip + r.value.length)}`}
                {total !== undefined && ` of ${formatCount(total)}`}
              </span>
              <button
                type="button"
                className="secondary"
                disabled={r.value.length < PAGE || (total !== undefined && skip + PAGE >= total)}
                onClick={() => setSkip(skip + PAGE)}
              >
                Next
              </button>
            </div>
          </>
        )}
      </Async>
    </section>
  )
}
