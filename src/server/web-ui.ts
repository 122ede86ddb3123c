import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { ApiApp } from './api-types.js'

/** Where `npm run build:web` puts the React UI (web/ built by Vite). */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url))

/**
 * Serves the web UI at `/` when it is built, and answers whether it is: its files here; index.html
 * for the UI's other page addresses comes from the not-found handler (see isUiPage).
 */
export async function registerWebUi(app: ApiApp): Promise<boolean> {
  if (!existsSync(`${WEB_DIST}index.html`)) {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/html')
        .send(
          '<!doctype html><title>openinsights</title><p>The web UI is not built. Run <code>npm run build:web</code> (npm start does it) and reload.</p>',
        ),
    )
    return false
  }
  await app.register(fastifyStatic, {
    root: WEB_DIST,
    wildcard: false,
    // Hashed asset names never change content: cache them for a year; index.html never.
    setHeaders(res, path) {
      res.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
  })
  return true
}

/** The UI's sections (web/src/app.tsx): the first segment of each of its page addresses. */
const UI_SECTIONS = new Set([
  'data-sources',
  'entities',
  'unify',
  'measures',
  'segments',
  'flows',
  'flow-runs',
  'deliveries',
  'events',
  'admin',
  'setup',
])

/**
 * Whether a request that matched no route is a page of the UI (answer index.html): a GET of
 * one of its sections, spelled plainly. Anything else (`//api/…`, `/API/…`, a missing file) is
 * the API's 404.
 */
export function isUiPage(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false
  const path = url.split('?')[0] ?? '/'
  const section = path.split('/')[1] ?? ''
  return UI_SECTIONS.has(section) && !path.includes('//') && !/\.[a-z0-9]+$/i.test(path)
}
