import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createDuckDb, literal, SqlSession, sql } from '../query/index.js'
import { ascii, makePeople, type Person } from './demo-people.js'
import { Random } from './random.js'
import { formatPhone, typo, varyEmail, varyFirstName, varyLastName } from './typos.js'

export interface DemoFiles {
  crmContacts: string
  webshopOrders: string
  loyaltyMembers: string
  groundTruth: string
  /** Each person's true name, email and phone (E.164): what merged profiles should show. */
  groundTruthPeople: string
}

export const DEMO_FILE_NAMES = {
  crmContacts: 'crm-contacts.csv',
  webshopOrders: 'webshop-orders.parquet',
  loyaltyMembers: 'loyalty-members.ndjson',
  groundTruth: 'ground-truth.csv',
  groundTruthPeople: 'ground-truth-people.csv',
} as const

export interface DemoSummary {
  people: number
  crmContacts: number
  webshopOrders: number
  loyaltyMembers: number
}

/**
 * Writes the demo's three sources — CRM contacts (CSV), web-shop orders (Parquet) and loyalty
 * members (NDJSON) — in which the same people appear several times with typos, nicknames, lost
 * accents and other formats, plus `ground-truth.csv`: which record is which person.
 */
export async function generateDemoData(
  directory: string,
  options: { people?: number; seed?: number } = {},
): Promise<DemoSummary> {
  const random = new Random(options.seed ?? 20261124)
  const people = makePeople(random, options.people ?? 5000)
  mkdirSync(directory, { recursive: true })
  const truth: string[] = ['source,key,person_id']

  // CRM contacts: most people, a few entered twice.
  const crm: string[] = [
    'contact_id,first_name,last_name,email,phone,street,city,postal_code,country,birth_date,created_at,updated_at',
  ]
  let contactId = 100000
  for (const person of people) {
    if (!random.chance(0.85)) continue
    const copies = random.chance(0.05) ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      const key = `C${++contactId}`
      const first = copy === 0 ? person.firstName : varyFirstName(random, person.firstName)
      const last = copy === 0 ? person.lastName : varyLastName(random, person.lastName)
      const created = dateBetween(random, 2018, 2024)
      crm.push(
        csvRow([
          key,
          first,
          last,
          copy === 0 ? person.email : varyEmail(random, person.email),
          random.chance(0.9) ? formatPhone(random, person.country.callingCode, person.phoneDigits) : '',
          `${person.street} ${person.houseNumber}`,
          person.city,
          person.postalCode,
          person.country.code,
          random.chance(0.8) ? person.birthDate : '',
          created,
          laterThan(random, created),
        ]),
      )
      truth.push(`crm_contacts,${key},${person.id}`)
    }
  }

  // Web-shop orders: each buyer's identity is typed in at checkout, so it varies per order.
  const orders: string[] = [
    'order_id,customer_email,customer_name,phone,shipping_street,shipping_city,shipping_postal_code,shipping_country,order_date,total_amount,currency,channel,product_category',
  ]
  let orderId = 5000000
  for (const person of people) {
    if (!random.chance(0.6)) continue
    const count = random.int(1, 8)
    for (let n = 0; n < count; n++) {
      const key = `O${++orderId}`
      const first = varyFirstName(random, person.firstName)
      const last = varyLastName(random, person.lastName)
      orders.push(
        csvRow([
          key,
          random.chance(0.95) ? varyEmail(random, person.email) : '',
          random.chance(0.2) ? `${last}, ${first}` : `${first} ${last}`,
          random.chance(0.7) ? formatPhone(random, person.country.callingCode, person.phoneDigits) : '',
          random.chance(0.1)
            ? `${typo(random, person.street)} ${person.houseNumber}`
            : `${person.street} ${person.houseNumber}`,
          random.chance(0.1) ? ascii(person.city) : person.city,
          person.postalCode,
          person.country.code,
          `${dateBetween(random, 2022, 2026)} ${String(random.int(7, 22)).padStart(2, '0')}:${String(random.int(0, 59)).padStart(2, '0')}:00`,
          (random.int(900, 250000) / 100).toFixed(2),
          currencyOf(person),
          random.pick(['web', 'web', 'app']),
          random.pick(['apparel', 'shoes', 'home', 'beauty', 'electronics', 'sports', 'toys']),
        ]),
      )
      truth.push(`webshop_orders,${key},${person.id}`)
    }
  }

  // Loyalty members: full names, mobile numbers in local formats, birthdays as DD/MM/YYYY.
  const loyalty: string[] = []
  let memberId = 0
  for (const person of people) {
    if (!random.chance(0.45)) continue
    const key = `L-${String(++memberId).padStart(6, '0')}`
    const [y, m, d] = person.birthDate.split('-')
    const record = {
      member_id: key,
      full_name: `${varyFirstName(random, person.firstName)} ${varyLastName(random, person.lastName)}`,
      email: random.chance(0.85) ? varyEmail(random, person.email) : null,
      mobile: formatPhone(random, person.country.callingCode, person.phoneDigits),
      zip: person.postalCode,
      city: random.chance(0.15) ? ascii(person.city) : person.city,
      country: person.country.code,
      birthday: random.chance(0.7) ? `${d}/${m}/${y}` : null,
      tier: random.pick(['bronze', 'bronze', 'bronze', 'silver', 'silver', 'gold']),
      points: random.int(0, 25000),
      joined_at: `${dateBetween(random, 2019, 2026)}T${String(random.int(8, 20)).padStart(2, '0')}:00:00Z`,
    }
    loyalty.push(JSON.stringify(record))
    truth.push(`loyalty_members,${key},${person.id}`)
  }

  const files = demoFiles(directory)
  writeFileSync(files.crmContacts, `${crm.join('\n')}\n`)
  writeFileSync(files.loyaltyMembers, `${loyalty.join('\n')}\n`)
  writeFileSync(files.groundTruth, `${truth.join('\n')}\n`)
  writeFileSync(
    files.groundTruthPeople,
    `${[
      'person_id,first_name,last_name,email,phone',
      ...people.map((p) =>
        csvRow([String(p.id), p.firstName, p.lastName, p.email, `+${p.country.callingCode}${p.phoneDigits}`]),
      ),
    ].join('\n')}\n`,
  )
  await writeOrdersParquet(orders, files.webshopOrders, directory)
  return {
    people: people.length,
    crmContacts: crm.length - 1,
    webshopOrders: orders.length - 1,
    loyaltyMembers: loyalty.length,
  }
}

export function demoFiles(directory: string): DemoFiles {
  return {
    crmContacts: join(directory, DEMO_FILE_NAMES.crmContacts),
    webshopOrders: join(directory, DEMO_FILE_NAMES.webshopOrders),
    loyaltyMembers: join(directory, DEMO_FILE_NAMES.loyaltyMembers),
    groundTruth: join(directory, DEMO_FILE_NAMES.groundTruth),
    groundTruthPeople: join(directory, DEMO_FILE_NAMES.groundTruthPeople),
  }
}

async function writeOrdersParquet(lines: string[], target: string, directory: string): Promise<void> {
  const csv = join(directory, '.orders.tmp.csv')
  writeFileSync(csv, `${lines.join('\n')}\n`)
  const duck = await createDuckDb()
  const session = await SqlSession.open(duck)
  try {
    await session.run(sql`copy (
      select * replace (cast(order_date as timestamp) as order_date, cast(total_amount as decimal(10,2)) as total_amount)
      from read_csv(${literal(csv)}, header = true, all_varchar = true)
    ) to ${literal(`${target}.tmp`)} (format parquet)`)
    renameSync(`${target}.tmp`, target)
  } finally {
    session.close()
    duck.closeSync()
    rmSync(csv, { force: true })
  }
}

function csvRow(values: string[]): string {
  return values.map((v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',')
}

function dateBetween(random: Random, fromYear: number, toYear: number): string {
  return `${random.int(fromYear, toYear)}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`
}

function laterThan(random: Random, date: string): string {
  const [y] = date.split('-')
  return `${Math.min(Number(y) + random.int(0, 2), 2026)}-${date.slice(5)}`
}

function currencyOf(person: Person): string {
  return { DK: 'DKK', SE: 'SEK', DE: 'EUR', GB: 'GBP' }[person.country.code] ?? 'EUR'
}
