// The worker pool runs on okflow's own dispatcher over node:worker_threads, not on piscina.
//
// Measured reason (benchmarks/worker.bench.mjs, 2 threads, quiet 2-vCPU machine, Node 20.20,
// same-run ratios, 4 runs): piscina adds ~0.1-0.15 ms per task, a large share of a 0.65 ms task.
// SHA-256 of 64 x 1 MiB chunks (views on one SharedArrayBuffer), time x main thread: raw piscina
// 0.80-0.93x; okflow on piscina 0.78-0.97x; raw worker_threads (one message per chunk) 0.57-0.64x;
// this dispatcher 0.58-0.65x, within 0.03 of raw threads in every run (1.55-1.73x speed-up).
// 2000 trivial tasks, time x raw piscina: okflow on piscina 1.13-1.25x, this dispatcher 0.23-0.31x.
// The window of 2 tasks in flight per thread is what makes it: with 1 (the thread waits for a round
// trip between tasks) it was 0.63x the main thread on SHA-256 and 0.57x raw piscina on trivial tasks;
// 4 only helps trivial tasks (0.16x), and would put more sent-ahead tasks at stake in a crash.
//
// How it works: okflow keeps the queue (queue.ts, O(1) removal) and sends each thread up to WINDOW
// tasks; the thread (thread.ts) runs them one at a time, in order, and answers in order. A slot per
// in-flight task in a SharedArrayBuffer says whether the thread has started it, so a task sent ahead
// can be taken back (timeout, abort, a crash, a recycled thread) knowing it never ran.
import { pathToFileURL } from 'node:url'
import { type TransferListItem, Worker } from 'node:worker_threads'
import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { CancelledError, InvalidOptionsError, QueueFullError, TimeoutError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkMs, checkSignal, firstError } from '../internal/options.js'
import { crashed, decode, unsendable } from './decode.js'
import type { WorkerTaskMap, WorkerTasks } from './define.js'
import { checkPoolOptions, type WorkerPoolOptions } from './options.js'
import { CANCELLED, encodeThrown, SENT, STARTED, type TaskMessage, type ThreadData } from './protocol.js'
import { type Linked, LinkedQueue } from './queue.js'
import type { TaskError, TaskInput, TaskName, TaskOutput, WorkerRunError } from './types.js'

/** Options of one `pool.run` call. */
export interface RunTaskOptions {
  /** Gives up after this long (queue wait included): `TimeoutError`, and a running task's thread is replaced. */
  timeoutMs?: number | undefined
  /** Aborting it cancels the task: `CancelledError`; queued → removed, running → its thread is replaced. */
  signal?: AbortSignal | undefined
  /** Objects moved to the worker instead of copied (e.g. an `ArrayBuffer`); they are detached here. */
  transfer?: readonly TransferListItem[] | undefined
}

/** Options of `pool.close`. */
export interface CloseOptions {
  /** Cancel queued and running tasks (`CancelledError`) instead of letting them finish. */
  force?: boolean | undefined
}

/** Counters of a pool since it was created. */
export interface WorkerPoolMetrics {
  /** Tasks taken in (queued or started); runs refused with `QueueFullError` are not counted. */
  readonly submitted: number
  /** Tasks that ended with an ok value. */
  readonly completed: number
  /** Tasks that ended with an err: returned by the task, thrown (`TaskFailedError`) or a crash. */
  readonly failed: number
  /** Tasks cancelled by their signal or by `close({ force: true })`. */
  readonly cancelled: number
  /** Tasks that ran out of time (counted here only, not in `cancelled`). */
  readonly timedOut: number
  /** Tasks waiting for a thread now. */
  readonly queued: number
  /** Tasks handed to a thread now. */
  readonly running: number
  /** Live threads now. */
  readonly threads: number
  /** Most threads alive at once so far. */
  readonly peakThreads: number
  /** Total time threads spent on tasks that have settled, in ms. */
  readonly busyMs: number
  /** `busyMs` over the pool's lifetime × `maxThreads`, from 0 to 1. */
  readonly utilization: number
}

/** A pool of worker threads running the tasks of one tasks module. */
export interface WorkerPool<T extends WorkerTasks<WorkerTaskMap>> {
  /**
   * Runs task `name` with `input` on a worker thread. Never rejects: the task's own `err`s, a
   * throw (`TaskFailedError`), a dead thread (`WorkerCrashedError`), a timeout, an abort, a full
   * queue and bad options all come back as a typed `err`.
   */
  run<K extends TaskName<T>>(
    name: K,
    input: TaskInput<T, K>,
    opts?: RunTaskOptions,
  ): ResultAsync<TaskOutput<T, K>, TaskError<T, K> | WorkerRunError>
  /** A snapshot of the pool's counters. */
  metrics(): WorkerPoolMetrics
  /**
   * Stops the pool: lets queued and running tasks finish (or, with `force`, cancels them), then
   * stops every thread. Later `run` calls get `CancelledError`. Calling it again returns the same wait.
   */
  close(opts?: CloseOptions): ResultAsync<void, never>
}

const QUEUED = 0
const AHEAD = 1 // sent to a thread, behind an earlier task of that thread: still waiting
const RUNNING = 2 // the oldest unanswered task of its thread: running there
const DONE = 3

/**
 * Tasks sent to one thread before it has answered: with 2 the next task is already in the
 * thread's inbox when one ends, so a thread never idles for a round trip through this one.
 */
const WINDOW = 2

interface Thread {
  readonly worker: Worker
  /** One slot state per in-flight task (see protocol.ts), shared with the thread. */
  readonly slots: Int32Array
  /** Tasks sent and not yet answered, oldest first (settled ones stay until answered). */
  readonly sent: Job[]
  /** Tasks ever sent: `count % WINDOW` is the next slot. */
  count: number
  /** False once the thread is being stopped: it gets no more tasks. */
  live: boolean
  referenced: boolean
  idleSince: number
  idleTimer: ReturnType<typeof setTimeout> | undefined
  /** What its `error` event said, if it crashed. */
  error: Error | undefined
}

interface Job extends Linked<Job> {
  readonly name: string
  input: unknown
  readonly transfer: readonly TransferListItem[] | undefined
  readonly resolve: (result: Result<unknown, unknown>) => void
  state: number
  timer: ReturnType<typeof setTimeout> | undefined
  detach: (() => void) | undefined
  started: number
  thread: Thread | undefined
  slot: number
  /** Taken back once from a crashed thread before it started: a second time, it fails. */
  requeued: boolean
}

/** Stands in, in a thread's `sent` list, for a task taken back from it. */
const GONE: Job = {
  name: '',
  input: undefined,
  transfer: undefined,
  resolve: () => {},
  state: DONE,
  timer: undefined,
  detach: undefined,
  started: 0,
  thread: undefined,
  slot: 0,
  requeued: false,
  prev: undefined,
  next: undefined,
}

const NO_OPTIONS: RunTaskOptions = Object.freeze({})
const MAX_DELAY = 2 ** 31 - 1

function checkTransfer(value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || Array.isArray(value)) return undefined
  return new InvalidOptionsError('transfer', value, 'an array of transferable objects')
}

/** The thread runner next to this module: dist/thread.js, or dist/thread.cjs in the CJS build. */
function runnerUrl(): URL {
  // The CJS build turns import.meta.url into pathToFileURL(__filename).href.
  const here = import.meta.url
  return new URL(here.endsWith('.cjs') ? './thread.cjs' : './thread.js', here)
}

/**
 * Creates a pool of worker threads for a tasks module whose default export is
 * `defineWorkerTasks({...})`. Name the module's type for compile-time checked task names,
 * inputs and outputs: `createWorkerPool<typeof import('./tasks.js').default>(url)`.
 *
 * Returns a neverthrow `Result` rather than throwing: `err(InvalidOptionsError)` names the bad
 * option (`filename` when the module does not exist). No thread starts until the first task
 * unless `minThreads` > 0; idle threads do not keep the process alive.
 *
 * A queued task that times out or is aborted leaves the queue at once (O(1)) and never starts;
 * a running task's thread is terminated and replaced, so a task stuck in a loop cannot hold a
 * thread forever.
 */
export function createWorkerPool<T extends WorkerTasks<WorkerTaskMap>>(
  file: URL | string,
  opts: WorkerPoolOptions = {},
): Result<WorkerPool<T>, InvalidOptionsError> {
  const checked = checkPoolOptions(file, opts)
  if (checked instanceof InvalidOptionsError) return err(checked)
  const { minThreads, maxThreads, maxQueue, idleTimeoutMs, resourceLimits } = checked
  const url = pathToFileURL(checked.filename).href
  const runner = runnerUrl()
  const idleDelay = Number.isFinite(idleTimeoutMs) ? Math.min(idleTimeoutMs, MAX_DELAY) : undefined

  const createdAt = performance.now()
  const queue = new LinkedQueue<Job>()
  const threads: Thread[] = [] // live threads
  let dying = 0 // threads terminated whose 'exit' has not come yet
  let exited: (() => void) | undefined
  let peakThreads = 0
  let running = 0 // RUNNING jobs
  let pending = 0 // AHEAD jobs
  let submitted = 0
  let completed = 0
  let failed = 0
  let cancelled = 0
  let timedOut = 0
  let busyMs = 0
  let closed = false
  let closing: ResultAsync<void, never> | undefined
  let drained: (() => void) | undefined

  /** Ends a job: no timer or listener is left behind. */
  const finish = (job: Job, result: Result<unknown, unknown>): void => {
    job.state = DONE
    job.input = undefined
    job.thread = undefined
    if (job.timer !== undefined) clearTimeout(job.timer)
    job.detach?.()
    job.resolve(result)
  }

  /** Settles a job exactly once; a sent one stays in its thread's list until the thread answers. */
  const settle = (job: Job, result: Result<unknown, unknown>): void => {
    if (job.state === RUNNING) {
      busyMs += performance.now() - job.started
      running--
    } else if (job.state === AHEAD) {
      pending--
    } else if (job.state === QUEUED) {
      queue.remove(job)
    }
    finish(job, result)
  }

  /** A sent job known not to have started goes back to the front of the queue. */
  const takeBack = (job: Job): void => {
    if (job.state === RUNNING) running--
    else pending--
    job.state = QUEUED
    job.thread = undefined
    queue.unshift(job)
  }

  const spawn = (): Thread | Error => {
    const state = new SharedArrayBuffer(WINDOW * Int32Array.BYTES_PER_ELEMENT)
    const workerData: ThreadData = { url, state }
    let worker: Worker
    try {
      worker = new Worker(runner, resourceLimits === undefined ? { workerData } : { workerData, resourceLimits })
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e))
    }
    const thread: Thread = {
      worker,
      slots: new Int32Array(state),
      sent: [],
      count: 0,
      live: true,
      referenced: true,
      idleSince: 0,
      idleTimer: undefined,
      error: undefined,
    }
    worker.on('message', (envelope: unknown) => answered(thread, envelope))
    worker.on('messageerror', (e: Error) => answered(thread, encodeThrown(e)))
    worker.on('error', (e: Error) => {
      thread.error ??= e
    })
    worker.on('exit', (code: number) => exit(thread, code))
    threads.push(thread)
    if (threads.length > peakThreads) peakThreads = threads.length
    return thread
  }

  /** Stops a thread: it gets no more tasks; its 'exit' settles whatever it still had. */
  const retire = (thread: Thread): void => {
    thread.live = false
    const i = threads.indexOf(thread)
    if (i >= 0) threads.splice(i, 1)
    if (thread.idleTimer !== undefined) clearTimeout(thread.idleTimer)
    thread.idleTimer = undefined
    dying++
    thread.worker.terminate().catch(() => undefined)
  }

  /** Keeps `minThreads` threads alive (idle ones) until the pool closes. */
  const fill = (): void => {
    while (!closed && threads.length < minThreads) {
      const t = spawn()
      if (t instanceof Error) return
      idle(t)
    }
  }

  /** A task of this thread ran out of time or was aborted while running: replace the thread. */
  const recycle = (thread: Thread): void => {
    retire(thread)
    for (let i = thread.sent.length - 1; i >= 0; i--) {
      const job = thread.sent[i] as Job
      if (job.state === DONE || job.transfer !== undefined) continue
      if (Atomics.compareExchange(thread.slots, job.slot, SENT, CANCELLED) === SENT) {
        thread.sent[i] = GONE
        takeBack(job)
      }
    }
    fill()
  }

  const idleCheck = (thread: Thread): void => {
    thread.idleTimer = undefined
    if (!thread.live || thread.sent.length > 0 || idleDelay === undefined) return
    const left = thread.idleSince + idleDelay - performance.now()
    if (left >= 1) {
      thread.idleTimer = setTimeout(idleCheck, left, thread)
      thread.idleTimer.unref()
    } else if (threads.length > minThreads) {
      retire(thread)
    }
  }

  /** A thread has nothing to do: it no longer keeps the process alive, and may time out. */
  const idle = (thread: Thread): void => {
    if (thread.referenced) {
      thread.worker.unref()
      thread.referenced = false
    }
    thread.idleSince = performance.now()
    if (thread.idleTimer === undefined && idleDelay !== undefined && threads.length > minThreads) {
      thread.idleTimer = setTimeout(idleCheck, idleDelay, thread)
      thread.idleTimer.unref()
    }
  }

  /** The least loaded live thread that can take a job now (a new one if there is room), if any. */
  const pick = (needsEmpty: boolean): Thread | Error | undefined => {
    let best: Thread | undefined
    for (const t of threads) {
      if (best === undefined || t.sent.length < best.sent.length) {
        best = t
        if (t.sent.length === 0) return t
      }
    }
    if (threads.length < maxThreads) return spawn()
    // A job with a transfer list cannot be sent twice, so it only goes to a thread with nothing
    // ahead of it: it is never one a crash or a recycled thread would have to take back.
    if (best === undefined || best.sent.length >= (needsEmpty ? 1 : WINDOW)) return undefined
    return best
  }

  const send = (job: Job, thread: Thread): void => {
    const slot = thread.count % WINDOW
    Atomics.store(thread.slots, slot, SENT)
    const message: TaskMessage = [job.name, job.input, slot]
    try {
      if (job.transfer === undefined) thread.worker.postMessage(message)
      else thread.worker.postMessage(message, job.transfer)
    } catch (e) {
      // An input or transfer list that cannot be cloned: the thread never saw it.
      failed++
      finish(job, err(unsendable(e)))
      return
    }
    thread.count++
    job.thread = thread
    job.slot = slot
    if (thread.sent.length === 0) {
      job.state = RUNNING
      job.started = performance.now()
      running++
      if (!thread.referenced) {
        thread.worker.ref()
        thread.referenced = true
      }
    } else {
      job.state = AHEAD
      pending++
    }
    thread.sent.push(job)
  }

  /** Hands queued jobs to threads while any can take one. */
  const pump = (): void => {
    for (let job = queue.first(); job !== undefined; job = queue.first()) {
      const thread = pick(job.transfer !== undefined)
      if (thread === undefined) break
      if (thread instanceof Error) {
        failed++
        settle(job, err(unsendable(thread)))
        continue
      }
      queue.remove(job)
      send(job, thread)
    }
    if (drained !== undefined && queue.size === 0 && running === 0 && pending === 0) {
      const done = drained
      drained = undefined
      done()
    }
  }

  /** A thread answered its oldest task (`null`: it skipped one cancelled before it started). */
  const answered = (thread: Thread, envelope: unknown): void => {
    const job = thread.sent.shift()
    if (job === undefined) return
    if (job.state === RUNNING) {
      const result = decode(envelope)
      if (result.isOk()) completed++
      else failed++
      settle(job, result)
    }
    if (thread.live) {
      if (thread.sent.length === 0) idle(thread)
      else {
        // The next live task it has runs now (cancelled ones before it are skipped at once).
        const next = thread.sent.find((j) => j.state !== DONE)
        if (next !== undefined && next.state === AHEAD) {
          next.state = RUNNING
          next.started = performance.now()
          pending--
          running++
        }
      }
    }
    pump()
  }

  /** A thread is gone (crashed, or terminated here): settle or take back what it still had. */
  const exit = (thread: Thread, code: number): void => {
    if (thread.live) retire(thread) // crashed: counted as dying until just below
    dying--
    const sent = thread.sent
    for (let i = sent.length - 1; i >= 0; i--) {
      const job = sent[i] as Job
      if (job.state === DONE) continue
      // Never started (the thread claims a slot before calling the task): safe to run elsewhere.
      if (Atomics.load(thread.slots, job.slot) === SENT && !job.requeued && job.transfer === undefined) {
        job.requeued = true
        takeBack(job)
      } else {
        failed++
        settle(job, err(crashed(thread.error, code)))
      }
    }
    sent.length = 0
    fill()
    pump()
    if (dying === 0 && exited !== undefined) exited()
  }

  /** Ends a queued or running task early: a queued one never starts, a running one loses its thread. */
  const stop = (job: Job, error: TimeoutError | CancelledError): void => {
    if (job.state === DONE) return
    if (error instanceof TimeoutError) timedOut++
    else cancelled++
    const thread = job.thread
    if (job.state === QUEUED || thread === undefined) {
      settle(job, err(error))
      return
    }
    // SENT: the thread will skip it. DONE: its answer is on the way. STARTED: it holds the thread.
    const was = Atomics.compareExchange(thread.slots, job.slot, SENT, CANCELLED)
    settle(job, err(error))
    if (was === STARTED && thread.live) recycle(thread)
    pump()
  }

  const submit = (
    name: string,
    input: unknown,
    runOpts: RunTaskOptions,
    resolve: (result: Result<unknown, unknown>) => void,
  ): void => {
    if (closed) {
      resolve(err(new CancelledError('the worker pool is closed')))
      return
    }
    const { timeoutMs, signal, transfer } = runOpts
    const bad = firstError(checkMs('timeoutMs', timeoutMs), checkSignal('signal', signal), checkTransfer(transfer))
    if (bad) {
      resolve(err(bad))
      return
    }
    if (running >= maxThreads && queue.size + pending >= maxQueue) {
      resolve(err(new QueueFullError(maxQueue)))
      return
    }
    submitted++
    if (signal?.aborted) {
      cancelled++
      resolve(err(cancelledBy(signal)))
      return
    }
    const job: Job = {
      name,
      input,
      transfer,
      resolve,
      state: QUEUED,
      timer: undefined,
      detach: undefined,
      started: 0,
      thread: undefined,
      slot: 0,
      requeued: false,
      prev: undefined,
      next: undefined,
    }
    if (signal) job.detach = onAbort(signal, () => stop(job, cancelledBy(signal)))
    if (timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY) {
      job.timer = setTimeout(() => stop(job, new TimeoutError(timeoutMs, name)), timeoutMs)
    }
    queue.push(job)
    if (queue.size === 1) pump()
  }

  fill()

  /** Terminates every thread; resolves once all of them (recycled ones too) have exited. */
  const stopThreads = (): Promise<void> => {
    for (const t of [...threads]) retire(t)
    if (dying === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      exited = resolve
    })
  }

  const pool: WorkerPool<T> = {
    run(name, input, runOpts = NO_OPTIONS) {
      return new ResultAsync(
        new Promise<Result<unknown, unknown>>((resolve) => submit(name, input, runOpts, resolve)),
      ) as ResultAsync<never, never>
    },

    metrics() {
      const elapsed = performance.now() - createdAt
      return {
        submitted,
        completed,
        failed,
        cancelled,
        timedOut,
        queued: queue.size + pending,
        running,
        threads: threads.length,
        peakThreads,
        busyMs,
        utilization: elapsed > 0 ? Math.min(1, busyMs / (elapsed * maxThreads)) : 0,
      }
    },

    close(closeOpts = {}) {
      if (closing) return closing
      closed = true
      let stopped: Promise<void>
      if (closeOpts.force === true) {
        const reason = new CancelledError('the worker pool was closed')
        for (const t of threads) {
          for (const job of t.sent) {
            if (job.state === DONE) continue
            Atomics.compareExchange(t.slots, job.slot, SENT, CANCELLED)
            cancelled++
            settle(job, err(reason))
          }
        }
        for (let job = queue.first(); job !== undefined; job = queue.first()) {
          cancelled++
          settle(job, err(reason))
        }
        stopped = stopThreads()
      } else {
        stopped = new Promise<void>((resolve) => {
          drained = resolve
          pump()
        }).then(stopThreads)
      }
      closing = new ResultAsync(
        stopped.then(
          () => ok(undefined),
          () => ok(undefined),
        ),
      )
      return closing
    },
  }
  return ok(pool)
}
