import { AppError } from '../../errors.js'
import { keyCondition, writeItem } from '../../pipeline/entities/index.js'
import { queryEntityRows } from '../../pipeline/index.js'
import { parseEntityQuery } from '../../query/index.js'
import { getEntity } from '../../store/entities.js'
import { ActionFailure } from '../engine/action-failure.js'
import type { ActionContext } from './action-context.js'

const failure = (error: unknown) =>
  error instanceof AppError
    ? new ActionFailure(error.code, error.message)
    : new ActionFailure('ConnectorActionFailed', (error as Error).message)

async function entityOf(context: ActionContext, name: string) {
  const entity = await getEntity(context.db, context.instanceId, name)
  if (!entity) throw new ActionFailure('EntityNotFound', `there is no entity '${name}'`)
  return entity
}

/** Get items from an entity, in-process: `{ body: { value: [...] } }` as the connector answers. */
export async function getItems(
  inputs: {
    entity: string
    $filter?: string
    $select?: string
    $orderby?: string
    $top?: number | string
    $skip?: number | string
  },
  context: ActionContext,
): Promise<unknown> {
  const entity = await entityOf(context, inputs.entity)
  try {
    const query = parseEntityQuery(
      Object.fromEntries(
        Object.entries({
          $filter: inputs.$filter,
          $select: inputs.$select,
          $orderby: inputs.$orderby,
          $top: inputs.$top,
          $skip: inputs.$skip,
        })
          .filter(([, v]) => v !== undefined && v !== '')
          .map(([k, v]) => [k, String(v)]),
      ),
      entity.current.schema,
      entity.current.keyColumn,
    )
    const { rows } = await queryEntityRows(context.duck, entity.current, {
      select: query.select,
      where: query.where,
      orderBy: query.orderBy,
      limit: query.pageSize,
      offset: query.skip,
      count: false,
    })
    return { statusCode: 200, body: { value: rows } }
  } catch (error) {
    throw failure(error)
  }
}

export async function getItem(
  inputs: { entity: string; key: string },
  context: ActionContext,
): Promise<unknown> {
  const entity = await entityOf(context, inputs.entity)
  try {
    const where = keyCondition(entity, inputs.key, 'plain')
    const query = parseEntityQuery({}, entity.current.schema, null)
    const { rows } = await queryEntityRows(context.duck, entity.current, {
      select: query.select,
      where,
      orderBy: [],
      limit: 1,
      offset: 0,
      count: false,
    })
    if (!rows[0])
      throw new ActionFailure('ItemNotFound', `${inputs.entity} has no item '${inputs.key}'`, {
        outputs: { statusCode: 404 },
      })
    return { statusCode: 200, body: rows[0] }
  } catch (error) {
    throw error instanceof ActionFailure ? error : failure(error)
  }
}

export async function createItem(
  inputs: { entity: string; item: Record<string, unknown> },
  context: ActionContext,
): Promise<unknown> {
  try {
    const body = await writeItem(context, context.instanceId, inputs.entity, 'create', inputs.item)
    return { statusCode: 201, body }
  } catch (error) {
    throw failure(error)
  }
}

export async function updateItem(
  inputs: { entity: string; key: string; item: Record<string, unknown> },
  context: ActionContext,
): Promise<unknown> {
  try {
    const body = await writeItem(
      context,
      context.instanceId,
      inputs.entity,
      'update',
      inputs.item,
      inputs.key,
    )
    return { statusCode: 200, body }
  } catch (error) {
    throw failure(error)
  }
}
