import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one place that loads the N-API addon. It tries `build/Release/bot4_native.node` unless
 * `BOT4_NATIVE=0`, gathers every failure into one reason, and reports (never logs) which
 * implementation is active and why. Capability modules read {@link nativeBinding} and fall back to their TS twins
 * when it is null.
 */

/** Functions exported by the addon; each capability module narrows what it uses. */
export type NativeBinding = Record<string, (...args: never[]) => unknown>;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [
  path.join(root, 'build', 'Release', 'bot4_native.node'),
  path.join(root, 'build', 'Debug', 'bot4_native.node'),
];

function load(): { binding: NativeBinding | null; reason: string | undefined } {
  if (process.env.BOT4_NATIVE === '0') return { binding: null, reason: 'BOT4_NATIVE=0 forces the TS twins' };
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const file of candidates) {
    try {
      return { binding: require(file) as NativeBinding, reason: undefined };
    } catch (e) {
      failures.push(`${path.relative(root, file)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { binding: null, reason: `native addon not loadable (${failures.join('; ')}); run \`npm run build:native\`` };
}

const loaded = load();

/** The addon's exports, or null when the TS twins are active. */
export const nativeBinding: NativeBinding | null = loaded.binding;
/** Why the native addon is not active (undefined when it is). */
export const nativeLoadReason: string | undefined = loaded.reason;

/** Which kernel path is live: AVX2+FMA, NEON, the scalar C twin, or the pure-TS twin. */
export type SimdPath = 'avx2' | 'neon' | 'scalar' | 'ts';

/** What the addon's `simdInfo()` reports (see native/correlation.c). */
export interface NativeSimdInfo {
  available: 'avx2' | 'neon' | 'none';
  active: 'avx2' | 'neon' | 'scalar';
  forcedOff: boolean;
}

/** The addon's SIMD report, or null when the addon (or its correlation part) is not loaded. */
export function nativeSimdInfo(): NativeSimdInfo | null {
  const b = nativeBinding as unknown as { simdInfo?: () => NativeSimdInfo } | null;
  return b && typeof b.simdInfo === 'function' ? b.simdInfo() : null;
}

/** The live kernel path and why it is the one in use. */
export function simdStatus(): { simd: SimdPath; reason: string } {
  if (!nativeBinding) return { simd: 'ts', reason: nativeLoadReason ?? 'native addon not loaded' };
  const info = nativeSimdInfo();
  if (!info) return { simd: 'ts', reason: 'the loaded addon has no correlation kernels (stale build? run `npm run build:native`)' };
  if (info.active !== 'scalar') {
    return { simd: info.active, reason: info.active === 'avx2' ? 'CPU supports AVX2+FMA' : 'NEON is always present on arm64' };
  }
  if (info.forcedOff) return { simd: 'scalar', reason: 'BOT4_SIMD=0 forces the scalar C path' };
  if (info.available === 'none') return { simd: 'scalar', reason: 'CPU lacks AVX2+FMA (and NEON): scalar C path' };
  return { simd: 'scalar', reason: 'setSimd(false) selected the scalar C path' };
}

let announced = false;
/**
 * Records that a capability module used the native layer. It prints nothing: importing or using
 * bot4 as a library is silent (a library must not write to its host's stdout or stderr). Which
 * path is live, and why, is what {@link simdStatus} / `nativeInfo()` report; the daemon logs it in
 * its start log. The argument is kept for callers that name themselves.
 */
export function announceNative(_caller?: string): void {
  announced = true;
}

/** True once a capability module used the native layer ({@link announceNative}). */
export function nativeAnnounced(): boolean {
  return announced;
}
