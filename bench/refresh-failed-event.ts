/** The datasource.refresh.failed payload bench:flows' events carry; `refreshId` identifies each at the sink. */
export const refreshFailedEvent = (refreshId: string) => ({
  instanceId: 'bench',
  dataSourceName: 'crm',
  refreshId,
  startedAt: '',
  completedAt: '',
  rowCount: null,
  rejectedRowCount: null,
  error: { code: 'X', message: 'x' },
})
