// The bad-input campaign's harness: a broad mix of wrong values, and one check that a call
// answered them with a typed err — never a throw, a rejection, a hang or an uncaught error.
// Each area has its own table in this folder (`<area>.test.ts`); `case` counts every row.
import { expect } from 'vitest'
import { throwingThen } from '../helpers.js'

/** A getter that throws, a Proxy whose every trap throws, and other values user code can hand us. */
export function hostile(): Record<string, unknown> {
  const throwingGetter = throwingThen()
  const trap = () => {
    throw new Error('proxy trap')
  }
  const proxy = new Proxy(
    {},
    { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap },
  )
  return { throwingGetter, proxy, nullProto: Object.create(null) }
}

/** Wrong values for an option that wants a number of some kind. */
export const BAD_NUMBERS: readonly unknown[] = [
  -1,
  0.5,
  Number.NaN,
  Number.NEGATIVE_INFINITY,
  1e21,
  2 ** 31,
  '',
  '3',
  null,
  true,
  {},
  [],
  () => 1,
  Symbol('n'),
  10n,
]

/** Wrong values where an options object (or nothing) was expected. */
export const BAD_OPTIONS: readonly unknown[] = [5, 'x', true, Symbol('o'), () => ({}), 10n, []]

/** Wrong values where a function was expected. */
export const BAD_FUNCTIONS: readonly unknown[] = [undefined, null, 1, 'fn', {}, [], Symbol('f')]

/** Wrong values where an AbortSignal was expected. */
export const BAD_SIGNALS: readonly unknown[] = [null, 1, 'signal', {}, { aborted: false }, () => {}]

let cases = 0
/** How many cases ran in this file (each table prints its count). */
export const caseCount = () => cases

/** What a call gave back, whatever it was: a value, a throw, a rejection, or nothing in time. */
type Outcome =
  | { kind: 'value'; value: unknown }
  | { kind: 'threw'; error: unknown }
  | { kind: 'rejected'; error: unknown }
  | { kind: 'hung' }

async function outcome(call: () => unknown, ms: number): Promise<Outcome> {
  let r: unknown
  try {
    r = call()
  } catch (error) {
    return { kind: 'threw', error }
  }
  if (r === null || (typeof r !== 'object' && typeof r !== 'function')) return { kind: 'value', value: r }
  const then = (r as { then?: unknown }).then
  if (typeof then !== 'function') return { kind: 'value', value: r }
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hung' }), ms)
  })
  const settled = Promise.resolve(r as PromiseLike<unknown>).then(
    (value): Outcome => ({ kind: 'value', value }),
    (error): Outcome => ({ kind: 'rejected', error }),
  )
  const o = await Promise.race([settled, hung])
  clearTimeout(timer)
  return o
}

/** The `_tag` of a Result's error (undefined when it is ok, or not a Result). */
function tagOf(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const r = v as { isErr?: () => boolean; error?: unknown }
  if (typeof r.isErr !== 'function' || !r.isErr()) return undefined
  const e = r.error as { _tag?: unknown } | null
  return e !== null && typeof e === 'object' && typeof e._tag === 'string' ? e._tag : undefined
}

/**
 * Asserts `call` answers with `err(<tag>)` (a Result or a promise of one) within `ms` of real
 * time: no throw, no rejection, no hang. `tag` defaults to InvalidOptionsError; when `option` is
 * given, the error must name it.
 */
export async function expectTypedErr(
  call: () => unknown,
  {
    tag = 'InvalidOptionsError',
    option,
    ms = 2_000,
  }: { tag?: string | readonly string[]; option?: string; ms?: number } = {},
): Promise<void> {
  cases++
  const o = await outcome(call, ms)
  expect(o.kind, describeOutcome(o)).toBe('value')
  const v = (o as { value: unknown }).value
  const got = tagOf(v)
  const tags = typeof tag === 'string' ? [tag] : tag
  expect(tags, `expected err(${tags.join('|')}), got ${got === undefined ? 'no tagged err' : `err(${got})`}`).toContain(
    got,
  )
  if (option !== undefined) expect((v as { error: { option?: unknown } }).error.option).toBe(option)
}

/**
 * For the sync helpers that document a sync error: asserts `call` throws a TypeError or a
 * RangeError whose message names `what` (never another kind of throw, never a wrong answer).
 */
export function expectDocumentedThrow(call: () => unknown, what: string): void {
  cases++
  let thrown: unknown
  let returned: unknown
  try {
    returned = call()
  } catch (e) {
    thrown = e
  }
  expect(thrown, `returned ${String(returned)} instead of throwing`).toBeInstanceOf(Error)
  expect(['TypeError', 'RangeError', 'InvalidOptionsError']).toContain((thrown as Error).name)
  expect((thrown as Error).message).toContain(what)
}

function describeOutcome(o: Outcome): string {
  if (o.kind === 'threw') return `threw ${String((o.error as Error)?.stack ?? o.error)}`
  if (o.kind === 'rejected') return `rejected with ${String((o.error as Error)?.stack ?? o.error)}`
  if (o.kind === 'hung') return 'never settled'
  return 'settled'
}

/** A readable label for a value in a test name. */
export function label(v: unknown): string {
  if (typeof v === 'symbol') return v.toString()
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'function') return 'a function'
  if (Array.isArray(v)) return v.length ? '[…]' : '[]'
  if (v !== null && typeof v === 'object') return Object.getPrototypeOf(v) === null ? 'null-proto object' : '{…}'
  if (typeof v === 'string') return JSON.stringify(v)
  if (Object.is(v, -0)) return '-0'
  return String(v)
}
