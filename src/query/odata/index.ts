export { type EntityQuery, MAX_PAGE_SIZE, parseEntityQuery, QUERY_OPTIONS } from './entity-query.js'
export type { ComparisonOperator, FilterExpression } from './filter-ast.js'
export { parseFilter } from './filter-parser.js'
export { filterToSql } from './filter-to-sql.js'
