import type { ConnectorOperation, OperationSchema } from '../connector/operations/index.js'

/**
 * A route's method, path, scope and schema from the operation that defines it (and that the
 * exported connector describes): `app.route({ ...routeOf(GetItems), handler })`.
 */
export function routeOf<S extends OperationSchema>(operation: ConnectorOperation<S>) {
  return {
    method: operation.method,
    url: operation.path,
    config: { scope: operation.scope },
    schema: operation.schema,
  }
}
