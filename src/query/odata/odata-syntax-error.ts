import { AppError } from '../../errors.js'

/**
 * A malformed OData query option: 400, naming the option, the 1-based character position and
 * what was expected there.
 */
export function odataSyntaxError(option: string, position: number, message: string): AppError {
  return new AppError('InvalidQuery', `${option}: ${message} at position ${position}`, {
    target: option,
    details: [{ path: `${option}@${position}`, message }],
  })
}
