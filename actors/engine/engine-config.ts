import { parseOptions, z } from '../../common/validate.js';
import { breakerOptionsSchema } from '../exchange/circuit-breaker-options.js';
// Not through the exchange barrel (actors/exchange/index.ts): the barrel loads the Binance adapter
// and ccxt (about 1.3 s), and the daemon config (loaded by every CLI command) reuses this schema.
// Only `venueOptionsSchema` is needed from the venue actor.
import { ORDER_ENTRY, ORDER_ENTRY_DEFAULT, venueOptionsSchema } from '../exchange/venue-options.js';
import { weightBudgetSchema } from '../exchange/weight-budget.js';

/**
 * The engine's config, in one place: one schema per concept (a venue, the engine) and one function
 * that validates it ({@link parseEngineConfig}). The daemon config reuses {@link engineVenueSchema}
 * for its `venues[]`, so a config file is checked against exactly what the engine accepts.
 */

/**
 * Breaker defaults of a venue (over `BREAKER_DEFAULTS`): trip after 3 consecutive failures; then
 * the venue actor's active probe (every < 200 ms, full jitter: `probeCapMs`) is the one half-open
 * trial, and its first success closes the breaker. The open state is ended by that probe, not by
 * a timer: the open duration is the schema's minimum (1 ms, no doubling), so the breaker never
 * holds a healed venue dark; it still admits one call at a time while the venue is unwell. The
 * probe paces the requests to a down venue (docs/venues.md states the rate).
 */
export const VENUE_BREAKER_DEFAULTS = Object.freeze({ consecutiveFailures: 3, openDurationMs: 1, backoffMultiplier: 1, halfOpenPermits: 1, halfOpenSuccesses: 1 });

/**
 * A venue's breaker overrides: kept as written (the engine lays them over
 * {@link VENUE_BREAKER_DEFAULTS} and the venue's name), but checked here against the breaker's own
 * schema with those defaults under them, so a bad field is refused when the config is loaded.
 */
const breakerOverrides = z
  .record(z.string(), z.unknown())
  .default({})
  .superRefine((b, ctx) => {
    const r = breakerOptionsSchema.safeParse({ ...VENUE_BREAKER_DEFAULTS, name: 'venue', ...b }, { reportInput: true });
    if (r.success) return;
    // Issues keep their code (so the message reads like the breaker's own); one on the whole
    // object (an unknown key) shows what was written, not the defaults laid under it.
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, ...(issue.path.length === 0 ? { input: b } : {}) } as Parameters<typeof ctx.addIssue>[0] & object);
  });

/** One venue of the engine (the daemon config's `venues[]` is this schema). */
export const engineVenueSchema = z
  .object({
    /** Venue id: `[a-z0-9-]{1,32}` (actor `exchange.<name>`). */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
    /** REST root (`…/api/v3`). */
    rest: z.string().url(),
    /** Market streams root (`…/ws`). */
    ws: z.string().url().optional(),
    /** WebSocket API (`…/ws-api/v3`). */
    wsApi: z.string().url().optional(),
    apiKey: z.string().min(1),
    secret: z.string().min(1),
    /** Per-request timeout (ms): past it the outcome of an order is unknown. */
    timeoutMs: z.number().int().min(50).max(120_000).default(2000),
    /**
     * Order entry: `rest` (default) or `ws` (place and cancel over the WebSocket API `wsApi`, one
     * pipelined connection, REST while it is down; needs `wsApi`). See docs/venues.md.
     */
    orderEntry: z.enum(ORDER_ENTRY).default(ORDER_ENTRY_DEFAULT),
    /** Circuit breaker options (see the breaker section of the README); defaults {@link VENUE_BREAKER_DEFAULTS}. */
    breaker: breakerOverrides,
    /**
     * The venue's rate limits, budgeted on our side (`weightPerMinute`, `ordersPer10s`,
     * `ordersPerDay`, `headroom` 0.8). A limit set here wins; one left out comes from the venue's
     * `exchangeInfo` `rateLimits`, else from Binance spot's published limits (6000, 100, 200000).
     */
    limits: weightBudgetSchema.prefault({}),
    /**
     * Share the budget host-wide through a mapped counters file (e.g. `/dev/shm/bot4-<venue>-limits`):
     * every bot4 process trading this account from this host uses one budget. Native addon only.
     */
    limitsFile: z.string().min(1).optional(),
    /** Venue actor options (`probeBaseMs`, `probeCapMs`, `reconcileEveryMs`, `balanceSync`, `streams`, `seed`, `notFoundGraceMs`, ...). */
    actor: venueOptionsSchema.prefault({}),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.orderEntry === 'ws' && v.wsApi === undefined) ctx.addIssue({ code: 'custom', path: ['orderEntry'], input: v.orderEntry, message: '"rest" when the venue has no wsApi URL' });
  });

/** A venue as written. */
export type EngineVenueInput = z.input<typeof engineVenueSchema>;
/** A validated venue (defaults filled in). */
export type EngineVenue = z.output<typeof engineVenueSchema>;

/** Engine config (validated once by {@link parseEngineConfig}; defaults documented in the README's config table). */
export const engineConfigSchema = z
  .object({
    journal: z
      .object({
        dir: z.string().min(1).default('.bot4/journal'),
        fsync: z.enum(['always', 'interval', 'never']).default('always'),
        /** Passed to the journal: move a damaged middle aside instead of refusing to open (`B4_JOURNAL_CORRUPT`). */
        repair: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    venues: z.array(engineVenueSchema).min(1),
    /** Symbols traded on every venue (their filters come from the venue). */
    symbols: z.array(z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/)).min(1).default(['BTC/USDT', 'ETH/USDT']),
    /** Restart intensity of venue and strategy actors (default: the runtime's `SUPERVISION_DEFAULTS`). */
    supervision: z
      .object({
        maxRestarts: z.number().int().min(0).max(1_000_000).optional(),
        withinMs: z.number().min(1).optional(),
        backoffMs: z.number().min(0).optional(),
        maxBackoffMs: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    /**
     * Live correlation for the risk engine's correlated-exposure checks: one series per symbol of
     * `symbols` (log returns of the mid, sampled every `sampleMs` over `window` samples). Needs ≥ 2 symbols.
     */
    correlation: z
      .object({
        enabled: z.boolean().default(true),
        window: z.number().int().min(2).max(100_000).default(300),
        sampleMs: z.number().int().min(1).max(3_600_000).default(1000),
      })
      .strict()
      .prefault({}),
    /** Risk config (see the risk section); strategies must be listed under `risk.strategies`. */
    risk: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Engine config as written. */
export type EngineConfigInput = z.input<typeof engineConfigSchema>;
/** Validated engine config. */
export type EngineConfig = z.output<typeof engineConfigSchema>;

/** Configs this module produced (frozen, so they cannot have changed since). */
const validated = new WeakSet<object>();

/**
 * Validates an engine config once and returns it frozen. A config this function already returned
 * is passed through as it is (not validated again), so a caller that validated at its edge can
 * hand the result down. Throws `ConfigError` (`B4_CONFIG_INVALID`) naming the field
 * (`engine.venues.0.limits.weightPerMinute: expected a value >= 1, got 0`).
 */
export function parseEngineConfig(config: EngineConfigInput | EngineConfig, where = 'engine'): EngineConfig {
  if (typeof config === 'object' && config !== null && validated.has(config)) return config as EngineConfig;
  const cfg = parseOptions(engineConfigSchema, config, where) as EngineConfig;
  validated.add(cfg);
  return cfg;
}
