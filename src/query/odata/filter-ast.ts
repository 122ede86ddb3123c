/** The parsed form of an OData `$filter` (and `$orderby` expressions): what the SQL translation and tests work on. */
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'
export type ArithmeticOperator = 'add' | 'sub' | 'mul' | 'div' | 'divby' | 'mod'

/** The canonical functions of OData 4.01 an entity query can use, with their argument counts. */
export const FUNCTIONS = {
  contains: { min: 2, max: 2 },
  startswith: { min: 2, max: 2 },
  endswith: { min: 2, max: 2 },
  tolower: { min: 1, max: 1 },
  toupper: { min: 1, max: 1 },
  trim: { min: 1, max: 1 },
  length: { min: 1, max: 1 },
  concat: { min: 2, max: 2 },
  indexof: { min: 2, max: 2 },
  substring: { min: 2, max: 3 },
  matchespattern: { min: 2, max: 2 },
  year: { min: 1, max: 1 },
  month: { min: 1, max: 1 },
  day: { min: 1, max: 1 },
  hour: { min: 1, max: 1 },
  minute: { min: 1, max: 1 },
  second: { min: 1, max: 1 },
  fractionalseconds: { min: 1, max: 1 },
  date: { min: 1, max: 1 },
  time: { min: 1, max: 1 },
  totaloffsetminutes: { min: 1, max: 1 },
  now: { min: 0, max: 0 },
  maxdatetime: { min: 0, max: 0 },
  mindatetime: { min: 0, max: 0 },
  round: { min: 1, max: 1 },
  floor: { min: 1, max: 1 },
  ceiling: { min: 1, max: 1 },
} as const

export type FunctionName = keyof typeof FUNCTIONS

/** How a number literal is typed: Edm.Int64, Edm.Decimal (its digits kept), or Edm.Double. */
export type NumberKind = 'integer' | 'decimal' | 'double'

export type LiteralValue =
  | { type: 'string'; value: string }
  | {
      type: 'number'
      value: number | bigint
      numberKind?: NumberKind
      /** A decimal literal's digits as written (3.14159265358979323846 keeps them all). */
      digits?: string
    }
  | { type: 'boolean'; value: boolean }
  | { type: 'null'; value: null }
  | { type: 'date'; value: string }
  | { type: 'datetime'; value: string }
  | { type: 'time'; value: string }
  | { type: 'guid'; value: string }

export type FilterExpression = { position: number } & (
  | ({ kind: 'literal' } & LiteralValue)
  | { kind: 'property'; name: string }
  | { kind: 'compare'; operator: ComparisonOperator; left: FilterExpression; right: FilterExpression }
  | { kind: 'and' | 'or'; left: FilterExpression; right: FilterExpression }
  | { kind: 'not'; operand: FilterExpression }
  | { kind: 'negate'; operand: FilterExpression }
  | { kind: 'arithmetic'; operator: ArithmeticOperator; left: FilterExpression; right: FilterExpression }
  | { kind: 'call'; name: FunctionName; args: FilterExpression[] }
  | { kind: 'in'; operand: FilterExpression; list: FilterExpression[] }
)
