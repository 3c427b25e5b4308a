/** A value JSON can hold exactly: what a durable store saves. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * One line of a durable run's history: a finished step, or (with `seq: -1`) the workflow's own
 * outcome. Records are plain JSON, so any store that can keep strings can keep them.
 */
export interface StepRecord {
  /** Position of the step in the run: 0 for the first step the body asked for, and so on; -1 for the workflow's outcome. */
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
}

/**
 * Where durable workflow runs keep their history. Small on purpose, so a SQL or key-value store
 * is a few lines: a table `(run_id, seq, record_json)` with `load` as a `SELECT … ORDER BY` and
 * `append` as an `INSERT` that commits before it resolves.
 *
 * A method may reject; the workflow turns that into a typed err of the run (`StoreError`, or a
 * `RunLockedError` the store rejected with), never a throw.
 */
export interface WorkflowStore {
  /**
   * Every record of the run saved so far, in the order they were appended (`[]` for a new run).
   * A record that was only partly written by a crash must be left out, never returned broken.
   */
  load(runId: string): Promise<readonly StepRecord[]>
  /** Saves one record durably: when the promise resolves, the record survives a crash. */
  append(runId: string, record: StepRecord): Promise<void>
  /**
   * Optional: takes exclusive hold of the run before it is loaded, so two processes never
   * write one history. Rejects with `RunLockedError` when a live holder has it; resolves to the
   * function that releases it (called once the run has settled).
   */
  lock?(runId: string): Promise<() => Promise<void>>
}
