import { AppError } from '../errors.js'
import type { DbOrTx } from '../store/database.js'
import { putFlow } from '../store/flows.js'
import { type FlowDefinition, flowDefinitionSchema } from './definition/flow-definition.js'

/** Flow names: letters, digits, -, _ and spaces, as a person names them in a list. */
export const FLOW_NAME = /^[A-Za-z0-9][A-Za-z0-9 _-]{0,99}$/

/**
 * Validates a definition (shape, trigger parameters, runAfter references and order, every
 * expression) and stores it; a problem is one error naming the path and the fix.
 */
export async function saveFlow(
  db: DbOrTx,
  instanceId: string,
  name: string,
  input: unknown,
  origin: string,
): Promise<{ definition: FlowDefinition; action: 'created' | 'updated' | 'unchanged' }> {
  if (!FLOW_NAME.test(name))
    throw new AppError(
      'InvalidFlowName',
      `'${name}' is not a flow name: use letters, digits, -, _ and spaces`,
      { target: 'name' },
    )
  const parsed = flowDefinitionSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue?.path.map(String).join('.') ?? ''
    const fix = (issue as { params?: { fix?: string } } | undefined)?.params?.fix
    throw new AppError(
      'InvalidFlow',
      `${path ? `${path}: ` : ''}${issue?.message}${fix ? `; fix: ${fix}` : ''}`,
      {
        target: path || 'definition',
      },
    )
  }
  const action = await putFlow(db, {
    instanceId,
    name,
    definition: parsed.data as unknown as Record<string, unknown>,
    enabled: parsed.data.enabled,
    origin,
  })
  return { definition: parsed.data, action }
}
