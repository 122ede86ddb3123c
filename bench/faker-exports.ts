/**
 * A second, independent set of three exports for bench:unify's auto mode, made from faker's
 * locale data (names, addresses, phone formats, email habits of eight countries, as faker's
 * authors wrote them, not us): a CRM with French headers, national phone formats and day-first
 * dates; a web shop with English headers, "LAST, First" names, international phone formats and
 * US month-first birthdays for Americans; an events list with Dutch headers, digits-only phones
 * and yyyymmdd dates. A quarter of the people live in households (shared surname, address,
 * landline, sometimes an email); some people are in one export twice; values are mistyped,
 * re-cased, stripped of accents or missing. The ground truth (source, key, person) is written too.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { allFakers, type Faker } from '@faker-js/faker'
import { parsePhoneNumberFromString } from 'libphonenumber-js'

const LOCALES = [
  ['de', 'DE'],
  ['fr', 'FR'],
  ['es', 'ES'],
  ['en_GB', 'GB'],
  ['en_US', 'US'],
  ['sv', 'SE'],
  ['da', 'DK'],
  ['nl', 'NL'],
] as const

interface Person {
  id: number
  locale: string
  country: string
  first: string
  last: string
  birth: Date
  email: string | null
  phone: string
  street: string
  city: string
  zip: string
}

export const FAKER_EXPORT_FILES = [
  { name: 'crm', file: 'faker-crm.csv', key: 'id_client' },
  { name: 'webshop', file: 'faker-webshop.csv', key: 'CustomerRef' },
  { name: 'events', file: 'faker-events.csv', key: 'deelnemer' },
] as const

export function generateFakerExports(
  directory: string,
  options: { people?: number; seed?: number } = {},
): void {
  const count = options.people ?? 3000
  const seed = options.seed ?? 20261201
  const random = mulberry(seed)
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T
  const chance = (p: number) => random() < p
  const people: Person[] = []
  const fakerOf = (locale: string, n: number): Faker => {
    const f = allFakers[locale as keyof typeof allFakers] as Faker
    f.seed(seed + n)
    return f
  }
  const numberOf = (f: Faker, country: string): string => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const parsed = parsePhoneNumberFromString(f.phone.number({ style: 'international' }))
      if (parsed?.isValid() && parsed.country === country) return parsed.number
    }
    return (
      parsePhoneNumberFromString(f.phone.number({ style: 'international' }))?.number ??
      `+${f.string.numeric(10)}`
    )
  }
  while (people.length < count) {
    const [locale, country] = pick(LOCALES)
    const f = fakerOf(locale, people.length)
    const sex = f.person.sexType()
    const head: Person = {
      id: people.length,
      locale,
      country,
      first: f.person.firstName(sex),
      last: f.person.lastName(sex),
      birth: f.date.birthdate({ min: 18, max: 90, mode: 'age', refDate: '2026-01-01' }),
      email: null,
      phone: numberOf(f, country),
      street: f.location.streetAddress(),
      city: f.location.city(),
      zip: f.location.zipCode(),
    }
    head.email = f.internet.email({ firstName: head.first, lastName: head.last }).toLowerCase()
    people.push(head)
    // A household: two to four people sharing the surname, address, landline, sometimes an email.
    if (chance(0.25)) {
      const shared = chance(0.3) ? head.email : null
      for (let m = 1 + Math.floor(random() * 3); m > 0 && people.length < count; m--) {
        const g = fakerOf(locale, people.length)
        const memberSex = g.person.sexType()
        const member: Person = {
          ...head,
          id: people.length,
          first: g.person.firstName(memberSex),
          last: chance(0.85) ? head.last : g.person.lastName(memberSex),
          birth: g.date.birthdate({ min: 1, max: 90, mode: 'age', refDate: '2026-01-01' }),
          email: null,
        }
        if (member.first === head.first) continue
        member.email =
          shared ?? g.internet.email({ firstName: member.first, lastName: member.last }).toLowerCase()
        people.push(member)
      }
    }
  }

  const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
  const typo = (s: string) => {
    if (s.length < 4) return s
    const i = 1 + Math.floor(random() * (s.length - 2))
    return chance(0.5) ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2)
  }
  const vary = (s: string, p: { typo: number; fold: number; upper: number }) => {
    let out = s
    if (chance(p.typo)) out = typo(out)
    if (chance(p.fold)) out = fold(out)
    if (chance(p.upper)) out = out.toUpperCase()
    return out
  }
  const maybe = (value: string | null, missing: number) => (value === null || chance(missing) ? '' : value)
  const national = (e164: string) => parsePhoneNumberFromString(e164)?.formatNational() ?? e164
  const international = (e164: string) => parsePhoneNumberFromString(e164)?.formatInternational() ?? e164
  const iso = (d: Date) => d.toISOString().slice(0, 10)
  const [dd, mm, yyyy] = [
    (d: Date) => iso(d).slice(8, 10),
    (d: Date) => iso(d).slice(5, 7),
    (d: Date) => iso(d).slice(0, 4),
  ]
  const csv = (values: string[]) =>
    values.map((v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',')
  const truth: string[] = ['source,key,person_id']

  // CRM: French headers, national phone formats, day-first dates; some people twice.
  const crm = ['id_client,prenom,nom,courriel,telephone,adresse,ville,code_postal,date_naissance']
  let crmId = 5000
  for (const p of people) {
    if (!chance(0.85)) continue
    for (let copy = 0; copy < (chance(0.06) ? 2 : 1); copy++) {
      const key = `CL${++crmId}`
      const again = copy > 0
      crm.push(
        csv([
          key,
          vary(p.first, { typo: again ? 0.3 : 0.04, fold: 0.05, upper: 0.03 }),
          vary(p.last, { typo: again ? 0.2 : 0.04, fold: 0.05, upper: 0.05 }),
          maybe(p.email && (chance(0.1) ? p.email.toUpperCase() : p.email), 0.12),
          maybe(national(p.phone), 0.1),
          p.street,
          p.city,
          p.zip,
          chance(0.75) ? `${dd(p.birth)}/${mm(p.birth)}/${yyyy(p.birth)}` : '',
        ]),
      )
      truth.push(`crm,${key},${p.id}`)
    }
  }

  // Web shop: English headers, one name column ("LAST, First" or "First Last"), international
  // phones, month-first birthdays for Americans.
  const shop = ['CustomerRef,Full Name,E-mail,Mobile Phone,Street,Town,Post Code,Birthday']
  let shopId = 0
  for (const p of people) {
    if (!chance(0.6)) continue
    const key = `WS-${String(++shopId).padStart(6, '0')}`
    const first = vary(p.first, { typo: 0.06, fold: 0.12, upper: 0 })
    const last = vary(p.last, { typo: 0.06, fold: 0.12, upper: 0 })
    const birth =
      p.country === 'US' ? `${mm(p.birth)}/${dd(p.birth)}/${yyyy(p.birth)}` : chance(0.5) ? iso(p.birth) : ''
    shop.push(
      csv([
        key,
        chance(0.3) ? `${last.toUpperCase()}, ${first}` : `${first} ${last}`,
        maybe(p.email, 0.08),
        maybe(chance(0.5) ? international(p.phone) : p.phone, 0.2),
        chance(0.1) ? typo(p.street) : p.street,
        chance(0.15) ? fold(p.city) : p.city,
        p.zip,
        birth,
      ]),
    )
    truth.push(`webshop,${key},${p.id}`)
  }

  // Events: Dutch headers, digits-only phones (some with 00 and the country code), yyyymmdd.
  const events = ['deelnemer,voornaam,achternaam,e-post,telefoon,postcode,geboortedatum']
  let eventId = 0
  for (const p of people) {
    if (!chance(0.5)) continue
    const key = `D${++eventId}`
    const digits = p.phone.replace(/\D/g, '')
    events.push(
      csv([
        key,
        vary(p.first, { typo: 0.05, fold: 0.2, upper: 0.1 }),
        vary(p.last, { typo: 0.05, fold: 0.2, upper: 0.1 }),
        maybe(p.email, 0.3),
        maybe(chance(0.5) ? `00${digits}` : national(p.phone).replace(/\D/g, ''), 0.25),
        p.zip,
        chance(0.6) ? iso(p.birth).replaceAll('-', '') : '',
      ]),
    )
    truth.push(`events,${key},${p.id}`)
  }

  writeFileSync(join(directory, 'faker-crm.csv'), `${crm.join('\n')}\n`)
  writeFileSync(join(directory, 'faker-webshop.csv'), `${shop.join('\n')}\n`)
  writeFileSync(join(directory, 'faker-events.csv'), `${events.join('\n')}\n`)
  writeFileSync(join(directory, 'faker-ground-truth.csv'), `${truth.join('\n')}\n`)
}

/** A small seeded generator, so the files are the same on every run. */
function mulberry(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
