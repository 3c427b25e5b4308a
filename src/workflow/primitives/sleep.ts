import { err, ok } from 'neverthrow'
import { sleep as pause } from '../../internal/sleep.js'
import type { Durable } from '../durable.js'
import { type LazyMethod, NO_WORK, type Start } from '../step.js'
import type { StepCodec } from '../store/record.js'
import { Suspended } from '../suspend.js'

/** A sleep's record holds its wake-up time; the step itself resolves to nothing. */
const VOID: StepCodec = { encode: () => null, decode: () => undefined }

/**
 * `step.sleep(name, ms)` in a durable run (checked by step.ts). The wake-up time is recorded at
 * the sleep's start (`{ until }`), before it sleeps, so a replay sleeps only what is left. On a
 * worker, a remainder longer than the worker's `sleepInProcessMs` suspends the run until then
 * (no slot, no lease); in process (`createWorkflow` with a store) it sleeps here.
 */
export const sleep: LazyMethod = (s, _name, ms) => {
  const { run, at, name } = s
  const d = run.durable as Durable
  const rec = d.steps.get(at)
  const until = rec?.ok ? (rec.value as { until?: unknown } | undefined)?.until : undefined
  // Over already, another step recorded here (ReplayMismatchError), or a sleep recorded as a
  // plain step (0.2 and before): replayed as it is.
  if (rec && (rec.key !== name || typeof until !== 'number' || until <= Date.now())) {
    return s.exec(name, 'sleep', NO_WORK, name, undefined, { codec: VOID }, at)
  }
  // A run resuming its compensations, or replayed to a cancel (durable.ts `halt`), sleeps no
  // more: a sleep not over (or not reached before) ends with the run's error.
  const halt = d.halt
  if (halt) return s.exec(name, 'sleep', (_, done) => done(halt), name, undefined, { record: false }, at)
  const start: Start = (_, done) => {
    const wait = (u: number) => {
      const left = u - Date.now()
      // Infinity in process: only a worker's run suspends.
      if (left > d.sleepInProcessMs) d.save(at, name, err(new Suspended(u, `sleep "${name}"`)), '').then(done)
      else pause(Math.max(0, left), run.signal).then(done)
    }
    if (typeof until === 'number') return wait(until)
    const t = Date.now()
    const u = t + (ms as number)
    const meta = { name, kind: 'sleep', startedAt: t, endedAt: u }
    d.save(at, name, ok({ until: u }), `step "${name}"`, meta).then((r) => (r.isErr() ? done(r) : wait(u)))
  }
  // Not saved when it ends: its one record is the wake-up time, written above.
  return s.exec(name, 'sleep', start, name, undefined, { record: false }, at)
}
