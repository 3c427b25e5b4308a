import { InvalidOptionsError } from '../errors.js'
import type { AnyInput, Inputs } from '../types.js'

/** Inputs flattened to a list; `keys` is set for a record input. */
export interface Listed {
  readonly values: readonly AnyInput[]
  readonly keys: readonly string[] | undefined
}

/**
 * Flattens the inputs of a group: an array (copied, so later changes to it do not matter), any
 * other iterable (a Set, a generator, `map.values()`: read once, as an array), or a plain
 * record. Anything else — a Map, a string, a promise, a class instance — is refused with an
 * InvalidOptionsError rather than taken for an empty record that runs nothing. Reading the
 * inputs is user code (getters, Proxies, generators): a throw there refuses them too.
 */
export function listInputs(inputs: unknown): Listed | InvalidOptionsError {
  try {
    if (Array.isArray(inputs)) return { values: inputs.slice(), keys: undefined }
    if (typeof inputs === 'object' && inputs !== null && !(inputs instanceof Map)) {
      const i = inputs as Record<string | symbol, unknown>
      if (typeof i[Symbol.iterator] === 'function') return { values: Array.from(i as never), keys: undefined }
      const proto = Object.getPrototypeOf(i)
      // A promise or other thenable given where a collection was meant is not an empty record.
      if ((proto === Object.prototype || proto === null) && typeof i.then !== 'function') {
        const keys = Object.keys(i)
        return { values: keys.map((k) => i[k] as AnyInput), keys }
      }
    }
  } catch {} // a getter, a Proxy trap or a generator threw: not inputs that can be read
  return new InvalidOptionsError('inputs', inputs, 'an array, an iterable or a plain record (not a Map)')
}

/** True when `listInputs` gave a list rather than an error. */
export function isListed(x: Listed | InvalidOptionsError): x is Listed {
  return !(x instanceof InvalidOptionsError)
}

/** Puts values back in the input's shape: the array itself, or a record with the same keys. */
export function reshape<V>(values: V[], keys: readonly string[] | undefined): V[] | Record<string, V> {
  // fromEntries defines each key, so a key named "__proto__" stays a key, not the prototype.
  return keys === undefined ? values : Object.fromEntries(keys.map((k, i) => [k, values[i] as V]))
}

/** Inputs of a type that `listInputs` accepts at run time (an array, an iterable or a record). */
export type AnyInputs = Inputs | Iterable<AnyInput>
