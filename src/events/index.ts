export { type Dispatcher, type EventSubscriber, SubscriberRegistry, startDispatcher } from './dispatcher.js'
export {
  type DataSourceRefreshEventData,
  EVENT_TYPES,
  type EventDataByType,
  type EventType,
  type FullRefreshCompletedEventData,
  type FullRefreshStepSummary,
  isEventType,
  type ThresholdCrossedEventData,
  type UnifyCompletedEventData,
} from './event-types.js'
export { appendEvent } from './outbox.js'
export {
  type CrossingDirection,
  crossing,
  thresholdCrossings,
  type ValueChange,
  type WatchedThreshold,
} from './thresholds.js'
