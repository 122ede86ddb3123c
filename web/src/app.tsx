import { lazy, type ReactNode, Suspense, useCallback, useEffect, useState } from 'react'
import { Link, Redirect, Route, Switch, useLocation } from 'wouter'
import { api, type Session } from './api'
import { ErrorBox, Loading } from './components'
import { InstanceContext, useApi } from './hooks'
import { SetUp, SignIn } from './pages/sign-in'

// Pages load when first opened: the first visit downloads the shell and the page it shows.
const Home = lazy(() => import('./pages/home'))
const DataSources = lazy(() => import('./pages/data-sources'))
const Entities = lazy(() => import('./pages/entities'))
const Unify = lazy(() => import('./pages/unify'))
const Measures = lazy(() => import('./pages/measures'))
const Segments = lazy(() => import('./pages/segments'))
const Flows = lazy(() => import('./pages/flows'))
const FlowRunPage = lazy(() => import('./pages/flow-run'))
const Deliveries = lazy(() => import('./pages/deliveries'))
const Connections = lazy(() => import('./pages/connections'))
const Settings = lazy(() => import('./pages/settings'))
const Events = lazy(() => import('./pages/events'))
const ExportDestinations = lazy(() => import('./pages/export-destinations'))
const FlowDesigner = lazy(() => import('./flow-designer/designer'))

const NAV: { group: string; links: { href: string; label: string }[] }[] = [
  { group: '', links: [{ href: '/', label: 'Home' }] },
  {
    group: 'Data',
    links: [
      { href: '/data-sources', label: 'Data sources' },
      { href: '/entities', label: 'Entities' },
      { href: '/unify', label: 'Unify' },
    ],
  },
  {
    group: 'Insights',
    links: [
      { href: '/measures', label: 'Measures' },
      { href: '/segments', label: 'Segments' },
    ],
  },
  {
    group: 'Automate',
    links: [
      { href: '/flows', label: 'Flows' },
      { href: '/deliveries', label: 'Deliveries' },
      { href: '/events', label: 'Events' },
    ],
  },
  {
    group: 'Admin',
    links: [
      { href: '/admin/export-destinations', label: 'Export destinations' },
      { href: '/admin/connections', label: 'Connections and API keys' },
      { href: '/admin/settings', label: 'Settings' },
    ],
  },
]

export function App() {
  const [session, setSession] = useState<Session>()
  const [error, setError] = useState<Error>()
  const load = useCallback(() => {
    api<Session>('/api/v1/web/session')
      .then((s) => {
        setSession(s)
        setError(undefined)
      })
      .catch((e: unknown) => setError(e as Error))
  }, [])
  useEffect(() => {
    load()
    const signedOut = () => setSession((s) => (s ? { ...s, user: null } : s))
    window.addEventListener('openinsights:signed-out', signedOut)
    return () => window.removeEventListener('openinsights:signed-out', signedOut)
  }, [load])
  const [location] = useLocation()

  if (error)
    return (
      <main className="center">
        <ErrorBox error={error} onRetry={load} />
      </main>
    )
  if (!session)
    return (
      <main className="center">
        <Loading />
      </main>
    )
  if (location.startsWith('/setup') || (session.setupNeeded && !session.user))
    return <SetUp setupNeeded={session.setupNeeded} onDone={setSession} />
  if (!session.user) return <SignIn onDone={setSession} />
  return <Shell username={session.user.username} onSignOut={setSession} />
}

function Shell({ username, onSignOut }: { username: string; onSignOut: (s: Session) => void }) {
  const instances = useApi<{ value: { id: string; name: string }[] }>('/api/v1/instances')
  const [instanceId, setInstanceId] = useState<string>()
  const [location] = useLocation()
  const current = instanceId ?? instances.data?.value[0]?.id
  const signOut = async () => onSignOut(await api<Session>('/api/v1/web/logout', { method: 'POST' }))

  let content: ReactNode
  if (instances.error) content = <ErrorBox error={instances.error} onRetry={instances.reload} />
  else if (!current)
    content = instances.data ? <p>No instance yet: apply an openinsights.yaml first.</p> : <Loading />
  else
    content = (
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/" component={Home} />
          <Route path="/data-sources">
            <DataSources />
          </Route>
          <Route path="/data-sources/:name">
            {(p) => <DataSources selected={decodeURIComponent(p.name)} />}
          </Route>
          <Route path="/entities">
            <Entities />
          </Route>
          <Route path="/entities/:name">{(p) => <Entities selected={decodeURIComponent(p.name)} />}</Route>
          <Route path="/unify" component={Unify} />
          <Route path="/measures" component={Measures} />
          <Route path="/segments" component={Segments} />
          <Route path="/flows">
            <Flows />
          </Route>
          <Route path="/flows/:name">{(p) => <Flows selected={decodeURIComponent(p.name)} />}</Route>
          <Route path="/flow-runs/:id">{(p) => <FlowRunPage runId={p.id} />}</Route>
          <Route path="/deliveries" component={Deliveries} />
          <Route path="/events" component={Events} />
          <Route path="/admin/export-destinations" component={ExportDestinations} />
          <Route path="/admin/export-destinations/power-automate/configure" component={FlowDesigner} />
          <Route path="/admin/connections" component={Connections} />
          <Route path="/admin/settings" component={Settings} />
          <Route path="/setup">
            <Redirect to="/" />
          </Route>
          <Route>
            <p>
              This page does not exist. <Link href="/">Go home</Link>
            </p>
          </Route>
        </Switch>
      </Suspense>
    )

  return (
    <InstanceContext.Provider value={current ?? ''}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">openinsights</span>
        {instances.data && instances.data.value.length > 1 ? (
          <label className="instance-picker">
            Instance{' '}
            <select value={current} onChange={(e) => setInstanceId(e.target.value)}>
              {instances.data.value.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="instance-name">{instances.data?.value[0]?.name}</span>
        )}
        <span className="spacer" />
        <span className="user">{username}</span>
        <button type="button" className="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <nav aria-label="Main">
          {NAV.map((section) => (
            <div key={section.group} className="nav-group">
              {section.group && <h2>{section.group}</h2>}
              <ul>
                {section.links.map((link) => {
                  const active = link.href === '/' ? location === '/' : location.startsWith(link.href)
                  return (
                    <li key={link.href}>
                      <Link
                        href={link.href}
                        aria-current={active ? 'page' : undefined}
                        className={active ? 'active' : ''}
                      >
                        {link.label}
                      </Link>
                    </li>
                  )
                })}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          {content}
        </main>
      </div>
    </InstanceContext.Provider>
  )
}
