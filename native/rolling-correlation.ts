import { InvalidArgumentError } from '../common/errors.js';
import { parseOptions, z } from '../common/validate.js';
import { nativeRollingBind } from './correlation.js';
import { CorrelationInputError, NativeUnavailableError } from './errors.js';

/** Options of {@link RollingCorrelation}. */
export interface RollingCorrelationOptions {
  /**
   * Recompute the co-moments exactly from the window every this many pushes (0 = never).
   * Default 65 536: for 50 series × 1000 samples one recompute costs about 1–2 ms, i.e. ~25 ns
   * amortised per push.
   */
  resyncEvery?: number;
  /**
   * Where the O(series²) co-moment update runs: `'auto'` (native when the addon is loaded, else
   * TS), `'native'` (throws NativeUnavailableError without the addon) or `'ts'`. Both give
   * bit-identical results (same operations in the same order, no FMA contraction).
   */
  implementation?: 'auto' | 'native' | 'ts';
}

/** Defaults of {@link RollingCorrelationOptions}. */
export const ROLLING_CORRELATION_DEFAULTS = Object.freeze({ resyncEvery: 65_536, implementation: 'auto' as const });

const optionsSchema = z
  .object({
    resyncEvery: z.number().int().min(0).default(ROLLING_CORRELATION_DEFAULTS.resyncEvery),
    implementation: z.enum(['auto', 'native', 'ts']).default(ROLLING_CORRELATION_DEFAULTS.implementation),
  })
  .strict();

/**
 * If a series' co-moment Σ(x−x̄)² falls below this fraction of its peak since the last exact
 * recompute, most of its significant digits were cancelled away (a spike left the window, or the
 * series went flat): recompute exactly before answering.
 */
const CANCELLATION_RATIO = 2 ** -20;

/**
 * Pearson correlation of `series` series over a sliding window of the last `window` samples,
 * updated in O(series²) per {@link push}.
 *
 * Drift strategy (three layers):
 * 1. Shifted data: every sample is taken relative to a per-series reference K_i (the first sample,
 *    re-chosen as the mean at each exact recompute), so prices like 30 000 ± 20 are handled as
 *    ±20 and the rounding of the means is relative to the spread, not to the price level.
 * 2. The means come from Neumaier-compensated running sums of the shifted samples (no random walk
 *    in the means), and the co-moments are centred sums C_ij = Σ(x_i − x̄_i)(x_j − x̄_j) (never
 *    Σxy − n·x̄ȳ) updated with the Welford-style replace step
 *    C_ij += (x_i − x̄_i)(x_j − x̄'_j) − (y_i − x̄_i)(y_j − x̄'_j), y leaving, x̄' the new mean.
 * 3. An exact two-pass recompute from the ring buffer every `resyncEvery` pushes, and at once when
 *    a variance loses 20 bits to cancellation (a spike left the window, a series went flat).
 * The tests check 10⁶ pushes (no periodic recompute) against a full recompute to 1e-9.
 *
 * Before the window is full the matrix uses the samples present (needs at least 2); with fewer it
 * is all NaN. A series whose samples in the window are all equal has NaN for its whole row and
 * column, diagonal included — the same convention as `correlationMatrix`.
 *
 * `push` allocates nothing and throws only on bad input.
 *
 * @example
 * const rc = new RollingCorrelation(3, 100);
 * rc.push(new Float64Array([101.5, 20.1, 3.3])); // one sample per series, e.g. per tick
 * const m = rc.matrix(); // 3×3 row-major
 */
export class RollingCorrelation {
  /** Number of series. */
  readonly series: number;
  /** Samples per series in the window. */
  readonly window: number;
  private readonly resyncEvery: number;
  /** Ring buffer, sample-major: slot s holds ring[s*series .. (s+1)*series). */
  private readonly ring: Float64Array;
  private readonly mean: Float64Array;
  /** Per-series shift K_i, and the compensated sum (sum + comp) of the shifted samples. */
  private readonly ref: Float64Array;
  private readonly sum: Float64Array;
  private readonly comp: Float64Array;
  /** Upper triangle (j >= i) of the co-moment matrix, row-major series × series. */
  private readonly co: Float64Array;
  /** Peak of each C_ii since the last exact recompute (cancellation guard). */
  private readonly peak: Float64Array;
  /** Consecutive equal samples ending at the newest, per series (exact zero-variance test). */
  private readonly run: Float64Array;
  /** dIn, dOut, eIn, eOut back to back (the native update reads them from one buffer). */
  private readonly vec: Float64Array;
  /** Native O(series²) update bound to `co` and `vec`, or null for the TS loop. */
  private readonly nativeUpdate: ((full: boolean) => void) | null;
  /** Which implementation runs the co-moment update. */
  readonly implementation: 'native' | 'ts';
  private readonly dIn: Float64Array;
  private readonly dOut: Float64Array;
  private readonly eIn: Float64Array;
  private readonly eOut: Float64Array;
  private head = 0;
  private n = 0;
  private sinceResync = 0;

  /**
   * @param series number of series (>= 2)
   * @param window samples per series kept in the window (>= 2)
   * @param options see {@link RollingCorrelationOptions}
   * @throws {CorrelationInputError} B4_CORR_TOO_FEW_SERIES / B4_CORR_TOO_FEW_SAMPLES
   * @throws {InvalidArgumentError} when `series` or `window` is not an integer
   * @throws {ConfigError} for a bad option
   */
  constructor(series: number, window: number, options?: RollingCorrelationOptions) {
    if (!Number.isSafeInteger(series)) throw new InvalidArgumentError(`RollingCorrelation: series: expected an integer, got ${String(series)}`);
    if (!Number.isSafeInteger(window)) throw new InvalidArgumentError(`RollingCorrelation: window: expected an integer, got ${String(window)}`);
    if (series < 2) throw new CorrelationInputError('B4_CORR_TOO_FEW_SERIES', `RollingCorrelation: series: expected >= 2, got ${series}`, { series });
    if (window < 2) throw new CorrelationInputError('B4_CORR_TOO_FEW_SAMPLES', `RollingCorrelation: window: expected >= 2, got ${window}`, { window });
    const opts = parseOptions(optionsSchema, options, 'rollingCorrelation');
    this.series = series;
    this.window = window;
    this.resyncEvery = opts.resyncEvery;
    this.ring = new Float64Array(series * window);
    this.mean = new Float64Array(series);
    this.ref = new Float64Array(series);
    this.sum = new Float64Array(series);
    this.comp = new Float64Array(series);
    this.co = new Float64Array(series * series);
    this.peak = new Float64Array(series);
    this.run = new Float64Array(series);
    this.vec = new Float64Array(4 * series);
    this.dIn = this.vec.subarray(0, series);
    this.dOut = this.vec.subarray(series, 2 * series);
    this.eIn = this.vec.subarray(2 * series, 3 * series);
    this.eOut = this.vec.subarray(3 * series, 4 * series);
    this.nativeUpdate = opts.implementation === 'ts' ? null : nativeRollingBind(this.co, this.vec, series);
    if (opts.implementation === 'native' && this.nativeUpdate === null) {
      throw new NativeUnavailableError("RollingCorrelation: implementation 'native' requested but the native addon is not loaded");
    }
    this.implementation = this.nativeUpdate ? 'native' : 'ts';
  }

  /** Samples per series currently in the window (0 … window). */
  get count(): number {
    return this.n;
  }

  /**
   * Adds one sample per series (`sample[i]` for series i); once the window is full, the oldest
   * sample of each series leaves it. O(series²), no allocation.
   *
   * @throws {CorrelationInputError} B4_CORR_LENGTH_MISMATCH (sample.length !== series) or
   *   B4_CORR_NON_FINITE; the state is unchanged when it throws
   */
  push(sample: Float64Array): void {
    const n = this.series;
    if (sample.length !== n) {
      throw new CorrelationInputError(
        'B4_CORR_LENGTH_MISMATCH',
        `RollingCorrelation.push: sample.length: expected ${n}, got ${sample.length}`,
        { series: n, length: sample.length },
      );
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(sample[i]!)) {
        throw new CorrelationInputError(
          'B4_CORR_NON_FINITE',
          `RollingCorrelation.push: sample[${i}]: expected a finite number, got ${String(sample[i])}`,
          { series: i },
        );
      }
    }
    const { ring, mean, ref, sum, comp, co, dIn, dOut, eIn, eOut, run } = this;
    const slot = this.head * n;
    const full = this.n === this.window;
    const newestSlot = (this.head === 0 ? this.window - 1 : this.head - 1) * n;
    if (this.n === 0) for (let i = 0; i < n; i++) ref[i] = sample[i]!;
    if (full) {
      const w = this.window;
      for (let i = 0; i < n; i++) {
        const k = ref[i]!;
        const x = sample[i]! - k;
        const y = ring[slot + i]! - k;
        const m = mean[i]!;
        // Neumaier: add x, subtract y, keeping the rounding error of each step in comp.
        let s0 = sum[i]!;
        let t = s0 + x;
        let c = comp[i]! + (Math.abs(s0) >= Math.abs(x) ? s0 - t + x : x - t + s0);
        s0 = t;
        t = s0 - y;
        c += Math.abs(s0) >= Math.abs(y) ? s0 - t - y : -y - t + s0;
        sum[i] = t;
        comp[i] = c;
        const m2 = (t + c) / w;
        dIn[i] = x - m;
        dOut[i] = y - m;
        eIn[i] = x - m2;
        eOut[i] = y - m2;
        mean[i] = m2;
      }
      if (this.nativeUpdate) this.nativeUpdate(true);
      else {
        for (let i = 0; i < n; i++) {
          const a = dIn[i]!;
          const b = dOut[i]!;
          const row = i * n;
          for (let j = i; j < n; j++) co[row + j] = co[row + j]! + (a * eIn[j]! - b * eOut[j]!);
        }
      }
    } else {
      const cnt = this.n + 1;
      for (let i = 0; i < n; i++) {
        const x = sample[i]! - ref[i]!;
        const m = mean[i]!;
        const s0 = sum[i]!;
        const t = s0 + x;
        const c = comp[i]! + (Math.abs(s0) >= Math.abs(x) ? s0 - t + x : x - t + s0);
        sum[i] = t;
        comp[i] = c;
        const m2 = (t + c) / cnt;
        dIn[i] = x - m;
        eIn[i] = x - m2;
        mean[i] = m2;
      }
      if (this.nativeUpdate) this.nativeUpdate(false);
      else {
        for (let i = 0; i < n; i++) {
          const a = dIn[i]!;
          const row = i * n;
          for (let j = i; j < n; j++) co[row + j] = co[row + j]! + a * eIn[j]!;
        }
      }
      this.n = cnt;
    }
    let cancelled = false;
    for (let i = 0; i < n; i++) {
      const x = sample[i]!;
      run[i] = this.n > 1 && ring[newestSlot + i] === x ? run[i]! + 1 : 1;
      ring[slot + i] = x;
      const d = co[i * n + i]!;
      const p = this.peak[i]!;
      if (d > p) this.peak[i] = d;
      else if (p > 0 && d < p * CANCELLATION_RATIO) cancelled = true;
    }
    this.head = this.head + 1 === this.window ? 0 : this.head + 1;
    this.sinceResync++;
    if (cancelled || (this.resyncEvery > 0 && this.sinceResync >= this.resyncEvery)) this.resync();
  }

  /**
   * The current correlation matrix (row-major `series × series`, clamped to [-1, 1]). All NaN
   * while fewer than 2 samples were pushed; NaN row and column for a zero-variance series.
   *
   * @param out optional `series * series` buffer to fill
   * @throws {CorrelationInputError} B4_CORR_OUT_LENGTH when `out` has the wrong length
   */
  matrix(out?: Float64Array): Float64Array {
    const n = this.series;
    if (out !== undefined && out.length !== n * n) {
      throw new CorrelationInputError('B4_CORR_OUT_LENGTH', `RollingCorrelation.matrix: out.length: expected ${n * n}, got ${out.length}`, {
        series: n,
        length: out.length,
      });
    }
    const o = out ?? new Float64Array(n * n);
    if (this.n < 2) return o.fill(NaN);
    const inv = this.eOut; // scratch: not needed between pushes
    for (let i = 0; i < n; i++) {
      const d = this.co[i * n + i]!;
      inv[i] = this.run[i]! >= this.n || !(d > 0) ? NaN : 1 / Math.sqrt(d);
    }
    for (let i = 0; i < n; i++) {
      const si = inv[i]!;
      o[i * n + i] = si !== si ? NaN : 1;
      for (let j = i + 1; j < n; j++) {
        let v = this.co[i * n + j]! * si * inv[j]!;
        v = v > 1 ? 1 : v < -1 ? -1 : v;
        o[i * n + j] = v;
        o[j * n + i] = v;
      }
    }
    return o;
  }

  /**
   * Recomputes the means and co-moments exactly (two-pass) from the samples in the window.
   * Runs automatically (see the class notes); O(series² × window).
   */
  resync(): void {
    const n = this.series;
    const cnt = this.n;
    const { ring, mean, ref, sum, comp, co } = this;
    co.fill(0);
    sum.fill(0);
    comp.fill(0);
    mean.fill(0);
    this.sinceResync = 0;
    if (cnt === 0) {
      this.peak.fill(0);
      return;
    }
    // The samples present occupy slots [0, cnt) before the first wrap and all slots after it.
    // New shift: the plain mean of the raw samples, so the shifted samples are centred near 0.
    ref.fill(0);
    for (let s = 0; s < cnt; s++) for (let i = 0; i < n; i++) ref[i] = ref[i]! + ring[s * n + i]!;
    for (let i = 0; i < n; i++) ref[i] = ref[i]! / cnt;
    for (let s = 0; s < cnt; s++) {
      for (let i = 0; i < n; i++) {
        const x = ring[s * n + i]! - ref[i]!;
        const s0 = sum[i]!;
        const t = s0 + x;
        comp[i] = comp[i]! + (Math.abs(s0) >= Math.abs(x) ? s0 - t + x : x - t + s0);
        sum[i] = t;
      }
    }
    for (let i = 0; i < n; i++) mean[i] = (sum[i]! + comp[i]!) / cnt;
    const c = this.dIn;
    for (let s = 0; s < cnt; s++) {
      const base = s * n;
      for (let i = 0; i < n; i++) c[i] = ring[base + i]! - ref[i]! - mean[i]!;
      for (let i = 0; i < n; i++) {
        const a = c[i]!;
        const row = i * n;
        for (let j = i; j < n; j++) co[row + j] = co[row + j]! + a * c[j]!;
      }
    }
    for (let i = 0; i < n; i++) this.peak[i] = co[i * n + i]!;
  }

  /** Empties the window (count 0) without reallocating. */
  reset(): void {
    this.ring.fill(0);
    this.mean.fill(0);
    this.ref.fill(0);
    this.sum.fill(0);
    this.comp.fill(0);
    this.co.fill(0);
    this.peak.fill(0);
    this.run.fill(0);
    this.head = 0;
    this.n = 0;
    this.sinceResync = 0;
  }
}
