import { AppError } from '../../errors.js'
import { unknownName } from '../../names.js'
import { listDataSources } from '../../store/data-sources.js'
import type { DbOrTx } from '../../store/database.js'
import { getInsightConfig } from '../../store/insights.js'
import { triggerOf } from './index.js'

const WHAT = {
  dataSource: ['data source', 'data sources'],
  segment: ['segment', 'segments'],
  businessMeasure: ['business measure', 'business measures'],
} as const

/**
 * Refuses (InvalidReference, with the nearest name) trigger parameters that name a data source,
 * segment or business measure the instance does not have, so a subscription or flow cannot wait
 * for an event that will never come. `at` prefixes the target (`trigger.parameters` for a flow, nothing for a subscription).
 */
export async function assertTriggerReferences(
  db: DbOrTx,
  instanceId: string,
  eventType: string,
  parameters: Record<string, unknown>,
  at = '',
): Promise<void> {
  const trigger = triggerOf(eventType)
  if (!trigger?.references) return
  const parsed = trigger.parameters.safeParse(parameters)
  if (!parsed.success) return // Reported by the parameters' own validation.
  const references = trigger.references(parsed.data)
  if (references.length === 0) return
  let names: Record<keyof typeof WHAT, string[]> | undefined
  for (const reference of references) {
    names ??= await existing(db, instanceId)
    const candidates = names[reference.kind]
    if (candidates.includes(reference.name)) continue
    const [one, many] = WHAT[reference.kind]
    const target = at ? `${at}.${reference.parameter}` : reference.parameter
    throw new AppError(
      'InvalidReference',
      `${target}: ${unknownName(one, reference.name, candidates, many)}`,
      {
        target,
      },
    )
  }
}

async function existing(db: DbOrTx, instanceId: string): Promise<Record<keyof typeof WHAT, string[]>> {
  const insights = await getInsightConfig(db, instanceId)
  const measures = Object.entries((insights?.measures ?? {}) as Record<string, { kind?: string }>)
  return {
    dataSource: (await listDataSources(db, instanceId)).map((s) => s.name).sort(),
    segment: Object.keys(insights?.segments ?? {}).sort(),
    businessMeasure: measures
      .filter(([, m]) => m.kind !== 'customer')
      .map(([name]) => name)
      .sort(),
  }
}
