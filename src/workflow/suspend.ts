/**
 * What a durable step answers, on a worker, when its run must wait without holding a slot or a
 * lease (a long `step.sleep`, a `step.waitFor` with no event yet, a `step.map` whose children are
 * still running). It ends the run like an err, but it is not the run's outcome: nothing is
 * recorded for it, and the worker marks the run `sleeping` until `dueAt` (or until it is woken:
 * an emit, a child ending). Internal: it never reaches a user's code.
 */
export class Suspended {
  readonly _tag = 'Suspended'
  constructor(
    /** When the run wants to be claimed again (ms since the epoch); undefined = only when woken (workers add a fallback). */
    readonly dueAt: number | undefined,
    /** What it waits for, for the run's history (`sleep "cool down"`, `event "packed:42"`). */
    readonly why: string,
  ) {}
}

export const isSuspended = (e: unknown): e is Suspended => e instanceof Suspended
