/** Option key (a symbol, so it is not public API) under which a worker hands over the lease it holds. */
export const HELD_LEASE: unique symbol = Symbol('okflow.heldLease')
/** Option key under which a worker says how long a `step.sleep` may sleep in process before it suspends the run. */
export const SLEEP_IN_PROCESS: unique symbol = Symbol('okflow.sleepInProcessMs')
/**
 * Option key under which a worker hands over the CancelledError of a run it claimed with a cancel
 * request: the run replays its recorded steps, ends with that error at its first step with no
 * record (durable.ts `halt`), and compensates what it replayed.
 */
export const CANCELLED_RUN: unique symbol = Symbol('okflow.cancelledRun')
