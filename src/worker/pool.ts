import type { TransferListItem } from 'node:worker_threads'
import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { CancelledError, InvalidOptionsError, QueueFullError, TimeoutError } from '../errors.js'
import { cancelledBy, onAbort } from '../internal/abort.js'
import { checkMs, checkSignal, firstError } from '../internal/options.js'
import { decode, failure } from './decode.js'
import type { WorkerTaskMap, WorkerTasks } from './define.js'
import type { Payload } from './envelope.js'
import { checkPoolOptions, type WorkerPoolOptions } from './options.js'
import { loadPiscina } from './piscina.js'
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
const RUNNING = 1
const DONE = 2

interface Job extends Linked<Job> {
  readonly name: string
  input: unknown
  readonly transfer: readonly TransferListItem[] | undefined
  readonly resolve: (result: Result<unknown, unknown>) => void
  readonly cancellable: boolean
  state: number
  controller: AbortController | undefined
  timer: ReturnType<typeof setTimeout> | undefined
  detach: (() => void) | undefined
  started: number
}

const NO_OPTIONS: RunTaskOptions = Object.freeze({})
const KICK: Payload = ['', undefined]

function checkTransfer(value: unknown): InvalidOptionsError | undefined {
  if (value === undefined || Array.isArray(value)) return undefined
  return new InvalidOptionsError('transfer', value, 'an array of transferable objects')
}

/**
 * Creates a pool of worker threads (built on piscina) for a tasks module whose default export
 * is `defineWorkerTasks({...})`. Name the module's type for compile-time checked task names,
 * inputs and outputs: `createWorkerPool<typeof import('./tasks.js').default>(url)`.
 *
 * Returns a neverthrow `Result` rather than throwing: `err(InvalidOptionsError)` names the bad
 * option (`filename` when the module does not exist). No thread starts until the first task
 * unless `minThreads` > 0; idle threads do not keep the process alive.
 *
 * Timeouts and aborts are handled here, not left to piscina: a queued task leaves the queue at
 * once (O(1)) and never starts; a running task's thread is terminated and replaced, so a task
 * stuck in a loop cannot hold a thread forever.
 */
export function createWorkerPool<T extends WorkerTasks<WorkerTaskMap>>(
  file: URL | string,
  opts: WorkerPoolOptions = {},
): Result<WorkerPool<T>, InvalidOptionsError> {
  const checked = checkPoolOptions(file, opts)
  if (checked instanceof InvalidOptionsError) return err(checked)
  const { maxThreads, maxQueue } = checked

  const Piscina = loadPiscina()
  const piscina = new Piscina({
    filename: checked.filename,
    minThreads: checked.minThreads,
    maxThreads,
    idleTimeout: checked.idleTimeoutMs,
    // okflow keeps the queue and only hands piscina what it can start, so piscina never queues
    // for long and abort/timeout bookkeeping stays O(1) here.
    ...(checked.resourceLimits === undefined ? {} : { resourceLimits: checked.resourceLimits }),
    recordTiming: false,
  })
  const createdAt = performance.now()
  let peakThreads = 0
  const countThreads = (): void => {
    const n = piscina.threads.length
    if (n > peakThreads) peakThreads = n
  }
  piscina.on('workerCreate', countThreads)
  // A thread that dies with no task on it is replaced by piscina; without a listener the
  // 'error' event would crash the whole process.
  piscina.on('error', () => {})

  const queue = new LinkedQueue<Job>()
  // Jobs handed to piscina are linked too (a job is in one list at a time), so a forced close can
  // reach them. Up to maxThreads more than can run are handed over ahead of time: piscina then
  // starts the next task the moment a thread answers, with no round trip through this queue
  // (measured: ~10-20% faster on trivial tasks). Those still wait in piscina; an abort removes
  // them from its short queue without touching a thread.
  const active = new LinkedQueue<Job>()
  const capacity = maxThreads * 2
  let running = 0 // active jobs on a thread
  let pending = 0 // active jobs still waiting inside piscina
  // Jobs waiting in piscina, oldest first; entries settled meanwhile are skipped lazily.
  let ahead: Job[] = []
  let aheadHead = 0
  let submitted = 0
  let completed = 0
  let failed = 0
  let cancelled = 0
  let timedOut = 0
  let busyMs = 0
  let closed = false
  let closing: ResultAsync<void, never> | undefined
  let drained: (() => void) | undefined

  /** Settles a job exactly once, leaving no timer, listener or list entry behind. */
  /** A thread is free: the oldest job waiting inside piscina starts on it. */
  const promote = (now: number): void => {
    while (running < maxThreads && aheadHead < ahead.length) {
      const job = ahead[aheadHead++] as Job
      if (job.state !== RUNNING || job.started >= 0) continue
      job.started = now
      pending--
      running++
    }
    if (aheadHead > 1024 && aheadHead * 2 > ahead.length) {
      ahead = ahead.slice(aheadHead)
      aheadHead = 0
    }
  }

  const settle = (job: Job, result: Result<unknown, unknown>): void => {
    if (job.state === RUNNING) {
      active.remove(job)
      if (job.started >= 0) {
        const now = performance.now()
        busyMs += now - job.started
        running--
        promote(now)
      } else {
        pending--
      }
    } else if (job.state === QUEUED) {
      queue.remove(job)
    }
    job.state = DONE
    if (job.timer !== undefined) clearTimeout(job.timer)
    job.detach?.()
    job.resolve(result)
  }

  // piscina replaces a dead thread only up to minThreads, so with minThreads 0 the jobs waiting
  // inside it would wait forever after a crash or a recycled thread. Any new task makes piscina
  // spawn a thread; this one is an unknown task name, which the handler answers at once.
  const kick = (): void => {
    if (active.size > 0) piscina.run(KICK).catch(() => undefined)
  }

  const pump = (): void => {
    while (active.size < capacity && queue.size > 0) dispatch(queue.shift() as Job)
    if (drained !== undefined && active.size === 0 && queue.size === 0) drained()
  }

  const dispatch = (job: Job): void => {
    job.state = RUNNING
    active.push(job)
    if (running < maxThreads) {
      running++
      job.started = performance.now()
    } else {
      pending++
      job.started = -1
      ahead.push(job)
    }
    const payload: Payload = [job.name, job.input]
    job.input = undefined
    let runOpts: { transferList?: TransferListItem[]; signal?: AbortSignal } | undefined
    if (job.cancellable || job.transfer !== undefined) {
      runOpts = {}
      // piscina terminates the thread of a running task whose signal aborts.
      if (job.cancellable) {
        job.controller = new AbortController()
        runOpts.signal = job.controller.signal
      }
      if (job.transfer !== undefined) runOpts.transferList = job.transfer as TransferListItem[]
    }
    piscina.run(payload, runOpts).then(
      (envelope: unknown) => {
        if (job.state !== RUNNING) return
        const result = decode(envelope)
        if (result.isOk()) completed++
        else failed++
        settle(job, result)
        pump()
      },
      (e: unknown) => {
        if (job.state !== RUNNING) return
        failed++
        settle(job, err(failure(e)))
        kick()
        pump()
      },
    )
  }

  /** Ends a queued or running task early: a queued one never starts, a running one loses its thread. */
  const stop = (job: Job, error: TimeoutError | CancelledError): void => {
    if (job.state === DONE) return
    if (error instanceof TimeoutError) timedOut++
    else cancelled++
    const wasRunning = job.state === RUNNING
    settle(job, err(error))
    if (wasRunning) {
      job.controller?.abort(error)
      kick()
      pump()
    }
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
    const timed = timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY
    const job: Job = {
      name,
      input,
      transfer,
      resolve,
      cancellable: timed || signal !== undefined,
      state: QUEUED,
      controller: undefined,
      timer: undefined,
      detach: undefined,
      started: 0,
      prev: undefined,
      next: undefined,
    }
    if (signal) job.detach = onAbort(signal, () => stop(job, cancelledBy(signal)))
    if (timed) job.timer = setTimeout(() => stop(job, new TimeoutError(timeoutMs, name)), timeoutMs)
    if (active.size < capacity) dispatch(job)
    else queue.push(job)
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
        threads: piscina.threads.length,
        peakThreads,
        busyMs,
        utilization: elapsed > 0 ? Math.min(1, busyMs / (elapsed * maxThreads)) : 0,
      }
    },

    close(closeOpts = {}) {
      if (closing) return closing
      closed = true
      const force = closeOpts.force === true
      let stopped: Promise<unknown>
      if (force) {
        const reason = new CancelledError('the worker pool was closed')
        for (let job = queue.first(); job !== undefined; job = queue.first()) stop(job, reason)
        for (let job = active.first(); job !== undefined; job = active.first()) stop(job, reason)
        // destroy() terminates every thread at once, running tasks included.
        stopped = piscina.destroy()
      } else {
        stopped = new Promise<void>((resolve) => {
          drained = resolve
          pump()
        }).then(() => piscina.close())
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
