import { ConfigError } from '../../common/errors.js';
import { describeValue } from '../../common/describe.js';
import { parseOptions, z } from '../../common/validate.js';
import { NetworkInvalidOutageError } from './errors.js';

/**
 * Outage modes. Only `blackhole` and `slow` change what `Link.next()` returns (every message
 * dropped; bandwidth-capped delay); the others are protocol actions the wire layer performs when
 * `Link.outage()` reports them:
 * - `refuse`: new connections are refused (REST: connection reset/refused; WS: upgrade refused).
 * - `blackhole`: connections are accepted, nothing is ever answered.
 * - `http-5xx`: REST answers 503 with Binance's `{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}`.
 * - `ws-drop`: open WebSockets are closed abruptly (1006, no close frame).
 * - `slow`: a bandwidth cap of `bytesPerSec` per connection.
 * - `clock-skew`: server time (`/api/v3/time`, event times, `recvWindow` checks) is offset by `skewMs`.
 */
export type OutageMode = 'refuse' | 'blackhole' | 'http-5xx' | 'ws-drop' | 'slow' | 'clock-skew';

/** Every outage mode, in documentation order. */
export const OUTAGE_MODES: readonly OutageMode[] = Object.freeze(['refuse', 'blackhole', 'http-5xx', 'ws-drop', 'slow', 'clock-skew']);

/** True when `v` is one of {@link OUTAGE_MODES}. */
export function isOutageMode(v: unknown): v is OutageMode {
  return typeof v === 'string' && (OUTAGE_MODES as readonly string[]).includes(v);
}

/** Parameters of `setOutage` (a type alias, so it is assignable to `Record<string, unknown>`). */
export type OutageParams = {
  /** `clock-skew` only (required): server time offset in ms, may be negative. */
  skewMs?: number;
  /** `slow` only (required): bandwidth cap per connection, bytes per second. */
  bytesPerSec?: number;
  /** Absolute end on the model clock's epoch (`Clock.epochMs()`); must be in the future. */
  untilMs?: number;
  /** Relative end: the outage ends this many ms after it is set. Exclusive with `untilMs`. */
  durationMs?: number;
};

/**
 * An active outage as `Link.outage()` and `state()` report it. Frozen; replaced, never mutated.
 * A type alias so it is assignable to index-signature types such as the wire layer's `Outage`.
 */
export type OutageState = {
  readonly mode: OutageMode;
  /** `Clock.epochMs()` when it was set. */
  readonly sinceMs: number;
  /** `Clock.epochMs()` when it ends by itself, or null until cleared. */
  readonly untilMs: number | null;
  /** `clock-skew` only. */
  readonly skewMs?: number;
  /** `slow` only. */
  readonly bytesPerSec?: number;
};

const paramsSchema = z.strictObject({
  skewMs: z.number().min(-86_400_000).max(86_400_000).optional(),
  bytesPerSec: z.number().gt(0).max(1e12).optional(),
  untilMs: z.number().min(0).optional(),
  durationMs: z.number().gt(0).max(31_536_000_000).optional(),
});

/** Validated outage parameters. */
export type ValidOutageParams = z.output<typeof paramsSchema>;

/**
 * Validates a mode and its parameters and builds the outage state. Throws
 * {@link NetworkInvalidOutageError} naming the field, the expectation and the value: an unknown mode,
 * a missing `bytesPerSec` for `slow` or `skewMs` for `clock-skew`, a parameter the mode does not
 * use, both `untilMs` and `durationMs`, or an end that is not in the future.
 */
export function buildOutage(mode: unknown, params: unknown, nowEpochMs: number, where = 'network.outage'): { state: OutageState; params: ValidOutageParams } {
  if (!isOutageMode(mode)) {
    throw new NetworkInvalidOutageError(
      `${where}.mode`,
      `${where}.mode: expected one of ${OUTAGE_MODES.map((m) => JSON.stringify(m)).join(', ')}, got ${describeValue(mode)}`,
    );
  }
  let p: ValidOutageParams;
  try {
    p = parseOptions(paramsSchema, params, `${where}.params`);
  } catch (e) {
    if (e instanceof ConfigError) throw new NetworkInvalidOutageError(e.field, e.message, { cause: e });
    throw e;
  }
  const m = mode as OutageMode;
  const need = (field: 'skewMs' | 'bytesPerSec', forMode: OutageMode): void => {
    if (m === forMode && p[field] === undefined) {
      throw new NetworkInvalidOutageError(`${where}.params.${field}`, `${where}.params.${field}: expected a number for mode "${forMode}", got undefined`);
    }
    if (m !== forMode && p[field] !== undefined) {
      throw new NetworkInvalidOutageError(
        `${where}.params.${field}`,
        `${where}.params.${field}: expected no ${field} for mode "${m}" (only "${forMode}" uses it), got ${describeValue(p[field])}`,
      );
    }
  };
  need('skewMs', 'clock-skew');
  need('bytesPerSec', 'slow');
  if (p.untilMs !== undefined && p.durationMs !== undefined) {
    throw new NetworkInvalidOutageError(`${where}.params.durationMs`, `${where}.params.durationMs: expected either untilMs or durationMs, not both, got ${p.durationMs}`);
  }
  if (p.untilMs !== undefined && !(p.untilMs > nowEpochMs)) {
    throw new NetworkInvalidOutageError(`${where}.params.untilMs`, `${where}.params.untilMs: expected a time after now (${nowEpochMs}), got ${p.untilMs}`);
  }
  const untilMs = p.untilMs ?? (p.durationMs !== undefined ? nowEpochMs + p.durationMs : null);
  const state: OutageState = Object.freeze({
    mode: m,
    sinceMs: nowEpochMs,
    untilMs,
    ...(p.skewMs !== undefined ? { skewMs: p.skewMs } : {}),
    ...(p.bytesPerSec !== undefined ? { bytesPerSec: p.bytesPerSec } : {}),
  });
  return { state, params: p };
}
