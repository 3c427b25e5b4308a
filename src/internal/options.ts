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
  if (value === undefined || value instanceof AbortSignal) return undefined
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
