import { type FormEvent, useState } from 'react'
import { api, instancePath, type Refresh, upload, withQuery } from '../api'
import { ErrorBox, Field, Status, TableHead } from '../components'
import { formatCount, formatValue } from '../format'
import { useAction, useInstance } from '../hooks'
import { ATTRIBUTES } from './unify-editor'

interface Preview {
  columns: { name: string; type: string }[]
  rows: Record<string, unknown>[]
  keyCandidates: string[]
  dialect: Record<string, unknown> | null
  /** The dialect in one line, written by the server. */
  dialectText: string | null
}
interface ColumnSuggestion {
  column: string
  attribute: string | null
  confidence: number
  reason: string
}
interface Proposal {
  sources: Record<string, { columns: ColumnSuggestion[] }>
  unify: { sources: Record<string, { attributes: Record<string, string>; updatedAt?: string }> } & Record<
    string,
    unknown
  >
}

const KINDS: Record<string, string> = {
  csv: 'csv',
  tsv: 'csv',
  txt: 'csv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  parquet: 'parquet',
}
const NAME_RULE = 'A letter, then letters, digits and _ (e.g. crm_contacts)'
/** Refresh schedules a person picks from; any cron can be set in openinsights.yaml. */
export const SCHEDULES: { cron: string; label: string }[] = [
  { cron: '', label: 'only with the full refresh, or by hand' },
  { cron: '0 * * * *', label: 'every hour' },
  { cron: '0 */6 * * *', label: 'every 6 hours' },
  { cron: '0 3 * * *', label: 'every day at 03:00' },
  { cron: '0 3 * * 1', label: 'every Monday at 03:00' },
]
export const describeSchedule = (schedule: { cron: string; timezone: string } | null | undefined) =>
  schedule
    ? `${SCHEDULES.find((s) => s.cron === schedule.cron)?.label ?? schedule.cron} (${schedule.timezone})`
    : '—'

/**
 * Adds a data source the way `openinsights sources add` does, in steps a marketer can follow:
 * a file (uploaded, or a path on the server), a preview with what was detected and the key to
 * choose, then the refresh, and the suggested mapping to profile attributes to confirm.
 */
export function AddDataSource({ onAdded }: { onAdded: () => void }) {
  const instanceId = useInstance()
  const [name, setName] = useState('')
  const [from, setFrom] = useState<'upload' | 'path'>('upload')
  const [file, setFile] = useState<File>()
  const [path, setPath] = useState('')
  const [kind, setKind] = useState('csv')
  const [delimiter, setDelimiter] = useState('')
  const [encoding, setEncoding] = useState('')
  const [decimal, setDecimal] = useState('')
  const [cron, setCron] = useState('')
  const [stored, setStored] = useState<string>()
  const [preview, setPreview] = useState<Preview>()
  const [key, setKey] = useState('')
  const [refresh, setRefresh] = useState<Refresh>()
  const [mapping, setMapping] = useState<Record<string, string>>()
  const [suggestions, setSuggestions] = useState<ColumnSuggestion[]>()
  const [mapped, setMapped] = useState(false)

  const options = () => ({
    path: stored ?? path,
    ...(kind === 'csv' && delimiter ? { delimiter: delimiter === 'tab' ? '\t' : delimiter } : {}),
    ...(kind === 'csv' && encoding ? { encoding } : {}),
    ...(kind === 'csv' && decimal ? { decimalSeparator: decimal } : {}),
  })

  const look = useAction(async (event: FormEvent) => {
    event.preventDefault()
    let where = stored
    if (from === 'upload') {
      if (!file) throw new Error('choose a file to upload')
      const sent = await upload<{ path: string }>(
        withQuery(instancePath(instanceId, '/uploads'), { name: file.name }),
        file,
      )
      where = sent.path
      setStored(sent.path)
    } else where = path
    const shown = await api<Preview>(instancePath(instanceId, '/datasources/preview'), {
      method: 'POST',
      body: { kind, options: { ...options(), path: where } },
    })
    setPreview(shown)
    setKey(shown.keyCandidates[0] ?? shown.columns[0]?.name ?? '')
  })

  const add = useAction(async () => {
    await api(instancePath(instanceId, `/datasources/${encodeURIComponent(name)}`), {
      method: 'PUT',
      body: {
        kind,
        primaryKey: key,
        options: options(),
        ...(cron ? { schedule: { cron, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone } } : {}),
      },
    })
    let current = await api<Refresh>(
      instancePath(instanceId, `/datasources/${encodeURIComponent(name)}/refresh`),
      {
        method: 'POST',
        body: {},
      },
    )
    setRefresh(current)
    onAdded()
    while (current.state === 'queued' || current.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 700))
      current = await api<Refresh>(instancePath(instanceId, `/refreshes/${current.id}`))
      setRefresh(current)
    }
    onAdded()
    if (current.state !== 'succeeded') return
    const proposal = await api<Proposal>(instancePath(instanceId, '/unify/suggestions'))
    const columns = proposal.sources[name]?.columns ?? []
    setSuggestions(columns)
    setMapping(
      Object.fromEntries(
        columns
          .filter((c) => c.attribute && c.confidence >= 0.6)
          .map((c) => [c.column, c.attribute as string]),
      ),
    )
  })

  const confirm = useAction(async () => {
    // The instance's configuration with this source's mapping put in (and, on the first source, the
    // suggested rules and merge policies); applying it keeps everything else as it is.
    const document = await api<Record<string, unknown> & { unify?: Proposal['unify'] }>(
      instancePath(instanceId, '/config'),
    )
    const proposal = await api<Proposal>(instancePath(instanceId, '/unify/suggestions'))
    const unify = document.unify ?? proposal.unify
    const attributes = Object.fromEntries(Object.entries(mapping ?? {}).filter(([, a]) => a !== ''))
    unify.sources = {
      ...unify.sources,
      [name]: { ...(proposal.unify.sources[name] ?? {}), attributes },
    }
    await api(instancePath(instanceId, '/config'), { method: 'PUT', body: { ...document, unify } })
    setMapped(true)
  })

  const error = look.error ?? add.error ?? confirm.error
  return (
    <section className="card" aria-labelledby="add-source-title">
      <h2 id="add-source-title">Add a data source</h2>
      <form onSubmit={(e) => void look.run(e)}>
        <Field label="Name" hint={NAME_RULE}>
          {(id) => (
            <input
              id={id}
              value={name}
              required
              pattern="[A-Za-z][A-Za-z0-9_]{0,62}"
              title={NAME_RULE}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <fieldset>
          <legend>The data</legend>
          <label>
            <input type="radio" checked={from === 'upload'} onChange={() => setFrom('upload')} /> Upload a
            file
          </label>{' '}
          <label>
            <input type="radio" checked={from === 'path'} onChange={() => setFrom('path')} /> A path on the
            server
          </label>
          {from === 'upload' ? (
            <Field label="File" hint="CSV, JSON, NDJSON or Parquet">
              {(id) => (
                <input
                  id={id}
                  type="file"
                  accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,.parquet"
                  onChange={(e) => {
                    const chosen = e.target.files?.[0]
                    setFile(chosen)
                    setStored(undefined)
                    setPreview(undefined)
                    const extension = chosen?.name.toLowerCase().split('.').pop() ?? ''
                    if (KINDS[extension]) setKind(KINDS[extension] as string)
                  }}
                />
              )}
            </Field>
          ) : (
            <Field label="Path" hint="A file or glob the server can read, e.g. /data/exports/*.csv">
              {(id) => <input id={id} value={path} onChange={(e) => setPath(e.target.value)} />}
            </Field>
          )}
          <Field label="Kind">
            {(id) => (
              <select id={id} value={kind} onChange={(e) => setKind(e.target.value)}>
                {['csv', 'json', 'ndjson', 'parquet'].map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            )}
          </Field>
          {kind === 'csv' && (
            <div className="inline-form">
              <Field label="Delimiter">
                {(id) => (
                  <select id={id} value={delimiter} onChange={(e) => setDelimiter(e.target.value)}>
                    <option value="">detect</option>
                    <option value=",">, (comma)</option>
                    <option value=";">; (semicolon)</option>
                    <option value="tab">tab</option>
                    <option value="|">| (pipe)</option>
                  </select>
                )}
              </Field>
              <Field label="Encoding">
                {(id) => (
                  <select id={id} value={encoding} onChange={(e) => setEncoding(e.target.value)}>
                    <option value="">detect</option>
                    <option value="utf-8">UTF-8</option>
                    <option value="latin-1">Latin-1 (Windows)</option>
                    <option value="utf-16">UTF-16</option>
                  </select>
                )}
              </Field>
              <Field label="Decimal mark">
                {(id) => (
                  <select id={id} value={decimal} onChange={(e) => setDecimal(e.target.value)}>
                    <option value="">detect</option>
                    <option value=".">. (1234.56)</option>
                    <option value=",">, (1234,56)</option>
                  </select>
                )}
              </Field>
            </div>
          )}
        </fieldset>
        <button type="submit" className="secondary" disabled={look.busy || !name}>
          {look.busy ? 'Reading…' : 'Preview'}
        </button>
      </form>

      {preview && (
        <section aria-label="Preview">
          {preview.dialectText && <p>Read as: {preview.dialectText}.</p>}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling table must be reachable by keyboard */}
          <div className="table-scroll" tabIndex={0}>
            <table>
              <TableHead columns={preview.columns.map((c) => `${c.name} (${c.type.toLowerCase()})`)} />
              <tbody>
                {preview.rows.slice(0, 5).map((row, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: preview rows have no other identity
                  <tr key={i}>
                    {preview.columns.map((c) => (
                      <td key={c.name}>{formatValue(row[c.name], c.type)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Field
            label="Key column"
            hint={
              preview.keyCandidates.length > 0
                ? `Present and distinct in every row read: ${preview.keyCandidates.join(', ')}`
                : 'No column was distinct in every row read: rows with a missing or repeated key are rejected'
            }
          >
            {(id) => (
              <select id={id} value={key} onChange={(e) => setKey(e.target.value)}>
                {preview.columns.map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Refresh" hint={`Times in ${Intl.DateTimeFormat().resolvedOptions().timeZone}`}>
            {(id) => (
              <select id={id} value={cron} onChange={(e) => setCron(e.target.value)}>
                {SCHEDULES.map((s) => (
                  <option key={s.cron} value={s.cron}>
                    {s.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button
            type="button"
            disabled={add.busy || !key || refresh !== undefined}
            onClick={() => void add.run()}
          >
            Add and refresh
          </button>
        </section>
      )}

      {refresh && (
        <p role="status">
          Refresh of {name}: <Status value={refresh.state} />{' '}
          {refresh.state === 'succeeded' &&
            `${formatCount(refresh.rowCount)} rows, ${formatCount(refresh.rejectedRowCount)} rejected`}
          {refresh.error && ` ${refresh.error.message}`}
        </p>
      )}

      {suggestions && mapping && (
        <section aria-label="Suggested mapping">
          <h3>Map its columns to profile attributes</h3>
          <p className="muted">
            Suggested from the columns' names and values; change any before you confirm.
          </p>
          <table>
            <TableHead columns={['Column', 'Attribute', 'Why']} />
            <tbody>
              {suggestions.map((s) => (
                <tr key={s.column}>
                  <td>{s.column}</td>
                  <td>
                    <select
                      aria-label={`Attribute for ${s.column}`}
                      value={mapping[s.column] ?? ''}
                      onChange={(e) => setMapping({ ...mapping, [s.column]: e.target.value })}
                    >
                      <option value="">(not mapped)</option>
                      {[...new Set([...ATTRIBUTES, ...(s.attribute ? [s.attribute] : [])])].map((a) => (
                        <option key={a}>{a}</option>
                      ))}
                    </select>
                  </td>
                  <td className="muted">
                    {s.attribute ? `${s.reason} (${Math.round(s.confidence * 100)}%)` : s.reason}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" disabled={confirm.busy || mapped} onClick={() => void confirm.run()}>
            Use this mapping
          </button>{' '}
          {mapped && <span role="status">Mapping saved: unify it from the Unify page.</span>}
        </section>
      )}
      {error && <ErrorBox error={error} />}
    </section>
  )
}
