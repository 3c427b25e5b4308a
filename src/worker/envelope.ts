import { isResult } from '../internal/start.js'

/**
 * The plain, structured-clone-safe shape a task's outcome travels in from a worker thread.
 * Tuples rather than objects: they are the cheapest thing to clone, and this is on every task.
 * - `[0, value]`: ok
 * - `[1, error]`: err without a `_tag` (sent as-is through structured clone)
 * - `[2, TaggedPayload]`: err with a `_tag`, flattened so tag, message and plain fields survive
 * - `[3, ThrownPayload]`: the task threw or its promise rejected
 */
export type Envelope =
  | readonly [0, unknown]
  | readonly [1, unknown]
  | readonly [2, TaggedPayload]
  | readonly [3, ThrownPayload]

export interface TaggedPayload {
  readonly tag: string
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
  readonly fields: Record<string, unknown>
}

export interface ThrownPayload {
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
}

/** What the main thread posts: the task name and its input. */
export type Payload = readonly [name: string, input: unknown]

// Own fields that are sent explicitly (or never: functions cannot cross a thread).
const skipped = (key: string) => key === '_tag' || key === 'name' || key === 'message' || key === 'stack'

function encodeErr(error: unknown): Envelope {
  if (typeof error !== 'object' || error === null || typeof (error as { _tag?: unknown })._tag !== 'string') {
    return [1, error]
  }
  const e = error as { _tag: string; name?: unknown; message?: unknown; stack?: unknown }
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(e)) {
    const v = (e as Record<string, unknown>)[key]
    if (skipped(key) || typeof v === 'function' || typeof v === 'symbol') continue
    fields[key] = v
  }
  return [
    2,
    {
      tag: e._tag,
      name: typeof e.name === 'string' ? e.name : e._tag,
      message: typeof e.message === 'string' ? e.message : '',
      stack: typeof e.stack === 'string' ? e.stack : undefined,
      fields,
    },
  ]
}

/** A value, or a Result, as an envelope. */
export function encodeValue(value: unknown): Envelope {
  if (!isResult(value)) return [0, value]
  return value.isOk() ? [0, value.value] : encodeErr(value.error)
}
