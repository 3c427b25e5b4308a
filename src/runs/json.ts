import { InvalidOptionsError } from '../errors.js'

const EXPECTED = 'JSON data (plain objects, arrays, strings, finite numbers, booleans, null)'

/** The path of the first part of `v` that JSON would drop or change, or undefined when it is data. */
function firstNonJson(v: unknown, path: string, seen: Set<object>): [string, unknown] | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? undefined : [path, v]
  if (typeof v !== 'object' || seen.has(v)) return [path, v]
  seen.add(v)
  try {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const bad = firstNonJson(v[i], `${path}[${i}]`, seen)
        if (bad) return bad
      }
      return undefined
    }
    const proto = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) return [path, v]
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue
      const bad = firstNonJson(x, `${path}.${k}`, seen)
      if (bad) return bad
    }
    return undefined
  } finally {
    seen.delete(v)
  }
}

/** An InvalidOptionsError naming the part of a run's input that is not JSON (`input.items[2]`). */
export function checkJson(option: string, v: unknown): InvalidOptionsError | undefined {
  const bad = firstNonJson(v, option, new Set())
  return bad ? new InvalidOptionsError(bad[0], bad[1], EXPECTED) : undefined
}
