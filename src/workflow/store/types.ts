/** A value JSON can hold exactly: what a durable store saves. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

// ---------------------------------------------------------------------------------------------
// Journal: the step records of one run, written only under a lease (fencing).
// ---------------------------------------------------------------------------------------------

/**
 * One line of a durable run's history: a finished step, or (with `seq: -1`) the workflow's own
 * outcome. Records are plain JSON, so any store that can keep strings can keep them. The fields
 * after `value` describe the step for histories and reports; replay reads only seq, key, ok, value.
 */
export interface StepRecord {
  /**
   * Position of the step in the run: 0 for the first step the body asked for, and so on; -1 for
   * the workflow's outcome; -2 and below for compensation markers (see the compensation module).
   * Unique per run.
   */
  readonly seq: number
  /** The step's `key` option, else its name (`$result` for the outcome). Checked on replay. */
  readonly key: string
  /** Whether the step (or the workflow) ended ok. */
  readonly ok: boolean
  /**
   * The ok value or the err, encoded as JSON; absent for `undefined` (a void step). An `Error`
   * anywhere in it is saved as `{ "$okflowError": { name, message, ...fields } }`.
   */
  readonly value?: JsonValue
  /** The step's display name (when it differs from `key`). */
  readonly name?: string
  /** `step`, `all`, `any`, `race`, `sleep`, `offload`; absent for the outcome. */
  readonly kind?: string
  /** Position of the enclosing step, when there is one. */
  readonly parentSeq?: number
  /** Wall-clock ms since the epoch when the step started and ended. */
  readonly startedAt?: number
  readonly endedAt?: number
  /** Attempts made (more than 1 when the step's `retry` called it again). */
  readonly attempts?: number
  /**
   * True on the ok record of a step that has a `compensate`: a run with one (and no outcome) has
   * something to undo, so `requestCancel` hands it to a worker instead of cancelling it at once.
   */
  readonly undo?: boolean
}

/** Who holds a run right now. `fence` grows at every grant of the lease (takeovers included). */
export interface Lease {
  readonly runId: string
  /** A unique token per holder (random), not a pid. */
  readonly owner: string
  readonly fence: number
  /** ms since the epoch, by the store's clock. */
  readonly expiresAt: number
}

/**
 * Where durable workflow runs keep their history (store v2). A run is written only by the
 * holder of its lease: every write is conditional on the lease's fence, so a holder whose
 * lease was taken over writes nothing more.
 *
 * Every method may reject; the workflow turns a rejection into a typed err of the run
 * (`StoreError`, or the `RunLockedError` / `LeaseLostError` the store rejected with), never a throw.
 */
export interface WorkflowStore {
  /**
   * Grants the run's lease to `owner` for `leaseMs`: when no lease exists, it was released, or
   * it expired. A live lease of another owner → rejects with `RunLockedError`. Each grant sets
   * fence = previous fence + 1 (a re-grant to the same owner after expiry too). Creates the
   * run's journal if it does not exist.
   */
  acquire(runId: string, owner: string, leaseMs: number): Promise<Lease>
  /** Heartbeat: extends a lease that was not taken over. Fence moved on → rejects `LeaseLostError`. */
  renew(lease: Lease, leaseMs: number): Promise<Lease>
  /** Gives the lease up at once (another worker can take it without waiting). No-op when lost. */
  release(lease: Lease): Promise<void>
  /**
   * Every complete record of the run, in append order (`[]` for a new run). A record that was
   * only partly written by a crash is left out, never returned broken.
   */
  load(runId: string): Promise<readonly StepRecord[]>
  /**
   * Saves one record; durable when it resolves. Conditional: only while `lease.fence` is still
   * the run's fence (else rejects `LeaseLostError`; nothing written). A record whose seq is
   * already present → rejects `StoreError` (a completed step is never recorded twice).
   */
  append(lease: Lease, record: StepRecord): Promise<void>
  /**
   * Optional batch form (group commit): all-or-nothing under the same conditions. Used when
   * several steps finish together; without it, records are appended one by one.
   */
  appendMany?(lease: Lease, records: readonly StepRecord[]): Promise<void>
  /**
   * Retry of a failed run: removes the outcome record (seq -1) and every record at or after
   * the first failed step, under the lease, so the run can go on from there. Ok records before
   * the failure stay and replay. Issue 19: records with seq <= -2 are compensation markers; a
   * journal that has any is emptied by reopen (a compensated run starts again from its first step).
   */
  reopen(lease: Lease): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Run registry + queue: what createClient / createWorker need (registered workflows).
// memoryStore, fileStore and postgresStore implement it.
// ---------------------------------------------------------------------------------------------

export type RunState = 'pending' | 'running' | 'sleeping' | 'succeeded' | 'failed' | 'cancelled'

export interface RunInfo {
  readonly runId: string
  readonly workflow: string
  readonly version: number
  readonly state: RunState
  readonly input: JsonValue
  readonly idempotencyKey?: string
  readonly createdAt: number
  readonly updatedAt: number
  /** How many times a worker claimed it (1 for the first claim). */
  readonly claims: number
  /** When a `sleeping`/`pending` run may be claimed (ms since the epoch); absent = now. */
  readonly dueAt?: number
  /** Set by client.cancel: the holder sees it on its next heartbeat and cancels the run. */
  readonly cancelRequested?: boolean
  /** The current lease holder, if any (for list/show). */
  readonly owner?: string
  /** A short summary of the outcome's error (tag + message) for list views. */
  readonly error?: { readonly tag?: string; readonly message: string }
  /** The run that created this one (a child task of `step.map` / a group over task calls). */
  readonly parentId?: string
  /**
   * Set by `wake` while the run was pending or running: its next `setState('sleeping')` makes it
   * due at once (a wake-up that came while it was still deciding to sleep is not lost). Cleared by `claim`.
   */
  readonly woken?: boolean
}

export interface NewRun {
  readonly runId: string
  readonly workflow: string
  readonly version: number
  readonly input: JsonValue
  readonly idempotencyKey?: string
  /** Links a child run to its parent: the parent is woken when the child ends. */
  readonly parentId?: string
}

/** A child run as its parent sees it (`listChildren`). */
export interface ChildRun {
  readonly runId: string
  readonly state: RunState
  /** When it ended (ms since the epoch, the store's clock); absent while it has not. Gives the completion order. */
  readonly endedAt?: number
  /** Its outcome record (seq -1), when it ended and `outcomes` was asked for. */
  readonly outcome?: StepRecord
}

/** An emitted event (`client.emit`): the first emit of a key wins and stays. */
export interface EmittedEvent {
  readonly payload: JsonValue
  /** ms since the epoch, the store's clock. */
  readonly at: number
}

export interface RunFilter {
  readonly workflow?: string
  readonly state?: RunState
  readonly limit?: number
}

export interface RunQueue {
  /**
   * Creates a pending run, atomically. Same idempotencyKey (or same runId) as an existing run →
   * resolves to the existing run with created: false (never two runs).
   */
  createRun(run: NewRun): Promise<{ readonly run: RunInfo; readonly created: boolean }>
  getRun(runId: string): Promise<RunInfo | undefined>
  /** Newest first. */
  listRuns(filter?: RunFilter): Promise<readonly RunInfo[]>
  /**
   * Claims up to `limit` runs of these workflows that are claimable now: pending and due,
   * sleeping and due, or running with an expired lease. Takes their leases (fence + 1) and
   * marks them running; claims++. Two concurrent claims never get the same run.
   */
  claim(
    workflows: readonly string[],
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<readonly { readonly run: RunInfo; readonly lease: Lease }[]>
  /**
   * Sets the run's state under its lease (rejects `LeaseLostError` if the fence moved on):
   * succeeded/failed/cancelled record the end and release the lease; sleeping with dueAt
   * releases the lease; pending (e.g. drained by a shutting-down worker) releases it.
   * Issue 19: `sleeping` of a run marked `woken` (or `cancelRequested`: a cancel its worker did
   * not see before it suspended) is due at once (woken cleared); an end
   * (succeeded/failed/cancelled) of a run with a parentId wakes the parent (in the same
   * transaction where the store has them).
   */
  setState(
    lease: Lease,
    state: RunState,
    opts?: { readonly dueAt?: number; readonly error?: RunInfo['error'] },
  ): Promise<void>
  /**
   * client.cancel: marks cancelRequested; a pending/sleeping run is cancelled at once, unless its
   * journal has an ok record with `undo: true` and no outcome (seq -1): such a run has
   * compensations to run, so it stays pending/sleeping, flagged, and is made due now: a worker
   * claims it, replays it to the cancel and compensates (a run that may have changed while the
   * store looked, e.g. claimed meanwhile, is handed to a worker the same way rather than guessed
   * at). Issue 19: its unfinished descendants (children, their children) are cancelled the same way.
   */
  requestCancel(runId: string): Promise<RunInfo | undefined>
  /** client.retry: a failed (or cancelled) run back to pending (its journal reopened on claim). */
  requeue(runId: string): Promise<RunInfo | undefined>
  /** Optional: resolves when something changed that a waiting client/worker may care about. */
  wait?(ms: number, signal?: AbortSignal): Promise<void>

  // --- Durable primitives (issue 19). Every built-in store has them; a custom store without
  // them still runs workflows, and the primitives that need them answer InvalidOptionsError. ---

  /**
   * Creates each run (state pending) unless a run with its runId exists: idempotent, so a parent
   * that re-creates its children after a crash adds none. No idempotencyKey handling needed
   * (children have none). Atomic per run; many at once should be one round trip where possible.
   */
  createRuns?(runs: readonly NewRun[]): Promise<void>
  /**
   * The runs whose parentId is `parentId` (only those whose runId starts with `prefix`, when
   * given), in runId order, with `endedAt` for ended ones and, with `outcomes: true`, their
   * outcome records.
   */
  listChildren?(
    parentId: string,
    opts?: { readonly prefix?: string; readonly outcomes?: boolean },
  ): Promise<readonly ChildRun[]>
  /**
   * Wakes a run: a sleeping one becomes due now (claimable at once); a pending or running one
   * gets `woken: true`; an ended or unknown one is left alone.
   */
  wake?(runId: string): Promise<void>
  /**
   * Records `key`'s event unless it has one (the first emit wins; later ones change nothing),
   * then wakes every run registered as waiting for `key`. Resolves true when this emit was the
   * first. Works with no worker running: the event stays until a run asks for it.
   */
  emit?(key: string, payload: JsonValue): Promise<boolean>
  /**
   * `key`'s event, if emitted. With `waiter`, first registers that run as waiting for `key`, so
   * an emit that comes after this call wakes it (register, then read: no lost wake-up).
   */
  getEvent?(key: string, waiter?: string): Promise<EmittedEvent | undefined>
}

/** A store that can back createClient/createWorker. */
export type RunStore = WorkflowStore & RunQueue

/** Options every built-in store takes. */
export interface StoreOptions {
  /** The store's clock (ms since the epoch) for lease expiry and run times; tests pass a fake one. */
  readonly now?: () => number
}
