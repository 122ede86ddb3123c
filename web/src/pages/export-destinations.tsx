import { useState } from 'react'
import { Link } from 'wouter'
import { PageHeader } from '../components'
import { designerHref } from './flows'

/** Admin → Export destinations: where insights go. The Power Automate tile is the original path to flows. */
export default function ExportDestinations() {
  const [host, setHost] = useState(window.location.origin)
  const download = (file: string) => `/api/v1/connector/${file}?host=${encodeURIComponent(host)}`
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
              Address Power Automate reaches this server at{' '}
              <input value={host} onChange={(e) => setHost(e.target.value)} size={36} />
            </label>
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
