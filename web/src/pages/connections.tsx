import { type FormEvent, useState } from 'react'
import { api, instancePath } from '../api'
import { Async, Empty, ErrorBox, Field, PageHeader, TableHead, Time } from '../components'
import { useAction, useApi, useInstance } from '../hooks'

interface ApiKey {
  id: string
  name: string
  prefix: string
  scopes: string[]
  rateLimit: number | null
  createdAt: string
  lastUsedAt: string | null
}
interface Subscription {
  id: string
  eventType: string
  callbackUrl: string
  parameters: Record<string, unknown>
  createdAt: string
}

const SCOPES = ['read', 'write', 'subscribe', 'admin']

export default function Connections() {
  const instanceId = useInstance()
  const keys = useApi<{ value: ApiKey[] }>('/api/v1/keys')
  const subscriptions = useApi<{ value: Subscription[] }>(instancePath(instanceId, '/subscriptions'))
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState(['read', 'write', 'subscribe'])
  const [created, setCreated] = useState<string>()
  const create = useAction(async (event: FormEvent) => {
    event.preventDefault()
    const key = await api<ApiKey & { key: string }>('/api/v1/keys', {
      method: 'POST',
      body: { name, scopes },
    })
    setCreated(key.key)
    setName('')
    keys.reload()
  })
  const revoke = useAction(async (id: string) => {
    await api(`/api/v1/keys/${encodeURIComponent(id)}`, { method: 'DELETE' })
    keys.reload()
  })
  return (
    <>
      <PageHeader
        title="Connections and API keys"
        subtitle="Each API key is a connection (Power Automate's connector, a script): 100 calls per 60 s by default. Your sign-in is separate from them."
      />
      <form className="card inline-form" onSubmit={(e) => void create.run(e)} aria-labelledby="new-key">
        <h2 id="new-key">New API key</h2>
        <Field label="Name">
          {(id) => (
            <input
              id={id}
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              placeholder="power-automate"
            />
          )}
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) =>
                  setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))
                }
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={create.busy}>
          Create key
        </button>
      </form>
      {create.error && <ErrorBox error={create.error} />}
      {created && (
        <div className="notice" role="status">
          Copy the key now; it is not shown again: <code className="secret">{created}</code>
        </div>
      )}
      {revoke.error && <ErrorBox error={revoke.error} />}
      <h2>Keys</h2>
      <Async loaded={keys}>
        {(k) => (
          <table>
            <TableHead columns={['Name', 'Key', 'Scopes', 'Rate limit', 'Last used', '']} />
            <tbody>
              {k.value.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}</code>
                  </td>
                  <td>{key.scopes.join(', ')}</td>
                  <td>
                    {key.rateLimit === null
                      ? '100 / 60 s'
                      : key.rateLimit === 0
                        ? 'none'
                        : `${key.rateLimit} / 60 s`}
                  </td>
                  <td>
                    <Time at={key.lastUsedAt} />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Revoke ${key.name}`}
                      onClick={() => {
                        if (window.confirm(`Revoke ${key.name}? Connections using it stop working.`))
                          void revoke.run(key.id)
                      }}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      <h2>Webhook subscriptions</h2>
      <Async loaded={subscriptions}>
        {(s) =>
          s.value.length === 0 ? (
            <Empty>
              No subscriptions: Power Automate flows using the connector's triggers subscribe here.
            </Empty>
          ) : (
            <table>
              <TableHead columns={['Trigger', 'Callback', 'Parameters', 'Since']} />
              <tbody>
                {s.value.map((sub) => (
                  <tr key={sub.id}>
                    <td>{sub.eventType}</td>
                    <td className="clip">{new URL(sub.callbackUrl).host}</td>
                    <td>
                      <code>{JSON.stringify(sub.parameters)}</code>
                    </td>
                    <td>
                      <Time at={sub.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </>
  )
}
