// Circuit breaker barrel (issue 2), re-exported from the root index.ts.
export {
  CircuitBreaker,
  PERMIT,
  TRIAL_PERMIT,
  REJECT_OPEN,
  REJECT_HALF_OPEN,
  type AcquireResult,
  type BreakerState,
  type BreakerTransition,
  type BreakerTransitionReason,
  type BreakerMetrics,
} from './circuit-breaker.js';
export { BREAKER_DEFAULTS, breakerOptionsSchema, parseBreakerOptions, type CircuitBreakerOptions, type ResolvedBreakerOptions } from './circuit-breaker-options.js';
