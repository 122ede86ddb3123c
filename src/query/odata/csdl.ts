/**
 * An instance's entities as an OData v4 service describes them: CSDL XML (what Power BI and Excel
 * read through "OData feed") and CSDL JSON (4.01 clients), each entity an entity set with its key,
 * its columns typed as Edm types, writable ones marked insertable and updatable, and what a
 * version means written as a description.
 */
import type { ColumnSchema } from '../../store/tables.js'

export interface CsdlEntity {
  name: string
  columns: ColumnSchema[]
  keyColumn: string | null
  writable: boolean
}

export const NAMESPACE = 'OpenInsights'

/** The Edm type of a DuckDB column type, and its facets. */
export function edmType(duckType: string): { type: string; precision?: number; scale?: number } {
  const t = duckType.toUpperCase().trim()
  const decimal = /^DECIMAL\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(t)
  if (decimal) return { type: 'Edm.Decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) }
  if (t.startsWith('VARCHAR') || t === 'TEXT' || t === 'STRING') return { type: 'Edm.String' }
  const simple: Record<string, string> = {
    BOOLEAN: 'Edm.Boolean',
    TINYINT: 'Edm.SByte',
    UTINYINT: 'Edm.Byte',
    SMALLINT: 'Edm.Int16',
    USMALLINT: 'Edm.Int32',
    INTEGER: 'Edm.Int32',
    UINTEGER: 'Edm.Int64',
    BIGINT: 'Edm.Int64',
    UBIGINT: 'Edm.Decimal',
    HUGEINT: 'Edm.Decimal',
    UHUGEINT: 'Edm.Decimal',
    FLOAT: 'Edm.Single',
    REAL: 'Edm.Single',
    DOUBLE: 'Edm.Double',
    DECIMAL: 'Edm.Decimal',
    DATE: 'Edm.Date',
    TIME: 'Edm.TimeOfDay',
    UUID: 'Edm.Guid',
    BLOB: 'Edm.Binary',
  }
  if (simple[t]) return { type: simple[t] as string }
  if (t.startsWith('TIMESTAMP')) return { type: 'Edm.DateTimeOffset' }
  // Lists, structs, maps and JSON come as their JSON text.
  return { type: 'Edm.String' }
}

/** OData identifiers: a letter or _ then letters, digits, _ (names that are not are left out). */
const SIMPLE_IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]{0,127}$/u
export const isODataName = (name: string) => SIMPLE_IDENTIFIER.test(name)

const xml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

const VERSIONED =
  'Read-only view of the current version: each refresh publishes a new version of the whole entity at once; readers never see a half-written one.'

/** CSDL XML (OData 4.0). */
export function csdlXml(entities: CsdlEntity[]): string {
  const types: string[] = []
  const sets: string[] = []
  for (const entity of entities.filter((e) => isODataName(e.name))) {
    const columns = entity.columns.filter((c) => isODataName(c.name))
    const key = entity.keyColumn && columns.some((c) => c.name === entity.keyColumn) ? entity.keyColumn : null
    const properties = columns.map((c) => {
      const { type, precision, scale } = edmType(c.type)
      const facets = `${precision === undefined ? '' : ` Precision="${precision}"`}${scale === undefined ? '' : ` Scale="${scale}"`}`
      return `<Property Name="${xml(c.name)}" Type="${type}"${facets}${c.name === key ? ' Nullable="false"' : ''}/>`
    })
    types.push(
      `<EntityType Name="${xml(entity.name)}">${key ? `<Key><PropertyRef Name="${xml(key)}"/></Key>` : ''}${properties.join('')}</EntityType>`,
    )
    const writable = entity.writable
    sets.push(
      `<EntitySet Name="${xml(entity.name)}" EntityType="${NAMESPACE}.${xml(entity.name)}">` +
        `<Annotation Term="Core.Description" String="${xml(writable ? 'Items can be created and updated (Create item / Update item).' : VERSIONED)}"/>` +
        `<Annotation Term="Capabilities.InsertRestrictions"><Record><PropertyValue Property="Insertable" Bool="${writable}"/></Record></Annotation>` +
        `<Annotation Term="Capabilities.UpdateRestrictions"><Record><PropertyValue Property="Updatable" Bool="${writable}"/></Record></Annotation>` +
        `<Annotation Term="Capabilities.DeleteRestrictions"><Record><PropertyValue Property="Deletable" Bool="false"/></Record></Annotation>` +
        `</EntitySet>`,
    )
  }
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">' +
    '<edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml"><edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/></edmx:Reference>' +
    '<edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml"><edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/></edmx:Reference>' +
    `<edmx:DataServices><Schema Namespace="${NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">` +
    types.join('') +
    `<EntityContainer Name="Container">${sets.join('')}</EntityContainer>` +
    '</Schema></edmx:DataServices></edmx:Edmx>'
  )
}

/** CSDL JSON (OData 4.01). */
export function csdlJson(entities: CsdlEntity[]): Record<string, unknown> {
  const schema: Record<string, unknown> = {}
  const container: Record<string, unknown> = { $Kind: 'EntityContainer' }
  for (const entity of entities.filter((e) => isODataName(e.name))) {
    const columns = entity.columns.filter((c) => isODataName(c.name))
    const key = entity.keyColumn && columns.some((c) => c.name === entity.keyColumn) ? entity.keyColumn : null
    const type: Record<string, unknown> = { $Kind: 'EntityType', ...(key ? { $Key: [key] } : {}) }
    for (const c of columns) {
      const { type: edm, precision, scale } = edmType(c.type)
      type[c.name] = {
        ...(edm === 'Edm.String' ? {} : { $Type: edm }),
        ...(c.name === key ? {} : { $Nullable: true }),
        ...(precision === undefined ? {} : { $Precision: precision }),
        ...(scale === undefined ? {} : { $Scale: scale }),
      }
    }
    schema[entity.name] = type
    container[entity.name] = {
      $Collection: true,
      $Type: `${NAMESPACE}.${entity.name}`,
      '@Core.Description': entity.writable
        ? 'Items can be created and updated (Create item / Update item).'
        : VERSIONED,
      '@Capabilities.InsertRestrictions': { Insertable: entity.writable },
      '@Capabilities.UpdateRestrictions': { Updatable: entity.writable },
      '@Capabilities.DeleteRestrictions': { Deletable: false },
    }
  }
  schema.Container = container
  return {
    $Version: '4.01',
    $EntityContainer: `${NAMESPACE}.Container`,
    $Reference: {
      'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.json': {
        $Include: [{ $Namespace: 'Org.OData.Core.V1', $Alias: 'Core' }],
      },
      'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.json': {
        $Include: [{ $Namespace: 'Org.OData.Capabilities.V1', $Alias: 'Capabilities' }],
      },
    },
    [NAMESPACE]: schema,
  }
}
