// Every message the pool and its threads (thread.ts) exchange, and the shared slot states.
// No runtime imports but states.ts: thread.ts loads this in every worker thread.
import type { MessagePort, Transferable } from 'node:worker_threads'
//
// The pool talks to a thread over a private MessagePort (`ThreadData.port`), never over
// `parentPort`: whatever a task posts to `parentPort` itself (progress reports, say) can never be
// taken for an answer. Every task and every answer also carries the task's id, so an answer is
// bound to its task even if the order of messages ever changed.

/**
 * How a task's outcome travels back from a thread. Tuples rather than objects: they are the
 * cheapest thing to clone, and this is on every task.
 * - `[OK, value, list?]`: ok (`list`: what `transfer()` asked to move back instead of copying)
 * - `[ERR, error]`: err without a `_tag` (sent as-is through structured clone)
 * - `[TAGGED, TaggedPayload]`: err with a `_tag`, flattened so tag, message and plain fields survive
 * - `[THROWN, ThrownPayload]`: the task threw or its promise rejected
 */
export type Outcome =
  | readonly [typeof OK, unknown, (readonly Transferable[])?]
  | readonly [typeof ERR, unknown]
  | readonly [typeof TAGGED, TaggedPayload]
  | readonly [typeof THROWN, ThrownPayload]

export const OK = 0
export const ERR = 1
export const TAGGED = 2
export const THROWN = 3

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

/** What `defineWorkerTasks`'s handler takes: the task name and its input. */
export type Payload = readonly [name: string, input: unknown]

/** Pool → thread: run a task. `[name, input]` is the `defineWorkerTasks` payload. */
export type TaskMessage = readonly [name: string, input: unknown, slot: number, id: number]

/**
 * Thread → pool, on the private port: the answer to task `id` (`outcome` null: the task was
 * cancelled before it started and was skipped). Objects a task moved back with `transfer()` travel
 * in the message's transfer list.
 */
export type Answer = readonly [id: number, outcome: Outcome | null]

/** A thread's `workerData`. */
export interface ThreadData {
  /** The tasks module, as a `file:` URL. */
  readonly url: string
  /** One Int32 per slot of the thread's in-flight window (see states.ts). */
  readonly state: SharedArrayBuffer
  /** The private port tasks arrive on and answers leave by. */
  readonly port: MessagePort
}

/** Thread → pool once the tasks module has loaded (or failed to): `[READY_ID, null]`. */
export const READY_ID = -1

/** Reads a property of a value that may be a hostile Proxy or have a throwing getter. */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/**
 * Anything thrown, as an outcome. Errors are recognised by their shape, not `instanceof`, so one
 * from another realm (a `vm` context) keeps its name, message and stack; non-errors are described,
 * since they may not be cloneable.
 */
export function encodeThrown(thrown: unknown): Outcome {
  if (typeof thrown === 'object' && thrown !== null) {
    const message = read(thrown, 'message')
    const name = read(thrown, 'name')
    const stack = read(thrown, 'stack')
    if (typeof message === 'string' && (typeof name === 'string' || typeof stack === 'string')) {
      return [
        THROWN,
        {
          name: typeof name === 'string' ? name : 'Error',
          message,
          stack: typeof stack === 'string' ? stack : undefined,
        },
      ]
    }
  }
  let text: string
  try {
    text = String(thrown)
  } catch {
    text = Object.prototype.toString.call(thrown)
  }
  return [THROWN, { name: typeof thrown, message: text, stack: undefined }]
}
