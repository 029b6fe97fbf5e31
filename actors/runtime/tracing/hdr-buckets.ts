import type * as hdr from 'hdr-histogram-js';

/** Sub-bucket magnitude of an HDR histogram with 3 significant digits and lowest value 1. */
const HALF_MAG = 10;
const HALF = 1 << HALF_MAG; // 1024
const FULL = HALF << 1; // 2048: values below are recorded exactly
/** Values below 2^32 take the fast path (`Math.clz32`); larger ones go straight to the HDR. */
const FAST_LIMIT = 4_294_967_296;
/** Slots for [0, 2^32): 2048 exact ones, then 1024 per power of two from 2^11 to 2^31. */
const SLOTS = FULL + (31 - HALF_MAG) * HALF;
/** Flush before any Uint32 slot could overflow. */
const FLUSH_AT = 0x7fff_ffff;

/**
 * A preallocated count array with exactly the bucket layout of an hdr-histogram-js histogram built
 * with `lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3` (unit resolution below 2048,
 * then 1024 sub-buckets per power of two), in front of such a histogram.
 *
 * Why: `recordValue` on the pure-JS HDR costs a method call, range and resize checks and an
 * index computation (measured ~10× this); the wasm build is faster but still crosses into wasm
 * per value. Here a value costs one `Math.clz32`, a shift and an increment, and because the
 * buckets coincide, {@link flush} (`recordValueWithCount` of each bucket's lowest value) loses
 * nothing: the HDR reports exactly what it would have if every value had been recorded in it.
 */
export class HdrBuckets {
  private counts: Uint32Array | undefined;
  private pending = 0;

  /** @param target the HDR histogram (3 significant digits, lowest 1) that {@link flush} fills */
  constructor(readonly target: hdr.Histogram) {}

  /** Records one value in ns (negative → 0, fractions rounded). */
  record(ns: number): void {
    if (!(ns < FAST_LIMIT)) {
      this.flush();
      this.target.recordValue(Math.round(ns));
      return;
    }
    const v = ns > 0 ? (ns + 0.5) >>> 0 : 0;
    const c = this.counts ?? this.alloc();
    if (v < FULL) {
      c[v]!++;
    } else {
      const shift = 31 - Math.clz32(v) - HALF_MAG; // >= 1
      c[FULL + (shift - 1) * HALF + ((v >>> shift) - HALF)]!++;
    }
    if (++this.pending >= FLUSH_AT) this.flush();
  }

  /** Moves the counts into the HDR histogram. */
  flush(): void {
    const c = this.counts;
    if (c === undefined || this.pending === 0) return;
    const h = this.target;
    for (let i = 0; i < SLOTS; i++) {
      const n = c[i]!;
      if (n === 0) continue;
      c[i] = 0;
      if (i < FULL) {
        h.recordValueWithCount(i, n);
      } else {
        const j = i - FULL;
        const shift = (j >>> HALF_MAG) + 1;
        h.recordValueWithCount(((j & (HALF - 1)) + HALF) * 2 ** shift, n);
      }
    }
    this.pending = 0;
  }

  /** Drops unflushed counts (the caller resets the HDR itself). */
  clear(): void {
    this.counts?.fill(0);
    this.pending = 0;
  }

  private alloc(): Uint32Array {
    // Allocated on the first value: actors that never handle anything cost nothing.
    this.counts = new Uint32Array(SLOTS);
    return this.counts;
  }
}
