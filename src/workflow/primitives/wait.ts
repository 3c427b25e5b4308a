import { err, ok, type Result } from 'neverthrow'
import { InvalidOptionsError, TimeoutError, UnexpectedError } from '../../errors.js'
import { checkMs } from '../../internal/options.js'
import { sleep as pause } from '../../internal/sleep.js'
import type { Durable } from '../durable.js'
import { checkString, optionsOf } from '../options.js'
import { type LazyMethod, type LazyStep, must } from '../step.js'
import { storeError } from '../store/failure.js'
import type { EmittedEvent, RunQueue } from '../store/types.js'
import { Suspended } from '../suspend.js'

/** How often a run waiting in process looks for its event (a store's `wait` may wake it sooner). */
const POLL_MS = 100
const NEEDS = 'a store with getEvent (memoryStore, fileStore, postgresStore)'

/**
 * `step.waitFor(name, key, { timeoutMs, key })`: resolves to the payload of `client.emit(key, …)`.
 * Two positions: `at` records the deadline the first time the run gets here (`{ until }`, or
 * `{ until: null }` without a timeout), so a replay keeps it; `at + 1` records the outcome (the
 * payload, or the TimeoutError). The first emit of a key wins, and one sent before the wait is
 * not lost: the store keeps the event. The run registers as a waiter, then reads (getEvent with
 * its runId): an emit after that wakes it. On a worker, no event yet → the run suspends until the
 * deadline or the emit; in process it looks again every POLL_MS (or when the store's `wait` says
 * something changed) until either, abortable by the run's signal.
 */
export const waitFor: LazyMethod = (s, name, key, options) => {
  const o = optionsOf(options, 'options')
  const timeoutMs = o.timeoutMs as number | undefined
  must(checkString('name', name), checkString('key', key), checkMs('timeoutMs', timeoutMs))
  must(checkString('options.key', o.key, true))
  const d = s.run.durable
  let store: RunQueue | undefined
  let bad: InvalidOptionsError | undefined
  if (!d) {
    bad = new InvalidOptionsError('store', undefined, `a durable run (a workflow with a store, or a worker): ${NEEDS}`)
  } else if (typeof (d.store as Partial<RunQueue>).getEvent !== 'function') {
    bad = new InvalidOptionsError('store', d.store, NEEDS)
  } else store = d.store as unknown as RunQueue
  const stepKey = (o.key as string | undefined) ?? s.name
  return s.exec(
    s.name,
    'waitFor',
    (_, done) => {
      // A store (or a save) that throws ends the step with it as an UnexpectedError, never a hang.
      wait(s, d as Durable, store as RunQueue, key as string, stepKey, timeoutMs).then(done, (e: unknown) =>
        done(err(UnexpectedError.from(e))),
      )
    },
    stepKey,
    bad,
    {},
    s.at + 1,
  )
}

type AnyResult = Result<unknown, unknown>

async function wait(
  s: LazyStep,
  d: Durable,
  store: RunQueue,
  key: string,
  stepKey: string,
  timeoutMs: number | undefined,
): Promise<AnyResult> {
  const { run, at, name } = s
  // The store failed, not the wait: the run ends with it, and nothing is recorded as the wait's
  // outcome (stopped first, so the outcome is not saved), so it can be resumed.
  const broken = (e: unknown): AnyResult => {
    const se = storeError('queue', run.runId, e)
    run.exit ??= { error: se }
    run.stop(se)
    return err(se)
  }
  let until: number | null
  const recorded = d.replay(at, stepKey)
  if (recorded) {
    if (recorded.isErr()) return recorded // ReplayMismatchError
    const u = (recorded.value as { until?: unknown } | null)?.until
    until = typeof u === 'number' ? u : null
  } else {
    const t = Date.now()
    until = timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY ? null : t + timeoutMs
    // Named apart from the outcome's record, so a run's history reads "payment (deadline)", then "payment".
    const meta = { name: `${name} (deadline)`, kind: 'waitFor', startedAt: t }
    const saved = await d.save(at, stepKey, ok({ until }), `step "${name}"`, meta)
    if (saved.isErr()) return saved.error instanceof InvalidOptionsError ? saved : broken(saved.error)
  }
  for (;;) {
    // Cancelled meanwhile: the step has ended already (its cancel hook), nothing more to do.
    if (run.signal.aborted) return err(run.signal.reason)
    const t = Date.now()
    let ev: EmittedEvent | undefined
    try {
      ev = await (store.getEvent as NonNullable<RunQueue['getEvent']>)(key, run.runId)
    } catch (e) {
      return broken(e)
    }
    if (ev) return ok(ev.payload)
    // A read that started at or after the deadline was the last one.
    if (until !== null && t >= until) return err(new TimeoutError(timeoutMs as number, name))
    if (!d.owned) return err(new Suspended(until ?? undefined, `event "${key}"`))
    const ms = Math.max(0, Math.min(POLL_MS, until === null ? POLL_MS : until - Date.now()))
    if (store.wait) await store.wait(ms, run.signal).catch(() => pause(ms, run.signal))
    else await pause(ms, run.signal)
  }
}
