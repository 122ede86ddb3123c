export { apiDefinition, apiProperties, type ExportOptions } from './connector-definition.js'
export { payloadSchema, TRIGGERS, type TriggerDescription } from './trigger-catalog.js'
