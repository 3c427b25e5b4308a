import { InvalidOptionsError } from '../errors.js'

/**
 * Option checks. Each returns an InvalidOptionsError naming the option, or undefined when the
 * value is fine; callers turn the error into `err(...)` so bad input never throws or hangs.
 */

/** The largest delay setTimeout honours; larger ones would silently fire at once. */
export const MAX_TIMER_MS = 2_147_483_647

export function checkConcurrency(option: string, value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return undefined
  return new InvalidOptionsError(option, value, 'an integer >= 1, or Infinity')
}

export function checkMs(option: string, value: unknown, optional = true): InvalidOptionsError | undefined {
  if (value === undefined && optional) return undefined
  if (value === Number.POSITIVE_INFINITY) return undefined
  if (typeof value === 'number' && value >= 0 && value <= MAX_TIMER_MS) return undefined
  return new InvalidOptionsError(option, value, `a number of milliseconds from 0 to ${MAX_TIMER_MS}, or Infinity`)
}

export function checkSignal(option: string, value: unknown): InvalidOptionsError | undefined {
  if (value === undefined) return undefined
  try {
    // `aborted` is a brand check: an object that only pretends to be a signal throws here.
    if (value instanceof AbortSignal && typeof value.aborted === 'boolean') return undefined
  } catch {}
  return new InvalidOptionsError(option, value, 'an AbortSignal')
}

export function checkInteger(option: string, value: unknown, min: number): InvalidOptionsError | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return undefined
  return new InvalidOptionsError(option, value, `an integer >= ${min}`)
}

export function checkFunction(option: string, value: unknown, optional = true): InvalidOptionsError | undefined {
  if ((value === undefined && optional) || typeof value === 'function') return undefined
  return new InvalidOptionsError(option, value, 'a function')
}

/** The first error among several checks. */
export function firstError(...checks: (InvalidOptionsError | undefined)[]): InvalidOptionsError | undefined {
  for (const c of checks) if (c) return c
  return undefined
}

/**
 * The largest size option (concurrency, buffer, batch and chunk sizes) okflow accepts: larger
 * values only ever come from a mistake (`2 ** 31`, `1e21`) and could make an allocation fail.
 */
export const MAX_SIZE = 2 ** 30

/** An integer from `min` to MAX_SIZE (or Infinity, when `infinity` allows it). */
export function checkSize(
  option: string,
  value: unknown,
  min: number,
  infinity = false,
): InvalidOptionsError | undefined {
  if (infinity && value === Number.POSITIVE_INFINITY) return undefined
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_SIZE) return undefined
  return new InvalidOptionsError(
    option,
    value,
    `an integer from ${min} to ${MAX_SIZE}${infinity ? ', or Infinity' : ''}`,
  )
}

/** The modes of batch jobs and pipelines. */
export const MODES: readonly unknown[] = ['fail-fast', 'settle']

export function checkMode(option: string, value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || MODES.includes(value)) return undefined
  return new InvalidOptionsError(option, value, '"fail-fast" or "settle"')
}

export function checkBoolean(option: string, value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined
  return new InvalidOptionsError(option, value, 'a boolean')
}

/**
 * Copies the named fields of a user's options object into a plain one, each read once inside a
 * guard: a throwing getter or a Proxy trap becomes an InvalidOptionsError naming the field
 * (`prefix` + key), instead of a throw from a call that never throws. Later checks and the run
 * read only the copy. Omitted options (`undefined`) give an empty copy; anything but a plain
 * object is refused as option `name`.
 */
export function readOptions<K extends string>(
  name: string,
  opts: unknown,
  keys: readonly K[],
  prefix = '',
): { [P in K]?: unknown } | InvalidOptionsError {
  if (opts === undefined) return {}
  let array: boolean
  try {
    array = Array.isArray(opts) // throws for a revoked Proxy
  } catch {
    array = true
  }
  if (typeof opts !== 'object' || opts === null || array) return new InvalidOptionsError(name, opts, 'an object')
  const out: { [P in K]?: unknown } = {}
  for (const k of keys) {
    try {
      out[k] = (opts as Record<string, unknown>)[k]
    } catch (e) {
      return new InvalidOptionsError(
        `${prefix}${k}`,
        undefined,
        `a value that can be read (reading it threw: ${describeThrow(e)})`,
      )
    }
  }
  return out
}

function describeThrow(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e)
  } catch {
    return 'something that cannot be shown'
  }
}

/**
 * Reads the named fields of a user's options argument into a plain object, inside a guard:
 * nothing (`undefined`) is `{}`; anything but a plain object is an InvalidOptionsError
 * (`options`), as is a field whose getter throws (named by the field). Later code then reads
 * only the copy, so a Proxy or a throwing getter can never throw from inside a combinator.
 */
export function pickOptions<O extends object>(
  opts: unknown,
  names: readonly (keyof O & string)[],
  option = 'options',
): Partial<O> | InvalidOptionsError {
  const out: Record<string, unknown> = {}
  if (opts === undefined) return out as Partial<O>
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    return new InvalidOptionsError(option, opts, 'an object')
  }
  for (const name of names) {
    try {
      const v = (opts as Record<string, unknown>)[name]
      if (v !== undefined) out[name] = v
    } catch {
      return new InvalidOptionsError(
        option === 'options' ? name : `${option}.${name}`,
        undefined,
        'a value that can be read',
      )
    }
  }
  return out as Partial<O>
}
