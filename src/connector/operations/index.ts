export {
  type ConnectorOperation,
  defineOperation,
  errorBodySchema,
  errorResponses,
  type OperationSchema,
  type OperationScope,
  type Visibility,
} from './define-operation.js'
export * from './operations.js'
export * from './schemas.js'
