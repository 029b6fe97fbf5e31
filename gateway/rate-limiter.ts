import type { Clock } from '../common/clock.js';

/**
 * Token bucket for one connection: `burst` tokens, refilled at `perSec` tokens per second of the
 * injected clock. Plain numbers, no allocation per call.
 */
export class TokenBucket {
  private tokens: number;
  private lastNs: number;

  constructor(
    private readonly clock: Clock,
    private readonly perSec: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.lastNs = clock.nowNs();
  }

  /** Takes one token; false when the bucket is empty (the message is over the rate). */
  take(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Tokens currently available (fractional). */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.nowNs();
    const elapsed = now - this.lastNs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSec) / 1e9);
      this.lastNs = now;
    }
  }
}
