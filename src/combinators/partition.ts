import type { Result } from 'neverthrow'

/** Splits Results into `[okValues, errors]`, each in input order. */
export function partition<R extends Result<unknown, unknown>>(
  results: Iterable<R>,
): [(R extends Result<infer T, unknown> ? T : never)[], (R extends Result<unknown, infer E> ? E : never)[]] {
  const values: unknown[] = []
  const errors: unknown[] = []
  for (const r of results) {
    if (r.isOk()) values.push(r.value)
    else errors.push(r.error)
  }
  return [values, errors] as never
}
