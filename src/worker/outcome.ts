// Worker side: a task's return value as an Outcome (protocol.ts), and the `transfer()` helper.
import type { Transferable } from 'node:worker_threads'
import { isResult } from '../internal/start.js'
import { ERR, OK, type Outcome, TAGGED } from './protocol.js'

const TRANSFER = Symbol('okflow.transfer')

/** What `transfer()` returns inside a worker thread, read back by `encodeValue`. */
interface Transferred {
  readonly [TRANSFER]: readonly Transferable[]
  readonly value: unknown
}

/**
 * Marks a task's result (or the value of its `ok`) to be **moved** to the main thread instead of
 * copied: the objects in `list` (e.g. the result's `ArrayBuffer`) are detached in the worker.
 * Typed as the value itself, so the task's output type stays what the caller receives.
 *
 * @example
 * ```ts
 * export default defineWorkerTasks({ render: (n: number) => { const b = new ArrayBuffer(n); return transfer(b, [b]) } })
 * ```
 */
export function transfer<T>(value: T, list: readonly Transferable[]): T {
  const marked: Transferred = { [TRANSFER]: list, value }
  return marked as unknown as T
}

function isTransferred(value: unknown): value is Transferred {
  return typeof value === 'object' && value !== null && TRANSFER in value
}

// Own fields that are sent explicitly (or never: functions cannot cross a thread).
const skipped = (key: string) => key === '_tag' || key === 'name' || key === 'message' || key === 'stack'

function encodeErr(error: unknown): Outcome {
  if (typeof error !== 'object' || error === null || typeof (error as { _tag?: unknown })._tag !== 'string') {
    return [ERR, error]
  }
  const e = error as { _tag: string; name?: unknown; message?: unknown; stack?: unknown }
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(e)) {
    const v = (e as Record<string, unknown>)[key]
    if (skipped(key) || typeof v === 'function' || typeof v === 'symbol') continue
    fields[key] = v
  }
  return [
    TAGGED,
    {
      tag: e._tag,
      name: typeof e.name === 'string' ? e.name : e._tag,
      message: typeof e.message === 'string' ? e.message : '',
      stack: typeof e.stack === 'string' ? e.stack : undefined,
      fields,
    },
  ]
}

function encodeOk(value: unknown): Outcome {
  return isTransferred(value) ? [OK, value.value, value[TRANSFER]] : [OK, value]
}

/** A value, or a Result, as an outcome. */
export function encodeValue(value: unknown): Outcome {
  if (!isResult(value)) return encodeOk(value)
  return value.isOk() ? encodeOk(value.value) : encodeErr(value.error)
}
