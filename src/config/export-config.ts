import { stringify } from 'yaml'
import { notFound } from '../errors.js'
import { getRefreshSchedule } from '../pipeline/refresh-schedule.js'
import { publicSourceOptions } from '../pipeline/sources/source-secrets.js'
import type { SecretBox } from '../secrets/index.js'
import { type DataSource, listDataSources } from '../store/data-sources.js'
import type { DbOrTx } from '../store/database.js'
import { listFlows } from '../store/flows.js'
import { getInsightConfig } from '../store/insights.js'
import { getInstance } from '../store/instances.js'
import { getUnifyConfig } from '../store/unify.js'
import type { ConfigDocument } from './config-schema.js'

/** The configuration document that describes an instance as stored: `apply` of it changes nothing. */
export async function exportConfig(
  { db, secrets }: { db: DbOrTx; secrets: SecretBox },
  instanceId: string,
): Promise<ConfigDocument> {
  const instance = await getInstance(db, instanceId)
  if (!instance) throw notFound('Instance', instanceId)
  const sources = await listDataSources(db, instanceId)
  const unify = await getUnifyConfig(db, instanceId)
  const insights = await getInsightConfig(db, instanceId)
  const schedule = await getRefreshSchedule(db, instanceId)
  const flows = await listFlows(db, instanceId)
  return {
    version: 1,
    instance: { id: instance.id, name: instance.name },
    dataSources: Object.fromEntries(
      sources.map((s) => [s.name, exportedSource(s, secrets)]),
    ) as ConfigDocument['dataSources'],
    ...(unify ? { unify: unify as ConfigDocument['unify'] } : {}),
    ...(schedule ? { schedule } : {}),
    flows: Object.fromEntries(flows.map((f) => [f.name, f.definition])) as ConfigDocument['flows'],
    measures: (insights?.measures ?? {}) as ConfigDocument['measures'],
    segments: (insights?.segments ?? {}) as ConfigDocument['segments'],
  }
}

/** A data source as the document writes it: credentials masked (applying it keeps the stored ones). */
export function exportedSource(
  source: Pick<
    DataSource,
    'kind' | 'primaryKey' | 'options' | 'columnTypes' | 'rejectRatio' | 'maxShrink' | 'schedule'
  >,
  secrets: SecretBox,
) {
  return {
    kind: source.kind,
    primaryKey: source.primaryKey,
    options: publicSourceOptions(source.kind, source.options, secrets),
    columnTypes: source.columnTypes,
    rejectRatio: source.rejectRatio,
    maxShrink: source.maxShrink,
    ...(source.schedule ? { schedule: source.schedule } : {}),
  }
}

export function configToYaml(config: ConfigDocument, schemaUrl?: string): string {
  const header = schemaUrl ? `# yaml-language-server: $schema=${schemaUrl}\n` : ''
  return header + stringify(config, { lineWidth: 0 })
}
