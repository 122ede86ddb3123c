export { apiDefinition, apiProperties, type ExportOptions } from './connector-definition.js'
export { jsonSchemaOf, type SwaggerSchema, toSwagger } from './swagger-schema.js'
export { payloadSchema, TRIGGERS, type TriggerDescription } from './trigger-catalog.js'
