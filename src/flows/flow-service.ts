import { AppError } from '../errors.js'
import { assertTriggerReferences } from '../events/index.js'
import { unknownName } from '../names.js'
import { listDataSources } from '../store/data-sources.js'
import type { DbOrTx } from '../store/database.js'
import { listEntities } from '../store/entities.js'
import { putFlow } from '../store/flows.js'
import { getInsightConfig } from '../store/insights.js'
import { getUnifyConfig } from '../store/unify.js'
import {
  type ActionDefinition,
  childScopes,
  type FlowDefinition,
  flowDefinitionSchema,
} from './definition/flow-definition.js'

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
  // What the trigger waits for and the entities actions name must exist (did you mean …?).
  await assertTriggerReferences(
    db,
    instanceId,
    parsed.data.trigger.type,
    (parsed.data.trigger.parameters ?? {}) as Record<string, unknown>,
    'trigger.parameters',
  )
  await assertActionEntities(db, instanceId, parsed.data.actions, 'actions')
  const action = await putFlow(db, {
    instanceId,
    name,
    definition: parsed.data as unknown as Record<string, unknown>,
    enabled: parsed.data.enabled,
    origin,
  })
  return { definition: parsed.data, action }
}

/**
 * Refuses connector actions that name, as plain text, an entity the instance does not have and
 * will not publish (an expression is resolved when the flow runs).
 */
async function assertActionEntities(
  db: DbOrTx,
  instanceId: string,
  actions: Record<string, ActionDefinition>,
  path: string,
): Promise<void> {
  let known: string[] | undefined
  const visit = async (scope: Record<string, ActionDefinition>, at: string) => {
    for (const [name, action] of Object.entries(scope)) {
      const entity = (action.inputs as { entity?: unknown } | undefined)?.entity
      if (action.type.startsWith('connector.') && typeof entity === 'string' && !entity.includes('@')) {
        known ??= await entityNames(db, instanceId)
        if (!known.includes(entity)) {
          const target = `${at}.${name}.inputs.entity`
          throw new AppError(
            'InvalidReference',
            `${target}: ${unknownName('entity', entity, known, 'entities')}`,
            { target },
          )
        }
      }
      for (const [under, children] of childScopes(action)) await visit(children, `${at}.${name}.${under}`)
    }
  }
  await visit(actions, path)
}

/** Entities published now, and those the instance's sources, unify, measures and segments will publish. */
async function entityNames(db: DbOrTx, instanceId: string): Promise<string[]> {
  const names = new Set((await listEntities(db, instanceId)).map((e) => e.name))
  for (const source of await listDataSources(db, instanceId)) names.add(source.name)
  if (await getUnifyConfig(db, instanceId))
    for (const name of ['UnifiedCustomer', 'CustomerSourceKeys']) names.add(name)
  const insights = await getInsightConfig(db, instanceId)
  for (const segment of Object.keys(insights?.segments ?? {})) names.add(`Segment${segment}`)
  for (const measure of Object.values((insights?.measures ?? {}) as Record<string, { kind?: string }>))
    names.add(measure.kind === 'customer' ? 'CustomerMeasures' : 'BusinessMeasures')
  return [...names].sort()
}
