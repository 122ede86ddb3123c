import { type FormEvent, useState } from 'react'
import { api, instancePath } from '../api'
import { Async, Empty, ErrorBox, Field, PageHeader, TableHead } from '../components'
import { formatCount } from '../format'
import { useAction, useApi, useInstance } from '../hooks'
import { History, INSIGHT_NAME_RULE } from './measures'
import { ComputeNow, LastComputation } from './recompute'

interface Segment {
  name: string
  definition: { description?: string; filter?: string; thresholds: number[] }
  memberCount: number | null
}

export interface Condition {
  attribute: string
  operator: string
  value: string
}

const OPERATORS: { op: string; label: string }[] = [
  { op: 'eq', label: 'equals' },
  { op: 'ne', label: 'does not equal' },
  { op: 'gt', label: 'greater than' },
  { op: 'ge', label: 'at least' },
  { op: 'lt', label: 'less than' },
  { op: 'le', label: 'at most' },
  { op: 'contains', label: 'contains' },
  { op: 'startswith', label: 'starts with' },
]

/** The rule builder's rows as an OData filter: numbers bare, text quoted, rows joined by and/or. */
export function filterOf(conditions: Condition[], join: 'and' | 'or'): string {
  const literal = (v: string) =>
    v.trim() !== '' && !Number.isNaN(Number(v)) ? v.trim() : `'${v.replaceAll("'", "''")}'`
  return conditions
    .filter((c) => c.attribute && c.value !== '')
    .map((c) =>
      c.operator === 'contains' || c.operator === 'startswith'
        ? `${c.operator}(${c.attribute}, ${literal(c.value)})`
        : `${c.attribute} ${c.operator} ${literal(c.value)}`,
    )
    .join(` ${join} `)
}

export default function Segments() {
  const instanceId = useInstance()
  const segments = useApi<{ value: Segment[] }>(instancePath(instanceId, '/segments'))
  const [selected, setSelected] = useState<string>()
  const [editing, setEditing] = useState<Segment>()
  const remove = useAction(async (name: string) => {
    if (!window.confirm(`Delete the segment ${name}? Its history stays.`)) return
    await api(instancePath(instanceId, `/segments/${encodeURIComponent(name)}`), { method: 'DELETE' })
    segments.reload()
  })
  return (
    <>
      <PageHeader
        title="Segments"
        subtitle="Rule-based sets of customers, with their member counts over time."
        actions={<ComputeNow onDone={segments.reload} />}
      />
      <LastComputation />
      {remove.error && <ErrorBox error={remove.error} />}
      <Async loaded={segments}>
        {(s) =>
          s.value.length === 0 ? (
            <Empty>No segments yet: build one below.</Empty>
          ) : (
            <table>
              <TableHead columns={['Name', 'Rule', 'Members', 'Thresholds', '']} />
              <tbody>
                {s.value.map((segment) => (
                  <tr key={segment.name} className={selected === segment.name ? 'selected' : ''}>
                    <td>
                      <button type="button" className="link" onClick={() => setSelected(segment.name)}>
                        {segment.name}
                      </button>
                      {segment.definition.description && (
                        <div className="muted">{segment.definition.description}</div>
                      )}
                    </td>
                    <td>
                      <code>{segment.definition.filter}</code>
                    </td>
                    <td className="num">
                      {segment.memberCount === null ? (
                        <span className="muted">counted at the next refresh</span>
                      ) : (
                        formatCount(segment.memberCount)
                      )}
                    </td>
                    <td>{segment.definition.thresholds.map((t) => formatCount(t)).join(', ')}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Edit ${segment.name}`}
                        onClick={() => setEditing(segment)}
                      >
                        Edit
                      </button>{' '}
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Delete ${segment.name}`}
                        disabled={remove.busy}
                        onClick={() => void remove.run(segment.name)}
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
      {selected && <History kind="segments" name={selected} />}
      <RuleBuilder key={editing?.name ?? 'new'} editing={editing} onSaved={segments.reload} />
    </>
  )
}

function RuleBuilder({ onSaved, editing }: { onSaved: () => void; editing?: Segment | undefined }) {
  const instanceId = useInstance()
  const entity = useApi<{ value: { name: string; schema: { name: string }[] }[] }>(
    instancePath(instanceId, '/entities'),
  )
  const attributes = [
    ...new Set(
      (entity.data?.value ?? [])
        .filter((e) => e.name === 'UnifiedCustomer' || e.name === 'CustomerMeasures')
        .flatMap((e) => e.schema.map((c) => c.name))
        .filter((n) => n !== 'CustomerId'),
    ),
  ]
  const [name, setName] = useState(editing?.name ?? '')
  // A filter written out (or an existing segment's) is kept as text: it may say more than rows can.
  const [written, setWritten] = useState(editing?.definition.filter ?? '')
  const [saved, setSaved] = useState<{ name: string; members: number }>()
  const [join, setJoin] = useState<'and' | 'or'>('and')
  const [conditions, setConditions] = useState<Condition[]>([
    { attribute: 'Country', operator: 'eq', value: '' },
  ])
  const [estimate, setEstimate] = useState<number>()
  const filter = written.trim() || filterOf(conditions, join)
  const estimateAction = useAction(async () => {
    const r = await api<{ memberCount: number }>(instancePath(instanceId, '/segments/estimate'), {
      method: 'POST',
      body: { filter },
    })
    setEstimate(r.memberCount)
  })
  const save = useAction(async (event: FormEvent) => {
    event.preventDefault()
    const { filter: _old, ...kept } = editing?.definition ?? {}
    await api(instancePath(instanceId, `/segments/${encodeURIComponent(name)}`), {
      method: 'PUT',
      body: { ...kept, ...(filter ? { filter } : {}) },
    })
    // Counted at once over the current profiles; published with the next computation.
    const counted = await api<{ memberCount: number }>(instancePath(instanceId, '/segments/estimate'), {
      method: 'POST',
      body: filter ? { filter } : {},
    })
    setSaved({ name, members: counted.memberCount })
    onSaved()
  })
  const update = (i: number, change: Partial<Condition>) =>
    setConditions(conditions.map((c, j) => (j === i ? { ...c, ...change } : c)))
  return (
    <form className="card" onSubmit={(e) => void save.run(e)} aria-labelledby="builder-title">
      <h2 id="builder-title">{editing ? `Edit ${editing.name}` : 'Build a segment'}</h2>
      <Field label="Segment name" hint={INSIGHT_NAME_RULE}>
        {(id) => (
          <input
            id={id}
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            readOnly={editing !== undefined}
            pattern="[A-Z][A-Za-z0-9]{0,62}"
            title={INSIGHT_NAME_RULE}
          />
        )}
      </Field>
      <fieldset>
        <legend>Customers where</legend>
        <label>
          Combine rows with{' '}
          <select value={join} onChange={(e) => setJoin(e.target.value as 'and' | 'or')}>
            <option value="and">and (all rows)</option>
            <option value="or">or (any row)</option>
          </select>
        </label>
        {conditions.map((c, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
          <div className="rule-row" key={i}>
            <select
              aria-label={`Attribute of row ${i + 1}`}
              value={c.attribute}
              onChange={(e) => update(i, { attribute: e.target.value })}
            >
              {(attributes.length ? attributes : [c.attribute]).map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
            <select
              aria-label={`Operator of row ${i + 1}`}
              value={c.operator}
              onChange={(e) => update(i, { operator: e.target.value })}
            >
              {OPERATORS.map((o) => (
                <option key={o.op} value={o.op}>
                  {o.label}
                </option>
              ))}
            </select>
            <input
              aria-label={`Value of row ${i + 1}`}
              value={c.value}
              onChange={(e) => update(i, { value: e.target.value })}
            />
            <button
              type="button"
              className="secondary"
              aria-label={`Remove row ${i + 1}`}
              onClick={() => setConditions(conditions.filter((_, j) => j !== i))}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="secondary"
          onClick={() =>
            setConditions([
              ...conditions,
              { attribute: attributes[0] ?? 'Country', operator: 'eq', value: '' },
            ])
          }
        >
          Add row
        </button>
      </fieldset>
      <Field
        label="Or write the filter"
        hint="An OData filter; when set, it is used instead of the rows above"
      >
        {(id) => <input id={id} value={written} onChange={(e) => setWritten(e.target.value)} />}
      </Field>
      <p>
        Filter: <code>{filter || '(all customers)'}</code>
      </p>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          disabled={estimateAction.busy}
          onClick={() => void estimateAction.run()}
        >
          Estimate members
        </button>
        {estimate !== undefined && <span aria-live="polite">about {formatCount(estimate)} customers</span>}
        <button type="submit" disabled={save.busy || !name}>
          Save segment
        </button>
      </div>
      {saved && (
        <p role="status">
          Saved {saved.name}: {formatCount(saved.members)} members now. The count is published with the next
          refresh, or <ComputeNow onDone={onSaved} label="publish it now" />
        </p>
      )}
      {(estimateAction.error ?? save.error) && (
        <ErrorBox error={(estimateAction.error ?? save.error) as Error} />
      )}
    </form>
  )
}
