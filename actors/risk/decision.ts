/**
 * Risk decisions: what {@link RiskEngine.check} returns. Approval is one preallocated frozen
 * constant so the approved path allocates nothing; a denial is a small frozen object built when
 * the order is denied (denials are rare and carry a human-readable detail, so they may allocate).
 * Codes are stable: they reach strategies, logs and the API as `order.denied` events.
 */
import { denialCodesOf, type RiskDenialCode } from '../denials.js';

/**
 * The risk engine's denial codes: the `risk` rows, in table order, of the one table of every
 * denial code (`DENIALS` in `actors/denials.ts`, where each code's meaning is).
 */
export const DENIAL_CODES: readonly RiskDenialCode[] = denialCodesOf('risk');

/** The order may go out. */
export interface RiskApproved {
  readonly approved: true;
  readonly code: 'RISK_OK';
}

/** The order must not go out; emit `order.denied` with this code. */
export interface RiskDenial {
  readonly approved: false;
  /** Stable namespaced code (`RISK_NOTIONAL_MAX`). */
  readonly code: RiskDenialCode;
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
export function deny(code: RiskDenialCode, detail: string, limit?: number, value?: number): RiskDenial {
  const d: { approved: false; code: RiskDenialCode; detail: string; limit?: number; value?: number } = { approved: false, code, detail };
  if (limit !== undefined) d.limit = limit;
  if (value !== undefined) d.value = value;
  return Object.freeze(d);
}
