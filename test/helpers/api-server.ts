import type { AddressInfo } from 'node:net'
import type { Runtime } from '../../src/runtime/index.js'
import { type ApiApp, buildApp } from '../../src/server/index.js'
import { upsertInstance } from '../../src/store/instances.js'
import { rawRequest } from './raw-http.js'
import { createTestStore, type TestStore } from './test-store.js'

/** An operation of the OpenAPI document, as the route sweep and the fuzzer call it. */
export interface DocumentedOperation {
  method: string
  /** The path with `{param}` placeholders. */
  template: string
  /** The route declares itself public (`security: []`). */
  public: boolean
  /** The scope its description says it needs. */
  scope: string | undefined
}

/** A listening API server over a fresh store with the instance `acme`, for attacks over real HTTP. */
export async function startApiServer(): Promise<{
  store: TestStore
  runtime: Runtime
  app: ApiApp
  port: number
  operations: DocumentedOperation[]
  close(): Promise<void>
}> {
  const store = await createTestStore('pglite')
  const runtime = await store.open({ role: 'api' })
  const app = await buildApp(runtime)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  await upsertInstance(runtime.db, { id: 'acme', name: 'Acme' })
  const document = JSON.parse((await rawRequest(port, 'GET', '/docs/json')).body)
  const operations = Object.entries(
    document.paths as Record<string, Record<string, Record<string, unknown>>>,
  ).flatMap(([template, methods]) =>
    Object.entries(methods)
      .filter(([method]) => method !== 'head' && method !== 'parameters')
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        public: Array.isArray(operation.security) && operation.security.length === 0,
        scope: /Needs an API key with scope `(\w+)`/.exec(String(operation.description ?? ''))?.[1],
      })),
  )
  return {
    store,
    runtime,
    app,
    port,
    operations,
    async close() {
      await app.close()
      await store.dispose()
    },
  }
}
