export type { ApiApp } from './api-types.js'
export { buildApp } from './app.js'
export { type ErrorBody, toErrorResponse } from './error-handler.js'
