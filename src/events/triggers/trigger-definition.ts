import type { z } from 'zod'

/** A threshold some subscription or flow watches: evaluated after each measures run. */
export interface WatchedThreshold {
  kind: 'measure' | 'segment'
  name: string
  threshold: number
  /** Only this dimension value of a dimensional measure; every value when absent. */
  dimension?: string | undefined
}

/** An object a trigger's parameters name: a data source, a segment or a business measure. */
export interface TriggerReference {
  kind: 'dataSource' | 'segment' | 'businessMeasure'
  name: string
  /** The parameter that names it. */
  parameter: string
}

/**
 * One event type, defined once: what its payload holds, what a subscription or a flow trigger
 * may ask of it, which events match those parameters, and what it is called. The connector's
 * Swagger, the flow designer's trigger list, parameter validation and matching all derive from
 * this (each field's `x-ms-summary` and description are its display text).
 */
export interface TriggerDefinition<
  Type extends string = string,
  Payload extends z.ZodType = z.ZodType,
  Parameters extends z.ZodType = z.ZodType,
> {
  type: Type
  /** Power Automate's operation id of the trigger in the exported connector. */
  operationId: string
  /** Its title ("When a data source refresh failed"). */
  summary: string
  description: string
  /** The event's `data`. */
  payload: Payload
  /** What a subscription or a flow trigger takes (validated when saved). */
  parameters: Parameters
  /** Whether an event's data is one these parameters ask for. */
  matches(data: z.infer<Payload>, parameters: z.infer<Parameters>): boolean
  /** The objects these parameters name, checked to exist when a subscription or flow is saved. */
  references?(parameters: z.infer<Parameters>): TriggerReference[]
  /** The threshold these parameters watch, for the threshold triggers. */
  watches?(parameters: z.infer<Parameters>): WatchedThreshold | undefined
  /**
   * Offered as a trigger: to webhook subscriptions, the exported connector (Power Automate) and
   * flows. An event that is not (flow.run.failed) is stored and listed, and nothing subscribes to it.
   */
  offered: boolean
}

/** Defines a trigger with its types checked against each other. */
export function defineTrigger<Type extends string, Payload extends z.ZodType, Parameters extends z.ZodType>(
  definition: TriggerDefinition<Type, Payload, Parameters>,
): TriggerDefinition<Type, Payload, Parameters> {
  return definition
}
