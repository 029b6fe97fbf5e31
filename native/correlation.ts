import { InvalidArgumentError } from '../common/errors.js';
import { CorrelationInputError, NativeUnavailableError } from './errors.js';
import { announceNative, nativeBinding, nativeSimdInfo } from './loader.js';

/**
 * Pearson correlation matrices of `series` rows of `window` samples.
 *
 * Conventions (shared by the native kernels and the TS twin):
 * - input is series-major: row i is `data[i*window .. (i+1)*window)`; output is row-major
 *   `series × series`, symmetric, clamped to [-1, 1], diagonal exactly 1;
 * - a zero-variance series (every sample equal) has no correlation: its whole row and column,
 *   diagonal included, are NaN — never 0 or ±Infinity;
 * - non-finite samples are rejected (`B4_CORR_NON_FINITE`), never propagated.
 */

/** The addon's correlation entry point (native/correlation.c). */
interface CorrelationBinding {
  correlation(data: Float64Array, series: number, window: number, out: Float64Array, kernel: number): number;
  setSimd(enabled: boolean): string;
  rollingBind(co: Float64Array, vec: Float64Array, series: number): ((full: boolean) => void) | number;
}

const binding: CorrelationBinding | null =
  nativeBinding && nativeSimdInfo() !== null ? (nativeBinding as unknown as CorrelationBinding) : null;

/** Kernel selector understood by the C side. */
const KERNEL = { current: 0, scalar: 1, simd: 2 } as const;

/** C status codes (native/correlation.c) → error codes. Index = status. */
const STATUS_CODES = [
  undefined,
  'B4_CORR_LENGTH_MISMATCH',
  'B4_CORR_TOO_FEW_SERIES',
  'B4_CORR_TOO_FEW_SAMPLES',
  'B4_CORR_NON_FINITE',
  'B4_CORR_OUT_LENGTH',
] as const;
const STATUS_BAD_ARGUMENT = 6;
const STATUS_NO_MEMORY = 7;

/** True when `correlationMatrix` runs the native kernels (false: the TS twin). */
export const nativeCorrelationLoaded: boolean = binding !== null;

let announced = false;

/**
 * Pearson correlation matrix of `series` rows of `window` samples, on the native kernels when the
 * addon is loaded (AVX2+FMA, NEON or scalar C; see `nativeInfo()`), otherwise on the TS twin.
 *
 * @param data series-major samples, length `series * window`
 * @param series number of series (>= 2)
 * @param window samples per series (>= 2)
 * @param out optional `series * series` buffer to fill (reuse it to avoid allocating)
 * @returns `out` (or a new array): row-major, symmetric, NaN rows/columns for zero-variance series
 * @throws {CorrelationInputError} B4_CORR_TOO_FEW_SERIES, B4_CORR_TOO_FEW_SAMPLES,
 *   B4_CORR_LENGTH_MISMATCH, B4_CORR_OUT_LENGTH, B4_CORR_NON_FINITE
 * @throws {InvalidArgumentError} when `data`/`out` is not a Float64Array or a size is not an integer
 *
 * @example
 * const m = correlationMatrix(new Float64Array([1, 2, 3, 2, 4, 6.5]), 2, 3); // [1, r, r, 1]
 */
export function correlationMatrix(data: Float64Array, series: number, window: number, out?: Float64Array): Float64Array {
  if (!announced) {
    announced = true;
    announceNative('correlation');
  }
  if (binding === null) return correlationMatrixTs(data, series, window, out);
  return runNative(binding, data, series, window, out, KERNEL.current);
}

/**
 * The native kernels with an explicit path, for tests and benchmarks that compare paths in one
 * process. `'simd'` is the best the CPU has (AVX2+FMA or NEON; scalar C if neither).
 *
 * @throws {NativeUnavailableError} when the addon is not loaded (BOT4_NATIVE=0 or no build)
 */
export function correlationMatrixNative(
  data: Float64Array,
  series: number,
  window: number,
  out: Float64Array | undefined,
  kernel: 'simd' | 'scalar',
): Float64Array {
  if (binding === null) throw new NativeUnavailableError('correlationMatrixNative: the native addon is not loaded');
  return runNative(binding, data, series, window, out, kernel === 'simd' ? KERNEL.simd : KERNEL.scalar);
}

function runNative(
  b: CorrelationBinding,
  data: Float64Array,
  series: number,
  window: number,
  out: Float64Array | undefined,
  kernel: number,
): Float64Array {
  const o = validate(data, series, window, out);
  const status = b.correlation(data, series, window, o, kernel);
  if (status !== 0) throw statusError(status, data, series, window);
  return o;
}

function statusError(status: number, data: Float64Array, series: number, window: number): Error {
  if (status === 4) return nonFinite(data, window);
  const code = STATUS_CODES[status];
  if (code) return new CorrelationInputError(code, `correlationMatrix: native kernel rejected the input (${code})`, { series, window });
  if (status === STATUS_NO_MEMORY) return new RangeError(`correlationMatrix: out of memory for ${series}×${window} scratch`);
  if (status === STATUS_BAD_ARGUMENT) return new InvalidArgumentError('correlationMatrix: native kernel rejected its arguments', { series, window });
  return new Error(`correlationMatrix: unexpected native status ${status}`);
}

/** Shape checks shared by every path; returns the output buffer. */
function validate(data: Float64Array, series: number, window: number, out: Float64Array | undefined): Float64Array {
  if (!(data instanceof Float64Array)) {
    throw new InvalidArgumentError(`correlationMatrix: data: expected a Float64Array, got ${describe(data)}`);
  }
  if (!Number.isSafeInteger(series)) throw new InvalidArgumentError(`correlationMatrix: series: expected an integer, got ${String(series)}`);
  if (!Number.isSafeInteger(window)) throw new InvalidArgumentError(`correlationMatrix: window: expected an integer, got ${String(window)}`);
  if (series < 2) {
    throw new CorrelationInputError('B4_CORR_TOO_FEW_SERIES', `correlationMatrix: series: expected >= 2, got ${series}`, { series });
  }
  if (window < 2) {
    throw new CorrelationInputError('B4_CORR_TOO_FEW_SAMPLES', `correlationMatrix: window: expected >= 2 samples, got ${window}`, { window });
  }
  if (data.length !== series * window) {
    throw new CorrelationInputError(
      'B4_CORR_LENGTH_MISMATCH',
      `correlationMatrix: data.length: expected series × window = ${series * window}, got ${data.length}`,
      { series, window, length: data.length },
    );
  }
  if (out === undefined) return new Float64Array(series * series);
  if (!(out instanceof Float64Array)) throw new InvalidArgumentError(`correlationMatrix: out: expected a Float64Array, got ${describe(out)}`);
  if (out.length !== series * series) {
    throw new CorrelationInputError(
      'B4_CORR_OUT_LENGTH',
      `correlationMatrix: out.length: expected series² = ${series * series}, got ${out.length}`,
      { series, length: out.length },
    );
  }
  return out;
}

function nonFinite(data: Float64Array, window: number): CorrelationInputError {
  let at = 0;
  while (at < data.length && Number.isFinite(data[at]!)) at++;
  const series = Math.floor(at / window);
  const sample = at % window;
  return new CorrelationInputError(
    'B4_CORR_NON_FINITE',
    `correlationMatrix: data[${at}] (series ${series}, sample ${sample}): expected a finite number, got ${String(data[at])}`,
    { series, sample },
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

// Reused between calls so the TS twin allocates only when a larger shape arrives.
let scratch = new Float64Array(0);

/**
 * The pure-TS twin of the native kernels: same conventions, same algorithm (centre each row,
 * upper-triangle Gram matrix of the centred rows, scale by the centred norms, clamp, mirror).
 * Used when the addon is not loaded; exported so tests can compare it with the native paths.
 */
export function correlationMatrixTs(data: Float64Array, series: number, window: number, out?: Float64Array): Float64Array {
  const o = validate(data, series, window, out);
  const n = series;
  const w = window;
  if (scratch.length < n * w + n) scratch = new Float64Array(n * w + n);
  const xc = scratch;
  const invOff = n * w;
  for (let i = 0; i < n; i++) {
    const base = i * w;
    const first = data[base]!;
    let s = 0;
    let same = true;
    for (let k = 0; k < w; k++) {
      const v = data[base + k]!;
      s += v;
      if (v !== first) same = false;
    }
    if (!Number.isFinite(s) || s !== s) {
      // An overflowing sum of finite values is not a non-finite input; look before blaming it.
      for (let k = 0; k < w; k++) if (!Number.isFinite(data[base + k]!)) throw nonFinite(data, w);
    }
    const mean = s / w;
    let ss = 0;
    for (let k = 0; k < w; k++) {
      const c = data[base + k]! - mean;
      xc[base + k] = c;
      ss += c * c;
    }
    xc[invOff + i] = same || !(ss > 0) ? NaN : 1 / Math.sqrt(ss);
  }
  for (let i = 0; i < n; i++) {
    const a = i * w;
    const si = xc[invOff + i]!;
    o[i * n + i] = si !== si ? NaN : 1;
    for (let j = i + 1; j < n; j++) {
      const b = j * w;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 4 <= w; k += 4) {
        s0 += xc[a + k]! * xc[b + k]!;
        s1 += xc[a + k + 1]! * xc[b + k + 1]!;
        s2 += xc[a + k + 2]! * xc[b + k + 2]!;
        s3 += xc[a + k + 3]! * xc[b + k + 3]!;
      }
      for (; k < w; k++) s0 += xc[a + k]! * xc[b + k]!;
      let v = (s0 + s1 + (s2 + s3)) * si * xc[invOff + j]!;
      v = v > 1 ? 1 : v < -1 ? -1 : v;
      o[i * n + j] = v;
      o[j * n + i] = v;
    }
  }
  return o;
}

/**
 * Binds the native rolling co-moment update to `co` (series × series) and `vec` (dIn, dOut, eIn,
 * eOut, 4 × series); see RollingCorrelation. Null when the addon is not loaded.
 * @internal
 */
export function nativeRollingBind(co: Float64Array, vec: Float64Array, series: number): ((full: boolean) => void) | null {
  if (binding === null || typeof binding.rollingBind !== 'function') return null;
  const r = binding.rollingBind(co, vec, series);
  if (typeof r === 'number') throw statusError(r, co, series, series);
  return r;
}

/**
 * Turns the native SIMD kernels on or off for this thread (off = scalar C), e.g. to compare paths
 * at run time. No effect on the TS twin.
 *
 * @returns the active path afterwards (`'avx2'`, `'neon'`, `'scalar'`), or `'ts'` without the addon
 */
export function setSimdEnabled(enabled: boolean): 'avx2' | 'neon' | 'scalar' | 'ts' {
  if (binding === null) return 'ts';
  return binding.setSimd(enabled) as 'avx2' | 'neon' | 'scalar';
}
