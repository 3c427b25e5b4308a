import { InvalidOptionsError } from '../errors.js'

/**
 * A user's options argument as an object to read fields from (`undefined` and `null` mean no
 * options). Throws an InvalidOptionsError naming `option` for anything else. Callers read each
 * field once, inside a guard that turns whatever a Proxy or a getter throws into an `err`, so
 * nothing throws out of the public API.
 */
export function optionsOf(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  throw new InvalidOptionsError(option, value, 'an options object')
}

/** What a guard makes of a throw while reading user input: an InvalidOptionsError, as is or naming `option`. */
export const unreadable = (e: unknown, option: string): InvalidOptionsError =>
  e instanceof InvalidOptionsError ? e : new InvalidOptionsError(option, e, 'readable values')

/** Names, ids and keys are non-empty strings (a key names a step's record in a durable store). */
export const checkString = (option: string, v: unknown, optional?: boolean): InvalidOptionsError | undefined =>
  (typeof v === 'string' && v !== '') || (optional && v === undefined)
    ? undefined
    : new InvalidOptionsError(option, v, 'a non-empty string')
