import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

const require = createRequire(import.meta.url);

/** The uWebSockets.js module and whether its native binary (rather than the `ws` fallback) loaded. */
export interface UwsModule {
  readonly uWS: typeof UWS;
  /** True when `uws_<platform>_<arch>_<abi>.node` is in the module cache. */
  readonly native: boolean;
  /** The binary's file name, or why it is missing. */
  readonly detail: string;
}

let cached: UwsModule | undefined;

/**
 * Loads uWebSockets.js once. The registry build silently falls back to a slow JS implementation on
 * a Node ABI it has no binary for (RECIPES), so this reports whether the native binary is live;
 * the server warns (or refuses, with `requireNativeUws`) when it is not.
 */
export function loadUws(): UwsModule {
  if (cached !== undefined) return cached;
  const uWS = require('uWebSockets.js') as typeof UWS;
  const expected = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const hit = Object.keys(require.cache).find((k) => k.endsWith(expected));
  cached = Object.freeze({
    uWS,
    native: hit !== undefined,
    detail: hit !== undefined ? expected : `${expected} not loaded (Node ABI ${process.versions.modules}; the build ships 93/108/115)`,
  });
  return cached;
}
