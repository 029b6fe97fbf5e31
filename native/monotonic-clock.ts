import { nativeBinding, nativeLoadReason } from './loader.js';

/**
 * The addon's allocation-free monotonic read (native/clock.c): `read()` writes CLOCK_MONOTONIC in
 * nanoseconds into `cell[0]` and returns nothing, so a clock read boxes no double and builds no
 * hrtime array (Node 20's `performance.now()` does both). Null when the addon is not loaded or is
 * a build without `clockSource` (stale build: `npm run build:native`).
 */
export interface MonotonicCell {
  /** Writes the current CLOCK_MONOTONIC nanoseconds into `cell[0]`. */
  readonly read: () => void;
  /** The off-heap 8-byte cell `read` writes to. */
  readonly cell: Float64Array;
}

function open(): MonotonicCell | null {
  const b = nativeBinding as unknown as { clockSource?: () => { buffer: ArrayBuffer; read: () => void } } | null;
  if (b === null || typeof b.clockSource !== 'function') return null;
  const s = b.clockSource();
  return Object.freeze({ read: s.read, cell: new Float64Array(s.buffer) });
}

/** The process's native monotonic cell, or null (then `performance.now()` is the source). */
export const monotonicCell: MonotonicCell | null = open();

/** Why {@link monotonicCell} is null (undefined when it is live). */
export const monotonicCellReason: string | undefined =
  monotonicCell !== null ? undefined : nativeBinding === null ? (nativeLoadReason ?? 'native addon not loaded') : 'the loaded addon has no clockSource (stale build? run `npm run build:native`)';
