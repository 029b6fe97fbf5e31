import { Bot4Error } from '../common/errors.js';

/**
 * Errors of the exchange simulator. Business rejections of orders are not exceptions: they are
 * returned as Binance `{code, msg}` replies. These classes are for broken setup and misuse.
 */
export class SimulatorError extends Bot4Error {}

/** The simulator could not bind or reopen a listening port. */
export class SimulatorListenError extends SimulatorError {
  static readonly code = 'B4_SIM_LISTEN_FAILED';
  constructor(message: string, details?: Record<string, unknown>) {
    super(SimulatorListenError.code, message, details);
  }
}

/** A venue, symbol, scenario or profile name that the simulator does not know. */
export class SimulatorUnknownError extends SimulatorError {
  static readonly code = 'B4_SIM_UNKNOWN';
  constructor(message: string, details?: Record<string, unknown>) {
    super(SimulatorUnknownError.code, message, details);
  }
}

/** An operation on a simulator in the wrong lifecycle state (e.g. `stop()` twice, use after stop). */
export class SimulatorStateError extends SimulatorError {
  static readonly code = 'B4_SIM_STATE';
  constructor(message: string, details?: Record<string, unknown>) {
    super(SimulatorStateError.code, message, details);
  }
}

/** An instrument definition is inconsistent (tick × step not representable in asset atoms, bad decimals). */
export class SimulatorInstrumentError extends SimulatorError {
  static readonly code = 'B4_SIM_INSTRUMENT_INVALID';
  constructor(message: string, details?: Record<string, unknown>) {
    super(SimulatorInstrumentError.code, message, details);
  }
}

/** The ledger no longer reconciles (sum of balances + fees per asset changed): a bug, never a business case. */
export class SimulatorLedgerError extends SimulatorError {
  static readonly code = 'B4_SIM_LEDGER_BROKEN';
  constructor(message: string, details?: Record<string, unknown>) {
    super(SimulatorLedgerError.code, message, details);
  }
}

/**
 * A durable venue's state folder cannot be read or written, or its log is corrupt before its last
 * line (a torn last line, from a crash during a write, is dropped instead).
 */
export class SimulatorStoreError extends SimulatorError {
  static readonly code = 'B4_SIM_STORE';
  constructor(message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(SimulatorStoreError.code, message, details, options);
  }
}
