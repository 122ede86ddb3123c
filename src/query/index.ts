export * from './odata/index.js'
export { ident, literal, literalList } from './sql-text.js'
