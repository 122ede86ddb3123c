import { AppError } from '../../errors.js'
import { keyCondition, writeItem } from '../../pipeline/entities/index.js'
import { keysNotIn, queryEntityRows, versionFiles } from '../../pipeline/index.js'
import { parseEntityQuery, sql } from '../../query/index.js'
import { getEntity, listEntityVersions } from '../../store/entities.js'
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
    $count?: boolean | string
    changes?: 'added' | 'removed'
  },
  context: ActionContext,
): Promise<unknown> {
  const entity = await entityOf(context, inputs.entity)
  try {
    // added: items of the current version that the one before it did not have (members who
    // joined a segment at its last refresh); removed: the other way round.
    let version = entity.current
    let changed: ReturnType<typeof keysNotIn>
    if (inputs.changes) {
      const versions = await listEntityVersions(context.db, context.instanceId, inputs.entity)
      const at = versions.findIndex((v) => v.id === entity.current.id)
      const previous = at >= 0 ? versions[at + 1] : undefined
      if (inputs.changes === 'added') changed = keysNotIn(entity.current, previous)
      else if (previous) {
        version = previous
        changed = keysNotIn(previous, entity.current)
      } else changed = sql`false`
    }
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
      version.schema,
      version.keyColumn,
    )
    const where = query.where && changed ? sql`(${query.where}) and ${changed}` : (query.where ?? changed)
    const count = inputs.$count === true || inputs.$count === 'true'
    const result = await queryEntityRows(
      context.duck,
      version,
      {
        select: query.select,
        where,
        orderBy: query.orderBy,
        limit: query.pageSize,
        offset: query.skip,
        count,
      },
      versionFiles(version),
    )
    return {
      statusCode: 200,
      body: { ...(count ? { '@odata.count': result.count } : {}), value: result.rows },
    }
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
