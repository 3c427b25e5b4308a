/**
 * A step's Result ↔ its StepRecord: values become JSON data (or the InvalidOptionsError that
 * names the step, the path and the fix), and come back as they were (okflow's errors as their
 * classes, through the registry in errors.ts).
 */
import { err, ok, type Result } from 'neverthrow'
import { ERRORS, InvalidOptionsError, StoreError } from '../../errors.js'
import type { JsonValue, StepRecord } from './types.js'

/** How a step's value is saved and read back: for values that are not JSON (bytes, Dates, …). */
export interface StepCodec<T = unknown> {
  encode(value: T): JsonValue
  decode(json: JsonValue): T
}

type AnyResult = Result<unknown, unknown>

const MARK = '$okflowError'
const EXPECTED =
  'JSON data: plain objects, arrays, strings, finite numbers, booleans, null (no functions, symbols, BigInt, NaN, -0, undefined in arrays, cycles, Map/Set, Date or class instances)'
const FIX =
  '; to save it anyway give the step a `codec: { encode, decode }`, or `record: false` to run it again on replay'

/** Thrown inside `encode` only, caught by `toRecord`: where the value stops being data. */
class Unsavable {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly why?: string,
  ) {}
}

const prop = (path: string, k: string) =>
  /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`

/** Reads a property inside a guard: a throwing getter (or proxy) is an unsavable part, with its path. */
function read(v: object, k: string | number, path: string): unknown {
  try {
    return (v as Record<string | number, unknown>)[k]
  } catch (e) {
    throw new Unsavable(path, e, 'a property that throws when read')
  }
}

/**
 * Turns a step's value into JSON data, or throws Unsavable with the path of the first part that
 * JSON would drop or change. A structural walk (not a JSON round trip) so the error can say where.
 */
function encode(v: unknown, path: string, seen: object[]): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)) return v
  if (typeof v !== 'object' || seen.includes(v)) throw new Unsavable(path, v)
  seen.push(v)
  let out: JsonValue
  let keys: string[]
  let symbols: symbol[]
  try {
    keys = Object.keys(v)
    symbols = Object.getOwnPropertySymbols(v)
  } catch (e) {
    throw new Unsavable(path, e, 'an object whose keys cannot be listed')
  }
  // JSON keeps neither symbol keys nor (on arrays) named properties: refuse them, not drop them.
  if (symbols.length > 0 && !(v instanceof Error)) throw new Unsavable(`${path}[${String(symbols[0])}]`, v)
  if (Array.isArray(v)) {
    out = []
    for (let i = 0; i < v.length; i++) out.push(encode(read(v, i, `${path}[${i}]`), `${path}[${i}]`, seen))
    const extra = keys.find((k) => !/^(0|[1-9]\d*)$/.test(k) || Number(k) >= v.length)
    if (extra !== undefined) throw new Unsavable(prop(path, extra), read(v, extra, prop(path, extra)))
  } else if (v instanceof Error) {
    // Errors keep name, message, cause and their plain fields (so ts-pattern matches them
    // after a replay); fields that are not data (functions, handles) are left out.
    const fields: Record<string, JsonValue> = {}
    const e = v as Error & Record<string, unknown>
    for (const k of ['name', 'message', 'cause', ...keys]) {
      const depth = seen.length
      try {
        if (k === 'stack' || !(k in e) || e[k] === undefined) continue
        fields[k] = encode(e[k], '', seen)
      } catch {
        seen.length = depth
      }
    }
    out = { [MARK]: fields }
  } else {
    let proto: unknown
    try {
      proto = Object.getPrototypeOf(v)
    } catch (e) {
      throw new Unsavable(path, e, 'an object whose prototype cannot be read')
    }
    if ((proto !== Object.prototype && proto !== null) || keys.includes(MARK)) throw new Unsavable(path, v)
    out = {}
    for (const k of keys) {
      const p = prop(path, k)
      const x = read(v, k, p)
      if (x !== undefined) out[k] = encode(x, p, seen)
    }
  }
  seen.pop()
  return out
}

/** Describes a step in its record (for histories and reports); replay reads only seq/key/ok/value. */
export interface RecordMeta {
  readonly name?: string | undefined
  readonly kind?: string | undefined
  readonly startedAt?: number | undefined
  /** When the step ends, if not now (a durable sleep's record, written at its start, ends at its wake-up time). */
  readonly endedAt?: number | undefined
  readonly attempts?: number | undefined
  readonly codec?: StepCodec | undefined
  /** The step's `compensate` (any truthy value): its ok record is marked `undo: true`. */
  readonly undo?: unknown
}

/** A step's record, or the InvalidOptionsError that names the step and the part that cannot be saved. */
export function toRecord(
  seq: number,
  key: string,
  r: AnyResult,
  what: string,
  meta: RecordMeta = {},
): StepRecord | InvalidOptionsError {
  const base: { -readonly [K in keyof StepRecord]: StepRecord[K] } = { seq, key, ok: r.isOk() }
  if (meta.name !== undefined && meta.name !== key) base.name = meta.name
  if (meta.kind !== undefined) base.kind = meta.kind
  if (meta.startedAt !== undefined) {
    base.startedAt = meta.startedAt
    base.endedAt = meta.endedAt ?? Date.now()
  }
  if (meta.attempts !== undefined && meta.attempts > 1) base.attempts = meta.attempts
  if (meta.undo && r.isOk()) base.undo = true
  const v = r.isOk() ? r.value : r.error
  const part = r.isOk() ? 'value' : 'error'
  if (r.isOk() && meta.codec) {
    try {
      const json = meta.codec.encode(v)
      base.value = encode(json, '', [])
      return base
    } catch (e) {
      const u = e instanceof Unsavable ? e : new Unsavable('', e, 'a codec whose encode throws')
      return unsavable(`${what} codec.encode(value)${u.path}`, u)
    }
  }
  if (v === undefined) return base
  try {
    base.value = encode(v, '', [])
    return base
  } catch (e) {
    const u = e instanceof Unsavable ? e : new Unsavable('', e, 'a value that throws when read')
    return unsavable(`${what} ${part}${u.path}`, u, seq >= 0)
  }
}

const unsavable = (option: string, u: Unsavable, fix = true) =>
  new InvalidOptionsError(option, u.value, `${u.why ? `not ${u.why}: ` : ''}${EXPECTED}${fix ? FIX : ''}`)

const classes = ERRORS as Record<string, { prototype: object }>

/** JSON data back to a value: errors come back as Errors (okflow's own as their class). */
function decode(v: JsonValue | undefined): unknown {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(decode)
  const fields = v[MARK]
  if (fields !== undefined && fields !== null && typeof fields === 'object' && !Array.isArray(fields)) {
    const tag = fields._tag
    const cls = typeof tag === 'string' && Object.hasOwn(classes, tag) ? classes[tag] : undefined
    const e = Object.create(cls?.prototype ?? Error.prototype)
    for (const [k, x] of Object.entries(fields)) {
      // Like a constructed Error: message, cause and stack are not enumerable.
      Object.defineProperty(e, k, {
        value: decode(x),
        writable: true,
        configurable: true,
        enumerable: !/^(message|cause)$/.test(k),
      })
    }
    Object.defineProperty(e, 'stack', {
      value: `${e.name}: ${e.message}\n    (replayed from a durable store)`,
      writable: true,
      configurable: true,
    })
    return e
  }
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[k] = decode(x)
  return out
}

/** The Result a record holds (an ok value through the step's codec, when it has one). */
export function fromRecord(rec: StepRecord, codec?: StepCodec, runId = ''): AnyResult {
  if (rec.ok && codec) {
    try {
      return ok(codec.decode(rec.value ?? null))
    } catch (e) {
      return err(new StoreError('load', runId, new Error(`codec.decode of step "${rec.key}" threw`, { cause: e })))
    }
  }
  const v = decode(rec.value)
  return rec.ok ? ok(v) : err(v)
}
