// The pool's handle on one worker thread: the Worker, its private port, the slots it shares, and
// the tasks sent to it in the order it will run them.
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { Call } from './call.js'
import type { WorkerResourceLimits } from './options.js'
import type { Answer, TaskMessage, ThreadData } from './protocol.js'
import { SENT } from './states.js'

/**
 * Tasks sent to one thread before it has answered: with 2 the next task is already in the
 * thread's inbox when one ends, so a thread never idles for a round trip through the pool.
 */
export const WINDOW = 2

export class ThreadHandle {
  /** Tasks sent and not yet answered, oldest first; `undefined` where one was taken back. */
  readonly sent: (Call | undefined)[] = []
  /** The message id of each entry of `sent`: answers name it. */
  readonly ids: number[] = []
  /** Tasks ever sent: `count % WINDOW` is the next slot. */
  private count = 0
  /** False once the thread is being stopped: it gets no more tasks. */
  live = true
  /** True once its tasks module has loaded (its first message on the private port). */
  ready = false
  /** Answers it has given: a thread that dies before its first is a failed start. */
  answers = 0
  /** True when the pool stopped it because it did not load its module in time. */
  startTimedOut = false
  private referenced = true
  idleSince = 0
  idleTimer: ReturnType<typeof setTimeout> | undefined
  startTimer: ReturnType<typeof setTimeout> | undefined
  /** What its `error` event said, if it crashed. */
  error: Error | undefined

  constructor(
    readonly worker: Worker,
    readonly port: MessagePort,
    readonly slots: Int32Array,
  ) {}

  /** Tasks it holds, including taken-back placeholders that it has not yet skipped. */
  get load(): number {
    return this.sent.length
  }

  /** Posts a task in the next slot; throws (nothing changed) if the input cannot be cloned. */
  post(call: Call, id: number): void {
    const slot = this.count % WINDOW
    Atomics.store(this.slots, slot, SENT)
    const message: TaskMessage = [call.name, call.input, slot, id]
    if (call.transfer === undefined) this.port.postMessage(message)
    else this.port.postMessage(message, call.transfer)
    this.count++
    call.thread = this
    call.slot = slot
    this.sent.push(call)
    this.ids.push(id)
  }

  /** Where the entry answered by message `id` is in `sent`, or -1. */
  indexOf(id: number): number {
    return this.ids[0] === id ? 0 : this.ids.indexOf(id)
  }

  /** Removes entry `i` of `sent` (undefined: it had been taken back). */
  removeAt(i: number): Call | undefined {
    const call = this.sent[i]
    if (i === 0) {
      this.sent.shift()
      this.ids.shift()
    } else {
      this.sent.splice(i, 1)
      this.ids.splice(i, 1)
    }
    return call
  }

  /** Keeps the process alive while it has work (or is being stopped: see retire). */
  ref(): void {
    if (!this.referenced) {
      this.worker.ref()
      this.referenced = true
    }
  }

  /** An idle thread does not keep the process alive. */
  unref(): void {
    if (this.referenced) {
      this.worker.unref()
      this.referenced = false
    }
  }

  /** Messages it sent that this process has not read yet (a busy process reads them after its timers). */
  pending(): Answer[] {
    const out: Answer[] = []
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port))
      out.push(m.message)
    return out
  }

  clearTimers(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    if (this.startTimer !== undefined) clearTimeout(this.startTimer)
    this.idleTimer = undefined
    this.startTimer = undefined
  }
}

export interface StartConfig {
  /** The tasks module, as a `file:` URL. */
  readonly url: string
  /** The thread runner (thread.ts as built). */
  readonly runner: URL
  readonly startTimeoutMs: number
  readonly resourceLimits: WorkerResourceLimits | undefined
}

/** What a thread tells the pool. */
export interface ThreadEvents {
  answered(thread: ThreadHandle, answer: Answer): void
  unreadable(thread: ThreadHandle, error: Error): void
  /** `late`: answers still in the port when the thread exited (a private port is not drained for us). */
  exit(thread: ThreadHandle, code: number, late: Answer[]): void
  startTimedOut(thread: ThreadHandle): void
}

/** Starts a worker thread with its private port and slots (an Error if `new Worker` throws). */
export function startThread(config: StartConfig, on: ThreadEvents): ThreadHandle | Error {
  const { url, runner, resourceLimits, startTimeoutMs } = config
  const state = new SharedArrayBuffer(WINDOW * Int32Array.BYTES_PER_ELEMENT)
  const { port1, port2 } = new MessageChannel()
  const workerData: ThreadData = { url, state, port: port2 }
  let worker: Worker
  try {
    const options = { workerData, transferList: [port2] }
    worker = new Worker(runner, resourceLimits === undefined ? options : { ...options, resourceLimits })
  } catch (e) {
    port1.close()
    return e instanceof Error ? e : new Error(String(e))
  }
  const thread = new ThreadHandle(worker, port1, new Int32Array(state))
  port1.on('message', (answer: Answer) => on.answered(thread, answer))
  port1.on('messageerror', (e: Error) => on.unreadable(thread, e))
  // The port must not keep the process alive by itself: the worker's own ref does when it has work.
  port1.unref()
  worker.on('error', (e: Error) => {
    thread.error ??= e
  })
  worker.on('exit', (code: number) => {
    const late = thread.pending()
    port1.close()
    on.exit(thread, code, late)
  })
  if (Number.isFinite(startTimeoutMs)) {
    thread.startTimer = setTimeout(() => on.startTimedOut(thread), startTimeoutMs)
    thread.startTimer.unref()
  }
  return thread
}
