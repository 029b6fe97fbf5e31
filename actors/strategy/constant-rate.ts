import { parseOptions, z } from '../../common/validate.js';
import type { Ticker } from '../messages.js';
import type { Instrument } from '../orders/instrument.js';
import { InstrumentMap } from './instrument-map.js';
import type { Strategy, StrategyContext } from './strategy.js';

/** Defaults of the constant-rate strategy's params. */
export const CONSTANT_RATE_DEFAULTS = Object.freeze({
  /** Orders per second (may be fractional: 0.5 is one every 2 s). */
  ratePerSec: 10,
  /** Lots per order. */
  qtyLots: 1,
  /** Distance from mid in ticks: buys at mid − offset, sells at mid + offset. */
  offsetTicks: 10,
  /** Fixed limit price in ticks instead of mid ± offset (0: use the mid). */
  priceTicks: 0,
  /** Time in force of every order. */
  tif: 'GTC' as 'GTC' | 'IOC' | 'FOK',
  /** Orders in total; then it stops emitting. */
  maxOrders: 10_000,
  /** Period of the emitting timer, ms (orders due are computed from clock time, not from ticks). */
  tickMs: 10,
});

/** Params schema of the constant-rate strategy (defaults from {@link CONSTANT_RATE_DEFAULTS}). */
export const constantRateParamsSchema = z
  .object({
    ratePerSec: z.number().positive().max(1_000_000).default(CONSTANT_RATE_DEFAULTS.ratePerSec),
    qtyLots: z.number().int().min(1).default(CONSTANT_RATE_DEFAULTS.qtyLots),
    offsetTicks: z.number().int().min(0).default(CONSTANT_RATE_DEFAULTS.offsetTicks),
    priceTicks: z.number().int().min(0).default(CONSTANT_RATE_DEFAULTS.priceTicks),
    tif: z.enum(['GTC', 'IOC', 'FOK']).default(CONSTANT_RATE_DEFAULTS.tif),
    maxOrders: z.number().int().min(1).default(CONSTANT_RATE_DEFAULTS.maxOrders),
    tickMs: z.number().int().min(1).default(CONSTANT_RATE_DEFAULTS.tickMs),
  })
  .strict();

/** Validated constant-rate params. */
export type ConstantRateParams = z.output<typeof constantRateParamsSchema>;

const TIMER = 'constant-rate.tick';

/**
 * A load generator: limit orders at `ratePerSec`, alternating buy and sell (round-robin over its
 * instruments), at mid ∓ `offsetTicks` (or at a fixed `priceTicks`), until `maxOrders`.
 *
 * The number due is floor(rate × elapsed clock time) since the schedule began, so the rate is
 * exact over time whatever the timer period or a late timer — a tick emits every order that fell
 * due since the last one. The schedule (re)starts on start, on resume and after a restart, and
 * while no price is known (no ticker yet and no fixed price), so it never bursts to catch up.
 */
export class ConstantRate implements Strategy {
  readonly params: Readonly<ConstantRateParams>;
  /** Orders emitted so far. */
  sent = 0;
  private instruments: Instrument[] = [];
  /** Twice the mid (an integer) per instrument, in a reused box so a ticker allocates nothing. */
  private readonly mids2 = new InstrumentMap<{ v: number }>();
  private startNs = 0;
  private base = 0;
  private active = false;

  constructor(params: Readonly<ConstantRateParams>) {
    this.params = params;
  }

  onStart(ctx: StrategyContext): void {
    this.instruments = [...ctx.instruments.values()];
    this.active = true;
    this.rebase(ctx);
    if (this.sent < this.params.maxOrders) ctx.setTimer(TIMER, this.params.tickMs, true);
  }

  onStop(): void {
    this.active = false;
  }

  onTicker(t: Ticker): void {
    if (t.bidTicks <= 0 || t.askTicks <= t.bidTicks) return;
    const m = this.mids2.get(t.venue, t.symbol);
    if (m !== undefined) m.v = t.bidTicks + t.askTicks;
    else this.mids2.add(t.venue, t.symbol, { v: t.bidTicks + t.askTicks });
  }

  onTimer(name: string, ctx: StrategyContext): void {
    if (name !== TIMER || !this.active) return;
    const p = this.params;
    const elapsedNs = ctx.clock.nowNs() - this.startNs;
    // The epsilon keeps 2.9999999999999996 (rate × time in binary floating point) from losing an order.
    const due = Math.min(p.maxOrders, this.base + Math.floor((p.ratePerSec * elapsedNs) / 1e9 + 1e-9));
    while (this.sent < due) {
      const n = this.sent;
      const ins = this.instruments[n % this.instruments.length]!;
      const side = Math.floor(n / this.instruments.length) % 2 === 0 ? 'buy' : 'sell';
      const price = this.price(ins, side);
      if (price === undefined) {
        // No price yet: start the schedule over rather than owe a burst.
        this.rebase(ctx);
        return;
      }
      this.sent++;
      // Independent orders, never retried: no intent key (a key would have to survive restarts).
      ctx.submit({ venue: ins.venue, symbol: ins.symbol, side, type: 'limit', tif: p.tif, priceTicks: price, qtyLots: p.qtyLots });
    }
    if (this.sent >= p.maxOrders) {
      ctx.clearTimer(TIMER);
      ctx.log('constant-rate: maxOrders reached', { sent: this.sent });
    }
  }

  private price(ins: Instrument, side: 'buy' | 'sell'): number | undefined {
    const p = this.params;
    if (p.priceTicks > 0) return p.priceTicks;
    const mid2 = this.mids2.get(ins.venue, ins.symbol)?.v;
    if (mid2 === undefined) return undefined;
    const px = side === 'buy' ? Math.floor(mid2 / 2) - p.offsetTicks : Math.ceil(mid2 / 2) + p.offsetTicks;
    return px >= 1 ? px : 1;
  }

  private rebase(ctx: StrategyContext): void {
    this.startNs = ctx.clock.nowNs();
    this.base = this.sent;
  }
}

/**
 * Factory of the built-in `constant-rate` strategy. Throws `ConfigError` naming the field for bad
 * params (`where` prefixes it, e.g. `strategies.load-1.params`).
 */
export function createConstantRate(params: Record<string, unknown> = {}, where = 'constant-rate.params'): ConstantRate {
  return new ConstantRate(parseOptions(constantRateParamsSchema, params, where));
}
