import type { Clock } from '../common/clock.js';

interface Bucket {
  tokens: number;
  lastNs: number;
}

/**
 * Failed authentications per client IP: a token bucket of `burst` failures refilled at `perMin`
 * per minute of the injected clock. While an IP's bucket is empty every authentication from it
 * (at the upgrade or with `authenticate`) is refused with `GW_AUTH_THROTTLED` before the token is
 * even looked at, so guessing runs at `perMin` tries a minute however many connections it opens.
 *
 * Memory is bounded: at most `maxTracked` addresses are kept; refilled buckets are forgotten first,
 * then the oldest.
 */
export class AuthThrottle {
  private readonly byIp = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly perMin: number,
    private readonly burst: number,
    private readonly maxTracked = 10_000,
  ) {}

  /** Milliseconds until `ip` may try again; 0 when it may try now. */
  retryAfterMs(ip: string): number {
    const b = this.refilled(ip);
    if (b === undefined || b.tokens >= 1) return 0;
    return Math.ceil(((1 - b.tokens) * 60_000) / this.perMin);
  }

  /** Records one failed authentication from `ip`. */
  failure(ip: string): void {
    const b = this.refilled(ip) ?? { tokens: this.burst, lastNs: this.clock.nowNs() };
    b.tokens = Math.max(0, b.tokens - 1);
    this.byIp.delete(ip); // re-insert: Map order is then least recently failed first
    this.byIp.set(ip, b);
    if (this.byIp.size > this.maxTracked) this.prune();
  }

  /** Addresses currently tracked (for tests and metrics). */
  get tracked(): number {
    return this.byIp.size;
  }

  private refilled(ip: string): Bucket | undefined {
    const b = this.byIp.get(ip);
    if (b === undefined) return undefined;
    const now = this.clock.nowNs();
    const elapsed = now - b.lastNs;
    if (elapsed > 0) {
      b.tokens = Math.min(this.burst, b.tokens + (elapsed * this.perMin) / 60e9);
      b.lastNs = now;
    }
    return b;
  }

  private prune(): void {
    for (const ip of [...this.byIp.keys()]) {
      if ((this.refilled(ip)?.tokens ?? this.burst) >= this.burst) this.byIp.delete(ip);
    }
    for (const ip of this.byIp.keys()) {
      if (this.byIp.size <= this.maxTracked) break;
      this.byIp.delete(ip);
    }
  }
}
