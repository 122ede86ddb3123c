import { type ReactNode, useId } from 'react'
import { formatDateTime, timeAgo } from './format'
import type { Loaded } from './hooks'

export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: string
  subtitle?: ReactNode
  actions?: ReactNode
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  )
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  )
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const code = (error as { code?: string }).code
  return (
    <div className="error-box" role="alert">
      <strong>{code ?? 'Error'}</strong> {error.message}
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}

/** Loading, error or the content, for data loaded with useApi. */
export function Async<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>
  what?: string
  children: (data: T) => ReactNode
}) {
  if (loaded.data !== undefined)
    return (
      <>
        {loaded.error && <ErrorBox error={loaded.error} onRetry={loaded.reload} />}
        {children(loaded.data)}
      </>
    )
  if (loaded.error) return <ErrorBox error={loaded.error} onRetry={loaded.reload} />
  return <Loading {...(what ? { what } : {})} />
}

const TONES: Record<string, string> = {
  succeeded: 'good',
  Succeeded: 'good',
  active: 'good',
  failed: 'bad',
  Failed: 'bad',
  TimedOut: 'bad',
  dead: 'bad',
  running: 'busy',
  queued: 'wait',
  pending: 'wait',
  cancelled: 'muted',
  Skipped: 'muted',
  revoked: 'muted',
}

export function Status({ value }: { value: string }) {
  return <span className={`status status-${TONES[value] ?? 'muted'}`}>{value}</span>
}

export function Time({ at, absolute = false }: { at: string | null | undefined; absolute?: boolean }) {
  if (!at) return <span>—</span>
  // A log reads in one form: the date and time, with how long ago in the tooltip.
  return absolute ? (
    <time dateTime={at} title={timeAgo(at)}>
      {formatDateTime(at)}
    </time>
  ) : (
    <time dateTime={at} title={new Date(at).toLocaleString()}>
      {timeAgo(at)}
    </time>
  )
}

/** JSON as Power Automate shows inputs and outputs: indented, in a scrollable box. */
export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <section aria-label={label}>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must be reachable by keyboard to scroll it */}
      <pre className="json" tabIndex={0}>
        {value === undefined ? '' : JSON.stringify(value, null, 2)}
      </pre>
    </section>
  )
}

export function Progress({ fraction, label }: { fraction: number | null | undefined; label: string }) {
  return (
    <span className="progress">
      <progress
        aria-label={label}
        {...(fraction === null || fraction === undefined ? {} : { value: fraction, max: 1 })}
      />
      {fraction !== null && fraction !== undefined && <span>{Math.round(fraction * 100)}%</span>}
    </span>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>
}

export function Field({
  label,
  hint,
  children,
}: {
  label: string
  hint?: ReactNode
  children: (id: string) => ReactNode
}) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="hint">{hint}</small>}
    </div>
  )
}

/** A line chart of values over time (segment member counts), with labelled axes. */
export function LineChart({ points, label }: { points: { at: string; value: number }[]; label: string }) {
  const width = 640
  const height = 200
  const pad = 36
  if (points.length === 0)
    return <Empty>No history yet: counts appear after measures and segments are computed.</Empty>
  const times = points.map((p) => Date.parse(p.at))
  const values = points.map((p) => p.value)
  const [t0, t1] = [Math.min(...times), Math.max(...times)]
  const [v0, v1] = [Math.min(0, ...values), Math.max(...values, 1)]
  const x = (t: number) => pad + ((t - t0) / Math.max(t1 - t0, 1)) * (width - 2 * pad)
  const y = (v: number) => height - pad - ((v - v0) / Math.max(v1 - v0, 1)) * (height - 2 * pad)
  const path = points
    .map((p, i) => `${i ? 'L' : 'M'}${x(times[i] as number).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join(' ')
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{label}</title>
      <line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} className="axis" />
      <line x1={pad} y1={pad} x2={pad} y2={height - pad} className="axis" />
      <text x={pad - 6} y={y(v1) + 4} textAnchor="end">
        {v1}
      </text>
      <text x={pad - 6} y={y(v0) + 4} textAnchor="end">
        {v0}
      </text>
      <text x={pad} y={height - 12}>
        {new Date(t0).toLocaleString()}
      </text>
      <text x={width - pad} y={height - 12} textAnchor="end">
        {new Date(t1).toLocaleString()}
      </text>
      <path d={path} className="line" />
      {points.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: two points may share a time
        <circle key={`${p.at}-${i}`} cx={x(times[i] as number)} cy={y(p.value)} r={3} className="dot">
          <title>{`${p.value} at ${new Date(p.at).toLocaleString()}`}</title>
        </circle>
      ))}
    </svg>
  )
}

/** A table's header row; an empty name is an actions column (named for screen readers only). */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((name, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed
          <th key={i} scope="col">
            {name || <span className="sr-only">Actions</span>}
          </th>
        ))}
      </tr>
    </thead>
  )
}
