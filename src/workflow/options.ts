import { InvalidOptionsError } from '../errors.js'

/**
 * A shallow copy of a user's options object, made once inside a guard: a Proxy or a throwing
 * getter becomes an InvalidOptionsError naming `option` instead of a throw, and the fields are
 * read from the copy afterwards (a getter cannot answer differently the second time).
 * `undefined` and `null` mean no options.
 */
export function copyOptions(value: unknown, option: string): Record<string, unknown> | InvalidOptionsError {
  if (value === undefined || value === null) return {}
  try {
    if (typeof value === 'object' && !Array.isArray(value)) return { ...value }
  } catch {
    return new InvalidOptionsError(option, value, 'an options object whose fields can be read')
  }
  return new InvalidOptionsError(option, value, 'an options object')
}
