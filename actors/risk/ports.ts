/**
 * The small structural interfaces the risk engine consumes, so it depends on behaviour rather
 * than on concrete classes: `AtomicCounters` (native/atomic-counters.ts) satisfies
 * {@link CounterBlock}, `CircuitBreaker` (circuit-breaker.ts) satisfies {@link BreakerView} and
 * `RollingCorrelation` (native/rolling-correlation.ts) satisfies {@link CorrelationSource}.
 */

/**
 * A block of 64-bit integer slots with atomic operations, possibly shared between workers (a
 * SharedArrayBuffer) or processes (a shared file mapping). Values are safe integers.
 */
export interface CounterBlock {
  /** Atomically adds `delta` to `slot` and returns the previous value. */
  add(slot: number, delta: number): number;
  /** Atomically reads `slot`. */
  load(slot: number): number;
  /** Atomically writes `slot`. */
  store(slot: number, value: number): void;
  /** Writes `replacement` when `slot` holds `expected`; returns the value held before (=== expected on success). */
  compareExchange(slot: number, expected: number, replacement: number): number;
}

/** What the risk engine reads of a venue's circuit breaker. */
export interface BreakerView {
  /** `'open'` means the venue is unavailable; `'closed'` and `'half-open'` let orders through. */
  readonly state: string;
}

/** A live correlation matrix (series × series, row-major). */
export interface CorrelationSource {
  /** Number of series (rows and columns of the matrix). */
  readonly series: number;
  /** Writes the current matrix into `out` (length series²) and returns it. */
  matrix(out?: Float64Array): Float64Array;
}
