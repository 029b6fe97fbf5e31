import { Bot4Error } from '../../common/errors.js';

/**
 * Errors of the risk engine and kill switch. Business denials are never errors: they are
 * {@link RiskDenial} values (`RISK_*` codes). These classes are for bad configuration and broken
 * invariants only. Append new codes here; never reuse one.
 */

/** Risk error codes. */
export type RiskErrorCode =
  | 'B4_RISK_CONFIG_INVALID'
  | 'B4_RISK_UNKNOWN_KEY'
  | 'B4_RISK_STATE_INVARIANT'
  | 'B4_RISK_OVERFLOW'
  | 'B4_RISK_SHARED_STATE';

/** Config that parses but does not hold together (unknown references, units that do not divide, limits out of range). */
export class RiskConfigError extends Bot4Error {
  static readonly code = 'B4_RISK_CONFIG_INVALID';
  /** Dotted path of the offending field (`risk.instruments.sim-a:BTC/USDT.maxOrderNotional`). */
  readonly field: string;
  constructor(field: string, message: string, details?: Record<string, unknown>) {
    super(RiskConfigError.code, message, { field, ...details });
    this.field = field;
  }
}

/** A state update named a venue, symbol, strategy or asset the engine was not configured with. */
export class RiskUnknownKeyError extends Bot4Error {
  static readonly code = 'B4_RISK_UNKNOWN_KEY';
  constructor(message: string, details?: Record<string, unknown>) {
    super(RiskUnknownKeyError.code, message, details);
  }
}

/** A state update would break an invariant of the mirror (negative open quantity, non-integer lots...). */
export class RiskStateError extends Bot4Error {
  static readonly code = 'B4_RISK_STATE_INVARIANT';
  constructor(message: string, details?: Record<string, unknown>) {
    super(RiskStateError.code, message, details);
  }
}

/** An integer quantity left the exactly representable range (|x| > 2^53 - 1 quote or asset atoms). */
export class RiskOverflowError extends Bot4Error {
  static readonly code = 'B4_RISK_OVERFLOW';
  constructor(message: string, details?: Record<string, unknown>) {
    super(RiskOverflowError.code, message, details);
  }
}

/** The shared trading-state slot holds a value no kill switch writes (corrupt or foreign block). */
export class RiskSharedStateError extends Bot4Error {
  static readonly code = 'B4_RISK_SHARED_STATE';
  constructor(message: string, details?: Record<string, unknown>) {
    super(RiskSharedStateError.code, message, details);
  }
}
