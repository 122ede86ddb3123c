/**
 * Three exports of the same people from three systems nobody here designed: a CRM (German
 * headers, day-first dates, landlines), a web shop ("Last, First" names in one column, mobiles
 * written every which way) and a loyalty club (Spanish headers, yyyymmdd dates, nicknames). People
 * live in households that share a surname, a landline, an address and sometimes an email; some
 * are in one system twice. The ground truth (source, key, person) is written beside them.
 *
 * For bench:unify's auto mode: what a new user's own exports look like, not our demo's.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const FIRST: [string, string[]][] = [
  ['William', ['Bill', 'Will']],
  ['Robert', ['Bob', 'Rob']],
  ['Katherine', ['Kate', 'Kathy']],
  ['Elizabeth', ['Liz', 'Beth']],
  ['Margaret', ['Maggie', 'Meg']],
  ['Thomas', ['Tom']],
  ['Michael', ['Mike']],
  ['Christopher', ['Chris']],
  ['Jennifer', ['Jenny']],
  ['Alexander', ['Alex']],
  ['Johanna', ['Hanna']],
  ['Søren', []],
  ['Björn', []],
  ['Ingrid', []],
  ['Lucía', []],
  ['José', []],
  ['Mette', []],
  ['Anders', []],
  ['Frida', []],
  ['Mateo', []],
  ['Sofía', []],
  ['Astrid', []],
  ['Nils', []],
  ['Greta', []],
  ['Pablo', []],
  ['Emma', []],
  ['Oliver', []],
  ['Noah', []],
  ['Clara', []],
  ['Hugo', []],
]
const LAST = [
  'Müller',
  'Schmidt',
  'Jensen',
  'Nielsen',
  'Hansen',
  'Lindström',
  'Andersson',
  'García López',
  'Fernández',
  'Martínez Ruiz',
  'Smith',
  'Johnson',
  'Brown',
  'Weber',
  'Wagner',
  'Becker',
  'Larsen',
  'Olsen',
  'Pedersen',
  'Romero',
  'Navarro',
  'Svensson',
  'Berg',
  'Holm',
  'Dahl',
  'Fischer',
  'Koch',
  'Richter',
  'Klein',
  'Wolf',
  'Schröder',
  'Neumann',
  'Schwarz',
  'Zimmermann',
  'Braun',
  'Hofmann',
  'Hartmann',
  'Lange',
  'Schmitt',
  'Werner',
]
const STREETS = [
  'Hauptstraße',
  'Gartenweg',
  'Calle Mayor',
  'Storgatan',
  'Vestergade',
  'High Street',
  'Bahnhofstraße',
]
const CITIES: [string, string][] = [
  ['Berlin', '10115'],
  ['Hamburg', '20095'],
  ['München', '80331'],
  ['Köln', '50667'],
  ['Madrid', '28001'],
  ['Sevilla', '41001'],
  ['Stockholm', '11120'],
  ['Göteborg', '41101'],
  ['Aarhus', '8000'],
  ['Odense', '5000'],
]

interface Person {
  id: string
  first: string
  nick: string | undefined
  last: string
  born: Date
  landline: string
  mobile: string
  email: string
  street: string
  city: string
  zip: string
}

export async function generateExports(dir: string, people = 3000, seed = 42): Promise<void> {
  let state = seed
  const random = () => {
    state = (state * 48271) % 2147483647
    return state / 2147483647
  }
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T
  const chance = (p: number) => random() < p
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('')
  const typo = (s: string) => {
    if (s.length < 4) return s
    const i = 1 + Math.floor(random() * (s.length - 2))
    return chance(0.5) ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2)
  }
  const ascii = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace('ø', 'o')
      .replace('ß', 'ss')
  const everyone: Person[] = []
  while (everyone.length < people) {
    // A household: one to three people sharing surname, landline, address and (often) an email.
    const last = pick(LAST)
    const [city, zip] = pick(CITIES)
    const street = `${pick(STREETS)} ${1 + Math.floor(random() * 120)}`
    const landline = `${digits(8)}`
    const familyMail = chance(0.3)
      ? `${ascii(last).toLowerCase().replace(/ /g, '')}.family@example.net`
      : undefined
    const size = 1 + Math.floor(random() * random() * 3.5)
    const firsts = new Set<string>()
    for (let k = 0; k < size && everyone.length < people; k++) {
      let entry = pick(FIRST)
      while (firsts.has(entry[0])) entry = pick(FIRST)
      firsts.add(entry[0])
      const n = everyone.length
      everyone.push({
        id: `P${n}`,
        first: entry[0],
        nick: entry[1].length ? pick(entry[1]) : undefined,
        last,
        born: new Date(
          Date.UTC(
            1940 + Math.floor(random() * 65),
            Math.floor(random() * 12),
            1 + Math.floor(random() * 28),
          ),
        ),
        landline,
        mobile: digits(8),
        email:
          familyMail && k > 0
            ? familyMail
            : `${ascii(entry[0]).toLowerCase()}.${ascii(last).toLowerCase().replace(/ /g, '')}${n}@example.com`,
        street,
        city,
        zip,
      })
    }
  }
  const truth: string[] = ['source,key,person_id']
  const pad = (x: number) => String(x).padStart(2, '0')
  const csv = (rows: (string | undefined)[][]) =>
    rows
      .map((r) =>
        r
          .map((v) => (v === undefined ? '' : /[",;\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v))
          .join(','),
      )
      .join('\n')

  // CRM: German headers, dd.mm.yyyy, landline as +49 30 …, in-source duplicates.
  const crm: (string | undefined)[][] = [
    ['Kundennummer', 'Vorname', 'Familienname', 'Geburtsdatum', 'Telefon', 'EMail', 'Strasse', 'PLZ', 'Ort'],
  ]
  let crmId = 1000
  for (const p of everyone) {
    if (!chance(0.8)) continue
    const copies = chance(0.05) ? 2 : 1
    for (let c = 0; c < copies; c++) {
      const key = `K${crmId++}`
      crm.push([
        key,
        c === 1 && chance(0.5) ? typo(p.first) : p.first,
        p.last,
        chance(0.9)
          ? `${pad(p.born.getUTCDate())}.${pad(p.born.getUTCMonth() + 1)}.${p.born.getUTCFullYear()}`
          : undefined,
        chance(0.85) ? `+49 ${p.landline.slice(0, 2)} ${p.landline.slice(2)}` : undefined,
        chance(0.7) ? p.email : undefined,
        p.street,
        p.zip,
        p.city,
      ])
      truth.push(`crm,${key},${p.id}`)
    }
  }
  writeFileSync(join(dir, 'crm-export.csv'), `${csv(crm)}\n`)

  // Shop: one name column ("Last, First" or "First Last"), mobile written many ways, ISO dates.
  const shop: (string | undefined)[][] = [
    ['shopper_ref', 'customer', 'mail', 'mobile_no', 'delivery_street', 'postal', 'city_name', 'birthday'],
  ]
  let shopId = 1
  for (const p of everyone) {
    if (!chance(0.6)) continue
    const key = `S-${String(shopId++).padStart(6, '0')}`
    const first = chance(0.15) && p.nick ? p.nick : chance(0.05) ? typo(p.first) : p.first
    const mobile = pick([
      `+49${p.mobile}`,
      `0049 ${p.mobile.slice(0, 3)} ${p.mobile.slice(3)}`,
      `0${p.mobile}`,
      `(0) ${p.mobile.slice(0, 4)}-${p.mobile.slice(4)}`,
    ])
    shop.push([
      key,
      chance(0.4) ? `${p.last}, ${first}` : `${first} ${chance(0.05) ? typo(p.last) : p.last}`,
      chance(0.9) ? (chance(0.1) ? p.email.toUpperCase() : p.email) : undefined,
      chance(0.8) ? mobile : undefined,
      chance(0.1) ? p.street.toUpperCase() : p.street,
      p.zip,
      p.city,
      chance(0.5) ? p.born.toISOString().slice(0, 10) : undefined,
    ])
    truth.push(`shop,${key},${p.id}`)
  }
  writeFileSync(join(dir, 'shop-export.csv'), `${csv(shop)}\n`)

  // Loyalty: Spanish headers, yyyymmdd, nicknames, accents dropped, the landline or the mobile.
  const loyalty: (string | undefined)[][] = [
    ['socio', 'nombre', 'apellidos', 'fecha_nac', 'tel', 'correo', 'direccion', 'cp', 'ciudad'],
  ]
  let member = 1
  for (const p of everyone) {
    if (!chance(0.5)) continue
    const key = `L${member++}`
    loyalty.push([
      key,
      chance(0.3) && p.nick ? p.nick : chance(0.3) ? ascii(p.first) : p.first,
      chance(0.3) ? ascii(p.last) : p.last,
      chance(0.8)
        ? `${p.born.getUTCFullYear()}${pad(p.born.getUTCMonth() + 1)}${pad(p.born.getUTCDate())}`
        : undefined,
      chance(0.5) ? `0${p.landline}` : `+49 ${p.mobile}`,
      chance(0.6) ? p.email : undefined,
      p.street,
      p.zip,
      p.city,
    ])
    truth.push(`loyalty,${key},${p.id}`)
  }
  writeFileSync(join(dir, 'loyalty-export.csv'), `${csv(loyalty)}\n`)
  writeFileSync(join(dir, 'ground-truth.csv'), `${truth.join('\n')}\n`)
}

export const EXPORT_FILES = [
  { name: 'crm', file: 'crm-export.csv', key: 'Kundennummer' },
  { name: 'shop', file: 'shop-export.csv', key: 'shopper_ref' },
  { name: 'loyalty', file: 'loyalty-export.csv', key: 'socio' },
] as const
