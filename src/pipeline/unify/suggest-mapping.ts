import { type DuckDb, ident, join, literal, literalList, SqlSession, sql } from '../../query/index.js'
import type { Entity } from '../../store/entities.js'
import { versionFiles } from '../entity-reader.js'
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
}

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
    .toLowerCase()
    .split(/[^a-zæøåäöüé0-9]+|(?<=[a-z])(?=[A-Z])/)
    .filter(Boolean)
    .map(canonical)
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
    sql`${share(c, '\\+?[0-9 ()./-]{7,20}')} as ${ident(`p${i}`)}`,
    sql`${share(c, '([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}|[0-9]{8})([ T].*)?')} as ${ident(`d${i}`)}`,
    sql`${share(c, '[A-Za-z0-9]{2,5}( ?[A-Za-z0-9]{2,4})?')} as ${ident(`z${i}`)}`,
    sql`${share(c, '[^0-9@]{1,30}( [^0-9@]{1,30}){0,3}')} as ${ident(`n${i}`)}`,
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
    for (const [i, c] of columns.entries())
      shapes.set(c, {
        email: Number(row[i * 5]),
        phone: Number(row[i * 5 + 1]),
        date: Number(row[i * 5 + 2]),
        postcode: Number(row[i * 5 + 3]),
        personName: Number(row[i * 5 + 4]),
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
      rules: [{ name: 'probabilistic match', conditions: [], probabilistic: {} }],
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
