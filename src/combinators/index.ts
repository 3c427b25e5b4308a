// The combinators' public surface: what `okflow` exports from this folder.
export { type AllError, type AllOptions, allAsync } from './all.js'
export { type AllSettledError, allSettledAsync, type SettledError } from './all-settled.js'
export { type AnyError, anyAsync } from './any.js'
export { asCompleted, type Completed, type CompletedError } from './as-completed.js'
export { type HedgeError, type HedgeOptions, hedge } from './hedge.js'
export { partition } from './partition.js'
export { type RaceError, type RaceOptions, raceAsync } from './race.js'
export {
  type AttemptContext,
  type AttemptError,
  type Backoff,
  backoffDelay,
  type RetryError,
  type RetryOptions,
  type RetryTask,
  retry,
} from './retry.js'
export { type Selected, type SelectOptions, selectAsync } from './select.js'
export { type Settled, type SettleError, settleAsync } from './settle.js'
export { type TimeoutOptions, type WithTimeoutError, withTimeout } from './timeout.js'
