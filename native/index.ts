// Public native primitives (correlation, atomic counters). Filled in by the foundation issue.
export {};
export { AtomicCounters, nativeCountersAvailable, type CountersOptions } from './atomic-counters.js';
export { CountersError, NativeUnavailableError, type CountersErrorCode } from './errors.js';
