import { useState } from 'react'
import { Link } from 'wouter'
import { PageHeader } from '../components'
import { designerHref } from './flows'

/** An address Power Automate's cloud cannot reach: loopback, private ranges, link-local, .local names. */
export function unreachableFromCloud(address: string): boolean {
  let hostname: string
  try {
    hostname = new URL(address).hostname.replace(/^\[|\]$/g, '')
  } catch {
    return false
  }
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.local') ||
    hostname === '::1' ||
    /^(127\.|10\.|192\.168\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.|0\.)/.test(hostname) ||
    /^f[cd]/i.test(hostname)
  )
}

const validAddress = (address: string) => /^https?:\/\/[^\s/]+/.test(address)

/** Admin → Export destinations: where insights go. The Power Automate tile is the original path to flows. */
export default function ExportDestinations() {
  // The page's own address only when the cloud can reach it; otherwise the person says which is.
  const [host, setHost] = useState(unreachableFromCloud(window.location.origin) ? '' : window.location.origin)
  const download = (file: string) => `/api/v1/connector/${file}?host=${encodeURIComponent(host.trim())}`
  return (
    <>
      <PageHeader
        title="Export destinations"
        subtitle="Send events and data out: run flows here, or connect real Power Automate."
      />
      <div className="destination-tiles">
        <article className="destination" aria-labelledby="pa-title">
          <div className="destination-logo" aria-hidden="true">
            ⚡
          </div>
          <h2 id="pa-title">Power Automate</h2>
          <p>
            Start flows when a refresh fails or succeeds, a segment or measure crosses a threshold, or
            unification completes.
          </p>
          <div className="actions">
            <Link className="button" href={designerHref()}>
              Configure
            </Link>
            <Link href="/flows">Your flows</Link>
          </div>
          <details>
            <summary>Use real Power Automate: download the custom connector</summary>
            <p>
              Import both files in Power Automate (Data → Custom connectors → New → Import an OpenAPI file),
              then create a connection with an API key from{' '}
              <Link href="/admin/connections">Connections and API keys</Link>.
            </p>
            <label>
              Public address Power Automate reaches this server at{' '}
              <input
                value={host}
                onChange={(e) => setHost(e.target.value)}
                size={36}
                placeholder="https://cdp.example.com"
              />
            </label>
            {host.trim() && unreachableFromCloud(host.trim()) && (
              <p role="alert" className="hint">
                Power Automate runs in Microsoft's cloud and cannot reach {new URL(host.trim()).host}: give
                the public address (or a tunnel's) this server is reachable at.
              </p>
            )}
            {validAddress(host.trim()) ? (
              <ul>
                <li>
                  <a href={download('apiDefinition.swagger.json')} download>
                    apiDefinition.swagger.json
                  </a>
                </li>
                <li>
                  <a href={download('apiProperties.json')} download>
                    apiProperties.json
                  </a>
                </li>
              </ul>
            ) : (
              <p className="muted">Enter the address (https://…) to download the connector made for it.</p>
            )}
          </details>
        </article>
        <article className="destination" aria-labelledby="webhook-title">
          <div className="destination-logo" aria-hidden="true">
            ⇄
          </div>
          <h2 id="webhook-title">Webhooks</h2>
          <p>
            Any HTTP receiver can subscribe to the six triggers; deliveries are signed (Standard Webhooks) and
            retried.
          </p>
          <div className="actions">
            <Link href="/deliveries">Deliveries</Link>
            <Link href="/admin/connections">Subscriptions</Link>
          </div>
        </article>
      </div>
    </>
  )
}
