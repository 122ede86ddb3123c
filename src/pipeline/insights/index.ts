export {
  computeInsights,
  type InsightsInput,
  type InsightsResult,
  segmentEntityName,
} from './compute-insights.js'
export {
  assertInsightReferences,
  type InsightCatalog,
  insightCatalog,
  insightReferenceProblems,
  type ReferenceProblem,
} from './insight-references.js'
export { insightsTrigger } from './insights-trigger.js'
export {
  currentEntityRefs,
  type InsightsWorkerContext,
  loadInsightDefinitions,
  measuresSchema,
  runInsights,
  segmentsSchema,
} from './run-insights.js'
