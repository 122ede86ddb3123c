/** The parsed form of an OData `$filter`: what the SQL translation and tests work on. */
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'

export const FUNCTIONS = {
  contains: { args: 2 },
  startswith: { args: 2 },
  endswith: { args: 2 },
  tolower: { args: 1 },
  toupper: { args: 1 },
  trim: { args: 1 },
  length: { args: 1 },
  year: { args: 1 },
  month: { args: 1 },
  day: { args: 1 },
} as const

export type FunctionName = keyof typeof FUNCTIONS

export type LiteralValue =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number | bigint }
  | { type: 'boolean'; value: boolean }
  | { type: 'null'; value: null }
  | { type: 'date'; value: string }
  | { type: 'datetime'; value: string }

export type FilterExpression = { position: number } & (
  | ({ kind: 'literal' } & LiteralValue)
  | { kind: 'property'; name: string }
  | { kind: 'compare'; operator: ComparisonOperator; left: FilterExpression; right: FilterExpression }
  | { kind: 'and' | 'or'; left: FilterExpression; right: FilterExpression }
  | { kind: 'not'; operand: FilterExpression }
  | { kind: 'call'; name: FunctionName; args: FilterExpression[] }
  | { kind: 'in'; operand: FilterExpression; list: FilterExpression[] }
)
