import { type FlowDefinition, flowDefinitionSchema } from '../definition/flow-definition.js'
import { readsSecrets, type SecureData, secureActions } from './secure-actions.js'

/** What the engine needs to know of a definition, worked out once for all of a flow's runs. */
export interface DefinitionFacts {
  definition: FlowDefinition
  /** Actions whose inputs or outputs run history keeps sealed. */
  secure: Map<string, SecureData>
  /** Whether a run opens the instance's secrets: an expression reads secret(), or an action sends email (its SMTP setting is one). */
  needsSecrets: boolean
}

/** Facts by a definition's stored text: a flow's runs share one. */
const byText = new Map<string, DefinitionFacts>()
/** And by the object itself: runs claimed together share their definition's object. */
const byObject = new WeakMap<Record<string, unknown>, DefinitionFacts>()

export function definitionFacts(stored: Record<string, unknown>): DefinitionFacts {
  const known = byObject.get(stored)
  if (known) return known
  const text = JSON.stringify(stored)
  let found = byText.get(text)
  if (!found) {
    const definition = flowDefinitionSchema.parse(stored)
    found = {
      definition,
      secure: secureActions(definition.actions),
      needsSecrets: readsSecrets(definition),
    }
    if (byText.size > 500) byText.clear()
    byText.set(text, found)
  }
  byObject.set(stored, found)
  return found
}
