/**
 * What a key may do. `admin` includes every other scope.
 * - read: entities, items, partitions, events, subscriptions and deliveries (listing)
 * - write: create and update items, send status reports
 * - subscribe: create and delete webhook subscriptions (the connector's triggers)
 * - admin: data sources, refreshes, configuration, keys, redriving deliveries
 */
export const SCOPES = ['read', 'write', 'subscribe', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** What a key gets when none is named: everything a Power Automate connection needs. */
export const CONNECTOR_SCOPES: Scope[] = ['read', 'write', 'subscribe']

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed)
}
