import { z } from 'zod'

/** A field as Power Automate shows it in dynamic content: its name (x-ms-summary) and what it means. */
export const shown = <T extends z.ZodType>(schema: T, summary: string, description: string) =>
  schema.meta({ 'x-ms-summary': summary, description })

export const errorField = (description: string, example: string) =>
  shown(
    z
      .object({
        code: shown(z.string(), 'Error code', `A stable code, e.g. ${example}`),
        message: shown(z.string(), 'Error message', 'What went wrong and how to fix it'),
      })
      .nullable(),
    'Error',
    description,
  )

export const instanceField = (description = 'The instance') => shown(z.string(), 'Instance', description)

export const timestamp = (summary: string, description: string) =>
  shown(z.iso.datetime(), summary, description)

/**
 * Power Automate's pick list for a parameter (`x-ms-dynamic-values`): the values come from an
 * operation of the connector (`value-collection` of its answer, each item's `value-path`), called
 * with the parameters named here — the caller's own (`{ parameter }`) or fixed values. The
 * connector's export test checks that each names a real operation, parameter and field.
 */
export function pickList(
  operationId: string,
  parameters: Record<string, string | { parameter: string }>,
  valuePath = 'name',
  titlePath = valuePath,
) {
  return {
    'x-ms-dynamic-values': {
      operationId,
      parameters,
      'value-collection': 'value',
      'value-path': valuePath,
      'value-title': titlePath,
    },
  }
}

/** The instance the trigger or action is on: what every list of the instance is asked with. */
export const IN_INSTANCE = { instanceId: { parameter: 'instanceId' } }
