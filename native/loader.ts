import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../common/log.js';

/**
 * The one place that loads the N-API addon. It tries `build/Release/bot4_native.node` unless
 * `BOT4_NATIVE=0`, gathers every failure into one reason, and logs once which implementation is
 * active and why. Capability modules read {@link nativeBinding} and fall back to their TS twins
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

let announced = false;
/** Logs once which implementation is active and why. Called by capability modules on first use. */
export function announceNative(simd: string): void {
  if (announced) return;
  announced = true;
  if (nativeBinding) logger.debug({ native: true, simd }, `bot4 native addon loaded (simd: ${simd})`);
  else logger.info({ native: false, reason: nativeLoadReason }, `bot4 native addon not active: ${nativeLoadReason}`);
}
