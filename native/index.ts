// Public native primitives (correlation, atomic counters). Filled in by the foundation issue.
export {};
export { AtomicCounters, nativeCountersAvailable, type CountersOptions } from './atomic-counters.js';
export { CountersError, NativeUnavailableError, type CountersErrorCode } from './errors.js';
export { correlationMatrix, correlationMatrixTs, correlationMatrixNative, setSimdEnabled, nativeCorrelationLoaded } from './correlation.js';
export { RollingCorrelation, ROLLING_CORRELATION_DEFAULTS, type RollingCorrelationOptions } from './rolling-correlation.js';
export { nativeInfo, type NativeInfo, type SimdPath } from './native-info.js';
export { CorrelationInputError, type CorrelationErrorCode } from './errors.js';
export { acquireDirLock, releaseDirLock, kernelLockUnavailableReason, errnoName } from './file-lock.js';
export { FileLockError, type FileLockErrorCode } from './errors.js';
