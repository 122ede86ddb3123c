export { parseTimestamp, type Timestamp, timestamp } from './dotnet-format.js'
export {
  checkExpressions,
  EXPRESSION_FUNCTIONS,
  type ExpressionScope,
  evaluate,
  evaluateValue,
} from './evaluate.js'
export { callFunction, describe, equal, formatDate } from './expression-functions.js'
export { ExpressionError, type ExpressionNode, parseExpression, parseTemplate } from './expression-parser.js'
export { fromUtc, ianaZone, toUtc } from './time-zones.js'
