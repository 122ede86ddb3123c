import { z } from 'zod'

/** Names of instances, data sources and entities: safe in paths, SQL identifiers and URLs. */
export const nameSchema = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]{0,62}$/,
    'a name starts with a letter and has only letters, digits and _ (at most 63)',
  )

export const instanceIdSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,39}$/,
    'an instance id is lower-case letters, digits and -, starting with a letter (at most 40)',
  )
