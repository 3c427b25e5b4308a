import { CancelledError } from '../errors.js'

/**
 * What a durable step answers, on a worker, when its run must wait without holding a slot or a
 * lease (a long `step.sleep`, a `step.waitFor` with no event yet, a `step.map` whose children are
 * still running). It ends the run like an err, but it is not the run's outcome: nothing is
 * recorded for it, and the worker marks the run `sleeping` until `dueAt` (or until it is woken:
 * an emit, a child ending). Internal: the worker never returns it.
 *
 * It is a CancelledError (tag and all) so that the run's events keep their contract with no new
 * event type: the suspended step ends as cancelled (⊘ on a timeline, no error status in
 * OpenTelemetry) and the run's last event is `workflow_cancelled`, as for a run a worker hands
 * back at shutdown; the message says what the run waits for. The next claim replays the run.
 */
export class Suspended extends CancelledError {
  constructor(
    /** When the run wants to be claimed again (ms since the epoch); undefined = only when woken (workers add a fallback). */
    readonly dueAt: number | undefined,
    /** What it waits for, for the run's history (`sleep "cool down"`, `event "packed:42"`). */
    readonly why: string,
  ) {
    super(`suspended until ${dueAt === undefined ? 'woken' : new Date(dueAt).toISOString()}: ${why}`)
  }
}

export const isSuspended = (e: unknown): e is Suspended => e instanceof Suspended
