import type { Clock } from '../../common/clock.js';
import { parseOptions, z } from '../../common/validate.js';
import { AtomicCounters } from '../../native/atomic-counters.js';
import type { CounterBlock } from '../risk/ports.js';

/** Options of a {@link WeightBudget} (defaults: Binance spot's published limits). */
export const weightBudgetSchema = z
  .object({
    /** The venue's request weight per minute and IP (Binance: 6000). */
    weightPerMinute: z.number().int().min(1).max(1_000_000).default(6000),
    /** The venue's new orders per 10 s and account (Binance: 100). */
    ordersPer10s: z.number().int().min(1).max(1_000_000).default(100),
    /** Share of each limit bot4 lets itself use (the rest is headroom for clock skew and other clients). */
    headroom: z.number().gt(0).max(1).default(0.8),
  })
  .strict();

/** Options accepted by {@link WeightBudget}. */
export type WeightBudgetOptions = z.input<typeof weightBudgetSchema>;

/** Slots a budget uses in its counter block. */
export const WEIGHT_BUDGET_SLOTS = 2;

const SHIFT = 2 ** 21; // usage fits in 21 bits (limits ≤ 1M); the window index in the bits above

/**
 * The venue's rate limits, budgeted on our side so bot4 never earns a 429 (or a 418 ban) on its own:
 * fixed windows like Binance's (request weight per wall-clock minute, orders per 10 s), each kept in
 * ONE 64-bit counter slot as `window × 2^21 + used` and updated by compare-and-swap, so several
 * venue actors, workers or processes (`AtomicCounters.openShared`) share one budget exactly.
 * The venue's own count (`X-MBX-USED-WEIGHT-1M`) is folded in with {@link observeWeight}.
 */
export class WeightBudget {
  readonly weightLimit: number;
  readonly orderLimit: number;
  private readonly counters: CounterBlock;

  constructor(
    options: WeightBudgetOptions,
    private readonly clock: Clock,
    counters?: CounterBlock,
    private readonly base = 0,
  ) {
    const o = parseOptions(weightBudgetSchema, options, 'venues.limits');
    this.weightLimit = Math.max(1, Math.floor(o.weightPerMinute * o.headroom));
    this.orderLimit = Math.max(1, Math.floor(o.ordersPer10s * o.headroom));
    this.counters = counters ?? AtomicCounters.create(WEIGHT_BUDGET_SLOTS);
  }

  /** Takes `weight` from this minute's budget; false (nothing taken) when it would exceed it. */
  tryWeight(weight: number): boolean {
    return this.take(this.base, Math.floor(this.clock.epochMs() / 60_000), weight, this.weightLimit);
  }

  /** Takes one order from this 10-second window's budget; false when exhausted. */
  tryOrder(): boolean {
    return this.take(this.base + 1, Math.floor(this.clock.epochMs() / 10_000), 1, this.orderLimit);
  }

  /** Milliseconds until the weight window rolls over. */
  msToNextMinute(): number {
    return 60_000 - (this.clock.epochMs() % 60_000);
  }

  /** Weight used in the current minute (ours or the venue's, whichever is higher). */
  usedWeight(): number {
    const cur = this.counters.load(this.base);
    return Math.floor(cur / SHIFT) === Math.floor(this.clock.epochMs() / 60_000) ? cur % SHIFT : 0;
  }

  /** Folds in the venue's count of this minute's weight (never lowers ours). */
  observeWeight(venueUsed: number): void {
    if (!Number.isSafeInteger(venueUsed) || venueUsed < 0) return;
    const win = Math.floor(this.clock.epochMs() / 60_000);
    for (;;) {
      const cur = this.counters.load(this.base);
      const used = Math.floor(cur / SHIFT) === win ? cur % SHIFT : 0;
      if (venueUsed <= used) return;
      const next = win * SHIFT + Math.min(venueUsed, SHIFT - 1);
      if (this.counters.compareExchange(this.base, cur, next) === cur) return;
    }
  }

  private take(slot: number, win: number, n: number, limit: number): boolean {
    for (;;) {
      const cur = this.counters.load(slot);
      const used = Math.floor(cur / SHIFT) === win ? cur % SHIFT : 0;
      if (used + n > limit) return false;
      if (this.counters.compareExchange(slot, cur, win * SHIFT + used + n) === cur) return true;
    }
  }
}
