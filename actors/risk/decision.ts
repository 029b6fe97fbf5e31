/**
 * Risk decisions: what {@link RiskEngine.check} returns. Approval is one preallocated frozen
 * constant so the approved path allocates nothing. A denial is one of the engine's preallocated
 * {@link DenialView}s: the check records the code, which message template applies and the numbers
 * it needs; the human-readable `detail` string is built only when someone reads it (issue 16: a
 * denial per order must not be garbage per order). Codes are stable: they reach strategies, logs
 * and the API as `order.denied` events.
 */
import { denialCodesOf, type RiskDenialCode } from '../denials.js';
import type { OrderIntent } from '../orders/intent.js';

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

/**
 * Which message a {@link DenialView} renders: one per place in the risk check that denies. The
 * numbers each template reads are written into the view's slots by the check (see
 * `risk-engine.ts`); the texts are the ones the check used to build eagerly, character for character.
 */
export const DenialTemplate = {
  HALTED: 0,
  STRATEGY_UNKNOWN: 1,
  INSTRUMENT_UNKNOWN: 2,
  MARKET_NO_MID: 3,
  PRICE_PRECISION: 4,
  QTY_PRECISION: 5,
  REDUCE_ONLY: 6,
  REDUCING: 7,
  VENUE_OPEN: 8,
  SELF_TRADE_BUY: 9,
  SELF_TRADE_SELL: 10,
  NO_QUOTE: 11,
  STALE_QUOTE: 12,
  QTY_MIN: 13,
  QTY_MAX: 14,
  NOTIONAL_MIN: 15,
  NOTIONAL_MAX: 16,
  PRICE_BAND: 17,
  POSITION: 18,
  VENUE_GROSS: 19,
  VENUE_NET: 20,
  PORTFOLIO_GROSS: 21,
  PORTFOLIO_NET: 22,
  CORRELATION: 23,
  CORRELATED_POSITIONS: 24,
  OPEN_INSTRUMENT: 25,
  OPEN_VENUE: 26,
  OPEN_PORTFOLIO: 27,
  BALANCE: 28,
  RATE_STRATEGY: 29,
  RATE_VENUE: 30,
} as const;

/** A member of {@link DenialTemplate}. */
export type DenialTemplate = (typeof DenialTemplate)[keyof typeof DenialTemplate];

/** Number slots of a view: `limit`, `value`, then template arguments. */
export const DENIAL_SLOTS = 4;
const LIMIT = 0;
const VALUE = 1;
const A = 2;
const B = 3;

/** The mutable state behind a {@link DenialView}. */
interface DenialState {
  code: RiskDenialCode;
  template: DenialTemplate;
  order: OrderIntent | undefined;
  text: string;
  exact: bigint | undefined;
  detail: string | undefined;
  readonly n: Float64Array;
}

/** Writes a view's private state: only {@link DenialRing} (the engine's pool) holds it. */
let write: (v: DenialView, code: RiskDenialCode, template: DenialTemplate, order: OrderIntent, text: string, exact: bigint | undefined, n: Float64Array) => void;

/**
 * A risk denial that allocates nothing when made: frozen (no property can be set from outside),
 * with its state in private fields the engine's {@link DenialRing} rewrites when the view is
 * reused. `detail`, `limit` and `value` are computed on read from the recorded numbers and the
 * order's own fields; `detail` is built once and cached.
 *
 * Lifetime: a view describes its denial until its engine has made {@link DENIAL_RING_SIZE} more
 * denials (the ring wraps). Whoever keeps a denial longer (a log, a test collecting many) keeps
 * {@link DenialView.snapshot}, a plain frozen copy. `JSON.stringify` gives the same fields.
 */
export class DenialView implements RiskDenial {
  readonly approved = false as const;
  // The state lives in a plain record the frozen view points to: the ring rewrites the record,
  // never a field of the frozen object (a store into a frozen object is a slow path in V8).
  readonly #s: DenialState = { code: 'RISK_HALTED', template: DenialTemplate.HALTED, order: undefined, text: '', exact: undefined, detail: undefined, n: new Float64Array(DENIAL_SLOTS) };

  static {
    write = (v, code, template, order, text, exact, n) => {
      const s = v.#s;
      s.code = code;
      s.template = template;
      s.order = order;
      s.text = text;
      s.exact = exact;
      s.detail = undefined;
      s.n.set(n);
    };
  }

  /** Stable namespaced code (`RISK_NOTIONAL_MAX`). */
  get code(): RiskDenialCode {
    return this.#s.code;
  }

  /** Human-readable explanation naming the limit and the value that broke it (built on first read). */
  get detail(): string {
    const s = this.#s;
    if (s.detail === undefined) s.detail = this.render();
    return s.detail;
  }

  /** The limit that applied, when there is one (same unit as `detail`). */
  get limit(): number | undefined {
    if (this.#s.template === DenialTemplate.BALANCE) return Number(this.free());
    const x = this.#s.n[LIMIT]!;
    return Number.isNaN(x) ? undefined : x;
  }

  /** The value that broke it, same unit. */
  get value(): number | undefined {
    const x = this.#s.n[VALUE]!;
    return Number.isNaN(x) ? undefined : x;
  }

  /** A plain frozen copy that outlives the view's reuse. */
  snapshot(): RiskDenial {
    return deny(this.code, this.detail, this.limit, this.value);
  }

  /** The plain fields (`JSON.stringify` does not see getters). */
  toJSON(): { approved: false; code: RiskDenialCode; detail: string; limit?: number; value?: number } {
    return { ...this.snapshot() };
  }

  /** Free balance (exact) of a BALANCE denial: total − locked at the time of the check. */
  private free(): bigint {
    const s = this.#s;
    return (s.exact ?? BigInt(s.n[A]!)) - BigInt(s.n[B]!);
  }

  private render(): string {
    const s = this.#s;
    const o = s.order!;
    const n = s.n;
    const t = s.text;
    switch (s.template) {
      case DenialTemplate.HALTED:
        return `trading is HALTED: ${n[A] === 1 ? 'modifications' : 'new orders'} are denied`;
      case DenialTemplate.STRATEGY_UNKNOWN:
        return `strategy ${JSON.stringify(o.strategy)} is not in risk.strategies`;
      case DenialTemplate.INSTRUMENT_UNKNOWN:
        return `instrument ${o.venue}:${o.symbol} is not configured`;
      case DenialTemplate.MARKET_NO_MID:
        return `market order without priceTicks: no mid of ${o.venue}:${o.symbol} known yet to use as its reference price`;
      case DenialTemplate.PRICE_PRECISION:
        return `priceTicks must be a positive integer number of ticks, got ${o.priceTicks}`;
      case DenialTemplate.QTY_PRECISION:
        return `qtyLots must be a positive integer number of lots, got ${o.qtyLots}`;
      case DenialTemplate.REDUCE_ONLY:
        return `reduce-only ${o.side} of ${o.qtyLots} lots would not reduce position ${n[A]} (pending reducing ${n[B]})`;
      case DenialTemplate.REDUCING:
        return `trading is REDUCING: only orders that reduce a position pass (position ${n[A]}, ${o.side} ${o.qtyLots})`;
      case DenialTemplate.VENUE_OPEN:
        return `venue ${o.venue}: circuit breaker is open`;
      case DenialTemplate.SELF_TRADE_BUY:
        return `${o.type} buy at ${o.type === 'market' ? 'market' : n[A]} would match our own open sell at ${n[LIMIT] === -Infinity ? 'market' : n[LIMIT]} on ${o.venue}:${o.symbol}`;
      case DenialTemplate.SELF_TRADE_SELL:
        return `${o.type} sell at ${o.type === 'market' ? 'market' : n[A]} would match our own open buy at ${n[LIMIT] === Infinity ? 'market' : n[LIMIT]} on ${o.venue}:${o.symbol}`;
      case DenialTemplate.NO_QUOTE:
        return `no quote yet for ${o.venue}:${o.symbol}`;
      case DenialTemplate.STALE_QUOTE:
        return `quote age ${(n[VALUE]! / 1e6).toFixed(3)} ms > max ${n[LIMIT]! / 1e6} ms`;
      case DenialTemplate.QTY_MIN:
        return `qty ${n[VALUE]} lots < min ${n[LIMIT]} lots`;
      case DenialTemplate.QTY_MAX:
        return `qty ${n[VALUE]} lots > max ${n[LIMIT]} lots`;
      case DenialTemplate.NOTIONAL_MIN:
        return `notional ${n[VALUE]} atoms < min ${n[LIMIT]} atoms`;
      case DenialTemplate.NOTIONAL_MAX:
        return `notional ${n[VALUE]} atoms > max ${n[LIMIT]} atoms (instrument/venue/strategy)`;
      case DenialTemplate.PRICE_BAND:
        return `price ${n[A]} is ${n[VALUE]!.toFixed(1)} bps from reference ${n[B]} > band ${n[LIMIT]} bps`;
      case DenialTemplate.POSITION:
        return `projected position ${n[VALUE]} atoms > max ${n[LIMIT]} atoms`;
      case DenialTemplate.VENUE_GROSS:
        return `venue ${o.venue}: projected gross exposure ${n[VALUE]} atoms > max ${n[LIMIT]}`;
      case DenialTemplate.VENUE_NET:
        return `venue ${o.venue}: projected net exposure ${n[VALUE]} atoms > max ${n[LIMIT]}`;
      case DenialTemplate.PORTFOLIO_GROSS:
        return `portfolio: projected gross exposure ${n[VALUE]} atoms > max ${n[LIMIT]}`;
      case DenialTemplate.PORTFOLIO_NET:
        return `portfolio: projected net exposure ${n[VALUE]} atoms > max ${n[LIMIT]}`;
      case DenialTemplate.CORRELATION:
        return `correlation-weighted exposure of ${t} would be ${Math.round(n[VALUE]!)} atoms > max ${n[LIMIT]}`;
      case DenialTemplate.CORRELATED_POSITIONS:
        return `${n[VALUE]! - 1} open positions have |ρ| > ${n[A]} with ${o.symbol}; max ${n[LIMIT]} correlated positions`;
      case DenialTemplate.OPEN_INSTRUMENT:
        return `${o.venue}:${o.symbol}: ${n[VALUE]! - 1} open orders, max ${n[LIMIT]}`;
      case DenialTemplate.OPEN_VENUE:
        return `venue ${o.venue}: ${n[VALUE]! - 1} open orders, max ${n[LIMIT]}`;
      case DenialTemplate.OPEN_PORTFOLIO:
        return `portfolio: ${n[VALUE]! - 1} open orders, max ${n[LIMIT]}`;
      case DenialTemplate.BALANCE:
        return `${t}: free ${this.free()} atoms < ${n[VALUE]} needed${n[LIMIT]! >= 0 ? ` (notional + ${n[LIMIT]} bps fee reserve)` : ''}`;
      case DenialTemplate.RATE_STRATEGY:
        return `strategy ${o.strategy}: order rate limit; retry in ${(n[A]! / 1e6).toFixed(3)} ms`;
      case DenialTemplate.RATE_VENUE:
        return `venue ${o.venue}: order rate limit; retry in ${(n[A]! / 1e6).toFixed(3)} ms`;
      default:
        return s.code;
    }
  }
}

/** How many denials an engine makes before it reuses a {@link DenialView}. */
export const DENIAL_RING_SIZE = 64;

/**
 * The engine's preallocated denials. The check fills {@link args} (NaN where a slot does not
 * apply) and calls {@link next}, which copies them into the next view: nothing is allocated,
 * whatever the denial rate.
 */
export class DenialRing {
  /** Scratch the check writes a denial's numbers into: `[limit, value, a, b]`. */
  readonly args = new Float64Array(DENIAL_SLOTS);
  private readonly views: DenialView[] = [];
  private at = 0;

  constructor(size = DENIAL_RING_SIZE) {
    for (let i = 0; i < size; i++) {
      const v = new DenialView();
      Object.freeze(v);
      this.views.push(v);
    }
  }

  /** Records a denial in the next view of the ring and returns it. */
  next(code: RiskDenialCode, template: DenialTemplate, order: OrderIntent, text = '', exact?: bigint): DenialView {
    const v = this.views[this.at]!;
    this.at = this.at + 1 === this.views.length ? 0 : this.at + 1;
    write(v, code, template, order, text, exact, this.args);
    return v;
  }
}
