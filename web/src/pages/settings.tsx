import { type FormEvent, useEffect, useState } from 'react'
import { ApiError, api, instancePath } from '../api'
import { Async, Empty, ErrorBox, Field, PageHeader, TableHead, Time } from '../components'
import { useAction, useApi, useInstance } from '../hooks'

interface Smtp {
  host: string
  port: number
  secure: boolean
  user?: string
  password?: '***'
  from: string
}
interface Outbound {
  privateAddresses: boolean
  ranges: string[]
  setting: string
}

/** The instance's SMTP server, its secrets and where outbound calls may go: what flows rely on. */
export default function Settings() {
  return (
    <>
      <PageHeader
        title="Settings"
        subtitle="What flows rely on: the mail server, secrets, and where calls may go."
      />
      <SmtpSettings />
      <Secrets />
      <OutboundCalls />
    </>
  )
}

function SmtpSettings() {
  const instanceId = useInstance()
  const stored = useApi<Smtp>(instancePath(instanceId, '/settings/smtp'))
  const [form, setForm] = useState<Smtp>({ host: '', port: 587, secure: false, user: '', from: '' })
  const [password, setPassword] = useState('')
  const [saved, setSaved] = useState(false)
  const [to, setTo] = useState('')
  const [sent, setSent] = useState<string>()
  useEffect(() => {
    if (stored.data) setForm({ ...stored.data, user: stored.data.user ?? '' })
  }, [stored.data])
  const save = useAction(async (event: FormEvent) => {
    event.preventDefault()
    await api(instancePath(instanceId, '/settings/smtp'), {
      method: 'PUT',
      body: {
        host: form.host,
        port: Number(form.port),
        secure: form.secure,
        from: form.from,
        ...(form.user ? { user: form.user } : {}),
        // Left empty, the stored password is kept.
        ...(password ? { password } : {}),
      },
    })
    setPassword('')
    setSaved(true)
    stored.reload()
  })
  const test = useAction(async () => {
    const answer = await api<{ accepted: string[] }>(instancePath(instanceId, '/settings/smtp/test'), {
      method: 'POST',
      body: { to },
    })
    setSent(answer.accepted.join(', '))
  })
  const missing = stored.error instanceof ApiError && stored.error.status === 404
  const set = (change: Partial<Smtp>) => {
    setForm({ ...form, ...change })
    setSaved(false)
  }
  return (
    <section className="card" aria-labelledby="smtp-title">
      <h2 id="smtp-title">Mail server (SMTP)</h2>
      <p className="muted">
        {missing
          ? 'Not set yet: flows cannot send email until it is.'
          : 'Flows send email through this server.'}
      </p>
      <form onSubmit={(e) => void save.run(e)}>
        <div className="inline-form">
          <Field label="Host">
            {(id) => (
              <input id={id} required value={form.host} onChange={(e) => set({ host: e.target.value })} />
            )}
          </Field>
          <Field label="Port">
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                max={65535}
                value={form.port}
                onChange={(e) => set({ port: Number(e.target.value) })}
              />
            )}
          </Field>
          <label className="check">
            <input
              type="checkbox"
              checked={form.secure}
              onChange={(e) => set({ secure: e.target.checked })}
            />{' '}
            TLS from the start (port 465)
          </label>
        </div>
        <div className="inline-form">
          <Field label="User">
            {(id) => (
              <input id={id} value={form.user ?? ''} onChange={(e) => set({ user: e.target.value })} />
            )}
          </Field>
          <Field label="Password" hint={stored.data?.password ? 'Stored; leave empty to keep it' : undefined}>
            {(id) => (
              <input
                id={id}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
        </div>
        <Field label="From" hint='e.g. "Open Insights <insights@contoso.com>"'>
          {(id) => (
            <input id={id} required value={form.from} onChange={(e) => set({ from: e.target.value })} />
          )}
        </Field>
        <div className="actions">
          <button type="submit" disabled={save.busy}>
            Save mail server
          </button>
          {saved && <span role="status">Saved.</span>}
        </div>
      </form>
      <div className="inline-form">
        <Field label="Send a test mail to">
          {(id) => <input id={id} type="email" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
        <button
          type="button"
          className="secondary"
          disabled={test.busy || !to || missing}
          onClick={() => void test.run()}
        >
          Send test mail
        </button>
        {sent && <span role="status">Accepted for {sent}.</span>}
      </div>
      {(save.error ?? test.error) && <ErrorBox error={(save.error ?? test.error) as Error} />}
    </section>
  )
}

function Secrets() {
  const instanceId = useInstance()
  const secrets = useApi<{ value: { name: string; updatedAt: string }[] }>(
    instancePath(instanceId, '/secrets'),
  )
  const [name, setName] = useState('')
  const [value, setValue] = useState('')
  const put = useAction(async (event: FormEvent) => {
    event.preventDefault()
    await api(instancePath(instanceId, `/secrets/${encodeURIComponent(name)}`), {
      method: 'PUT',
      body: { value },
    })
    setName('')
    setValue('')
    secrets.reload()
  })
  const remove = useAction(async (secret: string) => {
    if (!window.confirm(`Delete the secret ${secret}? Flows that read it will fail.`)) return
    await api(instancePath(instanceId, `/secrets/${encodeURIComponent(secret)}`), { method: 'DELETE' })
    secrets.reload()
  })
  return (
    <section className="card" aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      <p className="muted">
        Values flows read with <code>secret('name')</code>, kept encrypted and never shown again.
      </p>
      <Async loaded={secrets}>
        {(s) =>
          s.value.length === 0 ? (
            <Empty>No secrets yet.</Empty>
          ) : (
            <table>
              <TableHead columns={['Name', 'Changed', '']} />
              <tbody>
                {s.value.map((secret) => (
                  <tr key={secret.name}>
                    <td>
                      <code>{secret.name}</code>
                    </td>
                    <td>
                      <Time at={secret.updatedAt} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Delete secret ${secret.name}`}
                        onClick={() => void remove.run(secret.name)}
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
      <form className="inline-form" onSubmit={(e) => void put.run(e)}>
        <Field label="Secret name">
          {(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Value">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="off"
              required
              value={value}
              onChange={(e) => setValue(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="secondary" disabled={put.busy}>
          Set secret
        </button>
      </form>
      {(put.error ?? remove.error) && <ErrorBox error={(put.error ?? remove.error) as Error} />}
    </section>
  )
}

function OutboundCalls() {
  const outbound = useApi<Outbound>('/api/v1/settings/outbound')
  return (
    <section className="card" aria-labelledby="outbound-title">
      <h2 id="outbound-title">Where webhooks and flows may call</h2>
      <Async loaded={outbound}>
        {(o) => (
          <>
            <ul>
              <li>Public internet addresses</li>
              {o.privateAddresses && (
                <li>Private network addresses (10.x, 172.16–31.x, 192.168.x, fc00::/7)</li>
              )}
              {o.ranges.map((r) => (
                <li key={r}>
                  <code>{r}</code>
                </li>
              ))}
            </ul>
            <p className="muted">
              Anything else (this machine, the cloud metadata address, other private addresses) is refused.
              The server's administrator opens more with <code>{o.setting}</code> (e.g.{' '}
              <code>10.1.0.0/16</code> or <code>private</code>) and a restart.
            </p>
          </>
        )}
      </Async>
    </section>
  )
}
