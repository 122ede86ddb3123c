export { computeUnification, UNIFY_ENTITIES, type UnifyEntity } from './compute-unification.js'
export { type CustomerExplanation, explainCustomer } from './explain-customer.js'
export { APPLY_CONFIDENCE, proposeUnify, type UnifyProposal } from './propose-unify.js'
export { explainPair, type PairComparison, type ReviewPair, reviewQueue } from './review.js'
export { type ModelChange, type RecordChange, type RunChanges, runChanges } from './run-changes.js'
export { runUnify, type UnifyWorkerContext } from './run-unify.js'
export { type ColumnSuggestion, suggestMapping, suggestRules } from './suggest-mapping.js'
export {
  attributeNameSchema,
  NORMALIZATIONS,
  SEMANTIC_TYPES,
  type UnifyConfig,
  unifyConfigSchema,
  unifyReferenceProblems,
} from './unify-config.js'
export { unifyTrigger } from './unify-trigger.js'
