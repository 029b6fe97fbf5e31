import { Bot4Error } from '../common/errors.js';

/**
 * Errors of the native primitives (correlation, atomic counters). C returns status codes; the TS
 * wrappers turn them into these, with the caller's stack. Append new codes here; never reuse one.
 */

/** Correlation input codes. */
export type CorrelationErrorCode =
  | 'B4_CORR_LENGTH_MISMATCH'
  | 'B4_CORR_TOO_FEW_SERIES'
  | 'B4_CORR_TOO_FEW_SAMPLES'
  | 'B4_CORR_NON_FINITE'
  | 'B4_CORR_OUT_LENGTH';

/** Bad input to `correlationMatrix` / `RollingCorrelation`. */
export class CorrelationInputError extends Bot4Error {
  declare readonly code: CorrelationErrorCode;
  constructor(code: CorrelationErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

/** Atomic counter codes. */
export type CountersErrorCode =
  | 'B4_COUNTERS_SLOT_RANGE'
  | 'B4_COUNTERS_UNSAFE_INTEGER'
  | 'B4_COUNTERS_BUFFER_INVALID'
  | 'B4_COUNTERS_SHARED_OPEN';

/** Bad use of `AtomicCounters` (slot out of range, unsafe integer, bad buffer, shared file failure). */
export class CountersError extends Bot4Error {
  declare readonly code: CountersErrorCode;
  constructor(code: CountersErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

/** A capability needs the native addon (e.g. `AtomicCounters.openShared`) and the TS twins are active. */
export class NativeUnavailableError extends Bot4Error {
  static readonly code = 'B4_NATIVE_UNAVAILABLE';
  constructor(message: string, details?: Record<string, unknown>) {
    super(NativeUnavailableError.code, message, details);
  }
}

/** Kernel file-lock codes (native/lock.c through native/file-lock.ts). */
export type FileLockErrorCode = 'B4_FILE_LOCK_HELD' | 'B4_FILE_LOCK_FAILED';

/**
 * `B4_FILE_LOCK_HELD`: another open file description (another process, or another open in this
 * one) holds the lock. `B4_FILE_LOCK_FAILED`: open/flock/close failed (details: `errno`, `path`).
 */
export class FileLockError extends Bot4Error {
  declare readonly code: FileLockErrorCode;
  /** The errno name (`EACCES`, ...) of a failure; `EWOULDBLOCK` when held. */
  readonly errno: string;
  constructor(code: FileLockErrorCode, message: string, errno: string, details?: Record<string, unknown>) {
    super(code, message, { errno, ...details });
    this.errno = errno;
  }
}
