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
  /** Position of the step in the run: 0 for the first step the body asked for, and so on; -1 for the workflow's outcome. Unique per run. */
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
   * the failure stay and replay.
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
}

export interface NewRun {
  readonly runId: string
  readonly workflow: string
  readonly version: number
  readonly input: JsonValue
  readonly idempotencyKey?: string
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
   */
  setState(
    lease: Lease,
    state: RunState,
    opts?: { readonly dueAt?: number; readonly error?: RunInfo['error'] },
  ): Promise<void>
  /** client.cancel: marks cancelRequested; a pending/sleeping run is cancelled at once. */
  requestCancel(runId: string): Promise<RunInfo | undefined>
  /** client.retry: a failed (or cancelled) run back to pending (its journal reopened on claim). */
  requeue(runId: string): Promise<RunInfo | undefined>
  /** Optional: resolves when something changed that a waiting client/worker may care about. */
  wait?(ms: number, signal?: AbortSignal): Promise<void>
}

/** A store that can back createClient/createWorker. */
export type RunStore = WorkflowStore & RunQueue

/** Options every built-in store takes. */
export interface StoreOptions {
  /** The store's clock (ms since the epoch) for lease expiry and run times; tests pass a fake one. */
  readonly now?: () => number
}
