// Over ~400 lines on purpose: RiskEngine.check is the per-order pre-trade path (p99 ≤ 2 µs, 0 GC);
// its rules are inlined in one method so the hot path has no dispatch, and the denial codes, config
// and state are their own files (actors/denials.ts, config.ts, risk-state.ts).
import { LiveClock, type Clock } from '../../common/clock.js';
import { AtomicCounters } from '../../native/atomic-counters.js';
import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';
import { parseRiskConfig, moneyToAtoms, resolveRate, RISK_DEFAULTS, type RiskConfig, type RiskConfigInput, type ResolvedRate } from './config.js';
import type { RiskDenialCode } from '../denials.js';
import { APPROVED, DenialRing, DenialTemplate as T, type RiskDecision, type RiskDenial } from './decision.js';
import { RiskConfigError } from './errors.js';
import { GcraSet } from './gcra.js';
import { KillSwitch, STATE_CODE, type TradingStateTransition } from './kill-switch.js';
import type { BreakerView, CorrelationSource, CounterBlock } from './ports.js';
import { ownPrice, PF, RiskState } from './risk-state.js';

/** What the order does to the book: a new order (default), a modification (checked like a new order with the new price and size), or a cancel (always passes). */
export type RiskAction = 'new' | 'modify' | 'cancel';

/** Optional per-check context. */
export interface RiskCheckContext {
  readonly action?: RiskAction;
}

/** Options of {@link RiskEngine}. */
export interface RiskEngineOptions {
  /** Risk config (validated here with `parseOptions`; see `RISK_DEFAULTS`). */
  config?: RiskConfigInput;
  /** Every tradable instrument, with its venue filters. */
  instruments: readonly Instrument[];
  /** Time source (quote ages, rate limits, day boundaries). */
  clock: Clock;
  /**
   * Counter block for the trading state and host-wide rate limits. Share it (e.g.
   * `AtomicCounters.openShared(path, slots)`) to share the kill switch and host-wide budgets
   * between engines, workers and processes. Needs {@link RiskEngine.slotsNeeded} slots from
   * `countersBase`. Default: a private `AtomicCounters.create(...)` block (state local to this engine).
   */
  counters?: CounterBlock;
  /** First slot of `counters` this engine uses (default 0). */
  countersBase?: number;
  /** Circuit breaker of each venue (VENUE_UNAVAILABLE while `open`; breaker-cascade trigger). */
  breakers?: Readonly<Record<string, BreakerView>>;
  /** Live correlation: the source and the symbol of each of its series, in matrix order. */
  correlation?: { source: CorrelationSource; symbols: readonly string[] };
  /** Cancel-all request on HALTED (the venue actors sweep every open order). */
  cancelAll?: (reason: string) => void;
  /** Trading-state transitions. */
  onTransition?: (t: TradingStateTransition) => void;
  /** Every denial (emit `order.denied` from here). */
  onDenied?: (order: OrderIntent, denial: RiskDenial) => void;
}

const HALTED = STATE_CODE.HALTED;
const REDUCING = STATE_CODE.REDUCING;

/**
 * The synchronous pre-trade risk check. `check(order)` returns the preallocated {@link APPROVED}
 * or a {@link RiskDenial} with a stable code; it never throws for a business reason and allocates
 * nothing on the approved path (names are interned to indices at construction, state lives in
 * typed arrays of {@link RiskState}, limits are integers in atoms).
 *
 * Limits are checked on projected post-fill state: the worst case of every open order plus this
 * one filling, valued at the reference price. A check that only guards "too much" denies an order
 * only if it would take the measure past its limit *and* make it larger, so exposure-reducing
 * orders pass even after a price move left the book over a limit.
 */
export class RiskEngine {
  /** The validated config. */
  readonly config: Readonly<RiskConfig>;
  /** The hot-path state mirror (feed it through the engine's `on*` methods so triggers run). */
  readonly state: RiskState;
  /** The host-wide trading state. */
  readonly killSwitch: KillSwitch;
  /** Strategy ids in index order (sorted). */
  readonly strategies: readonly string[];

  private readonly clock: Clock;
  private readonly strategyIndex = new Map<string, number>();
  private readonly onDenied: ((order: OrderIntent, d: RiskDenial) => void) | undefined;
  /** The preallocated denials this engine answers with (see {@link DenialRing}). */
  private readonly ring = new DenialRing();
  /** The ring's number scratch `[limit, value, a, b]`, written at each denial site (see {@link denied}). */
  private readonly dn = this.ring.args;
  private readonly gcra: GcraSet;
  private readonly nv: number;
  // Per instrument limits (atoms, lots, bps, ns).
  private readonly minQty: Float64Array;
  private readonly maxQty: Float64Array;
  private readonly minNotional: Float64Array;
  private readonly maxNotional: Float64Array;
  private readonly maxPosition: Float64Array;
  private readonly bandBps: Float64Array;
  private readonly maxAgeNs: Float64Array;
  private readonly maxOpen: Float64Array;
  // Per venue limits.
  private readonly vMaxGross: Float64Array;
  private readonly vMaxNet: Float64Array;
  private readonly vMaxOpen: Float64Array;
  private readonly breakers: (BreakerView | undefined)[];
  // Per strategy limits.
  private readonly sMaxNotional: Float64Array;
  // Portfolio limits.
  private readonly pMaxGross: number;
  private readonly pMaxNet: number;
  private readonly pMaxOpen: number;
  private readonly feeReserveBps: number;
  // Correlation.
  private readonly corrSource: CorrelationSource | undefined;
  private readonly corrScratch: Float64Array;
  /** The exposure deltas (hi, lo) handed to {@link correlated} without boxing. */
  private readonly corrArgs = new Float64Array(2);
  /**
   * The check's clock reading, written by {@link readNow}: a double returned by a call V8 does not
   * inline into the (large) check is boxed, one heap number per check (issue 16: the last GC
   * event per 10⁶ checks with 20 % denials); written into a typed array it never is.
   */
  private readonly nowCell: Float64Array;
  /** The clock when it is a {@link LiveClock} (read through `nowNsInto`), else undefined. */
  private readonly liveClock: LiveClock | undefined;
  private readonly corrMaxWeighted: number;
  private readonly corrThreshold: number;
  private readonly corrMaxPositions: number;
  // Kill-switch triggers.
  private readonly dailyLossLimit: number;
  private readonly maxDrawdown: number;
  private readonly cascadeVenues: number;
  // Check switches.
  private readonly cBand: boolean;
  private readonly cStale: boolean;
  private readonly cVenue: boolean;
  private readonly cPosition: boolean;
  private readonly cExposure: boolean;
  private readonly cCorrelation: boolean;
  private readonly cOpen: boolean;
  private readonly cBalance: boolean;
  private readonly cRate: boolean;
  private readonly cSelfTrade: boolean;

  /** Slots of the counter block an engine with these venues and strategies uses: 1 (trading state) + venues + strategies. */
  static slotsNeeded(instruments: readonly Instrument[], config?: RiskConfigInput): number {
    const venues = new Set(instruments.map((i) => i.venue)).size;
    return 1 + venues + Object.keys(config?.strategies ?? {}).length;
  }

  constructor(options: RiskEngineOptions) {
    const cfg = parseRiskConfig(options.config);
    this.config = cfg;
    this.clock = options.clock;
    this.liveClock = options.clock instanceof LiveClock ? options.clock : undefined;
    this.onDenied = options.onDenied;
    const atom = cfg.atom;
    const symbols = options.correlation?.symbols ?? [];
    const state = new RiskState(options.instruments, atom, options.clock, symbols);
    this.state = state;
    const base = options.countersBase ?? 0;
    if (!Number.isInteger(base) || base < 0) throw new RiskConfigError('countersBase', `countersBase: expected an integer >= 0, got ${String(options.countersBase)}`);
    const counters = options.counters ?? AtomicCounters.create(base + RiskEngine.slotsNeeded(options.instruments, options.config));
    this.killSwitch = new KillSwitch({ counters, slot: base, clock: options.clock, cancelAll: options.cancelAll, onTransition: options.onTransition });

    const D = RISK_DEFAULTS;
    const di = { ...D.instrument, ...stripUndefined(cfg.defaults.instrument) };
    const dv = { ...D.venue, ...stripUndefined(cfg.defaults.venue), rate: resolveRate(D.venue.rate, cfg.defaults.venue.rate) };
    const ds = { ...D.strategy, ...stripUndefined(cfg.defaults.strategy), rate: resolveRate(D.strategy.rate, cfg.defaults.strategy.rate) };
    const money = (v: string, f: string): number => moneyToAtoms(v, atom, `risk.${f}`);

    // Venues.
    const venues = state.venues;
    const nv = venues.length;
    this.nv = nv;
    for (const key of Object.keys(cfg.venues)) {
      if (state.venueIndexOf(key) < 0) throw new RiskConfigError(`risk.venues.${key}`, `risk.venues.${key}: expected a venue of a configured instrument (${venues.join(', ')}), got ${JSON.stringify(key)}`);
    }
    for (const key of Object.keys(options.breakers ?? {})) {
      if (state.venueIndexOf(key) < 0) throw new RiskConfigError(`breakers.${key}`, `breakers.${key}: expected a venue of a configured instrument (${venues.join(', ')}), got ${JSON.stringify(key)}`);
    }
    this.vMaxGross = new Float64Array(nv);
    this.vMaxNet = new Float64Array(nv);
    this.vMaxOpen = new Float64Array(nv);
    this.breakers = venues.map((v) => options.breakers?.[v]);
    const vMaxOrder = new Float64Array(nv);
    const strategies = Object.keys(cfg.strategies).sort();
    this.strategies = Object.freeze(strategies);
    this.gcra = new GcraSet(nv + strategies.length, options.clock, counters);
    this.nowCell = this.gcra.now; // one reading per check, shared with the rate budgets
    const setRate = (key: number, r: ResolvedRate): void => this.gcra.configure(key, r.perSecond, r.burst, r.hostWide ? base + 1 + key : -1);
    venues.forEach((id, v) => {
      const o = cfg.venues[id] ?? {};
      const f = `venues.${id}`;
      vMaxOrder[v] = money(o.maxOrderNotional ?? dv.maxOrderNotional, `${f}.maxOrderNotional`);
      this.vMaxGross[v] = money(o.maxGrossExposure ?? dv.maxGrossExposure, `${f}.maxGrossExposure`);
      this.vMaxNet[v] = money(o.maxNetExposure ?? dv.maxNetExposure, `${f}.maxNetExposure`);
      this.vMaxOpen[v] = o.maxOpenOrders ?? dv.maxOpenOrders;
      setRate(v, resolveRate(dv.rate, o.rate));
    });

    // Strategies.
    this.sMaxNotional = new Float64Array(strategies.length);
    strategies.forEach((id, s) => {
      this.strategyIndex.set(id, s);
      const o = cfg.strategies[id]!;
      this.sMaxNotional[s] = money(o.maxOrderNotional ?? ds.maxOrderNotional, `strategies.${id}.maxOrderNotional`);
      setRate(nv + s, resolveRate(ds.rate, o.rate));
    });

    // Instruments.
    const n = options.instruments.length;
    for (const key of Object.keys(cfg.instruments)) {
      const c = key.indexOf(':');
      if (c < 0 || state.instrumentIndex(key.slice(0, c), key.slice(c + 1)) < 0) {
        throw new RiskConfigError(`risk.instruments.${key}`, `risk.instruments.${key}: expected "venue:symbol" of a configured instrument, got ${JSON.stringify(key)}`);
      }
    }
    for (const key of Object.keys(cfg.feeds.trusted)) {
      const c = key.indexOf(':');
      if (c < 0 || state.instrumentIndex(key.slice(0, c), key.slice(c + 1)) < 0) {
        throw new RiskConfigError(`risk.feeds.trusted.${key}`, `risk.feeds.trusted.${key}: expected "venue:symbol" of a configured instrument, got ${JSON.stringify(key)}`);
      }
    }
    this.minQty = new Float64Array(n);
    this.maxQty = new Float64Array(n);
    this.minNotional = new Float64Array(n);
    this.maxNotional = new Float64Array(n);
    this.maxPosition = new Float64Array(n);
    this.bandBps = new Float64Array(n);
    this.maxAgeNs = new Float64Array(n);
    this.maxOpen = new Float64Array(n);
    options.instruments.forEach((ins, i) => {
      const key = `${ins.venue}:${ins.symbol}`;
      const o = { ...di, ...stripUndefined(cfg.instruments[key] ?? {}) };
      const f = `instruments.${key}`;
      if (!Number.isSafeInteger(ins.minQtyLots) || !Number.isSafeInteger(ins.maxQtyLots) || ins.minQtyLots < 0 || ins.maxQtyLots < ins.minQtyLots) {
        throw new RiskConfigError(f, `${f}: expected integer lots with 0 <= minQtyLots <= maxQtyLots, got ${ins.minQtyLots}..${ins.maxQtyLots}`);
      }
      this.minQty[i] = ins.minQtyLots;
      this.maxQty[i] = ins.maxQtyLots;
      this.minNotional[i] = Math.max(money(ins.minNotional, `${f}.minNotional (instrument filter)`), money(o.minOrderNotional, `${f}.minOrderNotional`));
      this.maxNotional[i] = Math.min(money(o.maxOrderNotional, `${f}.maxOrderNotional`), vMaxOrder[state.venueOf[i]!]!);
      this.maxPosition[i] = money(o.maxPositionNotional, `${f}.maxPositionNotional`);
      this.bandBps[i] = o.priceBandBps;
      this.maxAgeNs[i] = o.maxQuoteAgeMs * 1e6;
      this.maxOpen[i] = o.maxOpenOrders;
    });

    // Portfolio.
    this.pMaxGross = money(cfg.portfolio.maxGrossExposure, 'portfolio.maxGrossExposure');
    this.pMaxNet = money(cfg.portfolio.maxNetExposure, 'portfolio.maxNetExposure');
    this.pMaxOpen = cfg.portfolio.maxOpenOrders;
    this.feeReserveBps = cfg.portfolio.feeReserveBps;

    // Correlation.
    this.corrSource = options.correlation?.source;
    const ns = symbols.length;
    if (this.corrSource && this.corrSource.series !== ns) {
      throw new RiskConfigError('correlation.symbols', `correlation.symbols: expected ${this.corrSource.series} symbols (one per series of the source), got ${ns}`);
    }
    this.corrScratch = new Float64Array(ns * ns);
    this.corrMaxWeighted = money(cfg.correlation.maxWeightedExposure, 'correlation.maxWeightedExposure');
    this.corrThreshold = cfg.correlation.pairThreshold;
    this.corrMaxPositions = cfg.correlation.maxCorrelatedPositions;
    // Until the first refresh the state's matrix is the identity: every series correlated only with itself.

    this.dailyLossLimit = money(cfg.killSwitch.dailyLossLimit, 'killSwitch.dailyLossLimit');
    this.maxDrawdown = money(cfg.killSwitch.maxDrawdown, 'killSwitch.maxDrawdown');
    this.cascadeVenues = cfg.killSwitch.breakerCascadeVenues;

    const c = cfg.checks;
    this.cBand = c.priceBand;
    this.cStale = c.staleData;
    this.cVenue = c.venueAvailable;
    this.cPosition = c.position;
    this.cExposure = c.exposure;
    this.cCorrelation = c.correlation && this.corrSource !== undefined;
    this.cOpen = c.openOrders;
    this.cBalance = c.balance;
    this.cRate = c.rate;
    this.cSelfTrade = c.selfTrade;
  }

  /**
   * Pre-trade check. Synchronous; approved → the shared {@link APPROVED} constant (no allocation);
   * denied → a frozen {@link RiskDenial} (also passed to `onDenied`). An approved order consumes
   * one unit of its strategy's and venue's rate budgets; call `onOrderOpened` when it goes out.
   */
  check(order: OrderIntent, context?: RiskCheckContext): RiskDecision {
    const st = this.killSwitch.pollCode();
    const action = context === undefined ? undefined : context.action;
    if (action === 'cancel') return APPROVED;
    if (st === HALTED) {
      this.dnClear()[2] = action === 'modify' ? 1 : 0;
      return this.denied(order, 'RISK_HALTED', T.HALTED);
    }

    const s = this.strategyIndex.get(order.strategy);
    if (s === undefined) return this.deniedPlain(order, 'RISK_STRATEGY_UNKNOWN', T.STRATEGY_UNKNOWN);
    const S = this.state;
    const i = S.instrumentIndex(order.venue, order.symbol);
    if (i < 0) return this.deniedPlain(order, 'RISK_INSTRUMENT_UNKNOWN', T.INSTRUMENT_UNKNOWN);
    let price = order.priceTicks;
    if (price === 0 && order.type === 'market') {
      // A market order sent without a price (the API allows it): the last mid is its risk
      // reference; the intent carries it from here on (funds locked, journal, venue).
      price = S.refPrice[i]!;
      if (!(price > 0)) return this.deniedPlain(order, 'RISK_STALE_DATA', T.MARKET_NO_MID);
      order.priceTicks = price;
    }
    const q = order.qtyLots;
    if (!Number.isSafeInteger(price) || price <= 0) return this.deniedPlain(order, 'RISK_PRICE_PRECISION', T.PRICE_PRECISION);
    if (!Number.isSafeInteger(q) || q <= 0) return this.deniedPlain(order, 'RISK_QTY_PRECISION', T.QTY_PRECISION);

    const buy = order.side === 'buy';
    const pos = S.position[i]!;
    // Reduces: opposite to the position and no larger than what pending reducing orders leave.
    const reducing = buy ? pos < 0 && q <= -pos - S.openBuy[i]! : pos > 0 && q <= pos - S.openSell[i]!;
    if (order.reduceOnly === true && !reducing) {
      const a = this.dnClear();
      a[2] = pos;
      a[3] = buy ? S.openBuy[i]! : S.openSell[i]!;
      return this.denied(order, 'RISK_REDUCE_ONLY', T.REDUCE_ONLY);
    }
    if (st === REDUCING && !reducing) {
      this.dnClear()[2] = pos;
      return this.denied(order, 'RISK_REDUCING', T.REDUCING);
    }

    const v = S.venueOf[i]!;
    if (this.cVenue) {
      const b = this.breakers[v];
      if (b !== undefined && b.state === 'open') {
        this.cascade();
        return this.deniedPlain(order, 'VENUE_UNAVAILABLE', T.VENUE_OPEN);
      }
    }
    if (this.cSelfTrade) {
      // One account per venue: an order that would match one of our own open orders is a wash trade.
      const p = ownPrice(order);
      // booleans from the price levels, the matching price read only for a denial (no double
      // returned across a call on the approved path)
      if (buy) {
        const asks = S.ownAsks[i]!;
        if (asks.reachedByBuy(p)) {
          const a = this.dn;
          a[0] = asks.min();
          a[1] = p;
          a[2] = price;
          a[3] = NaN;
          return this.denied(order, 'RISK_SELF_TRADE', T.SELF_TRADE_BUY);
        }
      } else {
        const bids = S.ownBids[i]!;
        if (bids.reachedBySell(p)) {
          const a = this.dn;
          a[0] = bids.max();
          a[1] = p;
          a[2] = price;
          a[3] = NaN;
          return this.denied(order, 'RISK_SELF_TRADE', T.SELF_TRADE_SELL);
        }
      }
    }
    this.readNow();
    const now = this.nowCell[0]!;
    if (this.cStale) {
      const at = S.quoteAtNs[i]!;
      if (at < 0) return this.deniedPlain(order, 'RISK_STALE_DATA', T.NO_QUOTE);
      if (now - at > this.maxAgeNs[i]!) {
        const a = this.dn;
        a[0] = this.maxAgeNs[i]!;
        a[1] = now - at;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_STALE_DATA', T.STALE_QUOTE);
      }
    }
    if (q < this.minQty[i]!) {
      const a = this.dn;
      a[0] = this.minQty[i]!;
      a[1] = q;
      a[2] = NaN;
      a[3] = NaN;
      return this.denied(order, 'RISK_QTY_MIN', T.QTY_MIN);
    }
    if (q > this.maxQty[i]!) {
      const a = this.dn;
      a[0] = this.maxQty[i]!;
      a[1] = q;
      a[2] = NaN;
      a[3] = NaN;
      return this.denied(order, 'RISK_QTY_MAX', T.QTY_MAX);
    }
    const k = S.atomsPerTickLot[i]!;
    const notional = price * q * k;
    if (notional < this.minNotional[i]!) {
      const a = this.dn;
      a[0] = this.minNotional[i]!;
      a[1] = notional;
      a[2] = NaN;
      a[3] = NaN;
      return this.denied(order, 'RISK_NOTIONAL_MIN', T.NOTIONAL_MIN);
    }
    const maxN = this.maxNotional[i]! < this.sMaxNotional[s]! ? this.maxNotional[i]! : this.sMaxNotional[s]!;
    if (notional > maxN) {
      const a = this.dn;
      a[0] = maxN;
      a[1] = notional;
      a[2] = NaN;
      a[3] = NaN;
      return this.denied(order, 'RISK_NOTIONAL_MAX', T.NOTIONAL_MAX);
    }
    const ref = S.refPrice[i]!;
    if (this.cBand && ref > 0) {
      const diff = price > ref ? price - ref : ref - price;
      if (diff * 10_000 > this.bandBps[i]! * ref) {
        const a = this.dn;
        a[0] = this.bandBps[i]!;
        a[1] = (diff * 10_000) / ref;
        a[2] = price;
        a[3] = ref;
        return this.denied(order, 'RISK_PRICE_BAND', T.PRICE_BAND);
      }
    }

    // Projected worst-case exposure after this order fills, at the reference price.
    const dq = q * (ref > 0 ? ref : price) * k;
    const hi = S.expHi[i]!;
    const lo = S.expLo[i]!;
    const hi2 = buy ? hi + dq : hi;
    const lo2 = buy ? lo : lo - dq;
    const ahi2 = hi2 < 0 ? -hi2 : hi2;
    const alo2 = lo2 < 0 ? -lo2 : lo2;
    const g = S.expGross[i]!;
    const g2 = ahi2 >= alo2 ? ahi2 : alo2;
    if (this.cPosition && g2 > this.maxPosition[i]! && g2 > g) {
      const a = this.dn;
      a[0] = this.maxPosition[i]!;
      a[1] = g2;
      a[2] = NaN;
      a[3] = NaN;
      return this.denied(order, 'RISK_POSITION_LIMIT', T.POSITION);
    }
    if (this.cExposure) {
      const vg = S.venueGross[v]!;
      const vg2 = vg - g + g2;
      if (vg2 > this.vMaxGross[v]! && vg2 > vg) {
        const a = this.dn;
        a[0] = this.vMaxGross[v]!;
        a[1] = vg2;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_EXPOSURE_GROSS', T.VENUE_GROSS);
      }
      // worst-case |net| over "all buys fill" and "all sells fill", written out: a double returned by a
      // call V8 does not inline is boxed
      const vh = S.venueNetHi[v]!;
      const vl = S.venueNetLo[v]!;
      const vh2 = buy ? vh + dq : vh;
      const vl2 = buy ? vl : vl - dq;
      const vn = (vh < 0 ? -vh : vh) >= (vl < 0 ? -vl : vl) ? (vh < 0 ? -vh : vh) : vl < 0 ? -vl : vl;
      const vn2 = (vh2 < 0 ? -vh2 : vh2) >= (vl2 < 0 ? -vl2 : vl2) ? (vh2 < 0 ? -vh2 : vh2) : vl2 < 0 ? -vl2 : vl2;
      if (vn2 > this.vMaxNet[v]! && vn2 > vn) {
        const a = this.dn;
        a[0] = this.vMaxNet[v]!;
        a[1] = vn2;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_EXPOSURE_NET', T.VENUE_NET);
      }
      const P = S.portfolio;
      const pg = P[PF.GROSS]!;
      const pg2 = pg - g + g2;
      if (pg2 > this.pMaxGross && pg2 > pg) {
        const a = this.dn;
        a[0] = this.pMaxGross;
        a[1] = pg2;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_EXPOSURE_GROSS', T.PORTFOLIO_GROSS);
      }
      const ph = P[PF.NET_HI]!;
      const pl = P[PF.NET_LO]!;
      const ph2 = buy ? ph + dq : ph;
      const pl2 = buy ? pl : pl - dq;
      const pn = (ph < 0 ? -ph : ph) >= (pl < 0 ? -pl : pl) ? (ph < 0 ? -ph : ph) : pl < 0 ? -pl : pl;
      const pn2 = (ph2 < 0 ? -ph2 : ph2) >= (pl2 < 0 ? -pl2 : pl2) ? (ph2 < 0 ? -ph2 : ph2) : pl2 < 0 ? -pl2 : pl2;
      if (pn2 > this.pMaxNet && pn2 > pn) {
        const a = this.dn;
        a[0] = this.pMaxNet;
        a[1] = pn2;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_EXPOSURE_NET', T.PORTFOLIO_NET);
      }
    }
    if (this.cCorrelation) {
      const si = S.seriesOf[i]!;
      if (si >= 0) {
        // The deltas go through a preallocated array, not as arguments: doubles passed to a call
        // V8 does not inline are boxed (a heap allocation per check; found by the GC count in
        // bench/risk.bench.ts).
        const args = this.corrArgs;
        args[0] = hi2 - hi;
        args[1] = lo2 - lo;
        const d = this.correlated(order, si, g2 > 0);
        if (d !== null) return d;
      }
    }
    if (this.cOpen) {
      if (S.openCount[i]! + 1 > this.maxOpen[i]!) {
        const a = this.dn;
        a[0] = this.maxOpen[i]!;
        a[1] = S.openCount[i]! + 1;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_OPEN_ORDERS', T.OPEN_INSTRUMENT);
      }
      if (S.venueOpen[v]! + 1 > this.vMaxOpen[v]!) {
        const a = this.dn;
        a[0] = this.vMaxOpen[v]!;
        a[1] = S.venueOpen[v]! + 1;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_OPEN_ORDERS', T.OPEN_VENUE);
      }
      if (S.portfolio[PF.OPEN]! + 1 > this.pMaxOpen) {
        const a = this.dn;
        a[0] = this.pMaxOpen;
        a[1] = S.portfolio[PF.OPEN]! + 1;
        a[2] = NaN;
        a[3] = NaN;
        return this.denied(order, 'RISK_OPEN_ORDERS', T.OPEN_PORTFOLIO);
      }
    }
    if (this.cBalance) {
      if (buy) {
        const b = S.quoteBal[i]!;
        const need = notional + Math.ceil((notional * this.feeReserveBps) / 10_000);
        // Inline fast path: `need` is past the small-integer range, and a double passed to a call
        // V8 does not inline is boxed; only a shortfall on the double asks the exact (bigint) state.
        if (need > S.balTotal[b]! - S.balLocked[b]! && !S.covers(b, need)) {
          this.dn[0] = this.feeReserveBps; // a balance denial's `limit` is the exact free balance, computed on read
          this.dn[1] = need;
          return this.balanceDenied(order, b);
        }
      } else {
        const b = S.baseBal[i]!;
        const need = q * S.baseAtomsPerLot[i]!;
        if (need > S.balTotal[b]! - S.balLocked[b]! && !S.covers(b, need)) {
          this.dn[0] = NaN; // no fee-reserve clause on a sell
          this.dn[1] = need;
          return this.balanceDenied(order, b);
        }
      }
    }
    if (this.cRate) {
      const sk = this.nv + s;
      // Check both budgets before consuming either, so a venue denial does not burn strategy budget.
      if (!this.gcra.wouldAllowNow(sk)) {
        this.dnClear()[2] = this.gcra.retryAfterNs(sk, now);
        return this.denied(order, 'RISK_RATE_LIMIT', T.RATE_STRATEGY);
      }
      if (!this.gcra.takeNow(v)) {
        this.dnClear()[2] = this.gcra.retryAfterNs(v, now);
        return this.denied(order, 'RISK_RATE_LIMIT', T.RATE_VENUE);
      }
      if (!this.gcra.takeNow(sk)) {
        this.dnClear()[2] = this.gcra.retryAfterNs(sk, now);
        return this.denied(order, 'RISK_RATE_LIMIT', T.RATE_STRATEGY);
      }
    }
    return APPROVED;
  }

  /** Reads the clock into {@link nowCell}: through {@link LiveClock.nowNsInto} when the clock is the shipped one. */
  private readNow(): void {
    const live = this.liveClock;
    if (live !== undefined) live.nowNsInto(this.nowCell);
    else this.nowCell[0] = this.clock.nowNs();
  }

  /**
   * Copies the live correlation matrix into the engine (call after pushing samples to the
   * source; the check reads this copy so it never pays for a 50×50 copy itself). Non-finite
   * entries (a flat series) count as uncorrelated.
   */
  refreshCorrelation(): void {
    const src = this.corrSource;
    if (src === undefined) return;
    this.state.setCorrelation(src.matrix(this.corrScratch));
  }

  /** Feeds a reference price (see {@link RiskState.onQuote}) and evaluates the PnL triggers. */
  onQuote(venue: string, symbol: string, priceTicks: number): void {
    this.state.onQuote(venue, symbol, priceTicks);
    this.evaluateTriggers();
  }

  /** An approved order went out (see {@link RiskState.onOrderOpened}). */
  onOrderOpened(order: OrderIntent): void {
    this.state.onOrderOpened(order);
  }

  /** An order reached a terminal state with `remainingLots` unfilled. */
  onOrderClosed(order: OrderIntent, remainingLots: number): void {
    this.state.onOrderClosed(order, remainingLots);
  }

  /** A fill (see {@link RiskState.onFill}); evaluates the daily-loss and drawdown triggers. */
  onFill(order: OrderIntent, lots: number, priceTicks: number, feeAtoms = 0): void {
    this.state.onFill(order, lots, priceTicks, feeAtoms);
    this.evaluateTriggers();
  }

  /** A balance snapshot (total atoms; a bigint is exact at any size). Returns false for an asset no instrument uses. */
  onBalance(venue: string, asset: string, totalAtoms: number | bigint): boolean {
    return this.state.onBalance(venue, asset, totalAtoms);
  }

  /**
   * Trips the kill switch when the daily loss or the drawdown reaches its limit (0 disables a
   * trigger) or when `breakerCascadeVenues` breakers are open at once. Runs after every fill and
   * quote; call it from a timer as well if breakers can open while no order is checked.
   */
  evaluateTriggers(): void {
    const P = this.state.portfolio;
    const to = this.config.killSwitch.onLoss;
    // Summed here from the portfolio array, not through RiskState's dailyPnl()/drawdown(): a double
    // returned by a call V8 does not inline is boxed (a heap number per quote and fill; issue 16).
    const total = P[PF.REALIZED]! - P[PF.FEES]! + P[PF.UNREALIZED]!;
    if (this.dailyLossLimit > 0) {
      const daily = total - P[PF.DAY_START]!;
      if (-daily >= this.dailyLossLimit && this.killSwitch.code() < STATE_CODE[to]) {
        this.killSwitch.escalate(to, 'daily-loss', `daily loss ${-daily} atoms >= limit ${this.dailyLossLimit}`);
      }
    }
    if (this.maxDrawdown > 0) {
      const dd = P[PF.PEAK]! - total;
      if (dd >= this.maxDrawdown && this.killSwitch.code() < STATE_CODE[to]) {
        this.killSwitch.escalate(to, 'drawdown', `drawdown ${dd} atoms from peak >= limit ${this.maxDrawdown}`);
      }
    }
    this.cascade();
  }

  /** Counts open breakers and escalates on a cascade. */
  private cascade(): void {
    let open = 0;
    for (let v = 0; v < this.nv; v++) {
      const b = this.breakers[v];
      if (b !== undefined && b.state === 'open') open++;
    }
    const to = this.config.killSwitch.onCascade;
    if (open >= this.cascadeVenues && this.killSwitch.code() < STATE_CODE[to]) {
      this.killSwitch.escalate(to, 'breaker-cascade', `${open} venue circuit breakers open (limit ${this.cascadeVenues})`);
    }
  }

  /**
   * Correlation-weighted exposure Σᵤ ρₜᵤ·Eᵤ of every series t, in the worst case over which open
   * orders fill (bounds kept by {@link RiskState}): an order on series `si` moves series t's
   * bounds by ρₜ,ₛᵢ times its own change, so the check is O(series). Also counts the other series
   * with any position or open order correlated with `si` above the threshold.
   */
  private correlated(order: OrderIntent, si: number, opens: boolean): RiskDenial | null {
    const dHi = this.corrArgs[0]!;
    const dLo = this.corrArgs[1]!;
    const S = this.state;
    const WMAX = S.weightedMax;
    const WMIN = S.weightedMin;
    const G = S.seriesGross;
    const C = S.correlation;
    const ns = G.length;
    const thr = this.corrThreshold;
    const limit = this.corrMaxWeighted;
    let correlatedOpen = 0;
    for (let t = 0; t < ns; t++) {
      const rho = C[t * ns + si]!;
      if (rho === 0) continue;
      const wMax = WMAX[t]!;
      const wMin = WMIN[t]!;
      const wMax2 = rho >= 0 ? wMax + rho * dHi : wMax + rho * dLo;
      const wMin2 = rho >= 0 ? wMin + rho * dLo : wMin + rho * dHi;
      const w1 = wMax > -wMin ? wMax : -wMin;
      const w2 = wMax2 > -wMin2 ? wMax2 : -wMin2;
      if (w2 > limit && w2 > w1) {
        const a = this.dnClear();
        a[0] = limit;
        a[1] = w2;
        return this.denied(order, 'RISK_CORRELATION', T.CORRELATION, S.series[t]);
      }
      if (t !== si && G[t]! > 0 && (rho > thr || -rho > thr)) correlatedOpen++;
    }
    // Opening a position in a series next to N open series correlated above the threshold.
    if (opens && G[si] === 0 && correlatedOpen >= this.corrMaxPositions) {
      const a = this.dnClear();
      a[0] = this.corrMaxPositions;
      a[1] = correlatedOpen + 1;
      a[2] = thr;
      return this.denied(order, 'RISK_CORRELATED_POSITIONS', T.CORRELATED_POSITIONS);
    }
    return null;
  }

  // Denials record numbers, not text: the `detail` string is built by the view only when read.
  // Each denial site writes its numbers into the `dn` scratch (a Float64Array) itself, never as
  // call arguments: a double passed to a call V8 does not inline is boxed, a heap allocation per
  // denial (found by the GC count of bench/risk.bench.ts with 20 % denials).

  /** A balance denial; the caller wrote the fee-reserve bps (or NaN) and the need into slots 0 and 1. */
  private balanceDenied(order: OrderIntent, b: number): RiskDenial {
    const S = this.state;
    this.dn[2] = S.balTotal[b]!;
    this.dn[3] = S.balLocked[b]!;
    return this.denied(order, 'RISK_BALANCE', T.BALANCE, S.balanceKeys[b], S.balExact[b]);
  }

  /** Clears the denial scratch (every slot NaN) and returns it. */
  private dnClear(): Float64Array {
    return this.dn.fill(NaN);
  }

  /** A denial whose message needs only the order's fields. */
  private deniedPlain(order: OrderIntent, code: RiskDenialCode, template: T): RiskDenial {
    this.dnClear();
    return this.denied(order, code, template);
  }

  private denied(order: OrderIntent, code: RiskDenialCode, template: T, text?: string, exact?: bigint): RiskDenial {
    const d = this.ring.next(code, template, order, text, exact);
    if (this.onDenied !== undefined) this.onDenied(order, d);
    return d;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}
