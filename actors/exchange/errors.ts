import { Bot4Error } from '../../common/errors.js';
import type { FailureKind } from './adapter.js';

/**
 * A venue call failed; `kind` says what that means for an order's outcome (see {@link FailureKind}).
 * The venue actor turns it into order events (`reject`, `unknown`, reconciliation), never into a crash.
 */
export class VenueCallError extends Bot4Error {
  static readonly code = 'B4_VENUE_CALL_FAILED';
  constructor(
    readonly venue: string,
    readonly kind: FailureKind,
    message: string,
    cause: unknown,
  ) {
    super('B4_VENUE_CALL_FAILED', `${venue}: ${kind}: ${message}`, { venue, kind }, { cause });
  }
}

/** A venue actor was configured badly (unknown venue, instruments missing at the venue). */
export class VenueConfigError extends Bot4Error {
  static readonly code = 'B4_VENUE_CONFIG';
  constructor(message: string, details?: Record<string, unknown>) {
    super('B4_VENUE_CONFIG', message, details);
  }
}

/**
 * The venue refused our credentials (Binance -1022, -2014, -2015, HTTP 401): the venue is halted
 * and retried only rarely (see the venue option `authRetryMs`), never hammered. The message names
 * the venue and the venue's error code, never the key or the secret.
 */
export class VenueAuthError extends Bot4Error {
  static readonly code = 'B4_VENUE_AUTH';
  constructor(
    readonly venue: string,
    message: string,
  ) {
    super('B4_VENUE_AUTH', message, { venue });
  }
}

/**
 * After the start reconciliation the engine's balances still differ from the venue's (trades older
 * than the venue's history, a transfer, a journal restored from an old copy): the venue is halted
 * instead of trading on a wrong picture. `asset`, `engine` and `venue` name the first difference.
 */
export class VenueDivergedError extends Bot4Error {
  static readonly code = 'B4_VENUE_DIVERGED';
  constructor(
    readonly venue: string,
    readonly asset: string,
    readonly engine: string,
    readonly venueAmount: string,
    message: string,
  ) {
    super('B4_VENUE_DIVERGED', message, { venue, asset, engine, venueAmount });
  }
}
