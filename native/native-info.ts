import { nativeBinding, simdStatus, type SimdPath } from './loader.js';

/** What {@link nativeInfo} reports. */
export interface NativeInfo {
  /** True when the N-API addon (with its correlation kernels) is loaded. */
  loaded: boolean;
  /** The live kernel path: `avx2`/`neon` SIMD, the `scalar` C twin, or the pure-`ts` twin. */
  simd: SimdPath;
  /** Why that path is live (e.g. `BOT4_SIMD=0 forces the scalar C path`, or the load failure). */
  reason?: string;
}

/**
 * Which implementation of the native primitives is live and why (like `sharp.simd()`).
 * `BOT4_NATIVE=0` → `{ loaded: false, simd: 'ts' }`; `BOT4_SIMD=0` → `simd: 'scalar'`.
 *
 * @example
 * const { loaded, simd, reason } = nativeInfo(); // { loaded: true, simd: 'avx2', reason: 'CPU supports AVX2+FMA' }
 */
export function nativeInfo(): NativeInfo {
  const { simd, reason } = simdStatus();
  return { loaded: nativeBinding !== null && simd !== 'ts', simd, reason };
}

export type { SimdPath };
