import type { z } from 'zod'
import { dataSourceRefreshFailed, dataSourceRefreshSucceeded } from './datasource-refresh.js'
import { flowRunFailed } from './flow-run-failed.js'
import { fullRefreshCompleted } from './full-refresh-completed.js'
import { insightsRunFailed } from './insights-run-failed.js'
import { measureThresholdCrossed, segmentThresholdCrossed } from './threshold-crossed.js'
import type { TriggerDefinition, WatchedThreshold } from './trigger-definition.js'
import { unifyCompleted } from './unify-completed.js'

export type { DataSourceRefreshEventData } from './datasource-refresh.js'
export type { FlowRunFailedEventData } from './flow-run-failed.js'
export type { FullRefreshCompletedEventData, FullRefreshStepSummary } from './full-refresh-completed.js'
export type { ThresholdCrossedEventData } from './threshold-crossed.js'
export type { TriggerDefinition, WatchedThreshold } from './trigger-definition.js'
export type { UnifyCompletedEventData } from './unify-completed.js'

/** The triggers offered to subscriptions, the connector and flows: the six of the original. */
export const OFFERED_TRIGGERS = [
  dataSourceRefreshFailed,
  dataSourceRefreshSucceeded,
  segmentThresholdCrossed,
  measureThresholdCrossed,
  fullRefreshCompleted,
  unifyCompleted,
] as const

/** Every event type the outbox stores, each defined once. */
export const ALL_TRIGGERS = [...OFFERED_TRIGGERS, flowRunFailed, insightsRunFailed] as const

type TypesOf<T extends readonly { type: string }[]> = { -readonly [K in keyof T]: T[K]['type'] }

/** The connector's six trigger events, as the outbox stores them and subscribers receive them. */
export const EVENT_TYPES = OFFERED_TRIGGERS.map((t) => t.type) as unknown as TypesOf<typeof OFFERED_TRIGGERS>
export type EventType = (typeof EVENT_TYPES)[number]

/** Every event the outbox stores: the connector's triggers, and our own. */
export const STORED_EVENT_TYPES = ALL_TRIGGERS.map((t) => t.type) as unknown as TypesOf<typeof ALL_TRIGGERS>
export type StoredEventType = (typeof STORED_EVENT_TYPES)[number]

type AnyTrigger = (typeof ALL_TRIGGERS)[number]

/** Payload by event type. */
export type EventDataByType = { [T in AnyTrigger as T['type']]: z.infer<T['payload']> }

/** Parameters by event type, as stored once validated. */
export type TriggerParametersByType = { [T in AnyTrigger as T['type']]: z.infer<T['parameters']> }

const BY_TYPE = new Map<string, TriggerDefinition>(ALL_TRIGGERS.map((t) => [t.type, t as TriggerDefinition]))

/** The definition of an event type, if it is one. */
export function triggerOf(type: string): TriggerDefinition | undefined {
  return BY_TYPE.get(type)
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value)
}

/**
 * Whether an event is one a subscription or flow trigger with these parameters asked for. The
 * parameters are read as their trigger reads them (defaults applied); parameters it cannot read
 * match nothing.
 */
export function matchesTrigger(
  event: { type: string; data: Record<string, unknown> },
  parameters: Record<string, unknown>,
): boolean {
  const trigger = triggerOf(event.type)
  if (!trigger) return false
  const parsed = trigger.parameters.safeParse(parameters)
  return parsed.success && trigger.matches(event.data, parsed.data)
}

/**
 * The threshold a threshold trigger's parameters watch (a webhook subscription's or a flow's), or
 * undefined for another trigger or parameters it cannot read.
 */
export function watchedThreshold(
  eventType: string,
  parameters: Record<string, unknown>,
): WatchedThreshold | undefined {
  const trigger = triggerOf(eventType)
  if (!trigger?.watches) return undefined
  const parsed = trigger.parameters.safeParse(parameters)
  return parsed.success ? trigger.watches(parsed.data) : undefined
}
