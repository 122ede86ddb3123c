export { SecretBox } from '../secrets/index.js'
export { type SmtpSettings, sendThroughSmtp, smtpSettingsSchema } from './actions/index.js'
export {
  ACTION_TYPES,
  type ActionDefinition,
  childScopes,
  type FlowDefinition,
  type FlowDefinitionInput,
  flowDefinitionSchema,
} from './definition/flow-definition.js'
export { ActionFailure } from './engine/action-failure.js'
export { type FlowRunWorker, startFlowRunWorker } from './engine/flow-run-worker.js'
export { flowTrigger } from './engine/flow-trigger.js'
export { runDueRecurrences } from './engine/recurrence-runs.js'
export { executeFlowRun, type FlowEngineContext } from './engine/run-flow.js'
export { hideSecure } from './engine/secure-actions.js'
export { EXPRESSION_FUNCTIONS, ExpressionError, evaluateValue } from './expressions/index.js'
export { saveFlow } from './flow-service.js'
export { FLOW_TEMPLATES, type FlowTemplate, installTemplate } from './templates.js'
