import type { Clock } from '../../common/clock.js';
import type { CounterBlock } from './ports.js';

/**
 * A set of GCRA (generic cell rate algorithm) limiters, one per key (strategy or venue index).
 * GCRA keeps one number per key, the theoretical arrival time (TAT): a request at `now` conforms
 * when `max(TAT, now) − now ≤ (burst − 1) × T` (T = 1 / rate), and then moves TAT to
 * `max(TAT, now) + T`. One number means no timers, no token refill and, for host-wide limits, a
 * single shared slot updated with compare-and-swap.
 *
 * Process-local keys keep TAT in a Float64Array in clock nanoseconds. Host-wide keys keep it in a
 * {@link CounterBlock} slot in integer microseconds of host time (clock epoch time, corrected to
 * the monotonic clock once at construction), because every process must agree on the time base
 * and `nowNs()` origins differ between processes; µs since 1970 (≈1.7e15) stays a safe integer.
 */
export class GcraSet {
  private readonly intervalNs: Float64Array;
  private readonly toleranceNs: Float64Array;
  private readonly tat: Float64Array;
  private readonly slot: Int32Array;
  private readonly intervalUs: Float64Array;
  private readonly toleranceUs: Float64Array;
  private readonly clock: Clock;
  private readonly block: CounterBlock | undefined;
  /** Host µs = offsetUs + nowNs / 1000. */
  private readonly offsetUs: number;

  /**
   * @param size number of keys
   * @param clock time source
   * @param block shared counters for host-wide keys (required if any key is host-wide)
   */
  constructor(size: number, clock: Clock, block?: CounterBlock) {
    this.clock = clock;
    this.block = block;
    this.intervalNs = new Float64Array(size);
    this.toleranceNs = new Float64Array(size);
    this.tat = new Float64Array(size);
    this.slot = new Int32Array(size).fill(-1);
    this.intervalUs = new Float64Array(size);
    this.toleranceUs = new Float64Array(size);
    this.offsetUs = Math.round(clock.epochMs() * 1000 - clock.nowNs() / 1000);
  }

  /** Sets key `i` to `perSecond` requests per second with bursts of `burst`; `slot` >= 0 makes it host-wide. */
  configure(i: number, perSecond: number, burst: number, slot = -1): void {
    this.intervalNs[i] = 1e9 / perSecond;
    this.toleranceNs[i] = (burst - 1) * (1e9 / perSecond);
    // Shared slots hold integers: round the interval up so the shared limit never exceeds the rate.
    this.intervalUs[i] = Math.ceil(1e6 / perSecond);
    this.toleranceUs[i] = (burst - 1) * this.intervalUs[i]!;
    this.slot[i] = slot;
  }

  /**
   * The caller's clock reading for {@link wouldAllowNow} / {@link takeNow}: the risk check writes
   * it here once per check instead of passing it as an argument (a double passed to a call V8 does
   * not inline is boxed: a heap number per call; issue 16).
   */
  readonly now = new Float64Array(1);


  /** Host time in integer microseconds at clock reading `nowNs` (default: now), common to every process on the host. */
  hostNowUs(nowNs = this.clock.nowNs()): number {
    return Math.floor(this.offsetUs + nowNs / 1000);
  }

  /** True when a request on key `i` at `nowNs` would conform (does not consume). */
  wouldAllow(i: number, nowNs: number): boolean {
    this.now[0] = nowNs;
    return this.wouldAllowNow(i);
  }

  /** {@link wouldAllow} at the time in {@link now}. */
  wouldAllowNow(i: number): boolean {
    const nowNs = this.now[0]!;
    const s = this.slot[i]!;
    if (s < 0) {
      const tat = this.tat[i]!;
      return (tat > nowNs ? tat : nowNs) - nowNs <= this.toleranceNs[i]!;
    }
    const now = this.hostNowUs(nowNs);
    const tat = this.block!.load(s);
    return (tat > now ? tat : now) - now <= this.toleranceUs[i]!;
  }

  /** Consumes one request on key `i` if it conforms; returns whether it did. Lock-free for shared keys. */
  take(i: number, nowNs: number): boolean {
    this.now[0] = nowNs;
    return this.takeNow(i);
  }

  /** {@link take} at the time in {@link now}. */
  takeNow(i: number): boolean {
    const nowNs = this.now[0]!;
    const s = this.slot[i]!;
    if (s < 0) {
      const tat = this.tat[i]!;
      const base = tat > nowNs ? tat : nowNs;
      if (base - nowNs > this.toleranceNs[i]!) return false;
      this.tat[i] = base + this.intervalNs[i]!;
      return true;
    }
    const block = this.block!;
    // The caller's reading of the clock, not a second one: one clock read per check (a read costs
    // tens of ns and, on Node 20's performance.now(), allocates).
    const now = this.hostNowUs(nowNs);
    const tol = this.toleranceUs[i]!;
    const t = this.intervalUs[i]!;
    // A failed CAS means another process moved TAT forward (it made progress), so retrying is
    // lock-free; the bound only guards against a pathological storm, and denying is the safe side.
    for (let attempt = 0; attempt < 64; attempt++) {
      const tat = block.load(s);
      const base = tat > now ? tat : now;
      if (base - now > tol) return false;
      if (block.compareExchange(s, tat, base + t) === tat) return true;
    }
    return false;
  }

  /** Nanoseconds until key `i` conforms again (0 if it does now). For denial details. */
  retryAfterNs(i: number, nowNs: number): number {
    const s = this.slot[i]!;
    if (s < 0) return Math.max(0, this.tat[i]! - nowNs - this.toleranceNs[i]!);
    const now = this.hostNowUs(nowNs);
    return Math.max(0, (this.block!.load(s) - now - this.toleranceUs[i]!) * 1000);
  }
}
