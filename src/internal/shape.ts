import { InvalidOptionsError } from '../errors.js'
import type { AnyInput, Inputs } from '../types.js'

/** Inputs flattened to a list; `keys` is set for a record input. */
export interface Listed {
  readonly values: readonly AnyInput[]
  readonly keys: readonly string[] | undefined
}

/** Flattens a tuple, array or record of inputs (anything else is an InvalidOptionsError). */
export function listInputs(inputs: Inputs): Listed | InvalidOptionsError {
  if (Array.isArray(inputs)) return { values: inputs, keys: undefined }
  if (typeof inputs === 'object' && inputs !== null) {
    const keys = Object.keys(inputs)
    return { values: keys.map((k) => (inputs as Record<string, AnyInput>)[k] as AnyInput), keys }
  }
  return new InvalidOptionsError('inputs', inputs, 'an array or a record of inputs')
}

/** Puts values back in the input's shape: the array itself, or a record with the same keys. */
export function reshape<V>(values: V[], keys: readonly string[] | undefined): V[] | Record<string, V> {
  if (keys === undefined) return values
  const out: Record<string, V> = {}
  for (let i = 0; i < keys.length; i++) out[keys[i] as string] = values[i] as V
  return out
}
