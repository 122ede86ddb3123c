import { type FormEvent, useState } from 'react'
import { api, instancePath } from '../api'
import { Async, Empty, ErrorBox, Field, LineChart, PageHeader, TableHead } from '../components'
import { formatCount } from '../format'
import { useAction, useApi, useInstance } from '../hooks'
import { ComputeNow, LastComputation } from './recompute'

export const INSIGHT_NAME_RULE = 'CamelCase: a capital letter, then letters and digits (e.g. LifetimeValue)'
const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL)/i

interface Measure {
  name: string
  definition: {
    description?: string
    kind: string
    entity: string
    aggregation: string
    column?: string
    groupBy?: string
    filter?: string
    sql?: string
    thresholds: number[]
  }
  latest: { dimension: string | null; value: number }[]
}

export default function Measures() {
  const instanceId = useInstance()
  const measures = useApi<{ value: Measure[] }>(instancePath(instanceId, '/measures'))
  const [selected, setSelected] = useState<string>()
  const [editing, setEditing] = useState<Measure>()
  const remove = useAction(async (name: string) => {
    if (!window.confirm(`Delete the measure ${name}? Its history stays.`)) return
    await api(instancePath(instanceId, `/measures/${encodeURIComponent(name)}`), { method: 'DELETE' })
    measures.reload()
  })
  return (
    <>
      <PageHeader
        title="Measures"
        subtitle="Business-level and customer-level numbers, recomputed after each unification."
        actions={<ComputeNow onDone={measures.reload} />}
      />
      <LastComputation />
      {remove.error && <ErrorBox error={remove.error} />}
      <Async loaded={measures}>
        {(m) =>
          m.value.length === 0 ? (
            <Empty>No measures yet: build one below.</Empty>
          ) : (
            <table>
              <TableHead columns={['Name', 'Kind', 'Definition', 'Latest value', 'Thresholds', '']} />
              <tbody>
                {m.value.map((measure) => (
                  <tr key={measure.name} className={selected === measure.name ? 'selected' : ''}>
                    <td>
                      <button type="button" className="link" onClick={() => setSelected(measure.name)}>
                        {measure.name}
                      </button>
                      {measure.definition.description && (
                        <div className="muted">{measure.definition.description}</div>
                      )}
                    </td>
                    <td>{measure.definition.kind}</td>
                    <td>
                      {measure.definition.sql !== undefined ? (
                        <code>SQL</code>
                      ) : (
                        <>
                          {measure.definition.aggregation}({measure.definition.column ?? '*'}) of{' '}
                          {measure.definition.entity}
                          {measure.definition.groupBy && ` by ${measure.definition.groupBy}`}
                          {measure.definition.filter && (
                            <>
                              {' '}
                              where <code>{measure.definition.filter}</code>
                            </>
                          )}
                        </>
                      )}
                    </td>
                    <td className="num wrap">
                      {measure.definition.kind === 'customer'
                        ? 'per customer'
                        : measure.latest
                            .map((l) => `${l.dimension ? `${l.dimension}: ` : ''}${formatCount(l.value)}`)
                            .join(', ') || '—'}
                    </td>
                    <td>{measure.definition.thresholds.map((t) => formatCount(t)).join(', ')}</td>
                    <td>
                      {measure.definition.sql === undefined && (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Edit ${measure.name}`}
                          onClick={() => setEditing(measure)}
                        >
                          Edit
                        </button>
                      )}{' '}
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Delete ${measure.name}`}
                        disabled={remove.busy}
                        onClick={() => void remove.run(measure.name)}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
      {selected && <History kind="measures" name={selected} />}
      <MeasureBuilder key={editing?.name ?? 'new'} editing={editing} onSaved={measures.reload} />
    </>
  )
}

/** Builds a measure (or replaces one of the same name): an aggregation of an entity's column. */
function MeasureBuilder({ onSaved, editing }: { onSaved: () => void; editing?: Measure | undefined }) {
  const instanceId = useInstance()
  const entities = useApi<{ value: { name: string; schema: { name: string; type: string }[] }[] }>(
    instancePath(instanceId, '/entities'),
  )
  const was = editing?.definition
  const [name, setName] = useState(editing?.name ?? '')
  const [kind, setKind] = useState<'business' | 'customer'>(
    was?.kind === 'customer' ? 'customer' : 'business',
  )
  const [entity, setEntity] = useState(was?.entity ?? '')
  const [aggregation, setAggregation] = useState(was?.aggregation ?? 'sum')
  const [column, setColumn] = useState(was?.column ?? '')
  const [filter, setFilter] = useState(was?.filter ?? '')
  const [groupBy, setGroupBy] = useState(was?.groupBy ?? '')
  const [thresholds, setThresholds] = useState(was?.thresholds.join(', ') ?? '')
  const [saved, setSaved] = useState<string>()
  // Measures read data sources (and other entities), not what measures and segments publish.
  const choices = (entities.data?.value ?? []).filter(
    (e) => !e.name.startsWith('Segment') && !['CustomerMeasures', 'BusinessMeasures'].includes(e.name),
  )
  const columns = choices.find((e) => e.name === entity)?.schema ?? []
  const needsColumn = aggregation !== 'count'
  const usable = columns.filter((c) => aggregation === 'countDistinct' || NUMERIC.test(c.type))
  const save = useAction(async (event: FormEvent) => {
    event.preventDefault()
    const limits = thresholds
      .split(/[,;\s]+/)
      .filter(Boolean)
      .map(Number)
    if (limits.some((n) => !Number.isFinite(n)))
      throw new Error(`thresholds: write numbers separated by commas`)
    await api(instancePath(instanceId, `/measures/${encodeURIComponent(name)}`), {
      method: 'PUT',
      body: {
        ...(was?.description ? { description: was.description } : {}),
        kind,
        entity,
        aggregation,
        ...(needsColumn && column ? { column } : {}),
        ...(filter.trim() ? { filter: filter.trim() } : {}),
        ...(kind === 'business' && groupBy ? { groupBy } : {}),
        thresholds: limits,
      },
    })
    setSaved(name)
    onSaved()
  })
  return (
    <form className="card" onSubmit={(e) => void save.run(e)} aria-labelledby="measure-builder-title">
      <h2 id="measure-builder-title">{editing ? `Edit ${editing.name}` : 'Build a measure'}</h2>
      <Field label="Measure name" hint={INSIGHT_NAME_RULE}>
        {(id) => (
          <input
            id={id}
            value={name}
            required
            readOnly={editing !== undefined}
            pattern="[A-Z][A-Za-z0-9]{0,62}"
            title={INSIGHT_NAME_RULE}
            onChange={(e) => setName(e.target.value)}
          />
        )}
      </Field>
      <div className="inline-form">
        <Field label="Kind" hint="Business: one value (or one per group); customer: one per customer">
          {(id) => (
            <select id={id} value={kind} onChange={(e) => setKind(e.target.value as 'business' | 'customer')}>
              <option value="business">business</option>
              <option value="customer">customer</option>
            </select>
          )}
        </Field>
        <Field label="Entity">
          {(id) => (
            <select
              id={id}
              value={entity}
              required
              onChange={(e) => {
                setEntity(e.target.value)
                setColumn('')
                setGroupBy('')
              }}
            >
              <option value="">choose…</option>
              {[...new Set([...(entity ? [entity] : []), ...choices.map((e) => e.name)])].map((e) => (
                <option key={e}>{e}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Aggregation">
          {(id) => (
            <select id={id} value={aggregation} onChange={(e) => setAggregation(e.target.value)}>
              {['sum', 'count', 'avg', 'min', 'max', 'countDistinct'].map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          )}
        </Field>
        {needsColumn && (
          <Field label="Column">
            {(id) => (
              <select id={id} value={column} required onChange={(e) => setColumn(e.target.value)}>
                <option value="">choose…</option>
                {/* The saved column is an option before the entity's columns have loaded. */}
                {[...new Set([...(column ? [column] : []), ...usable.map((c) => c.name)])].map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            )}
          </Field>
        )}
        {kind === 'business' && (
          <Field label="Group by" hint="Optional: one value per value of this column">
            {(id) => (
              <select id={id} value={groupBy} onChange={(e) => setGroupBy(e.target.value)}>
                <option value="">(none)</option>
                {columns.map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            )}
          </Field>
        )}
      </div>
      <Field label="Only rows where (optional)" hint="An OData filter, e.g. channel eq 'app'">
        {(id) => <input id={id} value={filter} onChange={(e) => setFilter(e.target.value)} />}
      </Field>
      <Field label="Thresholds (optional)" hint="Numbers separated by commas; crossing one raises an event">
        {(id) => <input id={id} value={thresholds} onChange={(e) => setThresholds(e.target.value)} />}
      </Field>
      <div className="actions">
        <button type="submit" disabled={save.busy || !name || !entity}>
          Save measure
        </button>
        {saved && (
          <span role="status">
            Saved {saved}: computed at the next refresh, or <ComputeNow onDone={onSaved} />
          </span>
        )}
      </div>
      {save.error && <ErrorBox error={save.error} />}
    </form>
  )
}

export function History({ kind, name }: { kind: 'measures' | 'segments'; name: string }) {
  const instanceId = useInstance()
  const history = useApi<{ value: { dimension: string | null; value: number; computedAt: string }[] }>(
    instancePath(instanceId, `/${kind}/${encodeURIComponent(name)}/history`),
  )
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">{name} over time</h2>
      <Async loaded={history}>
        {(h) => (
          <LineChart
            label={`${name} over time`}
            points={h.value
              .filter((p) => p.dimension === null || p.dimension === h.value[0]?.dimension)
              .map((p) => ({ at: p.computedAt, value: p.value }))
              .sort((a, b) => a.at.localeCompare(b.at))}
          />
        )}
      </Async>
    </section>
  )
}
