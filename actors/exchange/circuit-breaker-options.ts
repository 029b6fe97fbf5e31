import { describeValue } from '../../common/describe.js';
import { ConfigError } from '../../common/errors.js';
import { parseOptions, z } from '../../common/validate.js';
import { AtomicCounters } from '../../native/atomic-counters.js';

/**
 * Defaults of every {@link CircuitBreakerOptions} field, in one place (docs/venues.md's options table
 * mirrors this object). They encode the Phase 1 review's rule: trip at > 50 % failures over at
 * least 10 calls or at 5 consecutive failures, stay open 30 s, then admit 3 trial calls and close
 * after 3 successes.
 */
export const BREAKER_DEFAULTS = Object.freeze({
  /** Name used in transition events and logs. */
  name: 'breaker',
  /** `'count'`: the last `windowSize` calls; `'time'`: the calls of the last `windowSize` seconds. */
  windowType: 'count' as 'count' | 'time',
  /** Window length: calls (count window) or whole seconds (time window). */
  windowSize: 100,
  /** Calls the window must hold before the failure and slow-call rates can trip the breaker. */
  minimumCalls: 10,
  /** Trip when failures exceed this percentage of the calls in the window (strictly greater). */
  failureRateThreshold: 50,
  /** A call whose duration exceeds this is slow (it still counts as success or failure). */
  slowCallDurationMs: 60_000,
  /** Trip when slow calls exceed this percentage of the calls in the window; 100 never trips. */
  slowCallRateThreshold: 100,
  /** Trip after this many failures in a row (across every instance sharing the block); 0 disables. */
  consecutiveFailures: 5,
  /** How long the breaker stays open after its first trip. */
  openDurationMs: 30_000,
  /** Each re-open from half-open (without closing in between) multiplies the open duration by this. */
  backoffMultiplier: 2,
  /** Cap on the open duration, backoff and jitter included. */
  maxOpenDurationMs: 300_000,
  /** Random spread of the open duration: ±jitter × duration, from a seeded source. 0 disables. */
  jitter: 0,
  /** Seed of the jitter source (a fixed seed keeps tests and replays deterministic). */
  jitterSeed: 1,
  /** Trial calls admitted in half-open, exactly, across every instance sharing the block. */
  halfOpenPermits: 3,
  /** Successful trial calls that close the breaker (<= halfOpenPermits). */
  halfOpenSuccesses: 3,
  /** Re-open if half-open has used all permits and not decided after this long; 0 waits forever. */
  halfOpenTimeoutMs: 30_000,
  /** First slot of this breaker in `counters` (see `CircuitBreaker.slotsNeeded`). */
  slotBase: 0,
});

/** Largest count window (calls): one byte per call in the ring (64 per slot). */
export const MAX_COUNT_WINDOW = 1_000_000;
/** Largest time window (seconds). */
export const MAX_TIME_WINDOW = 3_600;
/** Largest `halfOpenPermits`: the permit count lives in 10 bits of the shared state word. */
export const MAX_HALF_OPEN_PERMITS = 1_000;

const d = BREAKER_DEFAULTS;
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const num = (min: number, max: number) => z.number().min(min).max(max);

/** zod schema of the validated (plain) options; `counters` is checked separately (it must not be frozen). */
export const breakerOptionsSchema = z
  .strictObject({
    name: z.string().min(1).default(d.name),
    windowType: z.enum(['count', 'time']).default(d.windowType),
    windowSize: int(1, MAX_COUNT_WINDOW).default(d.windowSize),
    minimumCalls: int(1, MAX_COUNT_WINDOW).default(d.minimumCalls),
    failureRateThreshold: z.number().gt(0).max(100).default(d.failureRateThreshold),
    slowCallDurationMs: num(0, 86_400_000).default(d.slowCallDurationMs),
    slowCallRateThreshold: z.number().gt(0).max(100).default(d.slowCallRateThreshold),
    consecutiveFailures: int(0, 1_000_000_000).default(d.consecutiveFailures),
    openDurationMs: num(1, 86_400_000).default(d.openDurationMs),
    backoffMultiplier: num(1, 1000).default(d.backoffMultiplier),
    maxOpenDurationMs: num(1, 86_400_000).default(d.maxOpenDurationMs),
    jitter: z.number().min(0).lt(1).default(d.jitter),
    jitterSeed: z.number().int().default(d.jitterSeed),
    halfOpenPermits: int(1, MAX_HALF_OPEN_PERMITS).default(d.halfOpenPermits),
    halfOpenSuccesses: int(1, MAX_HALF_OPEN_PERMITS).default(d.halfOpenSuccesses),
    halfOpenTimeoutMs: num(0, 86_400_000).default(d.halfOpenTimeoutMs),
    slotBase: z.number().int().min(0).default(d.slotBase),
  })
  .superRefine((o, ctx) => {
    // Cross-field rules: reported on the field a user would change, with the other value in the text.
    if (o.windowType === 'time' && o.windowSize > MAX_TIME_WINDOW) {
      ctx.addIssue({ code: 'custom', path: ['windowSize'], message: `a value <= ${MAX_TIME_WINDOW} (seconds) for a time window`, input: o.windowSize });
    }
    if (o.windowType === 'count' && o.minimumCalls > o.windowSize) {
      ctx.addIssue({ code: 'custom', path: ['minimumCalls'], message: `a value <= windowSize (${o.windowSize}) for a count window`, input: o.minimumCalls });
    }
    if (o.maxOpenDurationMs < o.openDurationMs) {
      ctx.addIssue({ code: 'custom', path: ['maxOpenDurationMs'], message: `a value >= openDurationMs (${o.openDurationMs})`, input: o.maxOpenDurationMs });
    }
    if (o.halfOpenSuccesses > o.halfOpenPermits) {
      ctx.addIssue({ code: 'custom', path: ['halfOpenSuccesses'], message: `a value <= halfOpenPermits (${o.halfOpenPermits})`, input: o.halfOpenSuccesses });
    }
  });

/** Options of `new CircuitBreaker(options, clock?)`; every field is optional (see {@link BREAKER_DEFAULTS}). */
export type CircuitBreakerOptions = z.input<typeof breakerOptionsSchema> & {
  /**
   * Block holding the shared state (from `slotBase`, `CircuitBreaker.slotsNeeded(options)` slots).
   * Breakers in several threads or processes built with the same options over the same block
   * behave as one breaker. Default: a private block.
   */
  counters?: AtomicCounters;
};

/** Validated, frozen options. */
export type ResolvedBreakerOptions = z.output<typeof breakerOptionsSchema>;

/** Validates breaker options (`where` prefixes field names in messages) and separates the counters block. */
export function parseBreakerOptions(
  input: CircuitBreakerOptions | undefined,
  where = 'breaker',
): { options: ResolvedBreakerOptions; counters: AtomicCounters | undefined } {
  if (input !== undefined && (input === null || typeof input !== 'object')) {
    throw new ConfigError(where, `${where}: expected an options object, got ${describeValue(input)}`);
  }
  const { counters, ...rest } = input ?? {};
  if (counters !== undefined && !(counters instanceof AtomicCounters)) {
    throw new ConfigError(`${where}.counters`, `${where}.counters: expected an AtomicCounters block, got ${describeValue(counters)}`);
  }
  return { options: parseOptions(breakerOptionsSchema, rest, where), counters };
}
