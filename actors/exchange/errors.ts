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
