import { useState } from 'react'
import { api, instancePath } from '../api'
import { ErrorBox, TableHead } from '../components'
import { useAction, useApi, useInstance } from '../hooks'

export interface Condition {
  attribute: string
  precision: 'exact' | 'fuzzy'
  algorithm?: string
  threshold?: number
  normalize?: string[]
  weight?: number
}
export interface Rule {
  name: string
  conditions: Condition[]
  minScore?: number
  blockOn?: string[]
  probabilistic?: { attributes?: string[]; threshold?: number }
  neverMatch?: boolean
}
export interface UnifySection {
  defaultCountry?: string
  sources: Record<string, { attributes: Record<string, string>; updatedAt?: string }>
  rules: Rule[]
  merge?: {
    default?: string
    keepAll?: string[]
    attributes?: Record<string, string>
    sourcePriority?: string[]
  }
}

/** The semantic attributes unify knows; any other CamelCase name is a custom attribute. */
export const ATTRIBUTES = [
  'FirstName',
  'LastName',
  'FullName',
  'Email',
  'Phone',
  'Address1',
  'City',
  'PostalCode',
  'Country',
  'DateOfBirth',
]
const MERGE_POLICIES = ['mostFrequent', 'mostRecent', 'sourcePriority', 'mostComplete']
/** How a value is cleaned before comparing, by attribute: what a person would pick. */
const NORMALIZE_FOR: Record<string, string[]> = {
  Email: ['email'],
  Phone: ['phone'],
  FirstName: ['name'],
  LastName: ['name'],
  FullName: ['name'],
  PostalCode: ['numerals'],
  Address1: ['address'],
}

/**
 * Unify as a form: each source's columns mapped to profile attributes, the match rules in order
 * (each a set of conditions, all of which must hold), the merge default. Saved into the
 * instance's configuration (checked whole by the server), then run if asked.
 */
export function UnifyEditor({
  initial,
  onSaved,
}: {
  initial: UnifySection
  onSaved: (ran: boolean) => void
}) {
  const instanceId = useInstance()
  const entities = useApi<{
    value: { name: string; schema: { name: string }[]; keyColumn?: string | null }[]
  }>(instancePath(instanceId, '/entities'))
  const [draft, setDraft] = useState<UnifySection>(() => structuredClone(initial))
  const [changed, setChanged] = useState(false)
  const edit = (change: (d: UnifySection) => void) => {
    const next = structuredClone(draft)
    change(next)
    setDraft(next)
    setChanged(true)
  }
  const mapped = [...new Set(Object.values(draft.sources).flatMap((s) => Object.values(s.attributes)))].sort()
  const save = useAction(async (run: boolean) => {
    const document = await api<Record<string, unknown>>(instancePath(instanceId, '/config'))
    await api(instancePath(instanceId, '/config'), { method: 'PUT', body: { ...document, unify: draft } })
    if (run) await api(instancePath(instanceId, '/unify/runs'), { method: 'POST', body: {} })
    setChanged(false)
    onSaved(run)
  })
  const columnsOf = (source: string) => entities.data?.value.find((e) => e.name === source)?.schema ?? []

  return (
    <section className="card" aria-labelledby="unify-editor-title">
      <h2 id="unify-editor-title">Map, match and merge</h2>
      <h3>Map</h3>
      <div className="columns">
        {Object.entries(draft.sources).map(([source, map]) => {
          const columns = [
            ...new Set([...columnsOf(source).map((c) => c.name), ...Object.keys(map.attributes)]),
          ]
          return (
            <table key={source} className="compact">
              <caption>{source}</caption>
              <TableHead columns={['Column', 'Profile attribute']} />
              <tbody>
                {columns.map((column) => (
                  <tr key={column}>
                    <td>{column}</td>
                    <td>
                      <select
                        aria-label={`Attribute of ${source}.${column}`}
                        value={map.attributes[column] ?? ''}
                        onChange={(e) =>
                          edit((d) => {
                            const attributes = (d.sources[source] as { attributes: Record<string, string> })
                              .attributes
                            if (e.target.value) attributes[column] = e.target.value
                            else delete attributes[column]
                          })
                        }
                      >
                        <option value="">(not mapped)</option>
                        {[
                          ...new Set([
                            ...ATTRIBUTES,
                            ...(map.attributes[column] ? [map.attributes[column]] : []),
                          ]),
                        ].map((a) => (
                          <option key={a}>{a}</option>
                        ))}
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        })}
      </div>

      <h3>Match rules</h3>
      <p className="muted">
        Tried in order: two records are the same person when every condition of some rule holds.
      </p>
      <ol className="rules">
        {draft.rules.map((rule, r) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rules are edited in place, in order
          <li key={r}>
            <div className="inline-form">
              <input
                aria-label={`Name of rule ${r + 1}`}
                value={rule.name}
                onChange={(e) =>
                  edit((d) => {
                    ;(d.rules[r] as Rule).name = e.target.value
                  })
                }
              />
              <button
                type="button"
                className="secondary"
                disabled={r === 0}
                aria-label={`Move rule ${r + 1} up`}
                onClick={() =>
                  edit((d) => {
                    d.rules.splice(r - 1, 0, ...d.rules.splice(r, 1))
                  })
                }
              >
                ↑
              </button>
              <button
                type="button"
                className="secondary"
                aria-label={`Remove rule ${r + 1}`}
                disabled={draft.rules.length === 1}
                onClick={() =>
                  edit((d) => {
                    d.rules.splice(r, 1)
                  })
                }
              >
                Remove rule
              </button>
              {rule.minScore !== undefined && (
                <span className="muted">scored rule (at least {rule.minScore})</span>
              )}
              {rule.probabilistic && (
                <span className="muted">
                  probabilistic: how much each attribute says is estimated from the data
                  {rule.probabilistic.threshold !== undefined
                    ? ` (joins at ${rule.probabilistic.threshold})`
                    : ' (threshold chosen for the best expected F1)'}
                </span>
              )}
              {rule.neverMatch && (
                <span className="muted">never match: records are not linked unless these hold</span>
              )}
            </div>
            {rule.conditions.map((condition, c) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: conditions are edited in place
              <div className="rule-row" key={c}>
                <select
                  aria-label={`Attribute of rule ${r + 1} condition ${c + 1}`}
                  value={condition.attribute}
                  onChange={(e) =>
                    edit((d) => {
                      const target = (d.rules[r] as Rule).conditions[c] as Condition
                      target.attribute = e.target.value
                      target.normalize = NORMALIZE_FOR[e.target.value] ?? ['whitespace', 'case', 'accents']
                    })
                  }
                >
                  {[...new Set([...mapped, condition.attribute])].map((a) => (
                    <option key={a}>{a}</option>
                  ))}
                </select>
                <select
                  aria-label={`Precision of rule ${r + 1} condition ${c + 1}`}
                  value={condition.precision}
                  onChange={(e) =>
                    edit((d) => {
                      ;((d.rules[r] as Rule).conditions[c] as Condition).precision = e.target.value as
                        | 'exact'
                        | 'fuzzy'
                    })
                  }
                >
                  <option value="exact">is the same</option>
                  <option value="fuzzy">is similar</option>
                </select>
                {condition.precision === 'fuzzy' && (
                  <label>
                    at least{' '}
                    <input
                      type="number"
                      min={0}
                      max={1}
                      step={0.01}
                      value={condition.threshold ?? 0.9}
                      onChange={(e) =>
                        edit((d) => {
                          ;((d.rules[r] as Rule).conditions[c] as Condition).threshold = Number(
                            e.target.value,
                          )
                        })
                      }
                    />
                  </label>
                )}
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Remove condition ${c + 1} of rule ${r + 1}`}
                  disabled={rule.conditions.length === 1}
                  onClick={() =>
                    edit((d) => {
                      ;(d.rules[r] as Rule).conditions.splice(c, 1)
                    })
                  }
                >
                  Remove
                </button>
              </div>
            ))}
            <button
              type="button"
              className="secondary"
              onClick={() =>
                edit((d) => {
                  const attribute = mapped[0] ?? 'Email'
                  ;(d.rules[r] as Rule).conditions.push({
                    attribute,
                    precision: 'exact',
                    normalize: NORMALIZE_FOR[attribute] ?? ['whitespace', 'case', 'accents'],
                  })
                })
              }
            >
              Add condition
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="secondary"
        onClick={() =>
          edit((d) => {
            const attribute = mapped.includes('Email') ? 'Email' : (mapped[0] ?? 'Email')
            d.rules.push({
              name: `rule ${d.rules.length + 1}`,
              conditions: [
                { attribute, precision: 'exact', normalize: NORMALIZE_FOR[attribute] ?? ['case'] },
              ],
            })
          })
        }
      >
        Add rule
      </button>

      <h3>Merge</h3>
      <label>
        A profile's value is the{' '}
        <select
          value={draft.merge?.default ?? 'mostFrequent'}
          onChange={(e) =>
            edit((d) => {
              d.merge = { ...(d.merge ?? {}), default: e.target.value }
            })
          }
        >
          {MERGE_POLICIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>{' '}
        of its records' values
      </label>

      <div className="actions">
        <button type="button" disabled={save.busy || !changed} onClick={() => void save.run(false)}>
          Save
        </button>
        <button type="button" className="secondary" disabled={save.busy} onClick={() => void save.run(true)}>
          Save and run unification
        </button>
        {!changed && !save.busy && save.error === undefined && <span className="muted">No changes</span>}
      </div>
      {save.error && <ErrorBox error={save.error} />}
    </section>
  )
}
