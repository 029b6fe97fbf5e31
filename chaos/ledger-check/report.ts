/**
 * The ledger checker's report: JSON-safe (no bigints, no undefined in arrays), stable in content
 * and order for the same inputs, so two runs of a seeded replay can be compared byte for byte.
 */

/**
 * What can be wrong between the engine's journal and a venue's ledger. See docs/chaos.md, section
 * "Ledger check" for the exact rule behind each kind.
 */
export type AnomalyKind =
  | 'LOST'
  | 'PHANTOM'
  | 'DUPLICATE'
  | 'STATE_MISMATCH'
  | 'FILL_MISMATCH'
  | 'FEE_MISMATCH'
  | 'INTENT_MISMATCH'
  | 'POSITION_MISMATCH'
  | 'BALANCE_MISMATCH'
  | 'LEDGER_UNRECONCILED';

/** Every anomaly kind, in report order. */
export const ANOMALY_KINDS: readonly AnomalyKind[] = Object.freeze([
  'LOST',
  'PHANTOM',
  'DUPLICATE',
  'STATE_MISMATCH',
  'FILL_MISMATCH',
  'FEE_MISMATCH',
  'INTENT_MISMATCH',
  'POSITION_MISMATCH',
  'BALANCE_MISMATCH',
  'LEDGER_UNRECONCILED',
]);

/** One disagreement. Values are exact decimal strings (quantities, amounts) or state names. */
export interface LedgerAnomaly {
  kind: AnomalyKind;
  /** Engine venue id. */
  venue: string;
  /** The order concerned; null for position, balance and ledger-wide anomalies. */
  clientOrderId: string | null;
  /** Unified symbol (position anomalies, and order anomalies where known). */
  symbol?: string;
  /** Asset (balance and fee anomalies). */
  asset?: string;
  /** Venue order ids involved (duplicates, phantoms). */
  venueOrderIds?: number[];
  /** The engine's value, when the anomaly is a comparison. */
  engine?: string;
  /** The venue ledger's value, when the anomaly is a comparison. */
  ledger?: string;
  /** One human sentence. */
  detail: string;
}

/**
 * How many orders fell in each class and how many anomalies of each kind were found. The order
 * classes (`ok`, `failed`, `unknownResolved`, `indeterminate`, `anomalous`) partition the engine's
 * orders on the checked venues: `orders` is their sum.
 */
export interface LedgerCheckCounts {
  /** Engine orders checked (every client order id in the journal on a checked venue). */
  orders: number;
  /** The venue has it and every compared field agrees. */
  ok: number;
  /** Never took effect: denied by risk or rejected, and the venue has no such order. */
  failed: number;
  /** Was `unknown` at some point (see the order's history) and now agrees with the venue. */
  unknownResolved: number;
  /** Still in flight (`healed: false` only): not judged. */
  indeterminate: number;
  /** Orders with at least one anomaly. */
  anomalous: number;
  lost: number;
  phantom: number;
  duplicate: number;
  stateMismatch: number;
  fillMismatch: number;
  feeMismatch: number;
  intentMismatch: number;
  positionMismatch: number;
  balanceMismatch: number;
  ledgerUnreconciled: number;
  /** Venue orders of other (non-house) accounts, ignored. */
  ignoredForeign: number;
  /** Venue orders of background participants (`house:`), ignored. */
  ignoredHouse: number;
}

/** Result of `checkLedger`. */
export interface LedgerCheckReport {
  /** True when no anomaly was found. */
  ok: boolean;
  /** Venues checked, in input order. */
  venues: string[];
  counts: LedgerCheckCounts;
  anomalies: LedgerAnomaly[];
}

const COUNT_OF: Readonly<Record<AnomalyKind, keyof LedgerCheckCounts>> = Object.freeze({
  LOST: 'lost',
  PHANTOM: 'phantom',
  DUPLICATE: 'duplicate',
  STATE_MISMATCH: 'stateMismatch',
  FILL_MISMATCH: 'fillMismatch',
  FEE_MISMATCH: 'feeMismatch',
  INTENT_MISMATCH: 'intentMismatch',
  POSITION_MISMATCH: 'positionMismatch',
  BALANCE_MISMATCH: 'balanceMismatch',
  LEDGER_UNRECONCILED: 'ledgerUnreconciled',
});

/** The counter field of an anomaly kind (`LOST` → `lost`). */
export function countField(kind: AnomalyKind): keyof LedgerCheckCounts {
  return COUNT_OF[kind];
}

/** All counters at zero. */
export function emptyCounts(): LedgerCheckCounts {
  return {
    orders: 0,
    ok: 0,
    failed: 0,
    unknownResolved: 0,
    indeterminate: 0,
    anomalous: 0,
    lost: 0,
    phantom: 0,
    duplicate: 0,
    stateMismatch: 0,
    fillMismatch: 0,
    feeMismatch: 0,
    intentMismatch: 0,
    positionMismatch: 0,
    balanceMismatch: 0,
    ledgerUnreconciled: 0,
    ignoredForeign: 0,
    ignoredHouse: 0,
  };
}
