import { type ReactNode, useEffect, useId, useMemo, useRef, useState } from 'react'
import { Link, useLocation, useSearchParams } from 'wouter'
import { ApiError, api, type FlowRun, instancePath, type StoredFlow } from '../api'
import { Async, ErrorBox, Field, Json, Loading, PageHeader } from '../components'
import { useApi, useInstance } from '../hooks'
import {
  addCase,
  branchesOf,
  CONTAINERS,
  type DesignerState,
  dynamicContent,
  type FieldSpec,
  fromDefinition,
  newStep,
  ownContent,
  pickListOptions,
  pickListPath,
  RECURRENCE_TRIGGER,
  RUN_AFTER_STATUSES,
  readable,
  type SchemaField,
  STEP_TYPES,
  type Step,
  type StepType,
  secretsToSeal,
  stepSpec,
  type Token,
  type TriggerInfo,
  toDefinition,
  tokenText,
  validate,
  withBranch,
} from './model'

const EMPTY: DesignerState = { flowName: '', triggerType: '', triggerParameters: {}, steps: [] }

function replaceStep(steps: Step[], old: Step, next: Step | null): Step[] {
  return steps.flatMap((s) => {
    if (s === old) return next ? [next] : []
    if (!s.yes && !s.no) return [s]
    return [{ ...s, yes: replaceStep(s.yes ?? [], old, next), no: replaceStep(s.no ?? [], old, next) }]
  })
}

/** Admin → Export destinations → Power Automate → Configure: pick a trigger, add steps, save, test. */
export default function FlowDesigner() {
  const instanceId = useInstance()
  const [params] = useSearchParams()
  const editing = params.get('flow') ?? undefined
  const triggers = useApi<{ value: TriggerInfo[] }>('/api/v1/flow-triggers')
  const existing = useApi<StoredFlow>(
    editing ? instancePath(instanceId, `/flows/${encodeURIComponent(editing)}`) : null,
  )
  const [state, setState] = useState<DesignerState>(EMPTY)
  const [loadedFrom, setLoadedFrom] = useState<string>()
  const [codeOnly, setCodeOnly] = useState(false)

  useEffect(() => {
    if (!editing || !existing.data || loadedFrom === editing) return
    const read = fromDefinition(editing, existing.data.definition)
    if (read) setState(read)
    else setCodeOnly(true)
    setLoadedFrom(editing)
  }, [editing, existing.data, loadedFrom])

  if (editing && existing.loading && !existing.data) return <Loading what="Loading the flow" />
  if (editing && existing.error) return <ErrorBox error={existing.error} onRetry={existing.reload} />
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link href="/admin/export-destinations">Export destinations</Link> › Power Automate › Configure
      </nav>
      <PageHeader
        title={editing ? `Edit flow: ${editing}` : 'New flow'}
        subtitle="Choose what starts the flow, then add the steps it takes. Insert the trigger's outputs into any field from the dynamic-content list."
      />
      <Async loaded={triggers} what="Loading triggers">
        {(t) =>
          codeOnly && existing.data ? (
            <CodeEditor name={editing as string} definition={existing.data.definition} />
          ) : (
            <Designer
              state={state}
              setState={setState}
              triggers={[...t.value, RECURRENCE_TRIGGER]}
              editing={editing}
            />
          )
        }
      </Async>
    </>
  )
}

function Designer({
  state,
  setState,
  triggers,
  editing,
}: {
  state: DesignerState
  setState: (s: DesignerState) => void
  triggers: TriggerInfo[]
  editing: string | undefined
}) {
  const instanceId = useInstance()
  const [, navigate] = useLocation()
  const trigger = triggers.find((t) => t.eventType === state.triggerType)
  const problems = validate(state, trigger)
  const [showProblems, setShowProblems] = useState(false)
  const [saving, setSaving] = useState(false)
  const [saved, setSaved] = useState<string>()
  const [warnings, setWarnings] = useState<{ target: string; message: string }[]>([])
  const [error, setError] = useState<Error>()
  const [showCode, setShowCode] = useState(false)
  const update = (change: Partial<DesignerState>) => {
    setState({ ...state, ...change })
  }

  const save = async (): Promise<boolean> => {
    setShowProblems(true)
    if (problems.length > 0) return false
    setSaving(true)
    setError(undefined)
    try {
      let next = state
      // Webhook URLs hold tokens: they are sealed as secrets, and the flow refers to them.
      for (const secret of secretsToSeal(state)) {
        await api(instancePath(instanceId, `/secrets/${encodeURIComponent(secret.name)}`), {
          method: 'PUT',
          body: { value: secret.value },
        })
        next = {
          ...next,
          steps: replaceStep(next.steps, secret.step, {
            ...secret.step,
            fields: { ...secret.step.fields, webhookUrl: `@secret('${secret.name}')` },
          }),
        }
      }
      const answer = await api<{ warnings?: { target: string; message: string }[] }>(
        instancePath(instanceId, `/flows/${encodeURIComponent(state.flowName)}`),
        { method: 'PUT', body: toDefinition(state) },
      )
      setWarnings(answer.warnings ?? [])
      setState(next)
      setSaved(state.flowName)
      return true
    } catch (e) {
      setError(e as Error)
      return false
    } finally {
      setSaving(false)
    }
  }
  const test = async () => {
    if (!(await save())) return
    try {
      const run = await api<FlowRun>(
        instancePath(instanceId, `/flows/${encodeURIComponent(state.flowName)}/test`),
        { method: 'POST' },
      )
      navigate(`/flow-runs/${run.id}`)
    } catch (e) {
      setError(e as Error)
    }
  }

  return (
    <div className="designer">
      <Field label="Flow name">
        {(id) => (
          <input
            id={id}
            value={state.flowName}
            onChange={(e) => update({ flowName: e.target.value })}
            readOnly={editing !== undefined}
            placeholder="Teams on refresh failure"
          />
        )}
      </Field>
      <section className="designer-card trigger-card" aria-labelledby="trigger-title">
        <h2 id="trigger-title">
          <span aria-hidden="true">⚡</span> Trigger
        </h2>
        <fieldset>
          <legend>Start this flow</legend>
          <div className="choices">
            {triggers.map((t) => (
              <label
                key={t.eventType}
                className={`choice ${t.eventType === state.triggerType ? 'chosen' : ''}`}
              >
                <input
                  type="radio"
                  name="trigger"
                  value={t.eventType}
                  checked={t.eventType === state.triggerType}
                  onChange={() => update({ triggerType: t.eventType, triggerParameters: {} })}
                />
                <span>
                  <strong>{t.summary}</strong>
                  <small>{t.description}</small>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        {trigger && Object.keys(trigger.parameters).length > 0 && (
          <div className="parameters">
            {Object.entries(trigger.parameters).map(([key, p]) => (
              <Field
                key={key}
                label={`${p['x-ms-summary'] ?? key}${trigger.required.includes(key) ? ' *' : ''}`}
                hint={p.description}
              >
                {(id) =>
                  p.enum ? (
                    <select
                      id={id}
                      value={state.triggerParameters[key] ?? String(p.default ?? p.enum[0])}
                      onChange={(e) =>
                        update({ triggerParameters: { ...state.triggerParameters, [key]: e.target.value } })
                      }
                    >
                      {p.enum.map((v) => (
                        <option key={String(v)}>{String(v)}</option>
                      ))}
                    </select>
                  ) : p['x-ms-dynamic-values'] ? (
                    <PickListInput
                      id={id}
                      field={p}
                      values={state.triggerParameters}
                      value={state.triggerParameters[key] ?? ''}
                      onChange={(value) =>
                        update({ triggerParameters: { ...state.triggerParameters, [key]: value } })
                      }
                    />
                  ) : (
                    <input
                      id={id}
                      type={p.type === 'number' || p.type === 'integer' ? 'number' : 'text'}
                      value={state.triggerParameters[key] ?? ''}
                      onChange={(e) =>
                        update({ triggerParameters: { ...state.triggerParameters, [key]: e.target.value } })
                      }
                    />
                  )
                }
              </Field>
            ))}
          </div>
        )}
      </section>
      <StepList
        steps={state.steps}
        setSteps={(steps) => update({ steps })}
        all={state.steps}
        before={[]}
        trigger={trigger}
        label="Steps"
      />
      {showProblems && problems.length > 0 && (
        <div className="error-box" role="alert">
          <strong>Before saving:</strong>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {error && <ErrorBox error={error} />}
      <div className="designer-actions">
        <button type="button" onClick={() => void save()} disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => void test()}
          disabled={saving || !state.flowName}
        >
          Test with the last event
        </button>
        <button
          type="button"
          className="secondary"
          aria-expanded={showCode}
          onClick={() => setShowCode(!showCode)}
        >
          Peek code
        </button>
        {saved && (
          <span role="status">
            Saved. <Link href={`/flows/${encodeURIComponent(saved)}`}>Run history</Link>
          </span>
        )}
      </div>
      {saved && warnings.length > 0 && (
        <div className="warning-box" role="alert">
          <strong>Saved, but this will fail when the flow runs:</strong>
          <ul>
            {warnings.map((w) => (
              <li key={w.target}>
                <code>{w.target}</code>: {w.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {showCode && <Json value={toDefinition(state)} label="Workflow definition" />}
      {error instanceof ApiError && error.code === 'NoEventYet' && (
        <p className="hint">
          The test replays the newest event of the trigger's type: make one happen first (e.g. refresh a data
          source).
        </p>
      )}
    </div>
  )
}

function StepList({
  steps,
  setSteps,
  all,
  before,
  trigger,
  label,
}: {
  steps: Step[]
  setSteps: (steps: Step[]) => void
  all: Step[]
  before: Step[]
  trigger: TriggerInfo | undefined
  label: string
}) {
  const [adding, setAdding] = useState(false)
  const add = (type: StepType) => {
    setSteps([...steps, newStep(type, all)])
    setAdding(false)
  }
  const move = (i: number, by: number) => {
    const next = [...steps]
    const [s] = next.splice(i, 1)
    next.splice(i + by, 0, s as Step)
    setSteps(next)
  }
  return (
    <section className="step-list" aria-label={label}>
      {steps.map((step, i) => (
        <StepCard
          key={step.uid}
          step={step}
          trigger={trigger}
          all={all}
          before={[...before, ...steps.slice(0, i)]}
          onChange={(next) => setSteps(steps.map((s) => (s === step ? next : s)))}
          onRemove={() => setSteps(steps.filter((s) => s !== step))}
          hasPrevious={i > 0}
          {...(i > 0 ? { onUp: () => move(i, -1) } : {})}
          {...(i < steps.length - 1 ? { onDown: () => move(i, 1) } : {})}
        />
      ))}
      {adding ? (
        <fieldset className="designer-card add-step">
          <legend>Choose an operation</legend>
          <div className="choices">
            {STEP_TYPES.map((t) => (
              <button key={t.type} type="button" className="choice" onClick={() => add(t.type)}>
                <strong>{t.label}</strong>
                <small>{t.description}</small>
              </button>
            ))}
          </div>
          <button type="button" className="link" onClick={() => setAdding(false)}>
            Cancel
          </button>
        </fieldset>
      ) : (
        <button type="button" className="new-step" aria-expanded={false} onClick={() => setAdding(true)}>
          + {steps.length === 0 && label === 'Steps' ? 'New step' : 'Add an action'}
        </button>
      )}
    </section>
  )
}

function StepCard({
  step,
  trigger,
  all,
  before,
  onChange,
  onRemove,
  onUp,
  onDown,
  hasPrevious,
}: {
  step: Step
  trigger: TriggerInfo | undefined
  all: Step[]
  before: Step[]
  onChange: (s: Step) => void
  onRemove: () => void
  onUp?: () => void
  onDown?: () => void
  hasPrevious: boolean
}) {
  const spec = stepSpec(step.type)
  const tokens = useMemo(
    () => [...ownContent(step), ...dynamicContent(trigger, before)],
    [step, trigger, before],
  )
  const setField = (key: string, value: string) =>
    onChange({ ...step, fields: { ...step.fields, [key]: value } })
  return (
    <article className="designer-card step-card" aria-label={`Step ${step.name.replaceAll('_', ' ')}`}>
      <header>
        <input
          className="step-name"
          aria-label="Step name"
          value={step.name}
          onChange={(e) => onChange({ ...step, name: e.target.value.replaceAll(' ', '_') })}
        />
        <span className="muted">{spec.label}</span>
        <span className="spacer" />
        {onUp && (
          <button type="button" className="icon" aria-label={`Move ${step.name} up`} onClick={onUp}>
            ↑
          </button>
        )}
        {onDown && (
          <button type="button" className="icon" aria-label={`Move ${step.name} down`} onClick={onDown}>
            ↓
          </button>
        )}
        <button type="button" className="icon" aria-label={`Delete ${step.name}`} onClick={onRemove}>
          ✕
        </button>
      </header>
      <div
        className={
          step.type === 'condition' || step.type === 'query' || step.type === 'until' ? 'condition-row' : ''
        }
      >
        {spec.fields.map((field) => (
          <TokenField
            key={field.key}
            field={field}
            value={step.fields[field.key] ?? ''}
            tokens={tokens}
            onChange={(v) => setField(field.key, v)}
          />
        ))}
      </div>
      {!CONTAINERS.includes(step.type) && (
        <fieldset className="step-settings">
          <legend>Settings</legend>
          {(['inputs', 'outputs'] as const).map((part) => (
            <label key={part} className="check">
              <input
                type="checkbox"
                checked={step.secure?.[part] ?? false}
                onChange={(e) =>
                  onChange({
                    ...step,
                    secure: { inputs: false, outputs: false, ...step.secure, [part]: e.target.checked },
                  })
                }
              />
              Secure {part}
            </label>
          ))}
          <span className="muted">hidden in run history (steps that read a secret always are)</span>
          <label className="check">
            Timeout
            <input
              className="short"
              aria-label={`Timeout of ${step.name}`}
              placeholder="PT2M"
              value={step.timeout ?? ''}
              onChange={(e) => onChange({ ...step, timeout: e.target.value })}
            />
          </label>
          <label className="check">
            Retry policy
            <select
              aria-label={`Retry policy of ${step.name}`}
              value={step.retry?.type ?? 'default'}
              onChange={(e) =>
                onChange(
                  e.target.value === 'default'
                    ? { ...step, retry: undefined }
                    : {
                        ...step,
                        retry: {
                          count: '',
                          interval: '',
                          ...step.retry,
                          type: e.target.value as 'none' | 'fixed' | 'exponential',
                        },
                      },
                )
              }
            >
              <option value="default">Default (exponential, 4 times)</option>
              <option value="none">None</option>
              <option value="fixed">Fixed interval</option>
              <option value="exponential">Exponential interval</option>
            </select>
          </label>
          {step.retry && step.retry.type !== 'none' && (
            <>
              <label className="check">
                Count
                <input
                  className="short"
                  aria-label={`Retry count of ${step.name}`}
                  value={step.retry.count}
                  onChange={(e) =>
                    onChange({
                      ...step,
                      retry: { ...(step.retry as NonNullable<Step['retry']>), count: e.target.value },
                    })
                  }
                />
              </label>
              <label className="check">
                Interval
                <input
                  className="short"
                  aria-label={`Retry interval of ${step.name}`}
                  placeholder="PT7S"
                  value={step.retry.interval}
                  onChange={(e) =>
                    onChange({
                      ...step,
                      retry: { ...(step.retry as NonNullable<Step['retry']>), interval: e.target.value },
                    })
                  }
                />
              </label>
            </>
          )}
        </fieldset>
      )}
      {hasPrevious && (
        <fieldset className="step-settings">
          <legend>Run after the step before has</legend>
          {RUN_AFTER_STATUSES.map((status) => {
            const chosen = step.runAfter?.length ? step.runAfter : ['Succeeded']
            return (
              <label key={status} className="check">
                <input
                  type="checkbox"
                  checked={chosen.includes(status)}
                  onChange={(e) => {
                    const next = e.target.checked ? [...chosen, status] : chosen.filter((s) => s !== status)
                    if (next.length)
                      onChange({ ...step, runAfter: RUN_AFTER_STATUSES.filter((s) => next.includes(s)) })
                  }}
                />
                {status === 'TimedOut' ? 'timed out' : status.toLowerCase()}
              </label>
            )
          })}
          <span className="muted">e.g. failed only: a catch step after a scope</span>
        </fieldset>
      )}
      {CONTAINERS.includes(step.type) && (
        <div className="branches">
          {branchesOf(step).map((branch) => {
            const switchCase = step.cases?.find((c) => `case:${c.uid}` === branch.key)
            return (
              <div
                key={branch.key}
                className={`branch ${branch.key === 'yes' ? 'yes' : branch.key === 'no' ? 'no' : ''}`}
              >
                <h3>{branch.title}</h3>
                {switchCase && (
                  <label className="field">
                    <span>Equals</span>
                    <input
                      aria-label={`Value of ${branch.title} of ${step.name}`}
                      value={switchCase.value}
                      onChange={(e) =>
                        onChange({
                          ...step,
                          cases: (step.cases ?? []).map((c) =>
                            c === switchCase ? { ...c, value: e.target.value } : c,
                          ),
                        })
                      }
                    />
                  </label>
                )}
                <StepList
                  steps={branch.steps}
                  setSteps={(next) => onChange(withBranch(step, branch.key, next))}
                  all={all}
                  before={before}
                  trigger={trigger}
                  label={`${branch.title} of ${step.name}`}
                />
                {switchCase && (step.cases?.length ?? 0) > 1 && (
                  <button
                    type="button"
                    className="link"
                    onClick={() =>
                      onChange({ ...step, cases: (step.cases ?? []).filter((c) => c !== switchCase) })
                    }
                  >
                    Remove {branch.title}
                  </button>
                )}
              </div>
            )
          })}
          {step.type === 'switch' && (
            <button type="button" className="new-step add-case" onClick={() => onChange(addCase(step))}>
              + Add a case
            </button>
          )}
        </div>
      )}
    </article>
  )
}

/** A field that takes text and dynamic content: the list inserts a token where the cursor is. */
function TokenField({
  field,
  value,
  tokens,
  onChange,
}: {
  field: FieldSpec
  value: string
  tokens: Token[]
  onChange: (v: string) => void
}) {
  const id = useId()
  const listId = useId()
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null)
  const [open, setOpen] = useState(false)
  const [search, setSearch] = useState('')
  const sealed = field.secret && value.startsWith('@secret(')
  const insert = (token: Token) => {
    const text = tokenText(token)
    const el = ref.current
    const at = el?.selectionStart ?? value.length
    const end = el?.selectionEnd ?? at
    onChange(value.slice(0, at) + text + value.slice(end))
    setOpen(false)
    // Focus back at once; the caret goes after the token once the new value is rendered — unless
    // the person has moved on to another field by then (focus is never taken back from them).
    el?.focus()
    requestAnimationFrame(() => {
      if (el && document.activeElement === el) el.setSelectionRange(at + text.length, at + text.length)
    })
  }
  const common = {
    id,
    ref,
    value: sealed ? '' : value,
    onChange: (e: { target: { value: string } }) => onChange(e.target.value),
    ...(sealed ? { placeholder: 'Kept encrypted — type a new value to replace it' } : {}),
  }
  let input: ReactNode
  if (field.options)
    input = (
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {field.options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    )
  else if (field.multiline) input = <textarea {...common} rows={3} />
  else input = <input {...common} type={field.secret ? 'url' : 'text'} />
  const groups = [...new Set(tokens.map((t) => t.group))]
  const shown = tokens.filter((t) => !search || t.label.toLowerCase().includes(search.toLowerCase()))
  return (
    <div className="field token-field">
      <label htmlFor={id}>
        {field.label}
        {field.required ? ' *' : ''}
      </label>
      <div className="token-input">
        {input}
        {!field.options && !field.secret && (
          <button
            type="button"
            className="secondary dynamic"
            aria-expanded={open}
            aria-controls={listId}
            onClick={() => setOpen(!open)}
          >
            Dynamic content
          </button>
        )}
      </div>
      {!sealed && value.includes('@{') && (
        <p className="readable">
          <span className="sr-only">{field.label} reads as: </span>
          {readable(value, tokens, { html: field.html === true }).map((part, i) =>
            'token' in part ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of one text, in order
              <span key={i} className="chip" title={part.expression}>
                {part.token}
              </span>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of one text, in order
              <span key={i}>{part.text}</span>
            ),
          )}
        </p>
      )}
      {field.hint && <small className="hint">{field.hint}</small>}
      {open && (
        <div
          id={listId}
          className="dynamic-list"
          role="dialog"
          aria-label={`Dynamic content for ${field.label}`}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setOpen(false)
              ref.current?.focus()
            }
          }}
        >
          <input
            aria-label="Search dynamic content"
            placeholder="Search dynamic content"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          {groups.map((group) => (
            <div key={group}>
              <h4>{group}</h4>
              <ul>
                {shown
                  .filter((t) => t.group === group)
                  .map((t) => (
                    <li key={t.expression}>
                      <button type="button" className="token" title={t.description} onClick={() => insert(t)}>
                        {t.label}
                      </button>
                    </li>
                  ))}
              </ul>
            </div>
          ))}
          {tokens.length === 0 && <p className="muted">Choose a trigger first.</p>}
        </div>
      )}
    </div>
  )
}

/** A flow the designer cannot draw (loops, parallel branches): its definition as JSON. */
function CodeEditor({ name, definition }: { name: string; definition: Record<string, unknown> }) {
  const instanceId = useInstance()
  const [text, setText] = useState(JSON.stringify(definition, null, 2))
  const [error, setError] = useState<Error>()
  const [saved, setSaved] = useState(false)
  const save = async () => {
    setError(undefined)
    setSaved(false)
    try {
      await api(instancePath(instanceId, `/flows/${encodeURIComponent(name)}`), {
        method: 'PUT',
        body: JSON.parse(text),
      })
      setSaved(true)
    } catch (e) {
      setError(e as Error)
    }
  }
  return (
    <section>
      <p>This flow uses steps the designer does not draw; edit its workflow definition as code.</p>
      <Field label="Workflow definition (JSON)">
        {(id) => (
          <textarea
            id={id}
            className="code"
            rows={24}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        )}
      </Field>
      {error && <ErrorBox error={error} />}
      <button type="button" onClick={() => void save()}>
        Save
      </button>{' '}
      {saved && <span role="status">Saved.</span>}
    </section>
  )
}

/**
 * A parameter with a pick list, as Power Automate shows one: the values the instance has (its
 * segments, measures, data sources, a measure's dimension values) offered as you type, and any
 * other text still accepted (a name that does not exist yet).
 */
function PickListInput({
  id,
  field,
  values,
  value,
  onChange,
}: {
  id: string
  field: SchemaField
  values: Record<string, string>
  value: string
  onChange: (value: string) => void
}) {
  const instanceId = useInstance()
  const path = pickListPath(field, instanceId, values)
  const answer = useApi<unknown>(path)
  const options = pickListOptions(field, answer.data)
  const listId = `${id}-choices`
  return (
    <>
      <input id={id} type="text" list={listId} value={value} onChange={(e) => onChange(e.target.value)} />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.title === o.value ? undefined : o.title}
          </option>
        ))}
      </datalist>
    </>
  )
}
