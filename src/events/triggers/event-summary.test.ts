import { describe, expect, it } from 'vitest'
import { summarizeEvent } from './event-summary.js'

describe('summarizeEvent', () => {
  it('says what happened in one line for every event type, with no raw JSON', () => {
    const lines = {
      'datasource.refresh.succeeded': summarizeEvent('datasource.refresh.succeeded', {
        dataSourceName: 'crm_contacts',
        rowCount: 4420,
        rejectedRowCount: 3,
      }),
      'datasource.refresh.failed': summarizeEvent('datasource.refresh.failed', {
        dataSourceName: 'crm_contacts',
        error: { code: 'RefreshShrank', message: 'the new data has 0 rows' },
      }),
      'segment.threshold.crossed': summarizeEvent('segment.threshold.crossed', {
        name: 'HighValueCustomers',
        dimension: null,
        threshold: 100,
        direction: 'up',
        previousValue: 97,
        value: 1234,
      }),
      'unify.completed': summarizeEvent('unify.completed', {
        status: 'succeeded',
        unifiedProfiles: 5000,
        sourceRecords: 12000,
        durationMs: 2300,
      }),
      'refresh.full.completed': summarizeEvent('refresh.full.completed', {
        status: 'failed',
        failedStep: 'unify',
        error: { code: 'X', message: 'boom' },
      }),
      'flow.run.failed': summarizeEvent('flow.run.failed', {
        flowName: 'Alert',
        failedAction: 'Post',
        error: { code: 'Http500', message: 'server error' },
      }),
    }
    expect(lines).toEqual({
      'datasource.refresh.succeeded': 'crm_contacts: 4,420 rows, 3 rejected',
      'datasource.refresh.failed': 'crm_contacts: RefreshShrank: the new data has 0 rows',
      'segment.threshold.crossed': 'HighValueCustomers reached 100: 97 → 1,234',
      'unify.completed': '5,000 profiles from 12,000 records in 2.3 s',
      'refresh.full.completed': 'failed at unify: X: boom',
      'flow.run.failed': 'Alert at Post: Http500: server error',
    })
  })
})
