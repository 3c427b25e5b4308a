// What the pool and its threads (thread.ts) share: the task message and the slot states.

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
