import { err, ok, type Result } from 'neverthrow'
import {
  AllFailedError,
  CancelledError,
  InvalidOptionsError,
  QueueFullError,
  ReplayMismatchError,
  RunLockedError,
  StoreError,
  TaskFailedError,
  TimeoutError,
  UnexpectedError,
  WorkerCrashedError,
} from '../errors.js'
import type { JsonValue, StepRecord, WorkflowStore } from './store/types.js'

/** Errors only a durable run (a workflow with a `store`) can end with. */
export type DurableError = ReplayMismatchError | RunLockedError | StoreError

type AnyResult = Result<unknown, unknown>

const MARK = '$okflowError'
const EXPECTED =
  'JSON data: plain objects, arrays, strings, finite numbers, booleans, null (no functions, symbols, BigInt, NaN, undefined in arrays, cycles, Map/Set, Date or class instances)'

/** Thrown inside `encode` only, caught by `encodeOrErr`: where the value stops being data. */
class Unsavable {
  constructor(
    readonly path: string,
    readonly value: unknown,
  ) {}
}

/**
 * Turns a step's value into JSON data, or throws Unsavable with the path of the first part that
 * JSON would drop or change. A structural walk (not a JSON round trip) so the error can say where.
 */
function encode(v: unknown, path: string, seen: object[]): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v !== 'object' || seen.includes(v)) throw new Unsavable(path, v)
  seen.push(v)
  let out: JsonValue
  if (Array.isArray(v)) {
    out = []
    for (let i = 0; i < v.length; i++) out.push(encode(v[i], `${path}[${i}]`, seen))
  } else if (v instanceof Error) {
    // Errors keep name, message, cause and their plain fields (so ts-pattern matches them
    // after a replay); fields that are not data (functions, handles) are left out.
    const fields: Record<string, JsonValue> = {}
    const e = v as Error & Record<string, unknown>
    for (const k of ['name', 'message', 'cause', ...Object.keys(e)]) {
      if (k === 'stack' || !(k in e) || e[k] === undefined) continue
      const depth = seen.length
      try {
        fields[k] = encode(e[k], '', seen)
      } catch {
        seen.length = depth
      }
    }
    out = { [MARK]: fields }
  } else {
    const proto = Object.getPrototypeOf(v)
    if ((proto !== Object.prototype && proto !== null) || MARK in v) throw new Unsavable(path, v)
    out = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encode(x, `${path}.${k}`, seen)
  }
  seen.pop()
  return out
}

/** A step's record, or the InvalidOptionsError that names the step and the part that cannot be saved. */
export function toRecord(seq: number, key: string, r: AnyResult, what: string): StepRecord | InvalidOptionsError {
  const v = r.isOk() ? r.value : r.error
  if (v === undefined) return { seq, key, ok: r.isOk() }
  try {
    return { seq, key, ok: r.isOk(), value: encode(v, '', []) }
  } catch (e) {
    const u = e as Unsavable
    return new InvalidOptionsError(`${what} ${r.isOk() ? 'value' : 'error'}${u.path}`, u.value, EXPECTED)
  }
}

const CLASSES: Record<string, { prototype: object }> = {
  UnexpectedError,
  TimeoutError,
  CancelledError,
  AllFailedError,
  InvalidOptionsError,
  QueueFullError,
  WorkerCrashedError,
  TaskFailedError,
  ReplayMismatchError,
  RunLockedError,
  StoreError,
}

/** JSON data back to a value: errors come back as Errors (okflow's own as their class). */
function decode(v: JsonValue | undefined): unknown {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(decode)
  const fields = v[MARK]
  if (fields !== undefined && fields !== null && typeof fields === 'object' && !Array.isArray(fields)) {
    const tag = fields._tag
    const e = Object.create((typeof tag === 'string' && CLASSES[tag]?.prototype) || Error.prototype)
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

/** The Result a record holds. */
export function fromRecord(rec: StepRecord): AnyResult {
  const v = decode(rec.value)
  return rec.ok ? ok(v) : err(v)
}

/** Store failures become typed errors; a typed one the store chose (RunLockedError) is kept. */
const storeError = (op: 'lock' | 'load' | 'append', runId: string, e: unknown) =>
  e instanceof RunLockedError || e instanceof StoreError ? e : new StoreError(op, runId, e)

/** Outcomes that are not the run's answer: a cancelled or broken run stays resumable. */
const resumable = (r: AnyResult) =>
  r.isErr() &&
  (r.error instanceof CancelledError ||
    r.error instanceof ReplayMismatchError ||
    r.error instanceof RunLockedError ||
    r.error instanceof StoreError)

/**
 * The durable side of one run: the recorded history (by position), the next position, and a
 * chain of appends so records reach the store in order and all are in before the lock goes.
 */
export class Durable {
  /** Position of the next step the body asks for. */
  pos = 0
  closed = false
  private chain: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly store: WorkflowStore,
    readonly runId: string,
    readonly steps: Map<number, StepRecord>,
    /** The recorded outcome of a finished run. */
    readonly outcome: StepRecord | undefined,
    private readonly release: (() => Promise<void>) | undefined,
  ) {}

  /** Locks the run (if the store can) and loads its history. */
  static async open(store: WorkflowStore, runId: string): Promise<Result<Durable, DurableError>> {
    let release: (() => Promise<void>) | undefined
    try {
      release = store.lock ? await store.lock(runId) : undefined
    } catch (e) {
      return err(storeError('lock', runId, e))
    }
    try {
      const steps = new Map<number, StepRecord>()
      let outcome: StepRecord | undefined
      for (const rec of await store.load(runId)) {
        if (rec.seq < 0) outcome = rec
        else steps.set(rec.seq, rec)
      }
      return ok(new Durable(store, runId, steps, outcome, release))
    } catch (e) {
      await release?.().catch(() => {})
      return err(storeError('load', runId, e))
    }
  }

  /** The recorded result at `pos`, a ReplayMismatchError if the recording has another key there, or undefined. */
  replay(pos: number, key: string): AnyResult | undefined {
    const rec = this.steps.get(pos)
    if (!rec) return undefined
    return rec.key === key ? fromRecord(rec) : err(new ReplayMismatchError(this.runId, pos, rec.key, key))
  }

  /** Saves a finished step; resolves to its result, or to the err that it could not be saved. */
  save(seq: number, key: string, r: AnyResult, what: string): Promise<AnyResult> {
    if (this.closed) return Promise.resolve(r)
    const rec = toRecord(seq, key, r, what)
    if (rec instanceof InvalidOptionsError) return Promise.resolve(err(rec))
    return this.write(rec).then((e) => (e ? err(e) : r))
  }

  private write(rec: StepRecord): Promise<StoreError | RunLockedError | undefined> {
    const p = this.chain.then(() =>
      this.store.append(this.runId, rec).then(
        () => undefined,
        (e: unknown) => storeError('append', this.runId, e),
      ),
    )
    this.chain = p
    return p
  }

  /**
   * Ends the run: waits for pending appends, records the outcome (unless the run was cancelled
   * or the durable machinery failed, so it can be resumed), releases the lock.
   */
  async close(r: AnyResult): Promise<AnyResult> {
    this.closed = true
    await this.chain
    let out = r
    if (!resumable(r)) {
      let rec = toRecord(-1, '$result', r, 'workflow result')
      if (rec instanceof InvalidOptionsError) {
        out = err(rec)
        rec = toRecord(-1, '$result', out, '') as StepRecord
      }
      const e = await this.write(rec)
      if (e) out = err(e)
    }
    await this.release?.().catch(() => {})
    return out
  }

  /** Releases the lock of a run that did not run its body (a recorded outcome was returned). */
  async done(): Promise<void> {
    this.closed = true
    await this.release?.().catch(() => {})
  }
}
