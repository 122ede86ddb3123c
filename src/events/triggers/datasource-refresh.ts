import { z } from 'zod'
import { errorField, IN_INSTANCE, instanceField, pickList, shown, timestamp } from './fields.js'
import { defineTrigger } from './trigger-definition.js'

const payload = z.object({
  instanceId: instanceField('The instance the data source belongs to'),
  dataSourceName: shown(z.string(), 'Data source name', 'The data source that was refreshed'),
  refreshId: shown(z.string(), 'Refresh ID', 'Identifies the refresh in the refresh history'),
  startedAt: timestamp('Started at', 'When the refresh started'),
  completedAt: timestamp('Completed at', 'When the refresh ended'),
  rowCount: shown(
    z.number().int().nullable(),
    'Row count',
    'Rows published (failed refreshes: rows read, if known)',
  ),
  rejectedRowCount: shown(z.number().int().nullable(), 'Rejected row count', 'Rows rejected as malformed'),
  error: errorField('Why the refresh failed; empty when it succeeded', 'ColumnNotFound or FileNotFound'),
})

/** Payload of `datasource.refresh.succeeded` and `datasource.refresh.failed`. */
export type DataSourceRefreshEventData = z.infer<typeof payload>

const parameters = z
  .object({
    dataSourceName: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({
        'x-ms-summary': 'Data source name',
        description: 'Only this data source; leave empty for all',
        'x-ms-visibility': 'important',
        ...pickList('GetDataSources', IN_INSTANCE),
      }),
  })
  .strict()

const refreshTrigger = <Type extends string>(
  type: Type,
  operationId: string,
  summary: string,
  description: string,
) =>
  defineTrigger({
    type,
    operationId,
    summary,
    description,
    payload,
    parameters,
    references: (p: z.infer<typeof parameters>) =>
      p.dataSourceName === undefined
        ? []
        : [{ kind: 'dataSource' as const, name: p.dataSourceName, parameter: 'dataSourceName' }],
    offered: true,
    matches: (data, p) => p.dataSourceName === undefined || p.dataSourceName === data.dataSourceName,
  })

export const dataSourceRefreshFailed = refreshTrigger(
  'datasource.refresh.failed',
  'OnDataSourceRefreshFailed',
  'When a data source refresh failed',
  'Fires when a refresh of a data source fails; the previous data stays published.',
)

export const dataSourceRefreshSucceeded = refreshTrigger(
  'datasource.refresh.succeeded',
  'OnDataSourceRefreshSucceeded',
  'When a data source refresh succeeded',
  'Fires when a refresh of a data source publishes a new version of its entity.',
)
