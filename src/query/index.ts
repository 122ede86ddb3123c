export { createDuckDb, type DuckDb, type JsonValue, SqlSession } from './duckdb.js'
export * from './odata/index.js'
export {
  EMPTY,
  ident,
  inlineValue,
  isSql,
  join,
  literal,
  literalList,
  param,
  type Sql,
  type SqlInterpolation,
  type SqlValue,
  sql,
  typeName,
  userWrittenSql,
} from './sql.js'
