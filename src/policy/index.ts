export { type Bulkhead, type BulkheadMetrics, type BulkheadOptions, bulkhead } from './bulkhead.js'
export {
  type BreakerMetrics,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerStateChange,
  type BreakerStore,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  circuitBreaker,
  memoryBreakerStore,
} from './circuit-breaker.js'
export { type Composed, policy } from './compose.js'
export type {
  AnyPolicy,
  ExecuteOptions,
  Policy,
  PolicyAdds,
  PolicyError,
  PolicyHandles,
  PolicyOk,
  PolicyTask,
} from './executor.js'
export { type FallbackReturn, fallback } from './fallback.js'
export { type RateLimiter, type RateLimiterOptions, rateLimiter } from './rate-limiter.js'
export { type RetryPolicyOptions, retryPolicy } from './retry.js'
export { timeoutPolicy } from './timeout.js'
