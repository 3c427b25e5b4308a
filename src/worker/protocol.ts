// What the pool and its threads (thread.ts) share: the task message, the slot states, and the
// envelope of a throw. No runtime imports: thread.ts loads this in every worker thread.
import type { Envelope } from './envelope.js'

/** Posted to a thread: `[name, input, slot]`; `[name, input]` is the `defineWorkerTasks` payload. */
export type TaskMessage = readonly [name: string, input: unknown, slot: number]

/** A thread's `workerData`. */
export interface ThreadData {
  /** The tasks module, as a `file:` URL. */
  readonly url: string
  /** One Int32 per slot of the thread's in-flight window. */
  readonly state: SharedArrayBuffer
}

/** Slot states: the pool writes SENT and CANCELLED, the thread STARTED and DONE. */
export const SENT = 1
export const STARTED = 2
export const DONE = 3
export const CANCELLED = 4

/** Anything thrown, as an envelope (non-errors are described, since they may not be cloneable). */
export function encodeThrown(thrown: unknown): Envelope {
  if (thrown instanceof Error) {
    return [3, { name: thrown.name, message: thrown.message, stack: thrown.stack }]
  }
  return [3, { name: typeof thrown, message: String(thrown), stack: undefined }]
}
