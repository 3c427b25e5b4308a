import { InvalidOptionsError } from '../errors.js'

/**
 * A shallow copy of a user's options object, made once: fields are then read from the copy (a
 * getter cannot answer differently the second time). `undefined` and `null` mean no options.
 * Throws an InvalidOptionsError naming `option` for anything else, or for a Proxy or a throwing
 * getter; every caller turns it into an `err`, so nothing throws out of the public API.
 */
export function copyOptions(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  try {
    if (typeof value === 'object' && !Array.isArray(value)) return { ...value }
  } catch {
    // Unreadable: refused below.
  }
  throw new InvalidOptionsError(option, value, 'an options object')
}
