// The pool's engine: one queue of calls, the threads, and the moves between them (the states are
// in states.ts). Over 300 lines because these moves share one set of counters and each keeps the
// others' invariants (a call is in exactly one place; `running`/`ahead` count the calls there).
//
// okflow keeps the queue (queue.ts, O(1) removal) and sends each thread up to WINDOW tasks; the
// thread (thread.ts) runs them one at a time, in order. The slot of each task sent ahead says
// whether the thread has started it, so one that has not can be taken back — on a timeout, an
// abort, a crash, a recycled thread, or by an idle thread taking it over — knowing it never ran.
import { err, type Result } from 'neverthrow'
import { type CancelledError, TimeoutError, type WorkerCrashedError } from '../errors.js'
import type { Call } from './call.js'
import { crashed, decode, lostTransfer, uncloneable, unstartable } from './decode.js'
import { PoolStats } from './metrics.js'
import { type Answer, encodeThrown, READY_ID } from './protocol.js'
import { LinkedQueue } from './queue.js'
import { StartGuard } from './start-guard.js'
import { AHEAD, CANCELLED, QUEUED, RUNNING, SENT, SETTLED, STARTED } from './states.js'
import { type StartConfig, startThread, type ThreadHandle, WINDOW } from './thread-handle.js'

export interface DispatcherConfig extends StartConfig {
  readonly minThreads: number
  readonly maxThreads: number
  readonly maxQueue: number
  /** Idle time after which a thread above minThreads stops (undefined: never). */
  readonly idleDelay: number | undefined
}

export class Dispatcher {
  readonly queue = new LinkedQueue<Call>()
  /** Live threads. */
  readonly threads: ThreadHandle[] = []
  readonly stats = new PoolStats()
  /** RUNNING calls, and AHEAD ones. */
  running = 0
  ahead = 0
  closed = false
  private dying = 0 // threads terminated whose 'exit' has not come yet
  private nextId = 0
  private readonly starts = new StartGuard(() => {
    this.fill()
    this.pump()
    this.wakeReady()
  })
  private onDrained: (() => void) | undefined
  private onExited: (() => void) | undefined
  private readyWaiters: (() => void)[] = []

  constructor(private readonly config: DispatcherConfig) {}

  /** Set once threads kept failing to start: every call fails with it. */
  get broken(): WorkerCrashedError | undefined {
    return this.starts.broken
  }

  // --- calls -------------------------------------------------------------------------------

  /** Takes a call in: queued, and sent at once if a thread can take it. */
  submit(call: Call): void {
    this.stats.submitted++
    this.queue.push(call)
    if (this.queue.size === 1) this.pump()
  }

  /** Ends a call: no timer or listener is left behind. */
  private finish(call: Call, result: Result<unknown, unknown>): void {
    call.state = SETTLED
    call.input = undefined
    call.thread = undefined
    if (call.timer !== undefined) clearTimeout(call.timer)
    call.detach?.()
    call.resolve(result)
  }

  /** Settles a call exactly once; a sent one stays in its thread's list until the thread answers. */
  private settle(call: Call, result: Result<unknown, unknown>): void {
    if (call.state === RUNNING) {
      if (call.started > 0) this.stats.busyMs += performance.now() - call.started
      this.running--
    } else if (call.state === AHEAD) {
      this.ahead--
    } else if (call.state === QUEUED) {
      this.queue.remove(call)
    }
    this.finish(call, result)
  }

  /** A sent call known not to have started goes back to the front of the queue. */
  private takeBack(call: Call): void {
    if (call.state === RUNNING) this.running--
    else this.ahead--
    call.state = QUEUED
    call.thread = undefined
    call.started = 0
    this.queue.unshift(call)
  }

  /** The call starts running on its thread now (the thread has loaded and answered the one before). */
  private begin(call: Call, now: number): void {
    call.started = now
    this.stats.waitTime.record(now - call.submittedAt)
  }

  /** Ends a queued or running call early: a queued one never starts, a running one loses its thread. */
  stop(call: Call, error: TimeoutError | CancelledError): void {
    if (call.state === SETTLED) return
    if (error instanceof TimeoutError) this.stats.timedOut++
    else this.stats.cancelled++
    const thread = call.thread
    if (call.state === QUEUED || thread === undefined) {
      this.settle(call, err(error))
      return
    }
    // SENT: the thread will skip it. ANSWERED: its answer is on the way. STARTED: it holds the thread.
    const was = Atomics.compareExchange(thread.slots, call.slot, SENT, CANCELLED)
    this.settle(call, err(error))
    if (was === STARTED && thread.live) this.recycle(thread)
    this.pump()
  }

  /** Fails every queued call with `error` (threads keep failing to start). */
  private failQueued(error: WorkerCrashedError): void {
    for (let call = this.queue.first(); call !== undefined; call = this.queue.first()) {
      this.stats.failed++
      this.settle(call, err(error))
    }
  }

  // --- threads -----------------------------------------------------------------------------

  private spawn(): ThreadHandle | Error {
    const thread = startThread(this.config, {
      answered: (t, answer) => this.answered(t, answer),
      unreadable: (t, e) => this.unreadable(t, e),
      exit: (t, code, late) => this.exit(t, code, late),
      startTimedOut: (t) => this.startTimedOut(t),
    })
    if (thread instanceof Error) return thread
    this.threads.push(thread)
    this.stats.sawThreads(this.threads.length)
    return thread
  }

  private startTimedOut(thread: ThreadHandle): void {
    thread.startTimer = undefined
    if (thread.ready || !thread.live) return
    // Timers run before I/O: a process busy past the deadline may not have read 'loaded' yet.
    for (const answer of thread.pending()) this.answered(thread, answer)
    if (thread.ready || !thread.live) return
    thread.startTimedOut = true
    thread.error ??= new Error(`the thread did not load its tasks module within ${this.config.startTimeoutMs} ms`)
    this.retire(thread)
  }

  /** Stops a thread: it gets no more tasks; its 'exit' settles whatever it still had. */
  private retire(thread: ThreadHandle): void {
    thread.live = false
    const i = this.threads.indexOf(thread)
    if (i >= 0) this.threads.splice(i, 1)
    thread.clearTimers()
    this.dying++
    // Until its 'exit' comes, the stopping thread keeps the process alive: close() waits for it.
    thread.ref()
    thread.worker.terminate().catch(() => undefined)
  }

  /** Keeps `minThreads` threads alive (idle ones) until the pool closes. */
  fill(): void {
    while (this.canSpawn() && this.threads.length < this.config.minThreads) {
      const t = this.spawn()
      if (t instanceof Error) return
      this.idle(t)
    }
  }

  private canSpawn(): boolean {
    return !this.closed && this.starts.canStart
  }

  /** A task of this thread ran out of time or was aborted while running: replace the thread. */
  private recycle(thread: ThreadHandle): void {
    this.retire(thread)
    for (let i = thread.sent.length - 1; i >= 0; i--) {
      const call = thread.sent[i]
      if (call === undefined || call.state === SETTLED || call.transfer !== undefined) continue
      if (Atomics.compareExchange(thread.slots, call.slot, SENT, CANCELLED) === SENT) {
        thread.sent[i] = undefined
        this.takeBack(call)
      }
    }
    this.fill()
  }

  private idleCheck(thread: ThreadHandle): void {
    const idleDelay = this.config.idleDelay
    thread.idleTimer = undefined
    if (!thread.live || thread.load > 0 || idleDelay === undefined) return
    const left = thread.idleSince + idleDelay - performance.now()
    if (left >= 1) {
      thread.idleTimer = setTimeout(() => this.idleCheck(thread), left)
      thread.idleTimer.unref()
    } else if (this.threads.length > this.config.minThreads) {
      this.retire(thread)
    }
  }

  /** A thread has nothing to do: it no longer keeps the process alive, and may time out. */
  private idle(thread: ThreadHandle): void {
    thread.unref()
    thread.idleSince = performance.now()
    const idleDelay = this.config.idleDelay
    if (thread.idleTimer === undefined && idleDelay !== undefined && this.threads.length > this.config.minThreads) {
      thread.idleTimer = setTimeout(() => this.idleCheck(thread), idleDelay)
      thread.idleTimer.unref()
    }
  }

  /** The least loaded live thread that can take a call now (a new one if there is room), if any. */
  private pick(): ThreadHandle | Error | undefined {
    let best: ThreadHandle | undefined
    for (const t of this.threads) {
      if (best === undefined || t.load < best.load) {
        best = t
        if (t.load === 0) return t
      }
    }
    if (this.threads.length < this.config.maxThreads && this.canSpawn()) return this.spawn()
    if (best === undefined || best.load >= WINDOW) return undefined
    return best
  }

  private send(call: Call, thread: ThreadHandle): boolean {
    try {
      thread.post(call, this.nextId++)
    } catch (e) {
      // An input or transfer list that cannot be cloned: the thread never saw it, and stays.
      this.stats.failed++
      this.finish(call, err(uncloneable(e)))
      return false
    }
    if (thread.load === 1) {
      call.state = RUNNING
      this.running++
      if (thread.ready) this.begin(call, performance.now())
      thread.ref()
    } else {
      call.state = AHEAD
      this.ahead++
    }
    return true
  }

  /** Hands queued calls to threads while any can take one. */
  private pump(): void {
    for (let call = this.queue.first(); call !== undefined; call = this.queue.first()) {
      const thread = this.pick()
      if (thread === undefined) break
      if (thread instanceof Error) {
        this.stats.failed++
        this.settle(call, err(unstartable(thread)))
        continue
      }
      this.queue.remove(call)
      this.send(call, thread)
    }
    if (this.onDrained !== undefined && this.queue.size === 0 && this.running === 0 && this.ahead === 0) {
      const drained = this.onDrained
      this.onDrained = undefined
      drained()
    }
  }

  /** An idle thread takes over a task sent ahead to a busy (or still loading) thread that has not started. */
  private takeOver(idle: ThreadHandle): void {
    for (const t of this.threads) {
      if (t === idle) continue
      for (let i = t.sent.length - 1; i >= 0; i--) {
        const call = t.sent[i]
        if (call === undefined || call.state === SETTLED || call.transfer !== undefined) continue
        if (i === 0 && t.ready) continue // the head of a loaded thread is running or about to
        if (Atomics.compareExchange(t.slots, call.slot, SENT, CANCELLED) !== SENT) continue
        t.sent[i] = undefined
        this.takeBack(call)
        this.pump()
        return
      }
    }
  }

  /** The thread answered message `id` (outcome null: it skipped a task taken back before it started). */
  private answered(thread: ThreadHandle, [id, outcome]: Answer): void {
    if (id === READY_ID) {
      this.loaded(thread)
      return
    }
    const i = thread.indexOf(id)
    if (i < 0) return
    const call = thread.removeAt(i)
    if (outcome !== null) {
      thread.answers++
      this.starts.started()
    }
    if (call !== undefined && call.state === RUNNING) {
      const now = performance.now()
      if (call.started > 0) this.stats.runTime.record(now - call.started)
      const result = decode(outcome, call.site)
      if (result.isOk()) this.stats.completed++
      else this.stats.failed++
      this.settle(call, result)
    }
    if (thread.live) this.advance(thread)
    this.pump()
    if (thread.live && thread.load === 0 && this.queue.size === 0) this.takeOver(thread)
  }

  /** After an answer: the thread's next live task runs now (skipped ones before it end at once). */
  private advance(thread: ThreadHandle): void {
    if (thread.load === 0) {
      this.idle(thread)
      return
    }
    let next: Call | undefined
    for (const c of thread.sent) {
      if (c !== undefined && c.state !== SETTLED) {
        next = c
        break
      }
    }
    if (next !== undefined && next.state === AHEAD) {
      next.state = RUNNING
      this.ahead--
      this.running++
      if (thread.ready) this.begin(next, performance.now())
    }
  }

  /** The thread has loaded its tasks module: its first task starts now (start-up is not busy time). */
  private loaded(thread: ThreadHandle): void {
    thread.ready = true
    if (thread.startTimer !== undefined) clearTimeout(thread.startTimer)
    thread.startTimer = undefined
    for (const c of thread.sent) {
      if (c !== undefined && c.state === RUNNING) {
        this.begin(c, performance.now())
        break
      }
    }
    if (thread.load === 0) {
      this.idle(thread)
      // A thread still loading may hold tasks this one can run now.
      if (this.queue.size === 0) this.takeOver(thread)
    }
    this.wakeReady()
  }

  /** An answer that could not be deserialized here: it still ends its task, as a thrown error. */
  private unreadable(thread: ThreadHandle, e: Error): void {
    for (let i = 0; i < thread.sent.length; i++) {
      const call = thread.sent[i]
      if (call !== undefined && call.state === RUNNING) {
        this.answered(thread, [thread.ids[i] as number, encodeThrown(e)])
        return
      }
    }
  }

  /** A thread is gone (crashed, or terminated here): settle or take back what it still had. */
  private exit(thread: ThreadHandle, code: number, late: Answer[]): void {
    const crashedHere = thread.live || thread.startTimedOut
    if (thread.live) this.retire(thread) // crashed: counted as dying until just below
    this.dying--
    for (const answer of late) this.answered(thread, answer)
    let startedAny = false
    for (const c of thread.sent) if (c !== undefined && Atomics.load(thread.slots, c.slot) !== SENT) startedAny = true
    if (crashedHere && thread.answers === 0 && !startedAny) this.starts.failedStart(thread.error, code)
    const sent = thread.sent
    for (let i = sent.length - 1; i >= 0; i--) {
      const call = sent[i]
      if (call === undefined || call.state === SETTLED) continue
      // Never started (the thread claims a slot before calling the task): safe to run elsewhere.
      const unstarted = Atomics.load(thread.slots, call.slot) === SENT
      if (unstarted && this.broken === undefined && !call.requeued && call.transfer === undefined) {
        call.requeued = true
        this.takeBack(call)
      } else {
        this.stats.failed++
        const error =
          unstarted && this.broken !== undefined
            ? this.broken
            : unstarted && call.transfer !== undefined
              ? lostTransfer(thread.error, code)
              : crashed(thread.error, code)
        this.settle(call, err(error))
      }
    }
    sent.length = 0
    thread.ids.length = 0
    if (this.broken !== undefined) this.failQueued(this.broken)
    this.fill()
    this.pump()
    this.wakeReady()
    if (this.dying === 0 && this.onExited !== undefined) {
      const exited = this.onExited
      this.onExited = undefined
      exited()
    }
  }

  // --- readiness and shutdown ----------------------------------------------------------------

  /** Resolves once every live thread has loaded its module (at least one thread is started). */
  whenReady(): Promise<void> {
    if (this.threads.length === 0 && this.canSpawn()) {
      const t = this.spawn()
      if (!(t instanceof Error)) this.idle(t)
    }
    if (this.allReady()) return Promise.resolve()
    // Someone waits on these threads: they keep the process alive until loaded (then idle again).
    for (const t of this.threads) if (!t.ready) t.ref()
    return new Promise((resolve) => this.readyWaiters.push(resolve))
  }

  private allReady(): boolean {
    if (this.closed || this.broken !== undefined) return true
    for (const t of this.threads) if (!t.ready) return false
    return this.threads.length > 0 || !this.starts.waiting
  }

  private wakeReady(): void {
    if (this.readyWaiters.length === 0 || !this.allReady()) return
    for (const wake of this.readyWaiters.splice(0)) wake()
  }

  /** Resolves once no call is queued or sent. */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      this.onDrained = resolve
      this.pump()
    })
  }

  /** Cancels every queued and sent call (close with force). */
  cancelAll(reason: CancelledError): void {
    for (const t of this.threads) {
      for (const call of t.sent) {
        if (call === undefined || call.state === SETTLED) continue
        Atomics.compareExchange(t.slots, call.slot, SENT, CANCELLED)
        this.stats.cancelled++
        this.settle(call, err(reason))
      }
    }
    for (let call = this.queue.first(); call !== undefined; call = this.queue.first()) {
      this.stats.cancelled++
      this.settle(call, err(reason))
    }
    this.pump() // wakes a pending graceful close
  }

  /** Terminates every thread; resolves once all of them (recycled ones too) have exited. */
  stopThreads(): Promise<void> {
    this.starts.stop()
    for (const t of [...this.threads]) this.retire(t)
    this.wakeReady()
    if (this.dying === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const before = this.onExited
      this.onExited = () => {
        before?.()
        resolve()
      }
    })
  }
}
