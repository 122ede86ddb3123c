import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Runtime } from '../../src/runtime/index.js'
import type { ApiApp } from '../../src/server/index.js'
import { odataServer, publishRows } from '../helpers/entity-fixture.js'
import type { TestStore } from '../helpers/test-store.js'

/**
 * Filters as Power Automate makers write them — in Dataverse "List rows" (the examples of
 * Microsoft's "Filter rows using OData" and its query functions), in SharePoint "Get items"
 * (OData 3 typed literals, substringof) and with expressions a flow fills in — against an entity
 * shaped like Dataverse's accounts, each with the rows it must return.
 */
const DAY = 86_400_000
const now = Date.now()
const at = (ms: number) => new Date(ms).toISOString()
const today = now - (now % DAY)

const COLUMNS = [
  { name: 'accountid', type: 'VARCHAR' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'revenue', type: 'DECIMAL(18,2)' },
  { name: 'numberofemployees', type: 'INTEGER' },
  { name: 'statecode', type: 'INTEGER' },
  { name: 'createdon', type: 'TIMESTAMP WITH TIME ZONE' },
  { name: 'emailaddress1', type: 'VARCHAR' },
  { name: 'address1_city', type: 'VARCHAR' },
  { name: '_parentaccountid_value', type: 'VARCHAR' },
  { name: 'firstname', type: 'VARCHAR' },
  { name: 'lastname', type: 'VARCHAR' },
  { name: 'donotemail', type: 'BOOLEAN' },
]
const ROWS = [
  {
    accountid: '0bf5a4c4-0000-4000-8000-000000000001',
    name: 'Contoso (sample)',
    revenue: 250000.5,
    numberofemployees: 1200,
    statecode: 0,
    createdon: at(Math.max(today, now - 60_000)),
    emailaddress1: 'info@contoso.com',
    address1_city: 'Redmond',
    _parentaccountid_value: null,
    firstname: 'Ann',
    lastname: 'Ann',
    donotemail: false,
  },
  {
    accountid: '0bf5a4c4-0000-4000-8000-000000000002',
    name: 'Fabrikam, Inc.',
    revenue: 99000,
    numberofemployees: 4,
    statecode: 0,
    createdon: at(today - 3 * DAY),
    emailaddress1: 'sales@fabrikam.com',
    address1_city: 'Seattle',
    _parentaccountid_value: '0BF5A4C4-0000-4000-8000-000000000001',
    firstname: "O'Brian",
    lastname: 'Smith',
    donotemail: true,
  },
  {
    accountid: '0bf5a4c4-0000-4000-8000-000000000003',
    name: 'Litware test',
    revenue: null,
    numberofemployees: 50,
    statecode: 1,
    createdon: at(today - 40 * DAY),
    emailaddress1: null,
    address1_city: 'Bellevue',
    _parentaccountid_value: null,
    firstname: 'Bo',
    lastname: 'Bo',
    donotemail: null,
  },
]

const id = (n: number) => `0bf5a4c4-0000-4000-8000-00000000000${n}`
const weekAgo = at(today - 7 * DAY)
const dayOf = (ms: number) => at(ms).slice(0, 10)

/** Each filter and the rows (by the last digit of accountid) it returns. */
const FILTERS: [string, number[]][] = [
  ['revenue eq 99000', [2]],
  ['revenue ne 99000', [1, 3]],
  ['revenue gt 100000', [1]],
  ['revenue ge 99000', [1, 2]],
  ['revenue lt 100000 and revenue gt 2000', [2]],
  ['revenue le 250000.50', [1, 2]],
  ["contains(name,'(sample)') or contains(name,'test')", [1, 3]],
  ["not contains(name,'sample')", [2, 3]],
  ["(contains(name,'sample') or contains(name,'test')) and revenue gt 5000", [1]],
  ["endswith(name,'Inc.')", [2]],
  ["startswith(name,'F')", [2]],
  ['firstname eq lastname', [1, 3]],
  ['Microsoft.Dynamics.CRM.Between(PropertyName=\'numberofemployees\',PropertyValues=["5","2000"])', [1, 3]],
  ["Microsoft.Dynamics.CRM.NotBetween(PropertyName='numberofemployees',PropertyValues=['5','2000'])", [2]],
  ['Microsoft.Dynamics.CRM.In(PropertyName=\'address1_city\',PropertyValues=["Redmond","Seattle"])', [1, 2]],
  ["Microsoft.Dynamics.CRM.NotIn(PropertyName='address1_city',PropertyValues=['Redmond'])", [2, 3]],
  ["Microsoft.Dynamics.CRM.Today(PropertyName='createdon')", [1]],
  ["Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)", [1, 2]],
  ["Microsoft.Dynamics.CRM.Last7Days(PropertyName='createdon')", [1, 2]],
  ["Microsoft.Dynamics.CRM.OlderThanXDays(PropertyName='createdon',PropertyValue=30)", [3]],
  [
    "Microsoft.Dynamics.CRM.OnOrAfter(PropertyName='createdon',PropertyValue='" +
      dayOf(today - 3 * DAY) +
      "')",
    [1, 2],
  ],
  ["Microsoft.Dynamics.CRM.On(PropertyName='createdon',PropertyValue='" + dayOf(today - 3 * DAY) + "')", [2]],
  [
    "Microsoft.Dynamics.CRM.OnOrBefore(PropertyName='createdon',PropertyValue='" +
      dayOf(today - 3 * DAY) +
      "')",
    [2, 3],
  ],
  ["lastname eq 'O''Brian'", []],
  ["firstname eq 'O''Brian'", [2]],
  ['statecode eq 0', [1, 2]],
  ['statecode eq 0 and numberofemployees gt 100', [1]],
  ['_parentaccountid_value eq 0bf5a4c4-0000-4000-8000-000000000001', [2]],
  ["_parentaccountid_value eq '0bf5a4c4-0000-4000-8000-000000000001'", []],
  ['_parentaccountid_value eq null', [1, 3]],
  ['_parentaccountid_value ne null', [2]],
  ['accountid eq 0BF5A4C4-0000-4000-8000-000000000003', [3]],
  ['emailaddress1 eq null', [3]],
  ["emailaddress1 ne null and emailaddress1 ne ''", [1, 2]],
  ["contains(emailaddress1,'@contoso.com')", [1]],
  [`createdon ge ${weekAgo}`, [1, 2]],
  [`createdon ge '${weekAgo}'`, [1, 2]],
  // What @{addDays(utcNow(), -7)} writes: seven digits of fractional seconds.
  [`createdon gt ${at(today - 7 * DAY).replace('.000Z', '.0000000Z')}`, [1, 2]],
  [`createdon lt ${dayOf(today - 7 * DAY)}`, [3]],
  [`date(createdon) eq ${dayOf(today - 3 * DAY)}`, [2]],
  [
    `year(createdon) eq year(now())`,
    ROWS.filter((r) => new Date(r.createdon).getUTCFullYear() === new Date().getUTCFullYear()).map((r) =>
      Number(r.accountid.at(-1)),
    ),
  ],
  ["tolower(address1_city) eq 'redmond'", [1]],
  ['length(name) gt 14', [1]],
  ['donotemail eq true', [2]],
  ['donotemail ne true', [1, 3]],
  ['not donotemail', [1, 3]],
  [`createdon ge datetime'${weekAgo.slice(0, 19)}'`, [1, 2]],
  ["substringof('Redmond', address1_city)", [1]],
  ['numberofemployees mod 2 eq 0', [1, 2, 3]],
  ['round(revenue div 1000) eq 250', [1]],
]

let store: TestStore
let runtime: Runtime
let app: ApiApp
let key: string

beforeAll(async () => {
  ;({ store, runtime, app, key } = await odataServer('makers'))
  await publishRows(store, runtime, 'accounts', COLUMNS, ROWS, 'accountid')
}, 60_000)
afterAll(async () => {
  await app?.close()
  await store?.dispose()
})

describe("makers' filters", () => {
  it('accepts each and returns the rows it means', async () => {
    const wrong: string[] = []
    for (const [filter, expected] of FILTERS) {
      const response = await app.inject({
        method: 'GET',
        url: `/api/v1/instances/acme/data/accounts?$filter=${encodeURIComponent(filter)}&$select=accountid`,
        headers: { 'x-api-key': key },
      })
      if (response.statusCode !== 200) {
        wrong.push(`${filter}: ${response.statusCode} ${response.json().error?.message}`)
        continue
      }
      const got = (response.json().value as { accountid: string }[])
        .map((r) => Number(r.accountid.at(-1)))
        .sort()
      if (JSON.stringify(got) !== JSON.stringify(expected))
        wrong.push(`${filter}: ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
    }
    expect(wrong).toEqual([])
    expect(FILTERS.length).toBeGreaterThanOrEqual(48)
    expect(id(1)).toBe(ROWS[0]?.accountid)
  })
})
