import { SimulatorError } from '../../simulators/errors.js';

/**
 * Errors of the ledger checker. They mean the check could not be run as asked (a malformed ledger,
 * a venue symbol no instrument maps, a ledger that could not be fetched); what the check *finds*
 * is never an exception but an anomaly in the report.
 */

/** The inputs cannot be compared: malformed snapshot, unmapped venue symbol, missing venue ledger. */
export class LedgerCheckInputError extends SimulatorError {
  static readonly code = 'B4_LEDGER_CHECK_INPUT';
  constructor(message: string, details?: Record<string, unknown>) {
    super(LedgerCheckInputError.code, message, details);
  }
}

/** `GET <control>/venues/<venue>/ledger` failed (network error, non-200 reply, body not a ledger). */
export class LedgerFetchError extends SimulatorError {
  static readonly code = 'B4_LEDGER_CHECK_FETCH';
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(LedgerFetchError.code, message, details, options);
  }
}
