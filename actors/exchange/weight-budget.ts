import type { Clock } from '../../common/clock.js';
import { parseOptions, z } from '../../common/validate.js';
import { AtomicCounters } from '../../native/atomic-counters.js';
import type { CounterBlock } from '../risk/ports.js';

/**
 * Built-in limits: Binance spot's published numbers (request weight 6000 per minute and IP,
 * 100 new orders per 10 s and 200 000 per day and account). The last of the three sources of a
 * budget's limits (see {@link WeightBudget}).
 */
export const BINANCE_SPOT_LIMITS = Object.freeze({ weightPerMinute: 6000, ordersPer10s: 100, ordersPerDay: 200_000 });

/** Largest limit a budget keeps (a venue advertising more is budgeted at this; usage fits in 32 bits). */
export const MAX_BUDGET_LIMIT = 1_000_000_000;

const limit = z.number().int().min(1).max(MAX_BUDGET_LIMIT);

/**
 * Options of a {@link WeightBudget}: the venue's limits as the config states them. A limit left
 * out comes from what the venue advertises (`exchangeInfo`), else from {@link BINANCE_SPOT_LIMITS}.
 */
export const weightBudgetSchema = z
  .object({
    /** The venue's request weight per minute and IP (Binance: 6000). */
    weightPerMinute: limit.optional(),
    /** The venue's new orders per 10 s and account (Binance: 100). */
    ordersPer10s: limit.optional(),
    /** The venue's new orders per UTC day and account (Binance: 200000). */
    ordersPerDay: limit.optional(),
    /** Share of each limit bot4 lets itself use (the rest is headroom for clock skew and other clients). */
    headroom: z.number().gt(0).max(1).default(0.8),
    /**
     * Share of each order window kept for the strategies in `apiStrategies` (orders a user sends
     * through the API): every other strategy stops at `floor(limit × (1 − apiShare))`, so the demo
     * strategies can never spend the whole budget. 0: no reserve. Default {@link DEFAULT_API_SHARE}.
     */
    apiShare: z.number().min(0).max(0.9).optional(),
    /** Strategy ids whose orders may use the reserved share (default {@link DEFAULT_API_STRATEGIES}: the API's default strategy id). */
    apiStrategies: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** Default `apiShare`: a fifth of each order window is kept for API orders. */
export const DEFAULT_API_SHARE = 0.2;

/** Default `apiStrategies`: `api`, the strategy id an API order carries unless it names another. */
export const DEFAULT_API_STRATEGIES: readonly string[] = Object.freeze(['api']);

/** Options accepted by {@link WeightBudget}. */
export type WeightBudgetOptions = z.input<typeof weightBudgetSchema>;

/** Slots a budget uses in its counter block: request weight, orders (short window), orders (long window). */
export const WEIGHT_BUDGET_SLOTS = 3;

/** One fixed-window limit, venue-neutral: at most `limit` per window of `windowMs`, windows aligned to the epoch (a day window to UTC midnight). */
export interface RateWindow {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * What a venue advertises, venue-neutral (each adapter parses its own format into this). A kind
 * left out was not advertised (or not usably).
 */
export interface VenueLimits {
  /** Request weight (per IP). */
  weight?: RateWindow | undefined;
  /** New orders over a window shorter than an hour (Binance: 10 s). */
  orders?: RateWindow | undefined;
  /** New orders over a window of an hour or more (Binance: 1 day). */
  ordersLong?: RateWindow | undefined;
}

/** Where a budget's limit came from, in precedence order. */
export type LimitSource = 'config' | 'venue' | 'default';

/** One limit of a budget as it is applied. */
export interface BudgetWindow {
  /** The venue's limit (before headroom). */
  readonly venueLimit: number;
  /** Window length (ms). */
  readonly windowMs: number;
  /** What bot4 lets itself use per window: `floor(venueLimit × headroom)`, at least 1. */
  readonly limit: number;
  readonly source: LimitSource;
}

/** The limits a budget applies, with their sources. */
export interface BudgetLimits {
  readonly headroom: number;
  readonly weight: BudgetWindow;
  readonly orders: BudgetWindow;
  readonly ordersLong: BudgetWindow;
}

/** Which kinds of limit a budget keeps, with the config field that sets each and its built-in default. */
const KINDS = [
  { kind: 'weight', field: 'weightPerMinute', windowMs: 60_000, fallback: BINANCE_SPOT_LIMITS.weightPerMinute },
  { kind: 'orders', field: 'ordersPer10s', windowMs: 10_000, fallback: BINANCE_SPOT_LIMITS.ordersPer10s },
  { kind: 'ordersLong', field: 'ordersPerDay', windowMs: 86_400_000, fallback: BINANCE_SPOT_LIMITS.ordersPerDay },
] as const;

type Kind = (typeof KINDS)[number]['kind'];

/** Mutable twin of {@link BudgetWindow}: limits are set at construction and once more when the venue's are read. */
interface Win {
  venueLimit: number;
  windowMs: number;
  limit: number;
  source: LimitSource;
}

// A slot holds `tag × 2^32 + used`: `used` in the low 32 bits, the window's index modulo 2^21 above
// (2^21 × 2^32 = 2^53, so every value is a safe integer). A stale counter whose window index is
// exactly a multiple of 2^21 windows old (24 days for 1 s windows, 243 days for 10 s, never for a
// day) reads as this window's: the error can only refuse more, never spend past a limit.
const USED = 2 ** 32;
const TAGS = 2 ** 21;

/** A window a budget can keep: a whole limit >= 1 per whole seconds, from 1 s to 30 days. */
function usableWindow(v: RateWindow): boolean {
  return Number.isSafeInteger(v.limit) && v.limit >= 1 && Number.isSafeInteger(v.windowMs) && v.windowMs >= 1000 && v.windowMs <= 30 * 86_400_000 && v.windowMs % 1000 === 0;
}

/** `10 s`, `1 min`, `1 d`, ... */
export function windowText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/**
 * The venue's rate limits, budgeted on our side so bot4 never earns a 429 (or a 418 ban) on its own:
 * fixed windows like Binance's (request weight per window, new orders per short and per long
 * window), each kept in ONE 64-bit counter slot and updated by compare-and-swap, so several
 * venue actors, workers or processes (`AtomicCounters.openShared`) share one budget exactly.
 * The venue's own count (`X-MBX-USED-WEIGHT-1M`) is folded in with {@link observeWeight}.
 *
 * Each limit comes from, in this order: the config ({@link WeightBudgetOptions}, the daemon's
 * `venues[].limits`), what the venue advertises ({@link adoptVenueLimits}, read once when the
 * adapter loads its instruments), the built-in {@link BINANCE_SPOT_LIMITS}. Until the venue's are
 * read, config and built-in ones apply. `headroom` applies to every source.
 */
export class WeightBudget {
  readonly headroom: number;
  /** Share of each order window reserved for {@link apiStrategies} (see {@link WeightBudgetOptions}). */
  readonly apiShare: number;
  /** Strategies whose orders may use the reserved share. */
  readonly apiStrategies: ReadonlySet<string>;
  private readonly configured: Readonly<Partial<Record<Kind, number>>>;
  private readonly w: Win;
  private readonly o: Win;
  private readonly d: Win;
  private readonly counters: CounterBlock;

  constructor(
    options: WeightBudgetOptions,
    private readonly clock: Clock,
    counters?: CounterBlock,
    private readonly base = 0,
  ) {
    const o = parseOptions(weightBudgetSchema, options, 'venues.limits');
    this.headroom = o.headroom;
    this.apiShare = o.apiShare ?? DEFAULT_API_SHARE;
    this.apiStrategies = new Set(o.apiStrategies ?? DEFAULT_API_STRATEGIES);
    const configured: Partial<Record<Kind, number>> = {};
    for (const k of KINDS) if (o[k.field] !== undefined) configured[k.kind] = o[k.field];
    this.configured = Object.freeze(configured);
    this.w = this.window('weight', undefined);
    this.o = this.window('orders', undefined);
    this.d = this.window('ordersLong', undefined);
    this.counters = counters ?? AtomicCounters.create(WEIGHT_BUDGET_SLOTS);
  }

  /** Request weight bot4 may use per weight window (after headroom). */
  get weightLimit(): number {
    return this.w.limit;
  }

  /** New orders bot4 may send per short order window (after headroom). */
  get orderLimit(): number {
    return this.o.limit;
  }

  /** New orders bot4 may send per long order window (after headroom). */
  get ordersLongLimit(): number {
    return this.d.limit;
  }

  /** The limits applied now and where each came from. */
  limits(): BudgetLimits {
    return Object.freeze({ headroom: this.headroom, weight: Object.freeze({ ...this.w }), orders: Object.freeze({ ...this.o }), ordersLong: Object.freeze({ ...this.d }) });
  }

  /**
   * Takes the venue's advertised limits for every kind the config does not set (a kind the venue
   * does not advertise keeps the built-in default). Returns one line per limit that fell back to
   * the default, saying why (for the adapter to log); a limit the config sets is not one.
   */
  adoptVenueLimits(venue: VenueLimits): string[] {
    const notes: string[] = [];
    for (const k of KINDS) {
      let v = venue[k.kind];
      if (v !== undefined && !usableWindow(v)) {
        notes.push(`${k.field}: ignoring the venue's ${JSON.stringify(v)} (expected a whole limit >= 1 per a whole window of 1 s to 30 d)`);
        v = undefined;
      }
      const next = this.window(k.kind, v);
      if (next.source === 'default') {
        notes.push(`${k.field}: the venue advertises no usable limit of this kind; keeping the default ${next.venueLimit} per ${windowText(next.windowMs)}`);
      }
      Object.assign(k.kind === 'weight' ? this.w : k.kind === 'orders' ? this.o : this.d, next);
    }
    return notes;
  }

  /** Takes `weight` from this weight window's budget; false (nothing taken) when it would exceed it. */
  tryWeight(weight: number): boolean {
    return this.take(this.base, this.w, this.clock.epochMs(), weight);
  }

  /**
   * Takes one new order from both order windows; false (nothing taken) when either is spent. The
   * venue actor calls this before journaling an order (`VENUE_RATE_LIMITED` when false). An order
   * of a strategy outside {@link apiStrategies} may use only the windows' strategy share
   * ({@link strategyOrderLimit}); an API strategy's (and a call naming no strategy) may use the
   * whole limit, so the reserved share is there for API orders whatever the others spend.
   */
  tryOrder(strategy?: string): boolean {
    const now = this.clock.epochMs();
    const api = strategy === undefined || this.apiStrategies.has(strategy);
    const short = api ? this.o.limit : this.strategyLimit(this.o);
    if (!this.take(this.base + 1, this.o, now, 1, short)) return false;
    if (this.take(this.base + 2, this.d, now, 1, api ? this.d.limit : this.strategyLimit(this.d))) return true;
    this.give(this.base + 1, this.o, now, 1);
    return false;
  }

  /** New orders per short order window the strategies outside `apiStrategies` may send. */
  get strategyOrderLimit(): number {
    return this.strategyLimit(this.o);
  }

  /** The order limits in words, for denial messages: `80 per 10 s and 160000 per 1 d`; for a strategy outside `apiStrategies`, its share (`64 of 80 per 10 s ...`). */
  orderLimitText(strategy?: string): string {
    if (strategy !== undefined && !this.apiStrategies.has(strategy) && this.apiShare > 0) {
      return `${this.strategyLimit(this.o)} of ${this.o.limit} per ${windowText(this.o.windowMs)} and ${this.strategyLimit(this.d)} of ${this.d.limit} per ${windowText(this.d.windowMs)} (the rest is kept for ${[...this.apiStrategies].join(', ')})`;
    }
    return `${this.o.limit} per ${windowText(this.o.windowMs)} and ${this.d.limit} per ${windowText(this.d.windowMs)}`;
  }

  /** A window's strategy share: `floor(limit × (1 − apiShare))`, at least 1. */
  private strategyLimit(win: Win): number {
    return Math.max(1, Math.floor(win.limit * (1 - this.apiShare)));
  }

  /** Milliseconds until the weight window rolls over. */
  msToNextWeightWindow(): number {
    return this.w.windowMs - (this.clock.epochMs() % this.w.windowMs);
  }

  /** Weight used in the current weight window (ours or the venue's, whichever is higher). */
  usedWeight(): number {
    const cur = this.counters.load(this.base);
    return Math.floor(cur / USED) === Math.floor(this.clock.epochMs() / this.w.windowMs) % TAGS ? cur % USED : 0;
  }

  /**
   * Folds in the venue's count of this minute's weight (never lowers ours). Only when the weight
   * window is one minute: the count comes from `X-MBX-USED-WEIGHT-1M`.
   */
  observeWeight(venueUsed: number): void {
    if (!Number.isSafeInteger(venueUsed) || venueUsed < 0 || this.w.windowMs !== 60_000) return;
    const tag = Math.floor(this.clock.epochMs() / 60_000) % TAGS;
    for (;;) {
      const cur = this.counters.load(this.base);
      const used = Math.floor(cur / USED) === tag ? cur % USED : 0;
      if (venueUsed <= used) return;
      const next = tag * USED + Math.min(venueUsed, USED - 1);
      if (this.counters.compareExchange(this.base, cur, next) === cur) return;
    }
  }

  /** The window of `kind` by precedence: config, then the venue's, then the built-in default. */
  private window(kind: Kind, venue: RateWindow | undefined): Win {
    const k = KINDS.find((x) => x.kind === kind)!;
    const cfg = this.configured[kind];
    const pick: { venueLimit: number; windowMs: number; source: LimitSource } =
      cfg !== undefined
        ? { venueLimit: cfg, windowMs: k.windowMs, source: 'config' }
        : venue !== undefined
          ? { venueLimit: Math.min(venue.limit, MAX_BUDGET_LIMIT), windowMs: venue.windowMs, source: 'venue' }
          : { venueLimit: k.fallback, windowMs: k.windowMs, source: 'default' };
    return { ...pick, limit: Math.max(1, Math.floor(pick.venueLimit * this.headroom)) };
  }

  private take(slot: number, win: Win, now: number, n: number, limit = win.limit): boolean {
    const tag = Math.floor(now / win.windowMs) % TAGS;
    for (;;) {
      const cur = this.counters.load(slot);
      const used = Math.floor(cur / USED) === tag ? cur % USED : 0;
      if (used + n > limit) return false;
      if (this.counters.compareExchange(slot, cur, tag * USED + used + n) === cur) return true;
    }
  }

  /** Gives back `n` taken in the window of `now` (nothing when that window has rolled over meanwhile). */
  private give(slot: number, win: Win, now: number, n: number): void {
    const tag = Math.floor(now / win.windowMs) % TAGS;
    for (;;) {
      const cur = this.counters.load(slot);
      if (Math.floor(cur / USED) !== tag) return;
      const used = cur % USED;
      if (this.counters.compareExchange(slot, cur, tag * USED + Math.max(0, used - n)) === cur) return;
    }
  }
}
