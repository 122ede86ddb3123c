import type { ActionDefinition } from '../definition/flow-definition.js'

/** Which of an action's records run history keeps sealed and shows as hidden. */
export interface SecureData {
  inputs: boolean
  outputs: boolean
}

/** References to another action's results in an expression: body('X'), outputs('X'), actions('X'), result('X'). */
const REFERENCE = /\b(?:body|outputs|actions|result)\(\s*'((?:[^']|'')+)'\s*\)/g

/**
 * The actions of a definition whose inputs or outputs are secure (Power Automate's "Secure
 * inputs/outputs"): those the maker marked; those that read a secret (`secret('…')` anywhere in
 * them: both); and those that use a secure action's outputs (inputs, and outputs too — what an
 * action does with a secret may come back in its answer). Whatever function wraps the secret
 * (base64, toLower, a JSON path), its text then never reaches run history.
 */
export function secureActions(actions: Record<string, ActionDefinition>): Map<string, SecureData> {
  const all = new Map<string, { own: unknown; secure: SecureData }>()
  const collect = (scope: Record<string, ActionDefinition>) => {
    for (const [name, action] of Object.entries(scope)) {
      const marked = action.runtimeConfiguration?.secureData?.properties ?? []
      // What the action evaluates itself (not its nested actions, which are actions of their own).
      const own = [action.inputs, action.expression, action.foreach]
      const text = JSON.stringify(own)
      const readsSecret = /\bsecret\s*\(/.test(text)
      all.set(name, {
        own: text,
        secure: {
          inputs: readsSecret || marked.includes('inputs'),
          outputs: readsSecret || marked.includes('outputs'),
        },
      })
      collect(action.actions ?? {})
      collect(action.else?.actions ?? {})
    }
  }
  collect(actions)
  // Taint spreads along references until nothing changes.
  for (let changed = true; changed; ) {
    changed = false
    for (const entry of all.values()) {
      if (entry.secure.inputs && entry.secure.outputs) continue
      for (const [, referenced] of String(entry.own).matchAll(REFERENCE)) {
        const source = all.get((referenced as string).replaceAll("''", "'"))
        if (!source?.secure.outputs) continue
        entry.secure = { inputs: true, outputs: true }
        changed = true
        break
      }
    }
  }
  return new Map(
    [...all].filter(([, e]) => e.secure.inputs || e.secure.outputs).map(([n, e]) => [n, e.secure]),
  )
}

/** A secure value as stored: sealed, so a resumed run can still use it and nobody can read it. */
export const SECURE_KEY = '$secure'

/** What run history shows in place of a secure value. */
export const HIDDEN = { [SECURE_KEY]: true, message: 'Content not shown due to security configuration.' }

/** Replaces stored secure values with HIDDEN, anywhere in a record. */
export function hideSecure<T>(value: T): T {
  if (value && typeof value === 'object' && !Array.isArray(value) && SECURE_KEY in value) return HIDDEN as T
  return value
}
