export { type Dispatcher, type EventSubscriber, SubscriberRegistry, startDispatcher } from './dispatcher.js'
export { listenForEvents } from './event-notifications.js'
export {
  type DataSourceRefreshEventData,
  EVENT_TYPES,
  type EventDataByType,
  type EventType,
  type FlowRunFailedEventData,
  type FullRefreshCompletedEventData,
  type FullRefreshStepSummary,
  isEventType,
  STORED_EVENT_TYPES,
  type StoredEventType,
  type ThresholdCrossedEventData,
  type UnifyCompletedEventData,
} from './event-types.js'
export { appendEvent, appendEvents, type NewEvent } from './outbox.js'
export {
  type CrossingDirection,
  crossing,
  thresholdCrossings,
  type ValueChange,
  type WatchedThreshold,
} from './thresholds.js'
