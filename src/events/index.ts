export {
  type Dispatcher,
  type EventSubscriber,
  type Share,
  SubscriberRegistry,
  startDispatcher,
} from './dispatcher.js'
export { listenForEvents } from './event-notifications.js'
export { appendEvent, appendEvents, type NewEvent } from './outbox.js'
export {
  type CrossingDirection,
  crossing,
  thresholdCrossings,
  type ValueChange,
} from './thresholds.js'
export { summarizeEvent } from './triggers/event-summary.js'
export { IN_INSTANCE, pickList } from './triggers/fields.js'
export {
  ALL_TRIGGERS,
  type DataSourceRefreshEventData,
  EVENT_TYPES,
  type EventDataByType,
  type EventType,
  type FlowRunFailedEventData,
  type FullRefreshCompletedEventData,
  type FullRefreshStepSummary,
  isEventType,
  matchesTrigger,
  OFFERED_TRIGGERS,
  STORED_EVENT_TYPES,
  type StoredEventType,
  type ThresholdCrossedEventData,
  type TriggerDefinition,
  type TriggerParametersByType,
  triggerOf,
  type UnifyCompletedEventData,
  type WatchedThreshold,
  watchedThreshold,
} from './triggers/index.js'
export { assertTriggerReferences } from './triggers/trigger-references.js'
