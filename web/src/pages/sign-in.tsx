import { type FormEvent, useState } from 'react'
import { api, type Session } from '../api'
import { ErrorBox, Field } from '../components'

function CredentialsForm({
  title,
  intro,
  submitLabel,
  confirm,
  submit,
}: {
  title: string
  intro: string
  submitLabel: string
  confirm?: boolean
  submit: (username: string, password: string) => Promise<void>
}) {
  const [username, setUsername] = useState('admin')
  const [password, setPassword] = useState('')
  const [repeat, setRepeat] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<Error>()
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    if (confirm && password !== repeat) {
      setError(new Error('the two passwords differ'))
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      await submit(username, password)
    } catch (e) {
      setError(e as Error)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="center">
      <form className="card sign-in" onSubmit={(e) => void onSubmit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">{title}</h1>
        <p>{intro}</p>
        {error && <ErrorBox error={error} />}
        <Field label="User name">
          {(id) => (
            <input
              id={id}
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
            />
          )}
        </Field>
        <Field label="Password" {...(confirm ? { hint: 'At least 10 characters' } : {})}>
          {(id) => (
            <input
              id={id}
              name="password"
              type="password"
              autoComplete={confirm ? 'new-password' : 'current-password'}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              minLength={confirm ? 10 : 1}
            />
          )}
        </Field>
        {confirm && (
          <Field label="Repeat password">
            {(id) => (
              <input
                id={id}
                name="repeat"
                type="password"
                autoComplete="new-password"
                value={repeat}
                onChange={(e) => setRepeat(e.target.value)}
                required
              />
            )}
          </Field>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Please wait…' : submitLabel}
        </button>
      </form>
    </main>
  )
}

export function SignIn({ onDone }: { onDone: (session: Session) => void }) {
  return (
    <CredentialsForm
      title="Sign in to openinsights"
      intro="Use the admin account set up on the first start."
      submitLabel="Sign in"
      submit={async (username, password) =>
        onDone(await api<Session>('/api/v1/web/login', { method: 'POST', body: { username, password } }))
      }
    />
  )
}

export function SetUp({ setupNeeded, onDone }: { setupNeeded: boolean; onDone: (session: Session) => void }) {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? ''
  if (!setupNeeded)
    return (
      <main className="center">
        <div className="card">
          <h1>Already set up</h1>
          <p>
            The admin account exists. <a href="/">Sign in</a>.
          </p>
        </div>
      </main>
    )
  if (!token)
    return (
      <main className="center">
        <div className="card">
          <h1>Set up openinsights</h1>
          <p>
            Open the one-time setup link that <code>npm start</code> printed (it ends in <code>#token=…</code>
            ). Restart openinsights for a new one.
          </p>
        </div>
      </main>
    )
  return (
    <CredentialsForm
      title="Create the admin account"
      intro="This link works once. The account signs in to this web UI; connectors use API keys."
      submitLabel="Create account"
      confirm
      submit={async (username, password) => {
        const session = await api<Session>('/api/v1/web/setup', {
          method: 'POST',
          body: { token, username, password },
        })
        window.history.replaceState(null, '', '/')
        onDone(session)
      }}
    />
  )
}
