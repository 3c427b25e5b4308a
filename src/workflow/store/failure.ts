import { LeaseLostError, RunLockedError, StoreError, type StoreOperation } from '../../errors.js'

/** A store call's failure as a typed error: one the store chose is kept, anything else is a StoreError of `op`. */
export const storeError = (
  op: StoreOperation,
  runId: string,
  e: unknown,
): StoreError | RunLockedError | LeaseLostError =>
  e instanceof RunLockedError || e instanceof StoreError || e instanceof LeaseLostError
    ? e
    : new StoreError(op, runId, e)
