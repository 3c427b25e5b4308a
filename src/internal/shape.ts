import { InvalidOptionsError } from '../errors.js'
import type { AnyInput, Inputs } from '../types.js'
import { describeThrow } from './options.js'

/** Inputs flattened to a list; `keys` is set for a record input. */
export interface Listed {
  readonly values: readonly AnyInput[]
  readonly keys: readonly string[] | undefined
}

const EXPECTED = 'an array, an iterable (Set, generator, map.values()) or a plain record of inputs'

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
    if (typeof inputs !== 'object' || inputs === null) return new InvalidOptionsError('inputs', inputs, EXPECTED)
    if (inputs instanceof Map) {
      return new InvalidOptionsError('inputs', inputs, `${EXPECTED}; for a Map pass map.values()`)
    }
    if (typeof (inputs as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
      return { values: Array.from(inputs as Iterable<AnyInput>), keys: undefined }
    }
    // A promise or other thenable given where a collection was meant is not an empty record.
    if (typeof (inputs as { then?: unknown }).then === 'function') {
      return new InvalidOptionsError('inputs', inputs, `${EXPECTED}, not a promise`)
    }
    const proto = Object.getPrototypeOf(inputs)
    if (proto !== Object.prototype && proto !== null) return new InvalidOptionsError('inputs', inputs, EXPECTED)
    const keys = Object.keys(inputs)
    const values = new Array<AnyInput>(keys.length)
    for (let i = 0; i < keys.length; i++)
      values[i] = (inputs as Record<string, AnyInput>)[keys[i] as string] as AnyInput
    return { values, keys }
  } catch (e) {
    return new InvalidOptionsError(
      'inputs',
      inputs,
      `inputs that can be read (reading them threw: ${describeThrow(e)})`,
    )
  }
}

/** True when `listInputs` gave a list rather than an error. */
export function isListed(x: Listed | InvalidOptionsError): x is Listed {
  return !(x instanceof InvalidOptionsError)
}

/** Puts values back in the input's shape: the array itself, or a record with the same keys. */
export function reshape<V>(values: V[], keys: readonly string[] | undefined): V[] | Record<string, V> {
  if (keys === undefined) return values
  const out: Record<string, V> = {}
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    // `out.__proto__ = v` would set the prototype instead of a key named "__proto__".
    if (k === '__proto__') Object.defineProperty(out, k, { value: values[i], enumerable: true, writable: true })
    else out[k] = values[i] as V
  }
  return out
}

/** Inputs of a type that `listInputs` accepts at run time (an array, an iterable or a record). */
export type AnyInputs = Inputs | Iterable<AnyInput>
