/** Binance's published spot limits (REQUEST_WEIGHT 6000/min, ORDERS 100/10 s and 200000/day). */
export interface RateLimitOptions {
  /** Request weight per minute and IP; 0 disables weight limiting. */
  weightPerMinute: number;
  /** New orders per 10 s and account; 0 disables. */
  ordersPer10s: number;
  /** New orders per day and account; 0 disables. */
  ordersPerDay: number;
  /** 429 replies within one minute window after which the IP is banned (418). */
  banAfter429: number;
  /** First ban length; doubles for each repeat offence (Binance: 2 minutes to 3 days). */
  banMs: number;
}

/** Binance's numbers. */
export const BINANCE_LIMITS: Readonly<RateLimitOptions> = Object.freeze({
  weightPerMinute: 6000,
  ordersPer10s: 100,
  ordersPerDay: 200_000,
  banAfter429: 5,
  banMs: 120_000,
});

/**
 * Limits for throughput runs: 100 000 weight and orders per second sustained (6 000 000 weight per
 * minute, 1 000 000 orders per 10 s, 1 000 000 000 per day). An engine that reads them from
 * `exchangeInfo` budgets accordingly, so a benchmark needs no engine-side config.
 */
export const HIGH_LIMITS: Readonly<RateLimitOptions> = Object.freeze({
  weightPerMinute: 6_000_000,
  ordersPer10s: 1_000_000,
  ordersPerDay: 1_000_000_000,
  banAfter429: 5,
  banMs: 120_000,
});

/** No rate limiting at all (and none advertised in `exchangeInfo`). */
export const NO_LIMITS: Readonly<RateLimitOptions> = Object.freeze({ ...BINANCE_LIMITS, weightPerMinute: 0, ordersPer10s: 0, ordersPerDay: 0 });

/** The simulator's named rate-limit presets (`bot4 sim --rate-limits`, daemon `sim.rateLimits`). */
export const RATE_LIMIT_PRESETS = Object.freeze({ off: NO_LIMITS, binance: BINANCE_LIMITS, high: HIGH_LIMITS });

/** Name of a rate-limit preset. */
export type RateLimitPreset = keyof typeof RATE_LIMIT_PRESETS;

/** Preset names, in the order help texts list them. */
export const RATE_LIMIT_PRESET_NAMES = Object.freeze(['off', 'binance', 'high'] as const);

/**
 * `exchangeInfo.rateLimits` for `opts`, in Binance's format; a disabled (0) limit is not listed,
 * as a venue lists only the limits it enforces.
 */
export function advertisedRateLimits(opts: RateLimitOptions): { rateLimitType: string; interval: string; intervalNum: number; limit: number }[] {
  const out: { rateLimitType: string; interval: string; intervalNum: number; limit: number }[] = [];
  if (opts.weightPerMinute > 0) out.push({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: opts.weightPerMinute });
  if (opts.ordersPer10s > 0) out.push({ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: opts.ordersPer10s });
  if (opts.ordersPerDay > 0) out.push({ rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: opts.ordersPerDay });
  return out;
}

/** Outcome of charging a request. `status` 0 means allowed. */
export interface RateVerdict {
  status: 0 | 429 | 418;
  usedWeight: number;
  retryAfterSec: number;
  code: number;
  msg: string;
  orders10s: number;
  ordersDay: number;
}

interface IpState {
  window: number;
  weight: number;
  rejects: number;
  bannedUntil: number;
  bans: number;
}

interface OrderState {
  window10s: number;
  count10s: number;
  day: number;
  countDay: number;
}

/**
 * Fixed-window counters like Binance's: weight per IP per wall-clock minute, orders per account per
 * 10 s and per UTC day. Exceeding answers 429 with `Retry-After`; continuing to send after 429s
 * gets the IP banned with 418 for a growing period.
 */
export class RateLimiter {
  private readonly ips = new Map<string, IpState>();
  private readonly orders = new Map<string, OrderState>();
  private readonly verdict: RateVerdict = { status: 0, usedWeight: 0, retryAfterSec: 0, code: 0, msg: '', orders10s: 0, ordersDay: 0 };

  constructor(public opts: RateLimitOptions) {}

  /** Forgets all counters and bans. */
  reset(): void {
    this.ips.clear();
    this.orders.clear();
  }

  /**
   * Charges `weight` to `ip` (and one order to `account` when `isOrder`) at `now` (epoch ms). The
   * returned object is reused by the next call: read it at once.
   */
  charge(ip: string, weight: number, now: number, account: string | undefined, isOrder: boolean): RateVerdict {
    const v = this.verdict;
    v.status = 0;
    v.retryAfterSec = 0;
    v.code = 0;
    v.msg = '';
    const window = Math.floor(now / 60_000);
    let s = this.ips.get(ip);
    if (s === undefined) {
      s = { window, weight: 0, rejects: 0, bannedUntil: 0, bans: 0 };
      this.ips.set(ip, s);
    }
    if (s.window !== window) {
      s.window = window;
      s.weight = 0;
      s.rejects = 0;
    }
    if (s.bannedUntil > now) {
      v.status = 418;
      v.retryAfterSec = Math.ceil((s.bannedUntil - now) / 1000);
      v.code = -1003;
      v.msg = `Way too much request weight used; IP banned until ${s.bannedUntil}. Please use WebSocket Streams for live updates to avoid bans.`;
      v.usedWeight = s.weight;
      return v;
    }
    s.weight += weight;
    v.usedWeight = s.weight;
    const lim = this.opts.weightPerMinute;
    if (lim > 0 && s.weight > lim) {
      s.rejects++;
      if (s.rejects > this.opts.banAfter429) {
        s.bannedUntil = now + this.opts.banMs * 2 ** Math.min(s.bans, 11);
        s.bans++;
        v.status = 418;
        v.retryAfterSec = Math.ceil((s.bannedUntil - now) / 1000);
        v.code = -1003;
        v.msg = `Way too much request weight used; IP banned until ${s.bannedUntil}. Please use WebSocket Streams for live updates to avoid bans.`;
        return v;
      }
      v.status = 429;
      v.retryAfterSec = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
      v.code = -1003;
      v.msg = `Too much request weight used; current limit is ${lim} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`;
      return v;
    }
    if (isOrder && account !== undefined) {
      const w10 = Math.floor(now / 10_000);
      const day = Math.floor(now / 86_400_000);
      let o = this.orders.get(account);
      if (o === undefined) {
        o = { window10s: w10, count10s: 0, day, countDay: 0 };
        this.orders.set(account, o);
      }
      if (o.window10s !== w10) {
        o.window10s = w10;
        o.count10s = 0;
      }
      if (o.day !== day) {
        o.day = day;
        o.countDay = 0;
      }
      o.count10s++;
      o.countDay++;
      v.orders10s = o.count10s;
      v.ordersDay = o.countDay;
      if (this.opts.ordersPer10s > 0 && o.count10s > this.opts.ordersPer10s) {
        v.status = 429;
        v.retryAfterSec = Math.max(1, Math.ceil(((w10 + 1) * 10_000 - now) / 1000));
        v.code = -1015;
        v.msg = `Too many new orders; current limit is ${this.opts.ordersPer10s} orders per 10 SECOND.`;
      } else if (this.opts.ordersPerDay > 0 && o.countDay > this.opts.ordersPerDay) {
        v.status = 429;
        v.retryAfterSec = Math.max(1, Math.ceil(((day + 1) * 86_400_000 - now) / 1000));
        v.code = -1015;
        v.msg = `Too many new orders; current limit is ${this.opts.ordersPerDay} orders per 1 DAY.`;
      }
    }
    return v;
  }
}
