import { z } from 'zod'

/** The semantic types the original maps columns to; custom attributes are any other CamelCase name. */
export const SEMANTIC_TYPES = [
  'FirstName',
  'LastName',
  'FullName',
  'Email',
  'Phone',
  'Address1',
  'City',
  'PostalCode',
  'Country',
  'DateOfBirth',
] as const

export const attributeNameSchema = z
  .string()
  .regex(
    /^[A-Z][A-Za-z0-9]{0,62}$/,
    'an attribute is CamelCase, starting with a capital letter, e.g. Email or LoyaltyTier',
  )

export const NORMALIZATIONS = [
  'whitespace',
  'case',
  'accents',
  'numerals',
  'email',
  'phone',
  'name',
  'initial',
  'address',
] as const
export type Normalization = (typeof NORMALIZATIONS)[number]

export const MERGE_POLICIES = ['mostFrequent', 'mostRecent', 'sourcePriority', 'mostComplete'] as const

const conditionSchema = z
  .object({
    attribute: attributeNameSchema,
    normalize: z
      .array(z.enum(NORMALIZATIONS))
      .default(['whitespace', 'case', 'accents'])
      .describe('Applied in order before comparing'),
    precision: z.enum(['exact', 'fuzzy']).default('exact'),
    algorithm: z.enum(['jaroWinkler', 'levenshtein']).default('jaroWinkler').describe('For fuzzy conditions'),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe('For fuzzy conditions: the least similarity (0..1) that counts as a match'),
    weight: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe('In a scored rule: how much this attribute counts in the weighted similarity'),
  })
  .strict()

/** How rows of an activity reach a customer profile. */
export const activityLinkSchema = z.union([
  z
    .object({
      source: z.string().min(1).describe('A data source under unify.sources'),
      column: z.string().min(1).describe("The activity's column holding that source's primary key"),
    })
    .strict()
    .describe("By a unified source's primary key, e.g. orders.customer_id → crm.contact_id"),
  z
    .object({
      attribute: attributeNameSchema.describe('A profile attribute, e.g. Email or CustomerNumber'),
      column: z.string().min(1).describe("The activity's column holding that attribute's value"),
    })
    .strict()
    .describe("By a profile attribute's value, e.g. orders.customer_email → Email"),
])

export const activityDefinitionSchema = z
  .object({
    customer: activityLinkSchema,
    dateColumn: z.string().min(1).optional().describe('When each activity happened'),
    description: z.string().max(500).optional(),
  })
  .strict()

export type ActivityLink = z.infer<typeof activityLinkSchema>

export const unifyConfigSchema = z
  .object({
    defaultCountry: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO 3166 country code such as DK or GB')
      .optional()
      .describe('Country of phone numbers written without a country code'),
    sources: z
      .record(
        z.string(),
        z
          .object({
            attributes: z
              .record(z.string().min(1), attributeNameSchema)
              .describe('Source column → profile attribute, e.g. { first_name: FirstName, e_mail: Email }'),
            updatedAt: z
              .string()
              .min(1)
              .optional()
              .describe('Column saying when a record last changed (for mostRecent)'),
          })
          .strict(),
      )
      .describe('The data sources that take part, and how their columns map to profile attributes'),
    activities: z
      .record(z.string(), activityDefinitionSchema)
      .default({})
      .describe(
        'Data sources of activities (orders, visits, events), by name: linked to customer profiles by a customer key, never unified as people; measures and segments over them use the link',
      ),
    rules: z
      .array(
        z
          .object({
            name: z.string().min(1).max(100),
            conditions: z
              .array(conditionSchema)
              .max(20)
              .default([])
              .describe('All must hold for two records to match (not for a probabilistic rule)'),
            neverMatch: z
              .boolean()
              .optional()
              .describe(
                'Makes this an override: two records are never linked directly unless every condition holds where both have a value (e.g. the same date of birth), whatever the other rules say',
              ),
            probabilistic: z
              .object({
                attributes: z
                  .array(attributeNameSchema)
                  .min(1)
                  .optional()
                  .describe('The attributes compared; by default every mapped attribute but Country'),
                threshold: z
                  .number()
                  .min(0.5)
                  .max(1)
                  .optional()
                  .describe(
                    'The least match probability that joins two records; by default the one with the best expected F1, estimated from the data',
                  ),
                model: z
                  .enum(['estimate', 'keep'])
                  .default('estimate')
                  .describe(
                    "estimate: learn the model from each run's data; keep: use the model the previous run of this rule saved (its comparisons, blocking, m and u, threshold), so that profiles change only where the data did — estimated when there is none",
                  ),
              })
              .strict()
              .optional()
              .describe(
                'Makes this a probabilistic rule (Fellegi–Sunter): how much each attribute agreeing or not says is estimated from the data itself, pairs to compare are chosen by automatic blocking',
              ),
            minScore: z
              .number()
              .min(0)
              .max(1)
              .optional()
              .describe(
                'Makes this a scored rule: records match when the weighted mean similarity of the conditions both records have values for reaches it (at least two such conditions); a missing value neither helps nor hurts',
              ),
            blockOn: z
              .array(attributeNameSchema)
              .optional()
              .describe(
                'Scored rules: compare records that share the normalised value of any of these attributes',
              ),
          })
          .strict()
          .refine((rule) => rule.probabilistic !== undefined || rule.conditions.length > 0, {
            message: 'a rule needs conditions, or probabilistic: {} to let the data decide',
            path: ['conditions'],
          })
          .refine((rule) => !(rule.neverMatch && rule.probabilistic), {
            message: 'a neverMatch rule names conditions; it cannot be probabilistic',
            path: ['neverMatch'],
          }),
      )
      .min(1)
      .describe('Match rules in order: two records match if all conditions of any rule hold'),
    merge: z
      .object({
        default: z.enum(MERGE_POLICIES).default('mostFrequent'),
        sourcePriority: z
          .array(z.string())
          .optional()
          .describe('Sources in order of trust, for sourcePriority'),
        attributes: z.record(attributeNameSchema, z.enum(MERGE_POLICIES)).default({}),
        keepAll: z
          .array(attributeNameSchema)
          .default(['Email', 'Phone'])
          .describe('Attributes whose every distinct value is also kept, as a list (Emails, Phones)'),
      })
      .strict()
      .default({ default: 'mostFrequent', attributes: {}, keepAll: ['Email', 'Phone'] }),
  })
  .strict()
  .describe('Unification: map source columns to profile attributes, match records, merge them into customers')

export type UnifyConfig = z.infer<typeof unifyConfigSchema>
export type MatchCondition = UnifyConfig['rules'][number]['conditions'][number]

/** Problems with references in a unify section: unknown sources, columns or attributes. */
export function unifyReferenceProblems(
  config: UnifyConfig,
  dataSources: ReadonlySet<string>,
): { path: (string | number)[]; message: string; fix: string }[] {
  const problems: { path: (string | number)[]; message: string; fix: string }[] = []
  const mapped = new Set<string>()
  for (const [source, mapping] of Object.entries(config.sources)) {
    if (!dataSources.has(source)) {
      problems.push({
        path: ['unify', 'sources', source],
        message: `data source '${source}' is not defined`,
        fix: `add it under dataSources, or use one of ${[...dataSources].join(', ') || '(none)'}`,
      })
    }
    for (const attribute of Object.values(mapping.attributes)) mapped.add(attribute)
  }
  config.rules.forEach((rule, r) => {
    for (const attribute of rule.blockOn ?? []) {
      if (!rule.conditions.some((c) => c.attribute === attribute))
        problems.push({
          path: ['unify', 'rules', r, 'blockOn'],
          message: `'${attribute}' is not one of this rule's conditions`,
          fix: `block on attributes the rule compares: ${rule.conditions.map((c) => c.attribute).join(', ')}`,
        })
    }
    if (
      rule.blockOn === undefined &&
      rule.minScore !== undefined &&
      !rule.conditions.some((c) => c.precision === 'exact')
    )
      problems.push({
        path: ['unify', 'rules', r, 'blockOn'],
        message: 'a scored rule without exact conditions needs blockOn, or it would compare every pair',
        fix: 'add blockOn: [attributes whose equal values make records worth comparing]',
      })
    for (const attribute of rule.probabilistic?.attributes ?? [])
      if (!mapped.has(attribute) && !derivable(attribute, mapped))
        problems.push({
          path: ['unify', 'rules', r, 'probabilistic', 'attributes'],
          message: `attribute '${attribute}' is not mapped from any source`,
          fix: `map a column to it under unify.sources, or use one of ${[...mapped].sort().join(', ')}`,
        })
    rule.conditions.forEach((condition, c) => {
      if (!mapped.has(condition.attribute) && !derivable(condition.attribute, mapped)) {
        problems.push({
          path: ['unify', 'rules', r, 'conditions', c, 'attribute'],
          message: `attribute '${condition.attribute}' is not mapped from any source`,
          fix: `map a column to it under unify.sources, or use one of ${[...mapped].sort().join(', ')}`,
        })
      }
    })
  })
  for (const [source, activity] of Object.entries(config.activities)) {
    const path = ['unify', 'activities', source]
    if (!dataSources.has(source))
      problems.push({
        path,
        message: `data source '${source}' is not defined`,
        fix: `add it under dataSources, or use one of ${[...dataSources].join(', ') || '(none)'}`,
      })
    if (source in config.sources)
      problems.push({
        path,
        message: `'${source}' is also mapped as people under unify.sources; a source is people or activities`,
        fix: `remove it from unify.sources (its rows reach customers through customer), or from unify.activities`,
      })
    const link = activity.customer
    if ('source' in link && !(link.source in config.sources))
      problems.push({
        path: [...path, 'customer', 'source'],
        message: `'${link.source}' is not a unified source`,
        fix: `link to a source under unify.sources: ${Object.keys(config.sources).join(', ') || '(none)'}`,
      })
    if ('attribute' in link && !mapped.has(link.attribute) && !derivable(link.attribute, mapped))
      problems.push({
        path: [...path, 'customer', 'attribute'],
        message: `attribute '${link.attribute}' is not mapped from any source`,
        fix: `link by an attribute profiles have: ${[...mapped].sort().join(', ')}`,
      })
  }
  for (const source of config.merge.sourcePriority ?? []) {
    if (!(source in config.sources)) {
      problems.push({
        path: ['unify', 'merge', 'sourcePriority'],
        message: `'${source}' is not a unified source`,
        fix: `use sources listed under unify.sources: ${Object.keys(config.sources).join(', ')}`,
      })
    }
  }
  return problems
}

/** FirstName/LastName come from a FullName, and FullName from them. */
export function derivable(attribute: string, mapped: ReadonlySet<string>): boolean {
  if (attribute === 'FirstName' || attribute === 'LastName') return mapped.has('FullName')
  if (attribute === 'FullName') return mapped.has('FirstName') || mapped.has('LastName')
  return false
}
