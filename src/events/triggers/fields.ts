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
