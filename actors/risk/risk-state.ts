// Over ~400 lines on purpose: the risk mirror is one set of preallocated typed arrays updated on every
// order, fill and quote; the check reads them with no allocation, and splitting the updates from the
// arrays they keep consistent would spread one invariant over several files.
import { LiveClock, type Clock } from '../../common/clock.js';
import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';
import { RiskConfigError, RiskStateError, RiskUnknownKeyError } from './errors.js';
import { PriceLevels } from './price-levels.js';
import { atomsPer, checkSafe, mulDivTrunc } from './units.js';

/** Largest balance held exactly in a double (2^53 − 1 atoms); beyond it {@link RiskState.balExact} holds the bigint. */
export const BALANCE_CEILING = Number.MAX_SAFE_INTEGER;
const BALANCE_CEILING_N = BigInt(BALANCE_CEILING);

/** Indices into {@link RiskState.portfolio}. */
export const PF = Object.freeze({
  /** Σ worst-case |exposure| over instruments (atoms). */
  GROSS: 0,
  /** Σ exposure if every open buy fills (atoms, signed). */
  NET_HI: 1,
  /** Σ exposure if every open sell fills (atoms, signed). */
  NET_LO: 2,
  /** Open orders in total. */
  OPEN: 3,
  /** Realized PnL (atoms). */
  REALIZED: 4,
  /** Fees paid (atoms; rebates negative). */
  FEES: 5,
  /** Unrealized PnL at reference prices (atoms). */
  UNREALIZED: 6,
  /** Total PnL at the start of the current UTC day. */
  DAY_START: 7,
  /** Highest total PnL seen (for drawdown). */
  PEAK: 8,
  /** Current UTC day number (epoch ms / 86 400 000). */
  DAY: 9,
});

const DAY_MS = 86_400_000;

/**
 * The risk engine's hot-path mirror of positions, open orders, locked balances, reference prices,
 * quote times, exposures and PnL, held in typed arrays indexed by integers interned at
 * construction (instrument `i`, venue `v`, balance `b` = venue × asset, correlation series `s`).
 *
 * Everything is an integer held in a double: lots, ticks, and quote/asset **atoms** (1e-8 by
 * default). Sums stay exact while below 2^53; updates that would leave that range throw
 * `RiskOverflowError`. This is the fast mirror the pre-trade check reads, not the book of record:
 * the exact bigint ledger is the orders area's portfolio, and reconciliation overwrites balances
 * here through {@link onBalance}.
 *
 * Exposures are worst-case: for instrument i, `hi` is the exposure if every open buy fills and
 * `lo` if every open sell fills, valued at the reference price, so a limit checked against them
 * holds whatever subset of the open orders fills.
 */
export class RiskState {
  /** Instruments in index order. */
  readonly instruments: readonly Instrument[];
  /** Venue ids in index order (sorted, so every process interns them alike). */
  readonly venues: readonly string[];
  /** Correlation series symbols (empty when no correlation source is used). */
  readonly series: readonly string[];

  /** Per instrument: venue index, series index (-1: none), atoms per tick·lot, base atoms per lot. */
  readonly venueOf: Int32Array;
  readonly seriesOf: Int32Array;
  readonly atomsPerTickLot: Float64Array;
  readonly baseAtomsPerLot: Float64Array;
  /** Per instrument: balance slots of its base and quote asset on its venue. */
  readonly baseBal: Int32Array;
  readonly quoteBal: Int32Array;

  /** Per instrument state: position (lots, signed), open buy/sell lots, open order count. */
  readonly position: Float64Array;
  readonly openBuy: Float64Array;
  readonly openSell: Float64Array;
  readonly openCount: Float64Array;
  /**
   * Per instrument: prices of our own open buy and sell orders (every strategy and the API trade
   * one account per venue), for self-trade prevention. A market order counts at +∞ (buy) or −∞
   * (sell): it can match any of our orders on the other side.
   */
  readonly ownBids: readonly PriceLevels[];
  readonly ownAsks: readonly PriceLevels[];
  /** Per instrument: reference price (ticks; 0 = none yet) and the clock time it arrived (ns; -1 = never). */
  readonly refPrice: Float64Array;
  readonly quoteAtNs: Float64Array;
  /** Per instrument: cost basis of the position (atoms, signed like the position). */
  readonly cost: Float64Array;
  /** Per instrument, worst-case exposures in atoms: all buys fill (hi), all sells fill (lo), and max(|hi|,|lo|). hi >= lo always. */
  readonly expHi: Float64Array;
  readonly expLo: Float64Array;
  readonly expGross: Float64Array;
  /** Per instrument unrealized PnL (atoms). */
  readonly unrealized: Float64Array;

  /** Per venue: gross, net-if-buys-fill, net-if-sells-fill (atoms), open orders. */
  readonly venueGross: Float64Array;
  readonly venueNetHi: Float64Array;
  readonly venueNetLo: Float64Array;
  readonly venueOpen: Float64Array;
  /** Per series: Σ hi, Σ lo and Σ gross of the instruments on it (atoms). */
  readonly seriesHi: Float64Array;
  readonly seriesLo: Float64Array;
  readonly seriesGross: Float64Array;
  /** Correlation matrix in use (series × series, row-major; identity until {@link setCorrelation}). */
  readonly correlation: Float64Array;
  /**
   * Per series t: bounds of the correlation-weighted exposure Σᵤ ρₜᵤ·Eᵤ over every way the open
   * orders can fill (each series' exposure lies in [LO, HI], so each term lies between ρ·LO and
   * ρ·HI). Kept incrementally: O(series) per update, O(series²) per matrix refresh.
   */
  readonly weightedMax: Float64Array;
  readonly weightedMin: Float64Array;
  /** Portfolio scalars, indexed by {@link PF}. */
  readonly portfolio: Float64Array;

  /** Per balance slot: total and locked atoms. Free = total − locked. */
  readonly balTotal: Float64Array;
  readonly balLocked: Float64Array;
  /**
   * Per balance slot: the exact total when it is beyond {@link BALANCE_CEILING} (then `balTotal`
   * holds the ceiling, a lower bound), else undefined. A balance of 1e9 USDT is 1e17 atoms at the
   * default atom: more than a double holds exactly, so it is kept as a bigint and the check falls
   * back to it whenever the lower bound alone would deny (see {@link covers}).
   */
  readonly balExact: (bigint | undefined)[];
  /** `venue:asset` of each balance slot. */
  readonly balanceKeys: readonly string[];

  private readonly byVenue = new Map<string, Map<string, number>>();
  private readonly venueIndex = new Map<string, number>();
  private readonly balIndex = new Map<string, Map<string, number>>();
  private readonly clock: Clock;
  /**
   * The clock when it is a {@link LiveClock}: read through its `…Into` methods, which write into a
   * typed array — a double returned by a call V8 does not inline is boxed, a heap number per quote
   * (issue 16: found with the sampling heap profiler in the risk bench's quote updates).
   */
  private readonly live: LiveClock | undefined;
  /** [epoch ms at the last wall-clock read, monotonic ns now, monotonic ns of the next wall-clock read]. */
  private readonly epochCell = new Float64Array(3);

  /**
   * @param instruments every tradable instrument (venue + symbol unique)
   * @param atom smallest asset/quote unit as a decimal string (`tickSize × lotSize` and `lotSize` must be whole multiples)
   * @param clock time source for quote ages and the UTC day of the daily loss
   * @param series correlation series symbols in matrix order (instruments with another symbol are not correlated)
   */
  constructor(instruments: readonly Instrument[], atom: string, clock: Clock, series: readonly string[] = []) {
    this.clock = clock;
    this.live = clock instanceof LiveClock ? clock : undefined;
    this.instruments = Object.freeze([...instruments]);
    this.series = Object.freeze([...series]);
    const n = instruments.length;
    this.venues = Object.freeze([...new Set(instruments.map((x) => x.venue))].sort());
    this.venues.forEach((v, i) => this.venueIndex.set(v, i));
    const seriesIdx = new Map(series.map((s, i) => [s, i] as const));
    if (seriesIdx.size !== series.length) throw new RiskConfigError('risk.correlation.series', 'risk.correlation.series: expected unique symbols');

    this.venueOf = new Int32Array(n);
    this.seriesOf = new Int32Array(n);
    this.atomsPerTickLot = new Float64Array(n);
    this.baseAtomsPerLot = new Float64Array(n);
    this.baseBal = new Int32Array(n);
    this.quoteBal = new Int32Array(n);
    const balKeys: string[] = [];
    const bal = (venue: string, asset: string): number => {
      let m = this.balIndex.get(venue);
      if (m === undefined) this.balIndex.set(venue, (m = new Map()));
      let b = m.get(asset);
      if (b === undefined) {
        b = balKeys.length;
        m.set(asset, b);
        balKeys.push(`${venue}:${asset}`);
      }
      return b;
    };
    instruments.forEach((ins, i) => {
      const where = `instruments[${i}] (${ins.venue}:${ins.symbol})`;
      let m = this.byVenue.get(ins.venue);
      if (m === undefined) this.byVenue.set(ins.venue, (m = new Map()));
      if (m.has(ins.symbol)) throw new RiskConfigError(where, `${where}: expected a unique venue and symbol, got a duplicate`);
      m.set(ins.symbol, i);
      this.venueOf[i] = this.venueIndex.get(ins.venue)!;
      this.seriesOf[i] = seriesIdx.get(ins.symbol) ?? -1;
      this.atomsPerTickLot[i] = atomsPer(ins.tickSize, ins.lotSize, atom, `${where}.tickSize×lotSize`);
      this.baseAtomsPerLot[i] = atomsPer(ins.lotSize, '1', atom, `${where}.lotSize`);
      this.baseBal[i] = bal(ins.venue, ins.base);
      this.quoteBal[i] = bal(ins.venue, ins.quote);
    });
    this.balanceKeys = Object.freeze(balKeys);

    this.position = new Float64Array(n);
    this.openBuy = new Float64Array(n);
    this.openSell = new Float64Array(n);
    this.openCount = new Float64Array(n);
    this.ownBids = Array.from({ length: n }, () => new PriceLevels());
    this.ownAsks = Array.from({ length: n }, () => new PriceLevels());
    this.refPrice = new Float64Array(n);
    this.quoteAtNs = new Float64Array(n).fill(-1);
    this.cost = new Float64Array(n);
    this.expHi = new Float64Array(n);
    this.expLo = new Float64Array(n);
    this.expGross = new Float64Array(n);
    this.unrealized = new Float64Array(n);
    const nv = this.venues.length;
    this.venueGross = new Float64Array(nv);
    this.venueNetHi = new Float64Array(nv);
    this.venueNetLo = new Float64Array(nv);
    this.venueOpen = new Float64Array(nv);
    this.seriesHi = new Float64Array(series.length);
    this.seriesLo = new Float64Array(series.length);
    this.seriesGross = new Float64Array(series.length);
    const ns = series.length;
    this.correlation = new Float64Array(ns * ns);
    for (let k = 0; k < ns; k++) this.correlation[k * ns + k] = 1;
    this.weightedMax = new Float64Array(ns);
    this.weightedMin = new Float64Array(ns);
    this.portfolio = new Float64Array(10);
    this.portfolio[PF.DAY] = Math.floor(clock.epochMs() / DAY_MS);
    this.balTotal = new Float64Array(balKeys.length);
    this.balLocked = new Float64Array(balKeys.length);
    this.balExact = new Array<bigint | undefined>(balKeys.length).fill(undefined);
  }

  /** Instrument index of `venue`/`symbol`, or -1. Allocation-free (two map lookups). */
  instrumentIndex(venue: string, symbol: string): number {
    const m = this.byVenue.get(venue);
    if (m === undefined) return -1;
    const i = m.get(symbol);
    return i === undefined ? -1 : i;
  }

  /** Venue index, or -1. */
  venueIndexOf(venue: string): number {
    const v = this.venueIndex.get(venue);
    return v === undefined ? -1 : v;
  }

  /** Balance slot of `asset` on `venue`, or -1 when no configured instrument trades it there. */
  balanceIndex(venue: string, asset: string): number {
    const b = this.balIndex.get(venue)?.get(asset);
    return b === undefined ? -1 : b;
  }

  /** A new reference price (last trade or mid, in ticks) for an instrument, stamped with the clock's time. */
  onQuote(venue: string, symbol: string, priceTicks: number): void {
    const i = this.require(venue, symbol);
    this.rollDay();
    if (!Number.isSafeInteger(priceTicks) || priceTicks <= 0) throw new RiskStateError(`onQuote(${venue}, ${symbol}): expected a positive integer price in ticks, got ${priceTicks}`);
    this.refPrice[i] = priceTicks;
    if (this.live !== undefined) this.live.nowNsInto(this.quoteAtNs, i);
    else this.quoteAtNs[i] = this.clock.nowNs();
    this.refresh(i);
  }

  /** An order went out (call after an approved check, before or when the venue acknowledges it). Locks its funds. */
  onOrderOpened(order: OrderIntent): void {
    const i = this.require(order.venue, order.symbol);
    const q = this.lots(order.qtyLots, 'onOrderOpened');
    if (order.side === 'buy') {
      this.openBuy[i]! += q;
      this.balLocked[this.quoteBal[i]!]! += checkSafe(q * order.priceTicks * this.atomsPerTickLot[i]!, 'locked quote');
    } else {
      this.openSell[i]! += q;
      this.balLocked[this.baseBal[i]!]! += q * this.baseAtomsPerLot[i]!;
    }
    this.openCount[i]! += 1;
    this.venueOpen[this.venueOf[i]!]! += 1;
    this.portfolio[PF.OPEN]! += 1;
    (order.side === 'buy' ? this.ownBids : this.ownAsks)[i]!.add(ownPrice(order));
    this.refresh(i);
  }

  /**
   * An order reached a terminal state (filled, canceled, expired, rejected) with `remainingLots`
   * unfilled: releases its open quantity and locked funds and its open-order count.
   */
  onOrderClosed(order: OrderIntent, remainingLots: number): void {
    const i = this.require(order.venue, order.symbol);
    const q = remainingLots === 0 ? 0 : this.lots(remainingLots, 'onOrderClosed');
    if (this.openCount[i]! < 1) throw new RiskStateError(`onOrderClosed(${order.venue}, ${order.symbol}): no open order to close`);
    this.releaseOpen(i, order, q);
    this.openCount[i]! -= 1;
    this.venueOpen[this.venueOf[i]!]! -= 1;
    this.portfolio[PF.OPEN]! -= 1;
    this.refresh(i);
    // Last: a close whose price was never opened throws after the rest is consistent.
    (order.side === 'buy' ? this.ownBids : this.ownAsks)[i]!.remove(ownPrice(order));
  }

  /**
   * A fill of an open order: `lots` at `priceTicks`, paying `feeAtoms` of quote (negative for a
   * rebate). Moves the position, realizes PnL against the average cost, moves balances and
   * releases the filled part of the lock (which was taken at the order's limit price).
   */
  onFill(order: OrderIntent, lots: number, priceTicks: number, feeAtoms = 0): void {
    const i = this.require(order.venue, order.symbol);
    const q = this.lots(lots, 'onFill');
    if (!Number.isSafeInteger(priceTicks) || priceTicks <= 0) throw new RiskStateError(`onFill: expected a positive integer price in ticks, got ${priceTicks}`);
    if (!Number.isSafeInteger(feeAtoms)) throw new RiskStateError(`onFill: expected an integer fee in atoms, got ${feeAtoms}`);
    this.rollDay();
    this.releaseOpen(i, order, q);
    const k = this.atomsPerTickLot[i]!;
    const notional = checkSafe(q * priceTicks * k, 'fill notional');
    const base = this.baseBal[i]!;
    const quote = this.quoteBal[i]!;
    if (order.side === 'buy') {
      this.addBalance(base, q * this.baseAtomsPerLot[i]!);
      this.addBalance(quote, -(notional + feeAtoms));
    } else {
      this.addBalance(base, -(q * this.baseAtomsPerLot[i]!));
      this.addBalance(quote, notional - feeAtoms);
    }
    this.portfolio[PF.FEES]! += feeAtoms;
    this.applyPosition(i, order.side === 'buy' ? q : -q, priceTicks, k);
    this.refresh(i);
  }

  /**
   * A balance snapshot from the venue (total atoms of `asset`, free + locked). Returns false for an
   * asset no instrument uses. Any size is exact as a bigint (the venue's own decimal string parsed
   * with `BigInt`); a number must be a safe integer (`RiskOverflowError` otherwise: a double past
   * 2^53 has already lost atoms).
   */
  onBalance(venue: string, asset: string, totalAtoms: number | bigint): boolean {
    const b = this.balanceIndex(venue, asset);
    if (b < 0) return false;
    if (typeof totalAtoms === 'bigint') this.setExact(b, totalAtoms);
    else {
      this.balTotal[b] = checkSafe(totalAtoms, `balance ${venue}:${asset}`);
      this.balExact[b] = undefined;
    }
    return true;
  }

  /**
   * True when the free balance of slot `b` (total − locked) is at least `need` atoms, exactly.
   * Hot path: one subtraction and a compare; only a balance beyond the ceiling whose lower bound
   * does not cover `need` takes the bigint path (which allocates).
   */
  covers(b: number, need: number): boolean {
    if (need <= this.balTotal[b]! - this.balLocked[b]!) return true;
    const exact = this.balExact[b];
    if (exact === undefined) return false;
    return exact - BigInt(this.balLocked[b]!) >= BigInt(need);
  }

  /** The exact total of slot `b` (bigint; for reports and tests). */
  totalExact(b: number): bigint {
    return this.balExact[b] ?? BigInt(this.balTotal[b]!);
  }

  private setExact(b: number, total: bigint): void {
    if (total > BALANCE_CEILING_N || total < -BALANCE_CEILING_N) {
      this.balExact[b] = total;
      this.balTotal[b] = total > 0n ? BALANCE_CEILING : -BALANCE_CEILING;
    } else {
      this.balExact[b] = undefined;
      this.balTotal[b] = Number(total);
    }
  }

  /** Moves a balance by `delta` atoms (a safe integer), exactly, past the ceiling too. */
  private addBalance(b: number, delta: number): void {
    if (this.balExact[b] === undefined) {
      // Both operands are safe integers: the sum is exact whenever it is itself within the ceiling.
      const t = this.balTotal[b]! + delta;
      if (t <= BALANCE_CEILING && t >= -BALANCE_CEILING) {
        this.balTotal[b] = t;
        return;
      }
    }
    this.setExact(b, this.totalExact(b) + BigInt(delta));
  }

  /** Sets a position directly (startup from the journal's rebuilt portfolio): lots and cost basis in atoms. */
  setPosition(venue: string, symbol: string, positionLots: number, costAtoms: number): void {
    const i = this.require(venue, symbol);
    this.position[i] = checkSafe(positionLots, 'position');
    this.cost[i] = checkSafe(costAtoms, 'cost');
    this.refresh(i);
  }

  /**
   * Installs a correlation matrix (series × series, row-major) and recomputes the weighted
   * exposure bounds. Non-finite entries (a flat series) count as uncorrelated; the diagonal is 1.
   */
  setCorrelation(m: Float64Array): void {
    const ns = this.series.length;
    if (m.length !== ns * ns) throw new RiskStateError(`setCorrelation: expected ${ns * ns} entries (${ns}×${ns}), got ${m.length}`);
    const c = this.correlation;
    for (let a = 0; a < ns; a++) {
      for (let b = 0; b < ns; b++) {
        const x = m[a * ns + b]!;
        c[a * ns + b] = a === b ? 1 : Number.isFinite(x) ? x : 0;
      }
    }
    for (let t = 0; t < ns; t++) {
      let hi = 0;
      let lo = 0;
      for (let u = 0; u < ns; u++) {
        const rho = c[t * ns + u]!;
        if (rho >= 0) {
          hi += rho * this.seriesHi[u]!;
          lo += rho * this.seriesLo[u]!;
        } else {
          hi += rho * this.seriesLo[u]!;
          lo += rho * this.seriesHi[u]!;
        }
      }
      this.weightedMax[t] = hi;
      this.weightedMin[t] = lo;
    }
  }

  /** Total PnL in atoms: realized − fees + unrealized. */
  totalPnl(): number {
    return this.portfolio[PF.REALIZED]! - this.portfolio[PF.FEES]! + this.portfolio[PF.UNREALIZED]!;
  }

  /** PnL since the start of the current UTC day (negative = loss). */
  dailyPnl(): number {
    return this.totalPnl() - this.portfolio[PF.DAY_START]!;
  }

  /** Drop from the peak total PnL (>= 0). */
  drawdown(): number {
    return this.portfolio[PF.PEAK]! - this.totalPnl();
  }

  /** PnL breakdown in atoms (allocates; for reports, not the hot path). */
  pnl(): { realized: number; fees: number; unrealized: number; total: number; daily: number; drawdown: number } {
    const p = this.portfolio;
    return { realized: p[PF.REALIZED]!, fees: p[PF.FEES]!, unrealized: p[PF.UNREALIZED]!, total: this.totalPnl(), daily: this.dailyPnl(), drawdown: this.drawdown() };
  }

  /** Free atoms of a balance slot: total − locked. */
  free(b: number): number {
    return this.balTotal[b]! - this.balLocked[b]!;
  }

  private require(venue: string, symbol: string): number {
    const i = this.instrumentIndex(venue, symbol);
    if (i < 0) throw new RiskUnknownKeyError(`risk state: unknown instrument ${venue}:${symbol}`, { venue, symbol });
    return i;
  }

  private lots(q: number, where: string): number {
    if (!Number.isSafeInteger(q) || q <= 0) throw new RiskStateError(`${where}: expected a positive integer number of lots, got ${q}`);
    return q;
  }

  private releaseOpen(i: number, order: OrderIntent, q: number): void {
    if (order.side === 'buy') {
      if (this.openBuy[i]! < q) throw new RiskStateError(`${order.venue}:${order.symbol}: releasing ${q} buy lots but only ${this.openBuy[i]} are open`);
      this.openBuy[i]! -= q;
      this.balLocked[this.quoteBal[i]!]! -= q * order.priceTicks * this.atomsPerTickLot[i]!;
    } else {
      if (this.openSell[i]! < q) throw new RiskStateError(`${order.venue}:${order.symbol}: releasing ${q} sell lots but only ${this.openSell[i]} are open`);
      this.openSell[i]! -= q;
      this.balLocked[this.baseBal[i]!]! -= q * this.baseAtomsPerLot[i]!;
    }
  }

  /** Average-cost position accounting, exact in integers (the remainder of a partial close stays in the basis). */
  private applyPosition(i: number, dq: number, price: number, k: number): void {
    const pos = this.position[i]!;
    if (pos === 0 || (pos > 0) === (dq > 0)) {
      this.cost[i] = checkSafe(this.cost[i]! + dq * price * k, 'cost basis');
      this.position[i] = checkSafe(pos + dq, 'position');
      return;
    }
    const absPos = pos > 0 ? pos : -pos;
    const absDq = dq > 0 ? dq : -dq;
    const c = absDq < absPos ? absDq : absPos;
    const removed = c === absPos ? this.cost[i]! : mulDivTrunc(this.cost[i]!, c, absPos);
    const sign = pos > 0 ? 1 : -1;
    this.portfolio[PF.REALIZED]! += sign * c * price * k - removed;
    this.cost[i]! -= removed;
    this.position[i] = pos - sign * c;
    const rest = absDq - c;
    if (rest > 0) {
      // The fill flipped the position: the remainder opens the other side at this price.
      this.position[i] = -sign * rest;
      this.cost[i] = -sign * rest * price * k;
    }
  }

  /** Recomputes instrument i's exposures and PnL and moves the venue, series and portfolio sums by the difference. */
  private refresh(i: number): void {
    const k = this.atomsPerTickLot[i]!;
    const r = this.refPrice[i]!;
    const pos = this.position[i]!;
    const hi = checkSafe((pos + this.openBuy[i]!) * r * k, 'exposure');
    const lo = checkSafe((pos - this.openSell[i]!) * r * k, 'exposure');
    const ahi = hi < 0 ? -hi : hi;
    const alo = lo < 0 ? -lo : lo;
    const g = ahi >= alo ? ahi : alo;
    const v = this.venueOf[i]!;
    const p = this.portfolio;
    this.venueGross[v]! += g - this.expGross[i]!;
    this.venueNetHi[v]! += hi - this.expHi[i]!;
    this.venueNetLo[v]! += lo - this.expLo[i]!;
    p[PF.GROSS]! += g - this.expGross[i]!;
    p[PF.NET_HI]! += hi - this.expHi[i]!;
    p[PF.NET_LO]! += lo - this.expLo[i]!;
    const s = this.seriesOf[i]!;
    if (s >= 0) {
      const dHi = hi - this.expHi[i]!;
      const dLo = lo - this.expLo[i]!;
      this.seriesHi[s]! += dHi;
      this.seriesLo[s]! += dLo;
      this.seriesGross[s]! += g - this.expGross[i]!;
      if (dHi !== 0 || dLo !== 0) {
        const ns = this.seriesHi.length;
        const c = this.correlation;
        for (let t = 0; t < ns; t++) {
          const rho = c[t * ns + s]!;
          if (rho >= 0) {
            this.weightedMax[t]! += rho * dHi;
            this.weightedMin[t]! += rho * dLo;
          } else {
            this.weightedMax[t]! += rho * dLo;
            this.weightedMin[t]! += rho * dHi;
          }
        }
      }
    }
    this.expHi[i] = hi;
    this.expLo[i] = lo;
    this.expGross[i] = g;
    const u = r === 0 ? 0 : pos * r * k - this.cost[i]!;
    p[PF.UNREALIZED]! += u - this.unrealized[i]!;
    this.unrealized[i] = u;
    this.markPnl();
  }

  /**
   * A new UTC day starts the daily PnL from the total before the update that noticed it. Runs on
   * every quote and fill: the time and the total are read and summed here, no double crosses a
   * call (see {@link live}). With the live clock the wall clock (`Date.now()`, which allocates a
   * heap number per call) is read at most once a second and at each predicted midnight, the
   * monotonic clock (no allocation) in between: a day change is seen at most 1 s late if the
   * wall clock jumps.
   */
  private rollDay(): void {
    const p = this.portfolio;
    const e = this.epochCell;
    const live = this.live;
    if (live !== undefined) {
      live.nowNsInto(e, 1);
      if (e[1]! < e[2]!) return;
      live.epochMsInto(e, 0);
      const toMidnight = DAY_MS - (e[0]! % DAY_MS);
      e[2] = e[1]! + (toMidnight < 1000 ? toMidnight : 1000) * 1e6;
    } else e[0] = this.clock.epochMs();
    const day = Math.floor(e[0]! / DAY_MS);
    if (day !== p[PF.DAY]) {
      p[PF.DAY] = day;
      p[PF.DAY_START] = p[PF.REALIZED]! - p[PF.FEES]! + p[PF.UNREALIZED]!;
    }
  }

  private markPnl(): void {
    const p = this.portfolio;
    const total = p[PF.REALIZED]! - p[PF.FEES]! + p[PF.UNREALIZED]!;
    if (total > p[PF.PEAK]!) p[PF.PEAK] = total;
  }
}

/** The price an open order of ours can match at: its limit, or ±∞ for a market order. */
export function ownPrice(order: OrderIntent): number {
  if (order.type === 'market') return order.side === 'buy' ? Infinity : -Infinity;
  return order.priceTicks;
}
