import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEMO_FILE_NAMES, type DemoSummary, demoFiles, generateDemoData } from './generate-demo-data.js'

export const DEMO_INSTANCE_ID = 'demo'

/** The demo's writable entity: notes flows attach to customers (Create item / Update item). */
export const DEMO_NOTES_ENTITY = {
  name: 'CustomerNotes',
  keyColumn: 'noteId',
  columns: [
    { name: 'noteId', type: 'VARCHAR' },
    { name: 'contactId', type: 'VARCHAR' },
    { name: 'text', type: 'VARCHAR' },
    { name: 'followUp', type: 'BOOLEAN' },
    { name: 'createdAt', type: 'TIMESTAMP' },
  ],
}

/** The demo instance as configuration code; paths are relative to this file's folder. */
export function demoConfigYaml(): string {
  return `# yaml-language-server: $schema=https://openinsights.dev/schema/openinsights.schema.json
# Written by 'openinsights start --demo' on every start: copy it elsewhere to edit it.
version: 1
instance:
  id: ${DEMO_INSTANCE_ID}
  name: Contoso (demo)
dataSources:
  crm_contacts:
    description: Contacts exported from the CRM
    kind: csv
    primaryKey: contact_id
    options:
      path: ${DEMO_FILE_NAMES.crmContacts}
      delimiter: ","
    columnTypes:
      birth_date: DATE
  webshop_orders:
    description: Orders from the web shop, with the buyer's details as typed at checkout
    kind: parquet
    primaryKey: order_id
    options:
      path: ${DEMO_FILE_NAMES.webshopOrders}
  loyalty_members:
    description: Members of the loyalty programme
    kind: ndjson
    primaryKey: member_id
    options:
      path: ${DEMO_FILE_NAMES.loyaltyMembers}
    columnTypes:
      joined_at: TIMESTAMPTZ
# One profile per person: columns mapped to profile attributes, match rules tried in order
# (records match when every condition of some rule holds), and how each attribute's value is chosen.
unify:
  defaultCountry: DK
  sources:
    crm_contacts:
      updatedAt: updated_at
      attributes:
        first_name: FirstName
        last_name: LastName
        email: Email
        phone: Phone
        street: Address1
        city: City
        postal_code: PostalCode
        country: Country
        birth_date: DateOfBirth
    webshop_orders:
      updatedAt: order_date
      attributes:
        customer_name: FullName
        customer_email: Email
        phone: Phone
        shipping_street: Address1
        shipping_city: City
        shipping_postal_code: PostalCode
        shipping_country: Country
    loyalty_members:
      updatedAt: joined_at
      attributes:
        full_name: FullName
        email: Email
        mobile: Phone
        zip: PostalCode
        city: City
        country: Country
        birthday: DateOfBirth
  rules:
    - name: same email
      conditions:
        - { attribute: Email, normalize: [email] }
    - name: same phone, similar last name
      conditions:
        - { attribute: Phone, normalize: [phone] }
        - { attribute: LastName, normalize: [name], precision: fuzzy, threshold: 0.85 }
    - name: same postcode, similar names
      conditions:
        - { attribute: PostalCode, normalize: [numerals] }
        - { attribute: FirstName, normalize: [name], precision: fuzzy, threshold: 0.88 }
        - { attribute: LastName, normalize: [name], precision: fuzzy, threshold: 0.9 }
  merge:
    default: mostFrequent
    attributes:
      Address1: mostRecent
    keepAll: [Email, Phone]
# Measures: business-level (one value, or one per dimension value) and customer-level (one value
# per CustomerId, published as CustomerMeasures). Thresholds raise measure.threshold.crossed.
measures:
  TotalRevenue:
    description: Revenue of every web-shop order
    entity: webshop_orders
    aggregation: sum
    column: total_amount
    thresholds: [1000000, 100000000]
  RevenueByCountry:
    description: Revenue per shipping country
    entity: webshop_orders
    aggregation: sum
    column: total_amount
    groupBy: shipping_country
    thresholds: [1000000]
  AppOrdersLastYear:
    description: Orders placed in the app during the last 365 days
    entity: webshop_orders
    aggregation: count
    filter: channel eq 'app'
    window: { column: order_date, last: 365d }
  LifetimeValue:
    description: What each customer has spent in the web shop
    kind: customer
    entity: webshop_orders
    aggregation: sum
    column: total_amount
  OrderCount:
    kind: customer
    entity: webshop_orders
    aggregation: count
# Segments: rules over profile attributes, customer measures and activity within a time window.
segments:
  HighValueCustomers:
    description: Customers who have spent 10,000 or more
    filter: LifetimeValue ge 10000
    thresholds: [100, 10000]
  DanishRegulars:
    description: Danish customers with three or more orders
    filter: Country eq 'DK' and OrderCount ge 3
  RecentAppBuyers:
    description: Customers who ordered in the app in the last two years, or have gold loyalty status
    filter: RecentAppOrders ge 1 or GoldMember ge 1
    activities:
      RecentAppOrders:
        entity: webshop_orders
        dateColumn: order_date
        within: 2y
        filter: channel eq 'app'
      GoldMember:
        entity: loyalty_members
        dateColumn: joined_at
        within: 20y
        filter: tier eq 'gold'
`
}

/**
 * Makes sure `home/demo-data` holds the demo's files and config. Existing data is kept, so a
 * second start is fast and a file a person broke on purpose stays broken.
 */
export async function prepareDemo(
  home: string,
): Promise<{ directory: string; configFile: string; generated: DemoSummary | null }> {
  const directory = join(home, 'demo-data')
  const files = demoFiles(directory)
  // The people file is for benchmarks only; a demo made before it existed is complete without it.
  const { groundTruthPeople: _people, ...needed } = files
  const complete = Object.values(needed).every((file) => existsSync(file))
  const generated = complete ? null : await generateDemoData(directory)
  const configFile = join(directory, 'openinsights.yaml')
  writeFileSync(configFile, demoConfigYaml())
  return { directory, configFile, generated }
}
