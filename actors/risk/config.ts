import { parseOptions, z } from '../../common/validate.js';
import { ConfigError } from '../../common/errors.js';
import { toUnits } from '../orders/instrument.js';

/**
 * Risk configuration: one zod schema, validated once at the edge with `parseOptions` and frozen.
 * Money is written as decimal strings in quote currency (`"50000"`) and converted exactly to
 * integer atoms (`atom`, default 1e-8) when the engine is built. Every default lives in
 * {@link RISK_DEFAULTS}; docs/risk.md's configuration table lists the same values (a test checks it).
 */

/** The defaults of every risk option (the Phase 1 review's rules where it gives one). */
export const RISK_DEFAULTS = Object.freeze({
  /** Smallest unit of every asset and of quote valuation, as a decimal string. */
  atom: '0.00000001',
  instrument: Object.freeze({
    maxOrderNotional: '50000',
    minOrderNotional: '0',
    maxPositionNotional: '100000',
    priceBandBps: 500,
    maxQuoteAgeMs: 5000,
    maxOpenOrders: 50,
  }),
  venue: Object.freeze({
    maxOrderNotional: '50000',
    maxGrossExposure: '100000',
    maxNetExposure: '100000',
    maxOpenOrders: 200,
    rate: Object.freeze({ perSecond: 100, burst: 100, hostWide: false }),
  }),
  strategy: Object.freeze({
    maxOrderNotional: '50000',
    rate: Object.freeze({ perSecond: 50, burst: 20, hostWide: false }),
  }),
  portfolio: Object.freeze({
    maxGrossExposure: '100000',
    maxNetExposure: '100000',
    maxOpenOrders: 500,
    feeReserveBps: 10,
  }),
  correlation: Object.freeze({
    maxWeightedExposure: '100000',
    pairThreshold: 0.7,
    maxCorrelatedPositions: 3,
  }),
  killSwitch: Object.freeze({
    dailyLossLimit: '2000',
    maxDrawdown: '5000',
    breakerCascadeVenues: 2,
    onLoss: 'HALTED' as const,
    onCascade: 'HALTED' as const,
  }),
  /**
   * External market data (gateway `/feed`): by default it never reaches the risk reference prices
   * or the strategies of an instrument the engine trades; `trusted` names, per `venue:symbol`, the
   * feed token names whose records do, each within `bandBps` of the venue's own mid.
   */
  feeds: Object.freeze({
    trusted: Object.freeze({}) as Readonly<Record<string, readonly string[]>>,
    bandBps: 500,
  }),
  checks: Object.freeze({
    priceBand: true,
    staleData: true,
    venueAvailable: true,
    position: true,
    exposure: true,
    correlation: true,
    openOrders: true,
    balance: true,
    rate: true,
    selfTrade: true,
  }),
});

const isDecimal = (s: string): boolean => /^\d+(\.\d+)?$/.test(s);
/** A non-negative decimal string of quote currency. */
const money = z.string().refine(isDecimal, { message: 'a non-negative decimal string such as "50000" or "0.5"' });
const positiveDecimal = z
  .string()
  .refine((s) => isDecimal(s) && /[1-9]/.test(s), { message: 'a positive decimal string such as "0.00000001"' });
const count = z.int().min(0).max(1_000_000_000);
const bps = z.int().min(0).max(1_000_000);
const ageMs = z.number().positive().max(86_400_000);

const rateOverride = z
  .object({
    perSecond: z.number().positive().max(1e6).optional(),
    burst: z.int().min(1).max(1e6).optional(),
    hostWide: z.boolean().optional(),
  })
  .strict();

const instrumentLimits = z
  .object({
    maxOrderNotional: money.optional(),
    minOrderNotional: money.optional(),
    maxPositionNotional: money.optional(),
    priceBandBps: bps.optional(),
    maxQuoteAgeMs: ageMs.optional(),
    maxOpenOrders: count.optional(),
  })
  .strict();

const venueLimits = z
  .object({
    maxOrderNotional: money.optional(),
    maxGrossExposure: money.optional(),
    maxNetExposure: money.optional(),
    maxOpenOrders: count.optional(),
    rate: rateOverride.optional(),
  })
  .strict();

const strategyLimits = z
  .object({
    maxOrderNotional: money.optional(),
    rate: rateOverride.optional(),
  })
  .strict();

const D = RISK_DEFAULTS;
const state = z.enum(['REDUCING', 'HALTED']);

/** The risk config schema (`risk.*`). */
export const riskConfigSchema = z
  .object({
    atom: positiveDecimal.default(D.atom),
    defaults: z
      .object({
        instrument: instrumentLimits.prefault({}),
        venue: venueLimits.prefault({}),
        strategy: strategyLimits.prefault({}),
      })
      .strict()
      .prefault({}),
    /** Per-instrument overrides keyed `venue:symbol` (`sim-a:BTC/USDT`). */
    instruments: z.record(z.string(), instrumentLimits).default({}),
    /** Per-venue overrides keyed by venue id. */
    venues: z.record(z.string(), venueLimits).default({}),
    /** Every strategy allowed to trade, with optional overrides. An order from an unlisted strategy is denied. */
    strategies: z.record(z.string().min(1), strategyLimits).default({}),
    portfolio: z
      .object({
        maxGrossExposure: money.default(D.portfolio.maxGrossExposure),
        maxNetExposure: money.default(D.portfolio.maxNetExposure),
        maxOpenOrders: count.default(D.portfolio.maxOpenOrders),
        feeReserveBps: bps.default(D.portfolio.feeReserveBps),
      })
      .strict()
      .prefault({}),
    correlation: z
      .object({
        maxWeightedExposure: money.default(D.correlation.maxWeightedExposure),
        pairThreshold: z.number().min(0).max(1).default(D.correlation.pairThreshold),
        maxCorrelatedPositions: z.int().min(1).max(10_000).default(D.correlation.maxCorrelatedPositions),
      })
      .strict()
      .prefault({}),
    killSwitch: z
      .object({
        dailyLossLimit: money.default(D.killSwitch.dailyLossLimit),
        maxDrawdown: money.default(D.killSwitch.maxDrawdown),
        breakerCascadeVenues: z.int().min(1).max(10_000).default(D.killSwitch.breakerCascadeVenues),
        onLoss: state.default(D.killSwitch.onLoss),
        onCascade: state.default(D.killSwitch.onCascade),
      })
      .strict()
      .prefault({}),
    /** External feeds allowed to move an instrument's reference price and strategy data (see {@link RISK_DEFAULTS}.feeds). */
    feeds: z
      .object({
        trusted: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
        bandBps: z.int().min(1).max(10_000).default(D.feeds.bandBps),
      })
      .strict()
      .prefault({}),
    checks: z
      .object({
        priceBand: z.boolean().default(D.checks.priceBand),
        staleData: z.boolean().default(D.checks.staleData),
        venueAvailable: z.boolean().default(D.checks.venueAvailable),
        position: z.boolean().default(D.checks.position),
        exposure: z.boolean().default(D.checks.exposure),
        correlation: z.boolean().default(D.checks.correlation),
        openOrders: z.boolean().default(D.checks.openOrders),
        balance: z.boolean().default(D.checks.balance),
        rate: z.boolean().default(D.checks.rate),
        selfTrade: z.boolean().default(D.checks.selfTrade),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Every money field converts to atoms here, at the edge, with the same function the engine
    // uses, so `bot4 config check` refuses exactly what the daemon would refuse at start.
    const check = (value: string | undefined, path: (string | number)[]): void => {
      if (value === undefined) return;
      const problem = moneyProblem(value, c.atom);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path, input: value, message: problem });
    };
    const limits = (o: Record<string, unknown>, base: (string | number)[], fallback: Readonly<Record<string, unknown>> | undefined): void => {
      for (const k of MONEY_KEYS) {
        const v = (o[k] as string | undefined) ?? (fallback?.[k] as string | undefined);
        check(v, [...base, k]);
      }
    };
    limits(c.defaults.instrument, ['defaults', 'instrument'], D.instrument);
    limits(c.defaults.venue, ['defaults', 'venue'], D.venue);
    limits(c.defaults.strategy, ['defaults', 'strategy'], D.strategy);
    for (const [k, o] of Object.entries(c.instruments)) limits(o, ['instruments', k], undefined);
    for (const [k, o] of Object.entries(c.venues)) limits(o, ['venues', k], undefined);
    for (const [k, o] of Object.entries(c.strategies)) limits(o, ['strategies', k], undefined);
    limits(c.portfolio, ['portfolio'], undefined);
    limits(c.correlation, ['correlation'], undefined);
    limits(c.killSwitch, ['killSwitch'], undefined);
  });

/** Names of the money fields (decimal strings of quote currency) anywhere in the risk config. */
const MONEY_KEYS = ['maxOrderNotional', 'minOrderNotional', 'maxPositionNotional', 'maxGrossExposure', 'maxNetExposure', 'maxWeightedExposure', 'dailyLossLimit', 'maxDrawdown'] as const;

/** Risk config as written by a user (every field optional). */
export type RiskConfigInput = z.input<typeof riskConfigSchema>;
/** Risk config after validation and defaults. */
export type RiskConfig = z.output<typeof riskConfigSchema>;

/** Validates a risk config (throws `ConfigError` naming field, expectation and value). */
export function parseRiskConfig(input: unknown, where = 'risk'): Readonly<RiskConfig> {
  return parseOptions(riskConfigSchema, input, where);
}

/** A rate limit after defaults: emission interval and burst tolerance for GCRA. */
export interface ResolvedRate {
  readonly perSecond: number;
  readonly burst: number;
  readonly hostWide: boolean;
}

/** Merges a partial rate over the defaults. */
export function resolveRate(base: ResolvedRate, o: z.output<typeof rateOverride> | undefined): ResolvedRate {
  return {
    perSecond: o?.perSecond ?? base.perSecond,
    burst: o?.burst ?? base.burst,
    hostWide: o?.hostWide ?? base.hostWide,
  };
}

/**
 * Converts a decimal money string into integer atoms, exactly, and checks it stays a safe integer
 * (limits must, so that every sum the engine forms from them is exact).
 */
export function moneyToAtoms(value: string, atom: string, field: string): number {
  const problem = moneyProblem(value, atom);
  if (problem !== undefined) throw new ConfigError(field, `${field}: expected ${problem}, got ${JSON.stringify(value)}`);
  return Number(toUnits(value, atom, field));
}

/** Why `value` is not a usable money limit in atoms of `atom` (the expectation), or undefined when it is. */
function moneyProblem(value: string, atom: string): string | undefined {
  let units: bigint;
  try {
    units = toUnits(value, atom);
  } catch {
    return `a multiple of the atom ${atom}`;
  }
  // Quarter of the safe range: a limit plus a projected order plus current state must stay exact.
  if (units > BigInt(MAX_LIMIT_ATOMS)) return `at most ${MAX_LIMIT_ATOMS} atoms of ${atom} (2^51, so sums with it stay exact; a larger risk.atom raises it)`;
  return undefined;
}

/** Largest limit in atoms: 2^51, so limit + order + state sums stay below 2^53 and exact. */
export const MAX_LIMIT_ATOMS = 2 ** 51;
