import { type DuckDb, ident, join, literal, literalList, SqlSession, sql } from '../../query/index.js'
import type { Entity } from '../../store/entities.js'
import { versionFiles } from '../entity-reader.js'
import { NICKNAMES } from '../sql/reference-data.js'
import type { UnifyConfig } from './unify-config.js'

/** Column names, in several spellings and languages, by the attribute they usually hold. */
const NAMES: Record<string, string[]> = {
  FirstName: [
    'firstname',
    'fname',
    'first',
    'givenname',
    'given',
    'forename',
    'fornavn',
    'fornamn',
    'förnamn',
    'vorname',
    'prenom',
    'prénom',
    'nombre',
    'etunimi',
    'voornaam',
    'christianname',
    'nomebattesimo',
    'imie',
  ],
  LastName: [
    'lastname',
    'lname',
    'last',
    'surname',
    'familyname',
    'efternavn',
    'efternamn',
    'nachname',
    'nom',
    'apellido',
    'apellidos',
    'sukunimi',
    'achternaam',
    'family',
    'familienname',
    'surnames',
    'cognome',
    'sobrenome',
    'nazwisko',
    'efternamn',
  ],
  FullName: [
    'name',
    'fullname',
    'customername',
    'contactname',
    'navn',
    'namn',
    'nome',
    'nombrecompleto',
    'displayname',
  ],
  Email: [
    'email',
    'emailaddress',
    'mail',
    'epost',
    'emailadresse',
    'courriel',
    'correo',
    'correoelectronico',
    'sähköposti',
  ],
  Phone: [
    'phone',
    'phonenumber',
    'mobile',
    'mobil',
    'mobilephone',
    'cell',
    'cellphone',
    'tel',
    'telephone',
    'telefon',
    'telefono',
    'teléfono',
    'handy',
    'telefonnummer',
    'mobilnummer',
    'mobileno',
    'phoneno',
    'telno',
    'telefonnr',
    'landline',
    'movil',
    'móvil',
  ],
  Address1: [
    'address',
    'address1',
    'addressline1',
    'street',
    'streetaddress',
    'adresse',
    'adress',
    'gade',
    'vej',
    'strasse',
    'straße',
    'calle',
    'gatuadress',
    'rue',
    'direccion',
    'domicilio',
    'anschrift',
    'indirizzo',
    'endereco',
    'morada',
    'adresse1',
    'katuosoite',
  ],
  City: [
    'city',
    'town',
    'by',
    'stadt',
    'ville',
    'ciudad',
    'ort',
    'suburb',
    'locality',
    'stad',
    'postort',
    'kaupunki',
  ],
  PostalCode: [
    'zip',
    'zipcode',
    'postcode',
    'postalcode',
    'postnr',
    'postnummer',
    'plz',
    'cp',
    'codigopostal',
    'postinumero',
    'postal',
    'postleitzahl',
  ],
  Country: ['country', 'land', 'pais', 'país', 'pays', 'countrycode', 'maa'],
  DateOfBirth: [
    'dob',
    'dateofbirth',
    'birthdate',
    'birthday',
    'fodselsdato',
    'fødselsdato',
    'födelsedatum',
    'geburtsdatum',
    'born',
    'fechanacimiento',
    'fechanac',
    'birth',
    'dateofbirthday',
    'geboren',
    'datenaissance',
    'datedenaissance',
    'naissance',
    'geboortedatum',
    'geburtstag',
    'verjaardag',
    'fechadenacimiento',
    'nacimiento',
    'cumpleanos',
    'datanascita',
    'datadinascita',
    'nascita',
    'fodselsdag',
    'syntymaaika',
    'syntymapaiva',
    'dataurodzenia',
    'datadenascimento',
  ],
  // A national identity number: the same person in every system (a customer number is not).
  NationalId: [
    'ssn',
    'socsecid',
    'socialsecurity',
    'socialsecuritynumber',
    'nationalid',
    'nationalidentitynumber',
    'cpr',
    'cprnr',
    'personnummer',
    'dni',
    'nif',
    'bsn',
    'pesel',
    'steuerid',
  ],
}

const CHANGED = /(updated|modified|changed|last_?seen|lastupdate|opdateret|geandert)/i
const CREATED = /(created|joined|registered|signup|order_?date|date$|_at$)/i

/** What a column's values look like, as shares of a sample of its non-empty values. */
interface ValueShape {
  email: number
  phone: number
  date: number
  postcode: number
  personName: number
  /** Values of one word. */
  singleWord: number
  /** Values that are, or (of several words) contain, a known first name. */
  firstName: number
  /** Values that are, or contain, a known surname but no first name. */
  lastNameOnly: number
  /** Values of two or more words with a known first name among them. */
  fullName: number
  /** Values that read as dates of people's births: years spread over decades, none recent. */
  birthDate: number
}

const fold = (word: string) =>
  word
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')

let dictionaries: Promise<{ first: Set<string>; last: Set<string> }> | undefined

/**
 * First names and surnames of every locale of faker's name lists (some 24,000 and 19,000; both
 * folded to ASCII), loaded once, on first use: to tell a column of first names from one of
 * surnames or full names by its values when its header says nothing we know.
 */
function nameDictionaries(): Promise<{ first: Set<string>; last: Set<string> }> {
  dictionaries ??= import('@faker-js/faker').then(({ allLocales }) => {
    const first = new Set<string>()
    const last = new Set<string>()
    const add = (into: Set<string>, entry: unknown) => {
      for (const list of Array.isArray(entry) ? [entry] : Object.values((entry ?? {}) as object))
        for (const name of Array.isArray(list) ? list : [])
          if (typeof name === 'string' && !name.includes('{')) into.add(fold(name))
    }
    for (const locale of Object.values(allLocales) as { person?: Record<string, unknown> }[]) {
      add(first, locale.person?.first_name)
      add(last, locale.person?.last_name)
    }
    for (const nick of Object.keys(NICKNAMES)) first.add(nick)
    return { first, last }
  })
  return dictionaries
}

const percent = (share: number) => `${Math.round(share * 100)}%`

/** FirstName, LastName or FullName when a column's values say so clearly. */
function personNameFromValues(
  shape: ValueShape,
): { attribute: string; confidence: number; reason: string } | undefined {
  if (shape.personName < 0.8 || shape.email > 0.2 || shape.phone > 0.2 || shape.date > 0.2) return undefined
  if (shape.fullName >= 0.6 && shape.singleWord < 0.4)
    return {
      attribute: 'FullName',
      confidence: 0.85,
      reason: `${percent(shape.fullName)} of its values are a known first name with other words`,
    }
  if (shape.singleWord >= 0.7 && shape.firstName >= 0.6 && shape.firstName >= shape.lastNameOnly + 0.2)
    return {
      attribute: 'FirstName',
      confidence: 0.85,
      reason: `${percent(shape.firstName)} of its values are known first names`,
    }
  if (shape.lastNameOnly >= 0.5 && shape.firstName < 0.4)
    return {
      attribute: 'LastName',
      confidence: 0.8,
      reason: `${percent(shape.lastNameOnly)} of its values are known surnames and not first names`,
    }
  return undefined
}

/** Shares of sampled values that look like first names, surnames, full names. */
function nameShares(
  values: string[],
  names: { first: Set<string>; last: Set<string> },
): Pick<ValueShape, 'singleWord' | 'firstName' | 'lastNameOnly' | 'fullName'> {
  let single = 0
  let first = 0
  let lastOnly = 0
  let full = 0
  for (const value of values) {
    const words = value
      .split(/[\s,.]+/)
      .filter(Boolean)
      .map(fold)
    if (words.length === 0) continue
    const hasFirst = words.some((w) => names.first.has(w))
    const hasLast = words.some((w) => names.last.has(w))
    if (words.length === 1) single++
    if (words.length === 1 ? names.first.has(words[0] as string) : hasFirst && words.length <= 2) first++
    if (hasLast && !hasFirst) lastOnly++
    if (words.length >= 2 && hasFirst) full++
  }
  const n = Math.max(values.length, 1)
  return { singleWord: single / n, firstName: first / n, lastNameOnly: lastOnly / n, fullName: full / n }
}

/** Suggestions below this confidence are shown but not applied. */
export const APPLY_CONFIDENCE = 0.6

export interface ColumnSuggestion {
  column: string
  attribute: string
  /** 0..1: how sure the suggestion is; ≥ 0.6 is applied by `unify suggest --apply`. */
  confidence: number
  reason: string
}

const canonical = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]/g, '')

/** The attribute a column name suggests: exactly (0.9) or as a part such as customer_email (0.75). */
function byName(column: string): { attribute: string; confidence: number; reason: string } | undefined {
  const name = canonical(column)
  for (const [attribute, names] of Object.entries(NAMES)) {
    if (names.map(canonical).includes(name))
      return { attribute, confidence: 0.9, reason: `the name '${column}'` }
  }
  const parts = column
    .split(/[^A-Za-zÆØÅÄÖÜÉæøåäöüé0-9]+|(?<=[a-z])(?=[A-Z])/)
    .filter(Boolean)
    .map(canonical)
  // city_name, mobile_no: a generic last word leaves the word before it to decide (customer_name
  // stays a name: nothing before 'name' names another attribute).
  // (street_number is a house number, not an address.)
  const generic = parts.at(-1) ?? ''
  if (parts.length > 1 && /^(name|no|nr|num|number)$/.test(generic)) {
    const before = byName(parts.slice(0, -1).join('_'))
    const fits = generic === 'name' ? ['City', 'Country'] : ['Phone']
    if (before && fits.includes(before.attribute))
      return {
        ...before,
        confidence: 0.8,
        reason: `'${column}' names ${before.attribute} before a generic word`,
      }
  }
  let best: { attribute: string; confidence: number; reason: string } | undefined
  for (const [attribute, names] of Object.entries(NAMES)) {
    const canon = names.map(canonical)
    // The last word decides (shipping_city is a City); a two-word tail like postal_code too.
    const tail2 = parts.slice(-2).join('')
    if (canon.includes(parts.at(-1) ?? '') || canon.includes(tail2)) {
      const candidate = { attribute, confidence: 0.75, reason: `'${column}' ends in a word for ${attribute}` }
      if (!best || (attribute !== 'FullName' && best.attribute === 'FullName')) best = candidate
    }
  }
  return best
}

/**
 * Suggests a profile attribute for each column of a source, from the column's name (several
 * spellings and languages) and from what its values look like (emails, phone numbers, dates,
 * postcodes), with a confidence. The key column is not mapped.
 */
export async function suggestMapping(
  duck: DuckDb,
  entity: Entity,
): Promise<{ columns: ColumnSuggestion[]; updatedAt: string | undefined }> {
  const columns = entity.current.schema.filter((c) => c.name !== entity.current.keyColumn)
  const shapes = await sampleShapes(
    duck,
    entity,
    columns.map((c) => c.name),
  )
  const suggestions: ColumnSuggestion[] = []
  for (const column of columns) {
    const shape = shapes.get(column.name)
    const named = byName(column.name)
    const isTemporal = /^(DATE|TIMESTAMP)/i.test(column.type)
    let suggestion: ColumnSuggestion | undefined = named && { column: column.name, ...named }
    if (shape) {
      if (shape.email >= 0.8)
        suggestion = {
          column: column.name,
          attribute: 'Email',
          confidence: named?.attribute === 'Email' ? 0.98 : 0.9,
          reason: `${Math.round(shape.email * 100)}% of its values are email addresses`,
        }
      else if (suggestion?.attribute === 'Email')
        suggestion = {
          ...suggestion,
          confidence: 0.4,
          reason: `${suggestion.reason}, but few values look like emails`,
        }
      else if (suggestion?.attribute === 'Phone' && shape.phone >= 0.8)
        suggestion = {
          ...suggestion,
          confidence: 0.97,
          reason: `${suggestion.reason} and ${Math.round(shape.phone * 100)}% of values are phone numbers`,
        }
      else if (suggestion?.attribute === 'DateOfBirth' && (shape.date >= 0.8 || isTemporal))
        suggestion = {
          ...suggestion,
          confidence: 0.95,
          reason: `${suggestion.reason} and its values are dates`,
        }
      else if (suggestion?.attribute === 'PostalCode' && shape.postcode >= 0.8)
        suggestion = {
          ...suggestion,
          confidence: 0.95,
          reason: `${suggestion.reason} and its values look like postcodes`,
        }
      else if (!suggestion && shape.phone >= 0.9 && !/id$|number$|no$|nr$/i.test(column.name))
        suggestion = {
          column: column.name,
          attribute: 'Phone',
          confidence: 0.6,
          reason: `${Math.round(shape.phone * 100)}% of its values look like phone numbers`,
        }
      else if (suggestion?.attribute === 'FullName' && shape.personName < 0.5)
        suggestion = {
          ...suggestion,
          confidence: 0.5,
          reason: `${suggestion.reason}, but few values look like a person's names`,
        }
    }
    // Birth dates told by their values, when the header is in a language we do not know.
    if (!suggestion && shape && shape.birthDate >= 0.8)
      suggestion = {
        column: column.name,
        attribute: 'DateOfBirth',
        confidence: 0.7,
        reason: `${Math.round(shape.birthDate * 100)}% of its values are dates of birth (years over decades, none recent)`,
      }
    // Names told by their values: a column of first names, of surnames, or of whole names.
    const fromValues = shape && !isTemporal ? personNameFromValues(shape) : undefined
    if (fromValues) {
      const named = suggestion?.attribute
      if (!suggestion) suggestion = { column: column.name, ...fromValues }
      else if (named === fromValues.attribute)
        suggestion = {
          ...suggestion,
          confidence: Math.max(suggestion.confidence, 0.95),
          reason: `${suggestion.reason} and ${fromValues.reason}`,
        }
      else if (
        (named === 'FirstName' || named === 'LastName' || named === 'FullName') &&
        fromValues.confidence >= 0.85
      )
        suggestion = {
          column: column.name,
          ...fromValues,
          reason: `${fromValues.reason} (its name suggested ${named})`,
        }
    }
    if (suggestion)
      suggestions.push({ ...suggestion, confidence: Math.round(suggestion.confidence * 100) / 100 })
  }
  // Keep one column per attribute: the most confident.
  const best = new Map<string, ColumnSuggestion>()
  for (const s of suggestions)
    if ((best.get(s.attribute)?.confidence ?? -1) < s.confidence) best.set(s.attribute, s)
  const temporal = columns.filter(
    (c) => /^(DATE|TIMESTAMP)/i.test(c.type) && best.get('DateOfBirth')?.column !== c.name,
  )
  const updatedAt =
    temporal.find((c) => CHANGED.test(c.name))?.name ?? temporal.find((c) => CREATED.test(c.name))?.name
  return { columns: [...best.values()].sort((a, b) => a.column.localeCompare(b.column)), updatedAt }
}

async function sampleShapes(
  duck: DuckDb,
  entity: Entity,
  columns: string[],
): Promise<Map<string, ValueShape>> {
  const shapes = new Map<string, ValueShape>()
  if (columns.length === 0) return shapes
  const share = (column: string, pattern: string) =>
    sql`count(*) filter (where regexp_full_match(trim(cast(${ident(column)} as varchar)), ${literal(pattern)})) / greatest(count(${ident(column)}), 1)`
  const select = columns.flatMap((c, i) => [
    sql`${share(c, '[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}')} as ${ident(`e${i}`)}`,
    // Phone numbers, but not dates (2024-05-01) or amounts (1234.50) that look like them.
    sql`count(*) filter (where regexp_full_match(trim(cast(${ident(c)} as varchar)), '\\+?[0-9 ()./-]{7,20}') and not regexp_full_match(trim(cast(${ident(c)} as varchar)), '[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}([ T].*)?|[0-9]+[.,][0-9]{1,2}|(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])')) / greatest(count(${ident(c)}), 1) as ${ident(`p${i}`)}`,
    sql`${share(c, '([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}|[0-9]{8})([ T].*)?')} as ${ident(`d${i}`)}`,
    sql`${share(c, '[A-Za-z0-9]{2,5}( ?[A-Za-z0-9]{2,4})?')} as ${ident(`z${i}`)}`,
    sql`${share(c, '[^0-9@]{1,30}( [^0-9@]{1,30}){0,3}')} as ${ident(`n${i}`)}`,
    sql`list(trim(cast(${ident(c)} as varchar))) filter (where ${ident(c)} is not null and trim(cast(${ident(c)} as varchar)) <> '') as ${ident(`s${i}`)}`,
  ])
  const session = await SqlSession.open(duck)
  try {
    const row = Object.values(
      (
        await session.rows(
          sql`select ${join(select)} from (select * from read_parquet(${literalList(versionFiles(entity.current))}) limit 500)`,
        )
      )[0] ?? {},
    )
    const names = await nameDictionaries()
    for (const [i, c] of columns.entries())
      shapes.set(c, {
        email: Number(row[i * 6]),
        phone: Number(row[i * 6 + 1]),
        date: Number(row[i * 6 + 2]),
        postcode: Number(row[i * 6 + 3]),
        personName: Number(row[i * 6 + 4]),
        ...nameShares((row[i * 6 + 5] as string[] | null) ?? [], names),
        birthDate: birthDateShare((row[i * 6 + 5] as string[] | null) ?? []),
      })
  } finally {
    session.close()
  }
  return shapes
}

/**
 * Match rules and merge policies for what is mapped: email alone; phone with a similar last
 * name; postcode or birth date with similar first and last names. Applied by `unify suggest --apply`.
 */
export function suggestRules(mapped: ReadonlySet<string>): Pick<UnifyConfig, 'rules' | 'merge'> {
  const has = (a: string) =>
    mapped.has(a) || ((a === 'FirstName' || a === 'LastName') && mapped.has('FullName'))
  const names = has('FirstName') && has('LastName')
  const fuzzyName = (attribute: string, threshold: number) => ({
    attribute,
    normalize: ['name' as const],
    precision: 'fuzzy' as const,
    algorithm: 'jaroWinkler' as const,
    threshold,
    weight: 1,
  })
  const exact = (attribute: string, normalize: ('email' | 'phone' | 'numerals' | 'whitespace')[]) => ({
    attribute,
    normalize,
    precision: 'exact' as const,
    algorithm: 'jaroWinkler' as const,
    threshold: 0.9,
    weight: 1,
  })
  const rules: UnifyConfig['rules'] = []
  // Two or more attributes a person can be told by: let the data decide how much each says
  // (a shared household email or landline is evidence, not proof).
  const compared = [...mapped, ...(names ? ['FirstName', 'LastName'] : [])].filter(
    (a) => a !== 'Country' && a !== 'FullName',
  )
  if (new Set(compared).size >= 2)
    return {
      rules: [{ name: 'probabilistic match', conditions: [], probabilistic: { model: 'estimate' } }],
      merge: {
        default: 'mostFrequent',
        attributes: has('Address1') ? { Address1: 'mostRecent' } : {},
        keepAll: ['Email', 'Phone'].filter(has),
      },
    }
  if (has('Email')) rules.push({ name: 'same email', conditions: [exact('Email', ['email'])] })
  if (has('Phone'))
    rules.push({
      name: has('LastName') ? 'same phone, similar last name' : 'same phone',
      conditions: [exact('Phone', ['phone']), ...(has('LastName') ? [fuzzyName('LastName', 0.85)] : [])],
    })
  if (has('PostalCode') && names)
    rules.push({
      name: 'same postcode, similar names',
      conditions: [
        exact('PostalCode', ['numerals']),
        fuzzyName('FirstName', 0.88),
        fuzzyName('LastName', 0.9),
      ],
    })
  if (has('DateOfBirth') && names)
    rules.push({
      name: 'same birth date, similar names',
      conditions: [
        exact('DateOfBirth', ['whitespace']),
        fuzzyName('FirstName', 0.85),
        fuzzyName('LastName', 0.88),
      ],
    })
  return {
    rules,
    merge: {
      default: 'mostFrequent',
      attributes: has('Address1') ? { Address1: 'mostRecent' } : {},
      keepAll: ['Email', 'Phone'].filter(has),
    },
  }
}

/**
 * The share of values that are dates (ISO, day- or month-first with / . or -, yyyymmdd) when they
 * read as people's dates of birth: their years span 20 years or more and hardly any (5 % at
 * most) is within the last ten (order dates, sign-up dates and timestamps are recent); else 0.
 */
export function birthDateShare(values: readonly string[], now = new Date()): number {
  if (values.length === 0) return 0
  const years: number[] = []
  for (const value of values) {
    const v = value.trim()
    const match =
      /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v) ??
      /^(\d{4})(\d{2})(\d{2})$/.exec(v) ??
      /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(v)
    if (!match) continue
    const year = Number(match[1]?.length === 4 ? match[1] : match[3])
    const [a, b] =
      match[1]?.length === 4 ? [Number(match[2]), Number(match[3])] : [Number(match[1]), Number(match[2])]
    // A month and a day in either order.
    if (!(a >= 1 && b >= 1 && a <= 31 && b <= 31 && Math.min(a, b) <= 12)) continue
    if (year < 1900 || year > now.getFullYear()) continue
    years.push(year)
  }
  if (years.length === 0) return 0
  const recent = years.filter((y) => y > now.getFullYear() - 10).length
  if (recent > years.length * 0.05 || Math.max(...years) - Math.min(...years) < 20) return 0
  return years.length / values.length
}
