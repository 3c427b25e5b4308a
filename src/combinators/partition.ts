import type { Result } from 'neverthrow'
import { formatValue } from '../errors.js'
import { isResult } from '../internal/start.js'

/**
 * Splits Results into `[okValues, errors]`, each in input order. A sync helper, so garbage in
 * throws a TypeError that says what was wrong (never a wrong answer): `results` must be an
 * iterable, and each element a Result.
 */
export function partition<R extends Result<unknown, unknown>>(
  results: Iterable<R>,
): [(R extends Result<infer T, unknown> ? T : never)[], (R extends Result<unknown, infer E> ? E : never)[]] {
  let iterable = false
  try {
    iterable =
      results !== null &&
      (typeof results === 'object' || typeof results === 'function') &&
      typeof (results as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  } catch {}
  if (!iterable) throw new TypeError(`partition: results must be an iterable of Results, got ${formatValue(results)}`)
  const values: unknown[] = []
  const errors: unknown[] = []
  let i = 0
  for (const r of results) {
    if (!isResult(r)) throw new TypeError(`partition: results[${i}] is not a Result, got ${formatValue(r)}`)
    if (r.isOk()) values.push(r.value)
    else errors.push(r.error)
    i++
  }
  return [values, errors] as never
}
