export {
  computeInsights,
  type InsightsInput,
  type InsightsResult,
  segmentEntityName,
} from './compute-insights.js'
export { assertInsightReferences } from './insight-references.js'
export { insightsTrigger } from './insights-trigger.js'
export {
  currentEntityRefs,
  type InsightsWorkerContext,
  loadInsightDefinitions,
  measuresSchema,
  runInsights,
  segmentsSchema,
} from './run-insights.js'
