import { InvalidArgumentError } from '../../common/errors.js';
import { parseOptions, z } from '../../common/validate.js';
import { RollingCorrelation } from '../../native/index.js';
import type { OrderDenied, OrderFill, OrderUpdate, Ticker } from '../messages.js';
import type { Instrument } from '../orders/instrument.js';
import { DenialLog } from './denial-log.js';
import { OrderSlot } from './order-slot.js';
import { PairWindow } from './pair-window.js';
import { PositionTracker } from './position-tracker.js';
import type { Strategy, StrategyContext } from './strategy.js';

/** Defaults of the pairs strategy's params. */
export const PAIRS_DEFAULTS = Object.freeze({
  /** Samples in the rolling window (correlation, hedge ratio, spread mean/std). */
  window: 100,
  /** Enter when |z| of the spread exceeds this. */
  entryZ: 2,
  /** Exit (flatten both legs) when |z| falls below this (< entryZ). */
  exitZ: 0.5,
  /** Enter only while the window's correlation of the log prices is at least this. */
  minCorrelation: 0.8,
  /** Hedge ratio β of spread = log a − β·log b: rolling OLS of log a on log b, or 1. */
  beta: 'ols' as 'ols' | 'one',
  /** Lots per entry of leg a (the first instrument) and leg b (the second). */
  qtyLotsA: 1,
  qtyLotsB: 1,
  /** |position| caps of each leg, lots. */
  maxPositionLotsA: 10,
  maxPositionLotsB: 10,
  /** Sampling period, ms; 0: a sample on every ticker of either leg once both have a price. */
  sampleMs: 0,
  /** A submit without any answer for this long is re-sent (same intent key), ms. */
  pendingTimeoutMs: 5_000,
  /** After a denial, the leg sends nothing for this long, ms. */
  denyBackoffMs: 1_000,
});

/** Params schema of the pairs strategy (defaults from {@link PAIRS_DEFAULTS}). */
export const pairsParamsSchema = z
  .object({
    window: z.number().int().min(3).max(1_000_000).default(PAIRS_DEFAULTS.window),
    entryZ: z.number().positive().default(PAIRS_DEFAULTS.entryZ),
    exitZ: z.number().min(0).default(PAIRS_DEFAULTS.exitZ),
    minCorrelation: z.number().min(-1).max(1).default(PAIRS_DEFAULTS.minCorrelation),
    beta: z.enum(['ols', 'one']).default(PAIRS_DEFAULTS.beta),
    qtyLotsA: z.number().int().min(1).default(PAIRS_DEFAULTS.qtyLotsA),
    qtyLotsB: z.number().int().min(1).default(PAIRS_DEFAULTS.qtyLotsB),
    maxPositionLotsA: z.number().int().min(1).default(PAIRS_DEFAULTS.maxPositionLotsA),
    maxPositionLotsB: z.number().int().min(1).default(PAIRS_DEFAULTS.maxPositionLotsB),
    sampleMs: z.number().int().min(0).default(PAIRS_DEFAULTS.sampleMs),
    pendingTimeoutMs: z.number().int().min(1).default(PAIRS_DEFAULTS.pendingTimeoutMs),
    denyBackoffMs: z.number().int().min(0).default(PAIRS_DEFAULTS.denyBackoffMs),
  })
  .strict()
  .superRefine((v, c) => {
    if (v.exitZ >= v.entryZ) c.addIssue({ code: 'custom', path: ['exitZ'], message: `a value < entryZ (${v.entryZ})`, input: v.exitZ });
  });

/** Validated pairs params. */
export type PairsParams = z.output<typeof pairsParamsSchema>;

const SAMPLE_TIMER = 'pairs.sample';
const RETRY_TIMER = 'pairs.retry';

interface Leg {
  readonly instrument: Instrument;
  readonly slot: OrderSlot;
  readonly position: PositionTracker;
  readonly qtyLots: number;
  readonly maxLots: number;
  bidTicks: number;
  askTicks: number;
}

/**
 * Statistical arbitrage on two instruments (a = first, b = second). Each sample takes the log mids,
 * pushes them into a `RollingCorrelation(2, window)` and a window of moments, and computes
 * z = (s − mean(s)) / std(s) of the spread s = log a − β·log b over the window (β by rolling OLS,
 * or 1). Once the window is full:
 *
 * - flat and |z| > entryZ and correlation ≥ minCorrelation: sell the rich leg and buy the cheap one
 *   (z > 0: a is rich) — IOC limits at the touch (sell at the bid, buy at the ask);
 * - positioned and |z| < exitZ: flatten both legs (exits do not need the correlation: they reduce risk);
 * - a z past entryZ on the other side flips the position (correlation permitting).
 *
 * Each leg works toward a target position (±qtyLots, clamped to ±maxPositionLots) with at most one
 * order in flight; an IOC that fills partly leaves a difference the next sample sends again.
 */
export class Pairs implements Strategy {
  readonly params: Readonly<PairsParams>;
  /** Last z-score, correlation and hedge ratio (NaN before the window is full). */
  lastZ = NaN;
  lastCorrelation = NaN;
  lastBeta = NaN;
  /** Spread position: −1 short a / long b, +1 long a / short b, 0 flat. */
  target: -1 | 0 | 1 = 0;
  private legs: [Leg, Leg] | undefined;
  private readonly corr: RollingCorrelation;
  private readonly moments: PairWindow;
  private readonly sample = new Float64Array(2);
  private readonly matrix = new Float64Array(4);
  private active = false;
  private readonly denials = new DenialLog('pairs order denied');

  constructor(params: Readonly<PairsParams>) {
    this.params = params;
    this.corr = new RollingCorrelation(2, params.window);
    this.moments = new PairWindow(params.window);
  }

  /** Net position of leg 0 (a) or 1 (b), lots from fills. */
  position(leg: 0 | 1): number {
    return this.legs?.[leg].position.lots ?? 0;
  }

  onStart(ctx: StrategyContext): void {
    if (this.legs === undefined) {
      const ins = [...ctx.instruments.values()];
      if (ins.length !== 2) throw new InvalidArgumentError(`pairs ${ctx.id}: expected exactly 2 instruments, got ${ins.length}`);
      const p = this.params;
      const leg = (i: Instrument, n: number, qtyLots: number, maxLots: number): Leg => ({
        instrument: i,
        slot: new OrderSlot(`leg${n}`),
        position: new PositionTracker(),
        qtyLots,
        maxLots,
        bidTicks: 0,
        askTicks: 0,
      });
      this.legs = [leg(ins[0]!, 0, p.qtyLotsA, p.maxPositionLotsA), leg(ins[1]!, 1, p.qtyLotsB, p.maxPositionLotsB)];
    }
    this.active = true;
    ctx.setTimer(RETRY_TIMER, this.params.pendingTimeoutMs, true);
    if (this.params.sampleMs > 0) ctx.setTimer(SAMPLE_TIMER, this.params.sampleMs, true);
  }

  onStop(ctx: StrategyContext): void {
    // IOC orders end by themselves; a position stays as it is (flattening is the operator's call).
    this.active = false;
    this.denials.drain(ctx.log.bind(ctx));
  }

  onTicker(t: Ticker, ctx: StrategyContext): void {
    const leg = this.leg(t.venue, t.symbol);
    if (leg === undefined || t.bidTicks <= 0 || t.askTicks <= t.bidTicks) return;
    leg.bidTicks = t.bidTicks;
    leg.askTicks = t.askTicks;
    if (this.params.sampleMs === 0) this.takeSample(ctx);
  }

  onOrderUpdate(u: OrderUpdate): void {
    const leg = this.leg(u.venue, u.symbol);
    if (leg === undefined) return;
    leg.position.onUpdate(u);
    leg.slot.onUpdate(u);
  }

  onFill(f: OrderFill): void {
    const leg = this.leg(f.venue, f.symbol);
    if (leg === undefined) return;
    leg.position.onFill(f);
    leg.slot.onFill(f);
  }

  onDenied(d: OrderDenied, ctx: StrategyContext): void {
    const leg = this.leg(d.intent.venue, d.intent.symbol);
    if (leg !== undefined && leg.slot.onDenied(d, ctx.clock.nowNs(), this.params.denyBackoffMs)) {
      this.denials.record(d.code, ctx.clock.nowNs(), { detail: d.detail, symbol: d.intent.symbol, side: d.intent.side }, ctx.log.bind(ctx));
    }
  }

  onTimer(name: string, ctx: StrategyContext): void {
    this.denials.flush(ctx.clock.nowNs(), ctx.log.bind(ctx));
    if (name === SAMPLE_TIMER) this.takeSample(ctx);
    else if (name === RETRY_TIMER && this.legs !== undefined) for (const l of this.legs) l.slot.retry(ctx, this.params.pendingTimeoutMs);
  }

  private leg(venue: string, symbol: string): Leg | undefined {
    const legs = this.legs;
    if (legs === undefined) return undefined;
    for (const l of legs) if (l.instrument.venue === venue && l.instrument.symbol === symbol) return l;
    return undefined;
  }

  private takeSample(ctx: StrategyContext): void {
    const legs = this.legs;
    if (legs === undefined || !this.active) return;
    const [a, b] = legs;
    if (a.bidTicks === 0 || b.bidTicks === 0) return;
    // Log of the mid in ticks: log(mid · tick) differs by a constant, which the spread's mean absorbs.
    const la = Math.log((a.bidTicks + a.askTicks) / 2);
    const lb = Math.log((b.bidTicks + b.askTicks) / 2);
    this.sample[0] = la;
    this.sample[1] = lb;
    this.corr.push(this.sample);
    const m = this.moments;
    m.push(la, lb);
    if (m.count < this.params.window) return;
    m.compute();
    const rho = this.corr.matrix(this.matrix)[1]!;
    const beta = this.params.beta === 'one' ? 1 : m.cov / m.varY;
    const varS = m.varX + beta * beta * m.varY - 2 * beta * m.cov;
    this.lastCorrelation = rho;
    this.lastBeta = beta;
    // A flat leg (NaN β or correlation) or a spread with no variance gives no signal.
    if (!Number.isFinite(beta) || !(varS > 0)) {
      this.lastZ = NaN;
      return;
    }
    const z = (la - beta * lb - (m.meanX - beta * m.meanY)) / Math.sqrt(varS);
    this.lastZ = z;
    const p = this.params;
    const correlated = rho >= p.minCorrelation; // false for NaN
    const side: -1 | 1 = z > 0 ? -1 : 1;
    if (Math.abs(z) > p.entryZ && correlated && this.target !== side) this.target = side;
    else if (this.target !== 0 && Math.abs(z) < p.exitZ) this.target = 0;
    this.rebalance(ctx, beta);
  }

  /** Sends each idle leg an IOC at the touch for the difference to its target position. */
  private rebalance(ctx: StrategyContext, beta: number): void {
    const [a, b] = this.legs!;
    this.work(a, this.target * a.qtyLots, ctx);
    // Hedge leg: opposite to a for a positive β (the usual case), same way for a negative one.
    this.work(b, -this.target * (beta < 0 ? -1 : 1) * b.qtyLots, ctx);
  }

  private work(leg: Leg, want: number, ctx: StrategyContext): void {
    if (leg.slot.state !== 'idle' || ctx.clock.nowNs() < leg.slot.blockedUntilNs) return;
    const target = Math.max(-leg.maxLots, Math.min(leg.maxLots, want));
    const delta = target - leg.position.expected;
    if (delta === 0) return;
    const { venue, symbol } = leg.instrument;
    const buy = delta > 0;
    leg.slot.submit(ctx, {
      venue,
      symbol,
      side: buy ? 'buy' : 'sell',
      type: 'limit',
      tif: 'IOC',
      priceTicks: buy ? leg.askTicks : leg.bidTicks,
      qtyLots: Math.abs(delta),
    });
  }
}

/**
 * Factory of the built-in `pairs` strategy. Throws `ConfigError` naming the field for bad params
 * (`where` prefixes it, e.g. `strategies.pair-eth.params`).
 */
export function createPairs(params: Record<string, unknown> = {}, where = 'pairs.params'): Pairs {
  return new Pairs(parseOptions(pairsParamsSchema, params, where));
}
