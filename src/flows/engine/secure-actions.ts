import { type ActionDefinition, childScopes, type FlowDefinition } from '../definition/flow-definition.js'

/** Which of an action's records run history keeps sealed and shows as hidden. */
export interface SecureData {
  /** All inputs. */
  inputs: boolean
  /** Only these fields of the inputs (those that read a secret), the rest shown. */
  inputFields?: string[]
  outputs: boolean
}

/**
 * Fields whose secret is where the action sends to, not what it sends: a Teams webhook URL's
 * answer is an acknowledgment, so reading the secret there leaves the outputs visible.
 */
const DESTINATION_FIELDS: Record<string, string[]> = { 'teams.postMessage': ['webhookUrl'] }

const READS_SECRET = /\bsecret\s*\(/

/** References to another action's results in an expression: body('X'), outputs('X'), actions('X'), result('X'). */
const REFERENCE = /\b(?:body|outputs|actions|result)\(\s*'((?:[^']|'')+)'\s*\)/g

/**
 * The actions of a definition whose inputs or outputs are secure (Power Automate's "Secure
 * inputs/outputs"): those the maker marked; those that read a secret (`secret('…')`: the input
 * fields that read it, and the outputs — what an action does with a secret may come back in its
 * answer — except where the secret is only the destination, as a Teams webhook URL); and those
 * that use a secure action's outputs (both, whole). Whatever function wraps the secret (base64,
 * toLower, a JSON path), its text then never reaches run history.
 */
export function secureActions(actions: Record<string, ActionDefinition>): Map<string, SecureData> {
  const all = new Map<string, { own: unknown; secure: SecureData }>()
  const collect = (scope: Record<string, ActionDefinition>) => {
    for (const [name, action] of Object.entries(scope)) {
      const marked = action.runtimeConfiguration?.secureData?.properties ?? []
      // What the action evaluates itself (not its nested actions, which are actions of their own).
      const own = [action.inputs, action.expression, action.foreach]
      const text = JSON.stringify(own)
      const secure: SecureData = { inputs: marked.includes('inputs'), outputs: marked.includes('outputs') }
      if (READS_SECRET.test(text)) {
        const inputs = action.inputs
        const perField =
          inputs !== null &&
          typeof inputs === 'object' &&
          !Array.isArray(inputs) &&
          !READS_SECRET.test(JSON.stringify([action.expression, action.foreach]))
        const fields = perField
          ? Object.keys(inputs as object).filter((k) =>
              READS_SECRET.test(JSON.stringify((inputs as Record<string, unknown>)[k])),
            )
          : undefined
        if (fields && !secure.inputs) secure.inputFields = fields
        else secure.inputs = true
        const destinations = DESTINATION_FIELDS[action.type] ?? []
        if (!fields || fields.some((f) => !destinations.includes(f))) secure.outputs = true
      }
      all.set(name, { own: text, secure })
      for (const [, children] of childScopes(action)) collect(children)
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
    [...all]
      .filter(([, e]) => e.secure.inputs || e.secure.outputs || Boolean(e.secure.inputFields?.length))
      .map(([n, e]) => [n, e.secure]),
  )
}

/** Action types that use a secret of the instance without naming it (email.send: the SMTP setting). */
const USES_INSTANCE_SECRETS = new Set(['email.send'])

/**
 * Whether a run of the definition needs the instance's secrets: an expression of an action (its
 * inputs, condition or loop — the only places expressions are) reads secret(), or an action uses
 * a secret setting.
 */
export function readsSecrets(definition: FlowDefinition): boolean {
  const visit = (scope: Record<string, ActionDefinition>): boolean =>
    Object.values(scope).some(
      (action) =>
        USES_INSTANCE_SECRETS.has(action.type) ||
        READS_SECRET.test(
          JSON.stringify({
            ...action,
            actions: undefined,
            else: undefined,
            cases: undefined,
            default: undefined,
          }),
        ) ||
        childScopes(action).some(([, children]) => visit(children)),
    )
  return visit(definition.actions)
}

/** A secure value as stored: sealed, so a resumed run can still use it and nobody can read it. */
export const SECURE_KEY = '$secure'

/** What run history shows in place of a secure value. */
export const HIDDEN = { [SECURE_KEY]: true, message: 'Content not shown due to security configuration.' }

const isSealed = (value: unknown): value is Record<string, unknown> =>
  Boolean(value) && typeof value === 'object' && !Array.isArray(value) && SECURE_KEY in (value as object)

/**
 * Applies `open` to a record's sealed values: the whole value, or fields of it sealed one by one
 * (secure input fields).
 */
export function mapSealed(value: unknown, open: (sealed: Record<string, unknown>) => unknown): unknown {
  if (isSealed(value)) return open(value)
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value
  const entries = Object.entries(value)
  if (!entries.some(([, v]) => isSealed(v))) return value
  return Object.fromEntries(entries.map(([k, v]) => [k, isSealed(v) ? open(v) : v]))
}

/** Replaces stored secure values with HIDDEN in a record (whole, or field by field). */
export function hideSecure<T>(value: T): T {
  return mapSealed(value, () => HIDDEN) as T
}
