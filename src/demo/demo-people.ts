import type { Random } from './random.js'

/** A demo person as they really are; sources record them with variations. */
export interface Person {
  id: number
  firstName: string
  lastName: string
  email: string
  phoneDigits: string
  country: Country
  street: string
  houseNumber: number
  city: string
  postalCode: string
  birthDate: string
}

export interface Country {
  code: string
  callingCode: string
  phoneDigits: number
  cities: readonly { name: string; postalCode: () => string }[]
  streets: readonly string[]
  firstNames: readonly string[]
  lastNames: readonly string[]
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

export function countries(random: Random): Country[] {
  const postcode = (min: number, max: number, width: number) => () => pad(random.int(min, max), width)
  return [
    {
      code: 'DK',
      callingCode: '45',
      phoneDigits: 8,
      cities: [
        { name: 'København', postalCode: postcode(1050, 2450, 4) },
        { name: 'Aarhus', postalCode: postcode(8000, 8270, 4) },
        { name: 'Odense', postalCode: postcode(5000, 5270, 4) },
        { name: 'Aalborg', postalCode: postcode(9000, 9220, 4) },
        { name: 'Esbjerg', postalCode: postcode(6700, 6715, 4) },
      ],
      streets: [
        'Vestergade',
        'Nørregade',
        'Østerbrogade',
        'Strandvejen',
        'Søndergade',
        'Åboulevarden',
        'Kongens Gade',
      ],
      firstNames: [
        'Søren',
        'Jørgen',
        'Mette',
        'Anne',
        'Lars',
        'Mads',
        'Sofie',
        'Frederik',
        'Ida',
        'Bjørn',
        'Åse',
        'Kirsten',
        'Henrik',
        'Line',
      ],
      lastNames: [
        'Jensen',
        'Nielsen',
        'Hansen',
        'Pedersen',
        'Andersen',
        'Christensen',
        'Larsen',
        'Sørensen',
        'Rasmussen',
        'Jørgensen',
        'Møller',
        'Kjær',
      ],
    },
    {
      code: 'SE',
      callingCode: '46',
      phoneDigits: 9,
      cities: [
        { name: 'Stockholm', postalCode: postcode(11120, 11860, 5) },
        { name: 'Göteborg', postalCode: postcode(41101, 41879, 5) },
        { name: 'Malmö', postalCode: postcode(21111, 21760, 5) },
      ],
      streets: ['Drottninggatan', 'Storgatan', 'Kungsgatan', 'Sveavägen', 'Götgatan'],
      firstNames: ['Erik', 'Anna', 'Lars', 'Karin', 'Björn', 'Åsa', 'Johan', 'Elin', 'Magnus', 'Linnéa'],
      lastNames: [
        'Andersson',
        'Johansson',
        'Karlsson',
        'Nilsson',
        'Eriksson',
        'Larsson',
        'Olsson',
        'Persson',
        'Lindström',
      ],
    },
    {
      code: 'DE',
      callingCode: '49',
      phoneDigits: 10,
      cities: [
        { name: 'Berlin', postalCode: postcode(10115, 14199, 5) },
        { name: 'München', postalCode: postcode(80331, 81929, 5) },
        { name: 'Hamburg', postalCode: postcode(20095, 22769, 5) },
        { name: 'Köln', postalCode: postcode(50667, 51149, 5) },
      ],
      streets: ['Hauptstraße', 'Schillerstraße', 'Goethestraße', 'Bahnhofstraße', 'Lindenallee'],
      firstNames: [
        'Jürgen',
        'Katharina',
        'Michael',
        'Stefanie',
        'Thomas',
        'Sabine',
        'Matthias',
        'Julia',
        'Günter',
        'Lena',
      ],
      lastNames: [
        'Müller',
        'Schmidt',
        'Schneider',
        'Fischer',
        'Weber',
        'Meyer',
        'Wagner',
        'Becker',
        'Schäfer',
        'Köhler',
      ],
    },
    {
      code: 'GB',
      callingCode: '44',
      phoneDigits: 10,
      cities: [
        {
          name: 'London',
          postalCode: () =>
            `${random.pick(['SW1A', 'EC1V', 'N1', 'SE1', 'W2'])} ${random.int(1, 9)}${random.pick(['AA', 'BX', 'DJ', 'HU'])}`,
        },
        {
          name: 'Manchester',
          postalCode: () => `M${random.int(1, 40)} ${random.int(1, 9)}${random.pick(['AB', 'EP', 'LT'])}`,
        },
        {
          name: 'Leeds',
          postalCode: () => `LS${random.int(1, 29)} ${random.int(1, 9)}${random.pick(['QA', 'RD', 'ZT'])}`,
        },
      ],
      streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Park Avenue'],
      firstNames: [
        'Robert',
        'William',
        'Katherine',
        'Elizabeth',
        'Michael',
        'Jonathan',
        'Christopher',
        'Margaret',
        'James',
        'Emily',
        'Thomas',
        'Rebecca',
      ],
      lastNames: [
        'Smith',
        'Jones',
        'Taylor',
        'Brown',
        'Williams',
        'Wilson',
        'Johnson',
        'Davies',
        'Robinson',
        "O'Connor",
        'Thompson',
      ],
    },
  ]
}

/** Nicknames people use in some systems and not in others. */
export const NICKNAMES: Record<string, string> = {
  Robert: 'Bob',
  William: 'Bill',
  Katherine: 'Kate',
  Elizabeth: 'Liz',
  Michael: 'Mike',
  Jonathan: 'Jon',
  Christopher: 'Chris',
  Margaret: 'Maggie',
  James: 'Jim',
  Thomas: 'Tom',
  Rebecca: 'Becky',
  Katharina: 'Kathi',
  Matthias: 'Matze',
  Frederik: 'Frede',
}

const EMAIL_DOMAINS = [
  'gmail.com',
  'outlook.com',
  'hotmail.com',
  'yahoo.com',
  'proton.me',
  'mail.dk',
  'web.de',
]

export function makePeople(random: Random, count: number): Person[] {
  const all = countries(random)
  const weights = [0.4, 0.15, 0.2, 0.25]
  const people: Person[] = []
  const usedEmails = new Set<string>()
  for (let id = 1; id <= count; id++) {
    const r = random.next()
    let acc = 0
    let country = all[0] as Country
    for (const [i, w] of weights.entries()) {
      acc += w
      if (r < acc) {
        country = all[i] as Country
        break
      }
    }
    const firstName = random.pick(country.firstNames)
    const lastName = random.pick(country.lastNames)
    const city = random.pick(country.cities)
    let email = ''
    for (let n = 0; email === '' || usedEmails.has(email); n++) {
      const local = `${ascii(firstName)}.${ascii(lastName)}`.toLowerCase().replace(/[^a-z.]/g, '')
      email = `${local}${n === 0 ? random.int(1, 99) : random.int(100, 9999)}@${random.pick(EMAIL_DOMAINS)}`
    }
    usedEmails.add(email)
    people.push({
      id,
      firstName,
      lastName,
      email,
      phoneDigits: `${random.int(2, 9)}${random.digits(country.phoneDigits - 1)}`,
      country,
      street: random.pick(country.streets),
      houseNumber: random.int(1, 180),
      city: city.name,
      postalCode: city.postalCode(),
      birthDate: `${random.int(1945, 2005)}-${pad(random.int(1, 12), 2)}-${pad(random.int(1, 28), 2)}`,
    })
  }
  return people
}

/** Folds accents and Nordic letters the way people type without them. */
export function ascii(text: string): string {
  return text
    .replaceAll('ø', 'o')
    .replaceAll('Ø', 'O')
    .replaceAll('æ', 'ae')
    .replaceAll('Æ', 'Ae')
    .replaceAll('ß', 'ss')
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
}
