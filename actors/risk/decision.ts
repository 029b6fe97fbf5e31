/**
 * Risk decisions: what {@link RiskEngine.check} returns. Approval is one preallocated frozen
 * constant so the approved path allocates nothing; a denial is a small frozen object built when
 * the order is denied (denials are rare and carry a human-readable detail, so they may allocate).
 * Codes are stable: they reach strategies, logs and the API as `order.denied` events.
 */

/** Every denial code the engine can return (stable; documented in the README). */
export const DENIAL_CODES = [
  'RISK_HALTED',
  'RISK_REDUCING',
  'RISK_REDUCE_ONLY',
  'RISK_STRATEGY_UNKNOWN',
  'RISK_INSTRUMENT_UNKNOWN',
  'RISK_PRICE_PRECISION',
  'RISK_QTY_PRECISION',
  'VENUE_UNAVAILABLE',
  'RISK_STALE_DATA',
  'RISK_QTY_MIN',
  'RISK_QTY_MAX',
  'RISK_NOTIONAL_MIN',
  'RISK_NOTIONAL_MAX',
  'RISK_PRICE_BAND',
  'RISK_POSITION_LIMIT',
  'RISK_EXPOSURE_GROSS',
  'RISK_EXPOSURE_NET',
  'RISK_CORRELATION',
  'RISK_CORRELATED_POSITIONS',
  'RISK_OPEN_ORDERS',
  'RISK_BALANCE',
  'RISK_RATE_LIMIT',
  'RISK_SELF_TRADE',
] as const;

/** A stable denial code. */
export type DenialCode = (typeof DENIAL_CODES)[number];

/** The order may go out. */
export interface RiskApproved {
  readonly approved: true;
  readonly code: 'RISK_OK';
}

/** The order must not go out; emit `order.denied` with this code. */
export interface RiskDenial {
  readonly approved: false;
  /** Stable namespaced code (`RISK_NOTIONAL_MAX`). */
  readonly code: DenialCode;
  /** Human-readable explanation naming the limit and the value that broke it. */
  readonly detail: string;
  /** The limit that applied, in the unit named by `detail` (atoms, lots, bps, ms), when there is one. */
  readonly limit?: number;
  /** The value that broke it, same unit. */
  readonly value?: number;
}

/** Result of a risk check. */
export type RiskDecision = RiskApproved | RiskDenial;

/** The one approval value: returned by reference, never copied, so approving allocates nothing. */
export const APPROVED: RiskApproved = Object.freeze({ approved: true, code: 'RISK_OK' });

/** Builds a frozen denial. */
export function deny(code: DenialCode, detail: string, limit?: number, value?: number): RiskDenial {
  const d: { approved: false; code: DenialCode; detail: string; limit?: number; value?: number } = { approved: false, code, detail };
  if (limit !== undefined) d.limit = limit;
  if (value !== undefined) d.value = value;
  return Object.freeze(d);
}
