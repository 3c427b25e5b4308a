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
 * Reads the named fields of a user's options argument into a plain object, inside a guard:
 * nothing (`undefined`) is `{}`; anything but a plain object is an InvalidOptionsError
 * (`options`), as is a field whose getter throws (named by the field). Later code then reads
 * only the copy, so a Proxy or a throwing getter can never throw from inside a combinator.
 */
export function readOptions<O extends object>(
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
