/**
 * Compensation (sagas): when a run fails or is cancelled, the `compensate` of each step it
 * completed runs, in reverse order of completion, one at a time, each at most once. Loaded only
 * by a run that has something to undo and ended with an err.
 *
 * The compensations get a signal of their own: the cancel (or timeout) that ended the run does
 * not abort them; only a lost lease does (another holder then goes on with them). Their events
 * are steps of kind `compensate`, named `undo <step>`.
 *
 * Durable runs write two markers per compensation, in the run's journal: `-(2 + 2*pos)` before
 * it starts (holding the error the run ended with) and `-(3 + 2*pos)` when it ends (ok, or its
 * err). A run that stopped in the middle (a crash, a lost lease) replays its body to the same
 * error (durable.ts `halt`), which registers the compensations again with the recorded values;
 * then a compensation with an end marker is reported as it ended, one that started without
 * ending is `interrupted` (not run again: it may have taken effect), and the others run.
 *
 * A run cancelled while it slept off its worker is replayed the same way, to the cancel (the
 * worker opens it with `CANCELLED_RUN`, held-lease.ts): its recorded steps register their
 * compensations, its first new step ends cancelled, and it compensates as a running run would.
 */
import { type Err, err, ok, type Result } from 'neverthrow'
import { CompensatedError, InvalidOptionsError } from '../errors.js'
import { runOnePromise } from '../internal/run.js'
import type { Durable } from './durable.js'
import type { Undo, WorkflowRun } from './run.js'
import { fromRecord } from './store/record.js'

type AnyResult = Result<unknown, unknown>

const KIND = 'compensate'
const started = (pos: number) => -(2 + 2 * pos)
const ended = (pos: number) => -(3 + 2 * pos)

/**
 * The run's compensations in the order they run: reverse order of completion. On a resumed run,
 * replayed steps completed before any step of this process, in the order their records ended.
 */
function order(list: readonly Undo[], d: Durable | undefined): Undo[] {
  const at = (u: Undo) => d?.steps.get(u.pos)?.endedAt ?? Number.POSITIVE_INFINITY
  return list
    .map((u, i) => ({ u, i, t: at(u) }))
    .sort((a, b) => (a.t === b.t ? a.i - b.i : a.t < b.t ? -1 : 1))
    .map((x) => x.u)
    .reverse()
}

/**
 * Saves a marker; a Result that cannot be saved is saved as the InvalidOptionsError that says
 * why. `saved` is what the journal now holds; `stop` the store's err when it could not be written
 * (the run then stops compensating: it resumes later, from the markers written so far).
 */
async function mark(
  d: Durable,
  seq: number,
  u: Undo,
  r: AnyResult,
  startedAt: number,
): Promise<{ saved: AnyResult; stop?: undefined } | { stop: AnyResult }> {
  const meta = { name: `undo ${u.name}`, kind: KIND, startedAt }
  const what = `compensation "undo ${u.name}"`
  // `save` answers the Result it was given once it is written, another one when it was not.
  const saved = await d.save(seq, u.name, r, what, meta)
  if (saved === r) return { saved }
  if (!(saved.isErr() && saved.error instanceof InvalidOptionsError)) return { stop: saved }
  const fallback = err(saved.error)
  const again = await d.save(seq, u.name, fallback, what, meta)
  return again === fallback ? { saved: fallback } : { stop: again }
}

/**
 * Runs the compensations of a run that ended with `failure`; answers the CompensatedError (or
 * the store's err, when a marker could not be written). A run that ended ok is left as it is.
 */
export async function compensate(run: WorkflowRun, failure: AnyResult, d?: Durable): Promise<AnyResult> {
  if (failure.isOk()) return failure
  const compensated: string[] = []
  const failed: { step: string; error: unknown }[] = []
  const interrupted: string[] = []
  let error = failure.error
  const controller = new AbortController()
  const signal = d ? AbortSignal.any([controller.signal, d.signal]) : controller.signal
  try {
    for (const u of order(run.undo ?? [], d)) {
      if (d) {
        const end = d.marks.get(ended(u.pos))
        if (end) {
          const s = run.begin(`undo ${u.name}`, KIND, undefined, true)
          const r = end.ok ? ok(undefined) : fromRecord(end)
          run.end(s, r)
          if (r.isOk()) compensated.push(u.name)
          else failed.push({ step: u.name, error: r.error })
          continue
        }
        if (d.marks.has(started(u.pos))) {
          interrupted.push(u.name)
          continue
        }
        // Written before the compensation runs: at most once, even across a crash.
        const m = await mark(d, started(u.pos), u, failure, Date.now())
        if (m.stop) return m.stop
        // What a resumed run reads back as the run's error.
        error = (m.saved as Err<unknown, unknown>).error
      }
      const startedAt = Date.now()
      const s = run.begin(`undo ${u.name}`, KIND)
      let r: AnyResult = await runOnePromise((ctx: { signal: AbortSignal }) => u.fn(u.value, { signal: ctx.signal }), {
        signal,
      })
      // The value of a compensation is not kept: only whether it ended ok.
      if (r.isOk()) r = ok(undefined)
      run.end(s, r)
      if (d) {
        const m = await mark(d, ended(u.pos), u, r, startedAt)
        if (m.stop) return m.stop
        r = m.saved
      }
      if (r.isOk()) compensated.push(u.name)
      else failed.push({ step: u.name, error: r.error })
    }
  } finally {
    controller.abort()
  }
  return err(new CompensatedError(error, compensated, failed, interrupted))
}
