/**
 * Every denial (refusal reason) code bot4 answers with, in one table: who produces it (`sources`),
 * what it refuses (`refuses`) and what it means. The code unions are derived from the table, so a
 * code that is not in it does not compile, and the docs test checks the error pages against it.
 *
 * A code is decided on by its source, never by its spelling: `VENUE_UNAVAILABLE` is a code of both
 * the risk engine (breaker open, seen from the risk mirror) and the venue actor (breaker open or
 * disconnected, seen at send time). It is one row with two sources, because it means the same.
 *
 * Sources:
 * - `risk`: the risk engine's pre-trade check, run by the risk actor (`order.denied`).
 * - `venue`: the venue actor, before the order is sent (`order.denied`).
 * - `journal`: the order journal could not write, reported by the venue actor (`order.denied`).
 * - `strategy`: the strategy host, when the risk actor cannot take an order (`order.denied` to the strategy itself).
 * - `engine`: the order path itself, in the reply to an asked submission (never an `order.denied`).
 * - `api`: the engine API behind the gateway (`daemon/engine-api.ts`), in the reply to an API call.
 */

/** Who refused. See the module header for each source. */
export type DenialSource = 'risk' | 'venue' | 'journal' | 'strategy' | 'engine' | 'api';

/** The sources whose denials are published as `order.denied` messages (the others only answer a request). */
export const ORDER_DENIED_SOURCES = ['risk', 'venue', 'journal', 'strategy'] as const satisfies readonly DenialSource[];

/** A source that publishes `order.denied`: the risk engine, a venue actor, the journal (through the venue actor) or a strategy host. */
export type OrderDeniedSource = (typeof ORDER_DENIED_SOURCES)[number];

/** What a code refuses: a new order (or a modification), a cancel, a strategy start/stop, or an operator's venue command. */
export type DenialTarget = 'order' | 'cancel' | 'strategy' | 'venue';

/** One row of {@link DENIALS}. */
export interface DenialEntry {
  /** Stable code, upper snake case. Never reused for another meaning. */
  readonly code: string;
  /** Every source that produces it (non-empty, no duplicates). */
  readonly sources: readonly [DenialSource, ...DenialSource[]];
  /** What it refuses. */
  readonly refuses: DenialTarget;
  /** One-line meaning, for the docs and for humans reading a log. */
  readonly meaning: string;
}

/** The table of every denial code. Order: risk checks in evaluation order, then venue, journal, strategy, engine, API. */
export const DENIALS = [
  { code: 'RISK_HALTED', sources: ['risk'], refuses: 'order', meaning: 'the kill switch is HALTED: new orders and modifications are denied (cancels pass)' },
  { code: 'RISK_REDUCING', sources: ['risk'], refuses: 'order', meaning: 'the kill switch is REDUCING: only orders that reduce a position pass' },
  { code: 'RISK_REDUCE_ONLY', sources: ['risk'], refuses: 'order', meaning: 'a reduceOnly order would not reduce the position (net of pending reducing orders)' },
  { code: 'RISK_STRATEGY_UNKNOWN', sources: ['risk'], refuses: 'order', meaning: 'the strategy is not listed under risk.strategies' },
  { code: 'RISK_INSTRUMENT_UNKNOWN', sources: ['risk'], refuses: 'order', meaning: 'the instrument is not configured in the engine' },
  { code: 'RISK_PRICE_PRECISION', sources: ['risk'], refuses: 'order', meaning: 'the price is not a positive integer of ticks' },
  { code: 'RISK_QTY_PRECISION', sources: ['risk'], refuses: 'order', meaning: 'the quantity is not a positive integer of lots' },
  { code: 'VENUE_UNAVAILABLE', sources: ['risk', 'venue'], refuses: 'order', meaning: "the venue's circuit breaker is open or the venue is disconnected" },
  { code: 'RISK_STALE_DATA', sources: ['risk'], refuses: 'order', meaning: 'no quote for the instrument, or the quote is older than maxQuoteAgeMs' },
  { code: 'RISK_QTY_MIN', sources: ['risk'], refuses: 'order', meaning: "the quantity is below the instrument's minimum" },
  { code: 'RISK_QTY_MAX', sources: ['risk'], refuses: 'order', meaning: "the quantity is above the instrument's maximum" },
  { code: 'RISK_NOTIONAL_MIN', sources: ['risk'], refuses: 'order', meaning: "the order's notional is below the minimum" },
  { code: 'RISK_NOTIONAL_MAX', sources: ['risk'], refuses: 'order', meaning: "the order's notional is above the smallest maxOrderNotional (instrument, venue, strategy)" },
  { code: 'RISK_PRICE_BAND', sources: ['risk'], refuses: 'order', meaning: 'the price lies outside priceBandBps around the reference price' },
  { code: 'RISK_POSITION_LIMIT', sources: ['risk'], refuses: 'order', meaning: "the projected position of the instrument exceeds maxPositionNotional" },
  { code: 'RISK_EXPOSURE_GROSS', sources: ['risk'], refuses: 'order', meaning: 'the projected gross exposure (venue or portfolio) exceeds its limit' },
  { code: 'RISK_EXPOSURE_NET', sources: ['risk'], refuses: 'order', meaning: 'the projected net exposure (venue or portfolio) exceeds its limit' },
  { code: 'RISK_CORRELATION', sources: ['risk'], refuses: 'order', meaning: 'the correlation-weighted exposure of a series exceeds correlation.maxWeightedExposure' },
  { code: 'RISK_CORRELATED_POSITIONS', sources: ['risk'], refuses: 'order', meaning: 'opening the series would exceed correlation.maxCorrelatedPositions open correlated series' },
  { code: 'RISK_OPEN_ORDERS', sources: ['risk'], refuses: 'order', meaning: 'too many open orders per instrument, venue or portfolio' },
  { code: 'RISK_BALANCE', sources: ['risk'], refuses: 'order', meaning: 'the free balance does not cover the order (plus the fee reserve on buys)' },
  { code: 'RISK_RATE_LIMIT', sources: ['risk'], refuses: 'order', meaning: 'the GCRA order rate of the strategy or venue is spent' },
  { code: 'RISK_SELF_TRADE', sources: ['risk'], refuses: 'order', meaning: 'the order would match one of our own open orders on the other side' },
  { code: 'VENUE_SYNCING', sources: ['venue'], refuses: 'order', meaning: 'the venue is (re)connecting or reconciling; new orders wait' },
  { code: 'VENUE_HALTED', sources: ['venue'], refuses: 'order', meaning: 'the venue actor is halted' },
  { code: 'VENUE_RATE_LIMITED', sources: ['venue'], refuses: 'order', meaning: "the venue's order budget for this window is spent; denied before journaling so bot4 never earns a 429/418" },
  { code: 'ORDER_OUTCOME_UNKNOWN', sources: ['venue'], refuses: 'order', meaning: "the intent key's previous attempt is in flight or unknown: never re-sent under a new id" },
  { code: 'ORDER_INVALID', sources: ['venue'], refuses: 'order', meaning: 'the journal refused the intent (unknown instrument, bad quantity or price)' },
  { code: 'JOURNAL_FAILED', sources: ['journal'], refuses: 'order', meaning: 'the journal cannot write (disk full, I/O error): the order was never sent' },
  { code: 'REPLICATION_FAILED', sources: ['journal'], refuses: 'order', meaning: 'under cluster.replication.ack: sync the replicated order log cannot acknowledge (NATS down or slow): the order was never sent' },
  { code: 'LEASE_STALE', sources: ['journal'], refuses: 'order', meaning: "this daemon's venue lease is not (or no longer surely) valid: another daemon may own the account, so the order was never sent" },
  { code: 'STRATEGY_RISK_UNREACHABLE', sources: ['strategy'], refuses: 'order', meaning: 'the strategy host could not hand the order to the risk actor (no actor, or its mailbox is full)' },
  { code: 'ENGINE_ERROR', sources: ['engine'], refuses: 'order', meaning: 'the venue actor did not answer an asked submission (timeout or gone)' },
  { code: 'ENGINE_NOT_RUNNING', sources: ['api'], refuses: 'order', meaning: 'the engine is not running (starting, stopping, halted by its lifecycle)' },
  { code: 'DUPLICATE_CLIENT_ORDER_ID', sources: ['api'], refuses: 'order', meaning: 'the API clientOrderId was already used (across restarts too)' },
  { code: 'API_STRATEGY_HOSTED', sources: ['api'], refuses: 'order', meaning: 'the strategy id is run by the engine; API orders need another risk-listed strategy id' },
  { code: 'UNKNOWN_ORDER', sources: ['api'], refuses: 'cancel', meaning: 'no such order (or it is on another venue or symbol than given)' },
  { code: 'ORDER_CLOSED', sources: ['api'], refuses: 'cancel', meaning: 'the order is already in a terminal state' },
  { code: 'ORDER_NOT_ACKNOWLEDGED', sources: ['api'], refuses: 'cancel', meaning: 'the venue has not acknowledged the order yet' },
  { code: 'CANCEL_PENDING', sources: ['api'], refuses: 'cancel', meaning: 'not a refusal: a cancel is already pending (answered canceled: true)' },
  { code: 'UNKNOWN_STRATEGY', sources: ['api'], refuses: 'strategy', meaning: 'no strategy with that id runs in the engine' },
  { code: 'UNKNOWN_VENUE', sources: ['api'], refuses: 'venue', meaning: 'no venue by that name is configured in the engine' },
  { code: 'VENUE_NOT_HALTED', sources: ['api'], refuses: 'venue', meaning: 'venue.resume of a venue that is not halted (nothing to resume)' },
] as const satisfies readonly DenialEntry[];

/** A row of the table, as the compiler sees it (literal code and sources). */
type DenialRow = (typeof DENIALS)[number];

/** Every denial code: a member of this union or a compile error. */
export type DenialCode = DenialRow['code'];

type CodesOf<R, S> = R extends { readonly code: infer C; readonly sources: readonly (infer X)[] } ? (S extends X ? C : never) : never;

/** The codes a given source (or union of sources) can produce: `DenialCodeOf<'risk'>`, `DenialCodeOf<'venue' | 'journal'>`. */
export type DenialCodeOf<S extends DenialSource> = CodesOf<DenialRow, S>;

/** The risk engine's codes. */
export type RiskDenialCode = DenialCodeOf<'risk'>;
/** The venue actor's own codes (`JOURNAL_FAILED` is the journal's). */
export type VenueDenialCode = DenialCodeOf<'venue'>;
/** Codes an asked `order.submit` can be answered with (`SubmitAck.reason`). */
export type SubmitDenialCode = DenialCodeOf<'risk' | 'venue' | 'journal' | 'engine'>;

const BY_CODE: ReadonlyMap<string, DenialEntry> = new Map(DENIALS.map((d) => [d.code, d]));

/** True when `code` is a denial code of the table (for data read from outside: logs, the journal, the wire). */
export function isDenialCode(code: unknown): code is DenialCode {
  return typeof code === 'string' && BY_CODE.has(code);
}

/** The table row of a code. */
export function denialEntry(code: DenialCode): DenialEntry {
  return BY_CODE.get(code)!;
}

/** The codes of one source, in table order (e.g. the risk engine's, for its docs table). */
export function denialCodesOf<S extends DenialSource>(source: S): readonly DenialCodeOf<S>[] {
  const of = (d: DenialRow): d is Extract<DenialRow, { code: DenialCodeOf<S> }> => {
    const sources: readonly DenialSource[] = d.sources;
    return sources.includes(source);
  };
  return Object.freeze(DENIALS.filter(of).map((d) => d.code));
}
