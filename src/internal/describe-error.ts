/** An error as people read it: its tag or name, its message and its other fields as short text. */
export interface ErrorInfo {
  /** `_tag`, else `name`, else the kind of value (`string`, `object`…). */
  readonly name: string
  readonly message: string
  /** Other fields (`cause` included), each shown as short JSON-like text. */
  readonly fields: readonly (readonly [string, string])[]
  readonly stack?: string
}

const MAX_TEXT = 2_000
const MAX_FIELD = 500
const SKIP = new Set(['name', 'message', 'stack', '_tag'])

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

/** User text for a terminal: one line, no control characters (a name must not move the cursor or recolour the screen). */
export const printable = (s: string): string => s.replace(/\s*\n\s*/g, ' ⏎ ').replace(/\p{Cc}/gu, '\uFFFD')

/** Reads a property that may be a throwing getter or a proxy trap. */
function read(o: object, k: string): unknown {
  try {
    return (o as Record<string, unknown>)[k]
  } catch {
    return undefined
  }
}

/** Any value as short text: JSON where it can be, never a throw (cycles, BigInt, getters). */
export function showValue(v: unknown, max = MAX_FIELD): string {
  if (typeof v === 'string') return cut(v, max)
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'symbol') return v.toString()
  if (typeof v === 'function') return `[Function ${v.name || 'anonymous'}]`
  if (v instanceof Error) return cut(`${v.name}: ${v.message}`, max)
  try {
    const seen = new WeakSet<object>()
    const text = JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return `${x}n`
      if (typeof x === 'function') return `[Function ${x.name || 'anonymous'}]`
      if (typeof x === 'symbol') return x.toString()
      if (x instanceof Error) return `${x.name}: ${x.message}`
      if (x !== null && typeof x === 'object') {
        if (seen.has(x)) return '[Circular]'
        seen.add(x)
      }
      return x
    })
    return cut(text ?? String(v), max)
  } catch {
    try {
      return cut(String(v), max)
    } catch {
      return '[unprintable]'
    }
  }
}

/**
 * What an error says, for reports, logs and spans. Works on anything a step can fail with (an
 * Error, a tagged plain object, a string) and never throws, even on hostile getters.
 */
export function describeError(e: unknown): ErrorInfo {
  if (e === null || typeof e !== 'object') {
    return { name: e === undefined ? 'undefined' : typeof e, message: showValue(e, MAX_TEXT), fields: [] }
  }
  const tag = read(e, '_tag')
  const name = read(e, 'name')
  const message = read(e, 'message')
  const stack = read(e, 'stack')
  const fields: [string, string][] = []
  let keys: string[] = []
  try {
    keys = Object.keys(e)
  } catch {}
  const cause = read(e, 'cause')
  if (cause !== undefined && !keys.includes('cause')) keys.push('cause')
  for (const k of keys) {
    if (SKIP.has(k)) continue
    const v = read(e, k)
    if (v !== undefined) fields.push([k, showValue(v)])
  }
  const info = {
    name: typeof tag === 'string' ? tag : typeof name === 'string' ? name : 'object',
    message: typeof message === 'string' ? cut(message, MAX_TEXT) : '',
    fields,
  }
  return typeof stack === 'string' ? { ...info, stack: cut(stack, MAX_TEXT) } : info
}
