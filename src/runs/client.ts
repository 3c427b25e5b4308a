import { randomUUID } from 'node:crypto'
import { err, ok, type Result, ResultAsync } from 'neverthrow'
import {
  CancelledError,
  CompensatedError,
  ERRORS,
  InvalidOptionsError,
  RunNotFoundError,
  StoreError,
  TimeoutError,
  UnexpectedError,
} from '../errors.js'
import { checkMs, checkSignal, firstError } from '../internal/options.js'
import { sleep } from '../internal/sleep.js'
import type { WorkflowEvent } from '../workflow/events.js'
import { fromRecord } from '../workflow/store/record.js'
import type { JsonValue, RunFilter, RunInfo, RunStore, StepRecord } from '../workflow/store/types.js'
import type { AnyRegisteredWorkflow, RegisteredWorkflow, WorkflowOutput, WorkflowRunError } from './define.js'
import { checkJson } from './json.js'
import { checkRunStore } from './store.js'

declare const RUN_OF: unique symbol
/** A run id that remembers its workflow, so `client.result(runId)` is typed. Still a string. */
export type RunId<W> = string & { readonly [RUN_OF]: W }

/** What `client.start` answers: the run (new, or the existing one for its id / idempotency key). */
export interface StartedRun<W> {
  readonly runId: RunId<W>
  /** false when a run with this runId or idempotencyKey existed already (it was not started again). */
  readonly created: boolean
  readonly run: RunInfo
}

export interface StartOptions {
  /** The run's id (default: a random UUID). Starting an existing id answers that run. */
  readonly runId?: string
  /** The same key starts one run, never two, however many callers start it at once. */
  readonly idempotencyKey?: string
}

export interface ResultOptions {
  /** Give up waiting after this long: `err(TimeoutError)` (the run goes on). */
  readonly timeoutMs?: number
  /** Stop waiting: `err(CancelledError)` (the run goes on; use `cancel` to stop it). */
  readonly signal?: AbortSignal
}

/** What `client.emit` answers. */
export interface EmitResult {
  /** True when this emit was the key's first (the one waiters get); false when the key had an event already. */
  readonly first: boolean
}

/** Errors `client.result` adds to the workflow's own: waiting stopped, or the store failed. */
export type ResultWaitError = RunNotFoundError | TimeoutError | CancelledError | StoreError

export interface ClientOptions {
  /** How often `result` looks at a run it waits for (default 100 ms; a store's `wait` may wake it earlier). */
  readonly pollMs?: number
}

/** Starts, watches and steers runs of registered workflows in a run store. */
export interface Client {
  start<D, I, T>(
    workflow: RegisteredWorkflow<D, I, T>,
    input: I,
    options?: StartOptions,
  ): ResultAsync<StartedRun<RegisteredWorkflow<D, I, T>>, StoreError | InvalidOptionsError>
  /** Waits until the run has ended and answers its Result (typed by its workflow when the runId came from `start`). */
  result<W extends AnyRegisteredWorkflow>(
    runId: RunId<W>,
    options?: ResultOptions,
  ): ResultAsync<WorkflowOutput<W>, WorkflowRunError<W> | ResultWaitError>
  result(runId: string, options?: ResultOptions): ResultAsync<unknown, unknown>
  /** The run as the store has it now. */
  get(runId: string): ResultAsync<RunInfo, RunNotFoundError | StoreError>
  /**
   * Cancels a run: a pending or sleeping one at once, a running one at its worker's next look (its
   * steps are aborted). One that has compensations to run (a completed step with `compensate`) is
   * left to a worker, which runs them: the answer then still says pending/sleeping, `cancelRequested`.
   */
  cancel(runId: string): ResultAsync<RunInfo, RunNotFoundError | StoreError>
  /** Runs a failed (or cancelled) run again: its saved ok steps replay, it goes on from the step that failed. */
  retry(runId: string): ResultAsync<RunInfo, RunNotFoundError | StoreError | InvalidOptionsError>
  /**
   * Sends the event `key` to the runs waiting for it in `step.waitFor(name, key)`, now or later:
   * the store keeps it, so a run that reaches its wait afterwards gets it too, and it needs no
   * worker running. The first emit of a key wins: `first` is false when the key had an event
   * already (this payload is then dropped). `payload` must be JSON.
   */
  emit(key: string, payload: unknown): ResultAsync<EmitResult, StoreError | InvalidOptionsError>
  /** Runs, newest first. */
  list(filter?: RunFilter): ResultAsync<readonly RunInfo[], StoreError>
  /**
   * The run as workflow events with timestamps (from its step records): `workflow_start`, each
   * recorded step's start and end, and the end of a finished run — ready for `renderTimeline`.
   */
  history(runId: string): ResultAsync<readonly WorkflowEvent[], RunNotFoundError | StoreError>
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled'])
const queueError = (runId: string, e: unknown) => (e instanceof StoreError ? e : new StoreError('queue', runId, e))

function lift<T, E>(run: () => Promise<Result<T, E>>): ResultAsync<T, E> {
  return new ResultAsync(run().catch((e: unknown) => err(UnexpectedError.from(e) as E)))
}

/** A failed run without an outcome record (e.g. ReplayMismatchError): its error from the run's summary. */
function summaryError(info: RunInfo): Error {
  const tag = info.error?.tag
  const message = info.error?.message ?? `run "${info.runId}" failed`
  const cls = tag && tag in ERRORS ? ERRORS[tag as keyof typeof ERRORS] : undefined
  const e = Object.create(cls ? cls.prototype : Error.prototype) as Error
  Object.defineProperty(e, 'message', { value: message, writable: true, configurable: true })
  if (tag && !cls) Object.assign(e, { _tag: tag, name: tag })
  return e
}

/**
 * A client of a run store (`memoryStore()`, `fileStore(dir)`, `postgresStore(pool)`): starts runs
 * of registered workflows for workers to run, waits for their results, cancels and retries them.
 * Every method answers a `ResultAsync`; store failures are `StoreError`s, never throws.
 */
export function createClient(store: RunStore, options: ClientOptions = {}): Client {
  const bad = checkRunStore(store) ?? checkMs('pollMs', options.pollMs)
  const pollMs = Math.max(1, options.pollMs ?? 100)
  const fail = <T, E>(e: E) => new ResultAsync<T, E>(Promise.resolve(err(e)))

  const getRun = async (runId: string): Promise<Result<RunInfo, RunNotFoundError | StoreError>> => {
    try {
      const info = await store.getRun(runId)
      return info ? ok(info) : err(new RunNotFoundError(runId))
    } catch (e) {
      return err(queueError(runId, e))
    }
  }

  const outcome = async (info: RunInfo): Promise<Result<unknown, unknown>> => {
    const cancelled = err(new CancelledError(`run "${info.runId}" was cancelled`))
    let records: readonly StepRecord[]
    try {
      records = await store.load(info.runId)
    } catch (e) {
      if (info.state === 'cancelled') return cancelled
      return err(e instanceof StoreError ? e : new StoreError('load', info.runId, e))
    }
    const rec = records.find((r) => r.seq === -1)
    // A cancelled run has an outcome only when compensations ran (a CompensatedError of the cancel).
    if (info.state === 'cancelled') return rec && compensatedCancel(rec) ? fromRecord(rec) : cancelled
    if (rec) return fromRecord(rec)
    if (info.state === 'failed') return err(summaryError(info))
    return err(new StoreError('load', info.runId, new Error('the run succeeded but its outcome is not recorded')))
  }

  const client: Client = {
    start(workflow, input, opts = {}) {
      const wf = workflow as RegisteredWorkflow<unknown, unknown, unknown> | undefined
      const invalid =
        bad ??
        (typeof wf?.name === 'string' && typeof wf.body === 'function'
          ? wf.invalid
          : new InvalidOptionsError('workflow', workflow, 'a workflow made by defineWorkflow')) ??
        firstError(
          opts.runId === undefined || (typeof opts.runId === 'string' && opts.runId !== '')
            ? undefined
            : new InvalidOptionsError('runId', opts.runId, 'a non-empty string'),
          opts.idempotencyKey === undefined || (typeof opts.idempotencyKey === 'string' && opts.idempotencyKey !== '')
            ? undefined
            : new InvalidOptionsError('idempotencyKey', opts.idempotencyKey, 'a non-empty string'),
          checkJson('input', input),
        )
      if (invalid || !wf) return fail(invalid as InvalidOptionsError)
      const runId = opts.runId ?? randomUUID()
      return lift(async () => {
        try {
          const { run, created } = await store.createRun({
            runId,
            workflow: wf.name,
            version: wf.version,
            input: (input ?? null) as JsonValue,
            ...(opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey }),
          })
          return ok({ runId: run.runId as RunId<never>, created, run })
        } catch (e) {
          return err(queueError(runId, e))
        }
      })
    },

    result(runId: string, opts: ResultOptions = {}): ResultAsync<never, never> {
      const invalid = bad ?? firstError(checkMs('timeoutMs', opts.timeoutMs), checkSignal('signal', opts.signal))
      if (invalid) return fail(invalid as never)
      const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeoutMs
      return lift(async () => {
        for (;;) {
          if (opts.signal?.aborted) return err(new CancelledError(opts.signal.reason))
          const info = await getRun(runId)
          if (info.isErr()) return info
          if (TERMINAL.has(info.value.state)) return outcome(info.value)
          const left = deadline - Date.now()
          if (left <= 0) return err(new TimeoutError(opts.timeoutMs ?? 0, `result of run "${runId}"`))
          const ms = Math.min(pollMs, left)
          if (store.wait) {
            await store.wait(ms, opts.signal).catch(() => sleep(ms, opts.signal))
          } else await sleep(ms, opts.signal)
        }
      }) as never
    },

    get: (runId) => (bad ? fail(bad as never) : lift(() => getRun(runId))),

    cancel(runId) {
      if (bad) return fail(bad as never)
      return lift(async () => {
        try {
          const info = await store.requestCancel(runId)
          return info ? ok(info) : err(new RunNotFoundError(runId))
        } catch (e) {
          return err(queueError(runId, e))
        }
      })
    },

    retry(runId) {
      if (bad) return fail(bad)
      return lift(async () => {
        let info: RunInfo | undefined
        try {
          info = await store.requeue(runId)
        } catch (e) {
          return err(queueError(runId, e))
        }
        if (!info) return err(new RunNotFoundError(runId))
        if (info.state !== 'pending') {
          return err(new InvalidOptionsError('runId', runId, `a failed or cancelled run (it is ${info.state})`))
        }
        return ok(info)
      })
    },

    emit(key, payload) {
      let invalid: InvalidOptionsError | undefined
      try {
        invalid =
          bad ??
          firstError(
            typeof key === 'string' && key !== ''
              ? undefined
              : new InvalidOptionsError('key', key, 'a non-empty string'),
            typeof store.emit === 'function'
              ? undefined
              : new InvalidOptionsError('store', store, 'a store with emit (memoryStore, fileStore, postgresStore)'),
            checkJson('payload', payload),
          )
      } catch {
        // A Proxy (or a getter) in the payload that throws when read.
        invalid = new InvalidOptionsError('payload', undefined, 'JSON data that can be read')
      }
      if (invalid) return fail(invalid)
      return lift(async () => {
        try {
          const first = await (store.emit as NonNullable<RunStore['emit']>)(key, payload as JsonValue)
          return ok({ first: first === true })
        } catch (e) {
          return err(queueError('', e))
        }
      })
    },

    list(filter = {}) {
      if (bad) return fail(bad as never)
      return lift(async () => {
        try {
          return ok(await store.listRuns(filter))
        } catch (e) {
          return err(queueError('', e))
        }
      })
    },

    history(runId) {
      if (bad) return fail(bad as never)
      return lift(async () => {
        const info = await getRun(runId)
        if (info.isErr()) return err(info.error)
        let records: readonly StepRecord[]
        try {
          records = await store.load(runId)
        } catch (e) {
          return err(e instanceof StoreError ? e : new StoreError('load', runId, e))
        }
        return ok(historyOf(info.value, records))
      })
    },
  }
  return client
}

/** The record of a cancelled run whose compensations ran (not a stale one of an earlier attempt). */
function compensatedCancel(rec: StepRecord): boolean {
  const e = fromRecord(rec)
  return e.isErr() && e.error instanceof CompensatedError && e.error.error instanceof CancelledError
}

/** Workflow events rebuilt from a run's records (what a timeline or report draws). */
function historyOf(info: RunInfo, records: readonly StepRecord[]): WorkflowEvent[] {
  const base = { runId: info.runId, workflow: info.workflow }
  const start = info.createdAt
  const events: WorkflowEvent[] = [{ type: 'workflow_start', ...base, ts: start }]
  // Steps, and compensations that ended (their end markers, seq -(3 + 2*pos): `undo <step>`).
  const undone = (r: StepRecord) => r.seq <= -3 && r.seq % 2 !== 0
  const steps = records.filter((r) => r.seq >= 0 || undone(r)).sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0))
  let last = start
  for (const r of steps) {
    const stepId = r.seq >= 0 ? `s${r.seq + 1}` : `u${(-r.seq - 1) / 2}`
    const t0 = r.startedAt ?? last
    const t1 = r.endedAt ?? t0
    last = Math.max(last, t1)
    const kind = (r.kind ?? 'step') as Extract<WorkflowEvent, { type: 'step_start' }>['kind']
    const step = { ...base, stepId, name: r.name ?? r.key, kind, attempt: r.attempts ?? 1 }
    events.push({ type: 'step_start', ...step, ts: t0 })
    const durationMs = t1 - t0
    if (r.ok) events.push({ type: 'step_success', ...step, ts: t1, durationMs })
    else events.push({ type: 'step_error', ...step, ts: t1, durationMs, error: fromRecord(r)._unsafeUnwrapErr() })
  }
  const outcome = records.find((r) => r.seq === -1)
  const end = Math.max(last, outcome?.endedAt ?? info.updatedAt)
  const durationMs = end - start
  if (info.state === 'succeeded') events.push({ type: 'workflow_success', ...base, ts: end, durationMs })
  else if (info.state === 'failed') {
    const error = outcome ? fromRecord(outcome)._unsafeUnwrapErr() : summaryError(info)
    events.push({ type: 'workflow_error', ...base, ts: end, durationMs, error })
  } else if (info.state === 'cancelled') {
    const error =
      outcome && compensatedCancel(outcome) ? fromRecord(outcome)._unsafeUnwrapErr() : new CancelledError('cancelled')
    events.push({ type: 'workflow_cancelled', ...base, ts: end, durationMs, error })
  }
  return events
}
