import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseOptions, z } from '../common/validate.js';
import { CRISIS_NAMES, type CrisisName } from '../simulators/faults/crises.js';
import { SCOPE_SELECTORS, type ScopeSelector } from '../simulators/faults/link.js';
import { OUTAGE_MODES, type OutageMode } from '../simulators/faults/outages.js';
import { NO_PROFILE, PROFILE_CHOICES, type ProfileChoice } from '../simulators/faults/profiles.js';
import { ChaosScenarioError } from './errors.js';

/** Folder of the built-in scenarios (`chaos/scenarios/*.yaml`). */
export const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');

/** `250`, `"250ms"`, `"5s"`, `"2m"`, `"1h"` → milliseconds (integer). */
export function parseDuration(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v)!;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * mult);
}

const duration = z
  .union([z.number().int().min(0), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration such as 500ms, 5s, 2m')])
  .transform(parseDuration);
const when = z.union([duration, z.object({ random: z.tuple([duration, duration]) }).strict()]);
/** A venue name, or `{random: [names]}` (one drawn per occurrence from the seed), or `random` (any venue). */
const venueRef = z.union([z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/), z.object({ random: z.array(z.string()).min(1) }).strict()]);
/** The simulator's fault vocabulary (simulators/faults/), one list each. */
const scope = z.enum(SCOPE_SELECTORS as [ScopeSelector, ...ScopeSelector[]]);
const outageMode = z.enum(OUTAGE_MODES as [OutageMode, ...OutageMode[]]);
const profile = z.enum(PROFILE_CHOICES as [ProfileChoice, ...ProfileChoice[]]);

/** Fields every timeline item has: when, how often. */
const itemBase = {
  /** Time from the start of the run, fixed or `{random: [from, to]}` drawn from the seed. */
  at: when,
  /** Occurrences (each random `at` drawn anew; a fixed `at` repeats `every`). */
  count: z.number().int().min(1).max(10_000).default(1),
  every: duration.optional(),
  /** With a fixed `at` and `every`: each occurrence moves later by a random 0..jitter drawn from the seed. */
  jitter: duration.default(0),
};

/** One timeline item: what to inject (`do`) and when. */
export const actionSchema = z.discriminatedUnion('do', [
  z.object({ ...itemBase, do: z.literal('profile'), venue: venueRef, profile, scope: scope.default('all') }).strict(),
  z
    .object({
      ...itemBase,
      do: z.literal('outage'),
      venue: venueRef,
      mode: outageMode,
      scope: scope.default('all'),
      bytesPerSec: z.number().int().min(1).optional(),
      skewMs: z.number().int().optional(),
      /** Heal after this long (omitted: an `outage-end` item or the final heal ends it). */
      for: duration.optional(),
    })
    .strict(),
  z.object({ ...itemBase, do: z.literal('outage-end'), venue: venueRef, scope: scope.default('all') }).strict(),
  z.object({ ...itemBase, do: z.literal('kill-actor'), target: z.union([z.string().min(1), z.object({ random: z.array(z.string().min(1)).min(1) }).strict()]) }).strict(),
  z.object({ ...itemBase, do: z.literal('kill-engine'), restartAfter: duration.default(300) }).strict(),
  z.object({ ...itemBase, do: z.literal('crisis'), venue: venueRef, scenario: z.enum(CRISIS_NAMES as [CrisisName, ...CrisisName[]]), for: duration.refine((v) => v >= 100, 'a duration >= 100ms') }).strict(),
  z
    .object({
      ...itemBase,
      do: z.literal('rate-limit-storm'),
      venue: venueRef,
      ordersPer10s: z.number().int().min(0).optional(),
      weightPerMinute: z.number().int().min(0).optional(),
      banAfter429: z.number().int().min(0).optional(),
      banMs: z.number().int().min(0).default(1000),
      for: duration,
    })
    .strict(),
  z.object({ ...itemBase, do: z.literal('clock-skew'), venue: venueRef, skewMs: z.number().int(), scope: scope.default('all'), for: duration.optional() }).strict(),
  z.object({ ...itemBase, do: z.literal('feed-gap'), venue: venueRef, for: duration }).strict(),
  /** Failover scenarios (`cluster:`): cut the lease owner from NATS (not from the venue) for `for`. */
  z.object({ ...itemBase, do: z.literal('partition-owner'), for: duration }).strict(),
]);

/**
 * Defaults of `cluster:` (failover scenarios, chaos/failover-runner.ts): two daemons on one venue
 * account with `cluster.lease.takeover`, their NATS connections through a cuttable TCP proxy. Lease
 * settings chosen for a failover p99 under 3 s (see docs/chaos.md#failover).
 */
export const CLUSTER_DEFAULTS = Object.freeze({ nodes: 2, ttlMs: 1000, renewMs: 200, marginMs: 300 });

const clusterSchema = z
  .object({
    nodes: z.number().int().min(2).max(5).default(CLUSTER_DEFAULTS.nodes),
    ttlMs: z.number().int().min(500).max(60_000).default(CLUSTER_DEFAULTS.ttlMs),
    renewMs: z.number().int().min(50).max(60_000).default(CLUSTER_DEFAULTS.renewMs),
    marginMs: z.number().int().min(0).max(60_000).default(CLUSTER_DEFAULTS.marginMs),
  })
  .strict()
  .refine((c) => c.renewMs + c.marginMs < c.ttlMs, { message: 'renewMs + marginMs < ttlMs' });

const strategySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,24}$/),
    kind: z.enum(['constant-rate', 'market-maker', 'pairs']),
    instruments: z.array(z.string().regex(/^[a-z0-9-]+:[A-Z0-9]+\/[A-Z0-9]+$/, 'an instrument such as sim-a:BTC/USDT')).min(1),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Defaults of `expect:` (a run passes only if every one holds). */
export const EXPECT_DEFAULTS = Object.freeze({
  lost: 0,
  duplicate: 0,
  phantom: 0,
  /** Every other anomaly kind of the ledger check (state, fill, fee, intent, position, balance). */
  otherAnomalies: 0,
  /** Orders that went `unknown` are all resolved within this long after each heal. */
  unknownResolvedWithinS: 10,
  /** p99 of venue fault healed → first order the venue accepted (ms). */
  recoveryP99Ms: 1000,
  /** p99 of engine process restarted → first order accepted (ms; includes process start-up). */
  restartP99Ms: 15_000,
  /** Peak RSS of the engine process (MB). */
  maxRssMb: 150,
  /** Orders the engine must have placed (a run where nothing flowed proves nothing). */
  minOrders: 20,
});

const expectSchema = z
  .object({
    lost: z.number().int().min(0).default(EXPECT_DEFAULTS.lost),
    duplicate: z.number().int().min(0).default(EXPECT_DEFAULTS.duplicate),
    phantom: z.number().int().min(0).default(EXPECT_DEFAULTS.phantom),
    otherAnomalies: z.number().int().min(0).default(EXPECT_DEFAULTS.otherAnomalies),
    unknownResolvedWithinS: z.number().positive().default(EXPECT_DEFAULTS.unknownResolvedWithinS),
    recoveryP99Ms: z.number().int().positive().default(EXPECT_DEFAULTS.recoveryP99Ms),
    restartP99Ms: z.number().int().positive().default(EXPECT_DEFAULTS.restartP99Ms),
    maxRssMb: z.number().int().positive().default(EXPECT_DEFAULTS.maxRssMb),
    minOrders: z.number().int().min(0).default(EXPECT_DEFAULTS.minOrders),
  })
  .strict();

/**
 * Defaults of `engine:`. Breaker and venue actor options are the engine's own defaults
 * (`VENUE_BREAKER_DEFAULTS`: 3 consecutive failures, then the venue actor's probe every < 200 ms is the one trial; the venue actor's
 * `VENUE_DEFAULTS`), so a run measures what ships; a scenario may still override either.
 */
export const ENGINE_DEFAULTS = Object.freeze({
  timeoutMs: 1000,
  breaker: Object.freeze({}),
  actor: Object.freeze({}),
  symbols: Object.freeze(['BTC/USDT']),
  fsync: 'always' as const,
});

const engineSchema = z
  .object({
    timeoutMs: z.number().int().min(50).max(120_000).default(ENGINE_DEFAULTS.timeoutMs),
    breaker: z.record(z.string(), z.unknown()).default({ ...ENGINE_DEFAULTS.breaker }),
    actor: z.record(z.string(), z.unknown()).default({ ...ENGINE_DEFAULTS.actor }),
    symbols: z.array(z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/)).min(1).default([...ENGINE_DEFAULTS.symbols]),
    fsync: z.enum(['always', 'interval', 'never']).default(ENGINE_DEFAULTS.fsync),
  })
  .strict();

const body = {
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/).optional(),
  description: z.string().default(''),
  seed: z.number().int().default(42),
  duration: duration.refine((v) => v >= 1000 && v <= 86_400_000, 'a duration from 1s to 24h'),
  venues: z
    .object({
      count: z.number().int().min(1).max(26).default(2),
      profile: profile.default(NO_PROFILE),
      /** Simulator rate limits (Binance's by default); storms lower them and the heal restores these. */
      rateLimits: z
        .object({
          weightPerMinute: z.number().int().min(0).optional(),
          ordersPer10s: z.number().int().min(0).optional(),
          ordersPerDay: z.number().int().min(0).optional(),
          banAfter429: z.number().int().min(0).optional(),
          banMs: z.number().int().min(0).optional(),
        })
        .strict()
        .default({}),
    })
    .strict()
    .prefault({}),
  strategies: z.array(strategySchema).min(1),
  engine: engineSchema.prefault({}),
  timeline: z.array(actionSchema).default([]),
  expect: expectSchema.prefault({}),
  /** Time left after the last fault for the engine to trade healthily before the final heal. */
  tail: duration.default(3000),
  /** Present: a failover scenario (daemons, nats-server, the lease; chaos/failover-runner.ts). */
  cluster: clusterSchema.optional(),
};

/** `ci:`: top-level fields replaced in the short CI variant. */
const ciSchema = z
  .object({
    duration: z.unknown().optional(),
    strategies: z.unknown().optional(),
    timeline: z.unknown().optional(),
    expect: z.unknown().optional(),
    venues: z.unknown().optional(),
    engine: z.unknown().optional(),
    tail: z.unknown().optional(),
    cluster: z.unknown().optional(),
  })
  .strict();

const scenarioSchema = z
  .object({ ...body, ci: ciSchema.optional() })
  .strict()
  .superRefine((s, ctx) => {
    const venues = Array.from({ length: s.venues.count }, (_, i) => `sim-${String.fromCharCode(97 + i)}`);
    const known = new Set(venues);
    const checkVenue = (v: unknown, p: (string | number)[]): void => {
      const names = typeof v === 'string' ? (v === 'random' ? [] : [v]) : ((v as { random: string[] }).random ?? []);
      for (const n of names) if (!known.has(n)) ctx.addIssue({ code: 'custom', path: p, input: n, message: `one of ${venues.join(', ')} or random` });
    };
    for (const [i, st] of s.strategies.entries()) {
      for (const [j, ins] of st.instruments.entries()) {
        const [v, sym] = ins.split(':') as [string, string];
        if (!known.has(v)) ctx.addIssue({ code: 'custom', path: ['strategies', i, 'instruments', j], input: ins, message: `an instrument on ${venues.join(', ')}` });
        else if (!s.engine.symbols.includes(sym)) ctx.addIssue({ code: 'custom', path: ['strategies', i, 'instruments', j], input: ins, message: `a symbol listed in engine.symbols (${s.engine.symbols.join(', ')})` });
      }
    }
    if (new Set(s.strategies.map((x) => x.id)).size !== s.strategies.length) ctx.addIssue({ code: 'custom', path: ['strategies'], input: s.strategies.map((x) => x.id), message: 'unique strategy ids' });
    for (const [i, a] of s.timeline.entries()) {
      const p = ['timeline', i];
      const latest = typeof a.at === 'number' ? a.at + (a.count - 1) * (a.every ?? 0) + a.jitter : a.at.random[1];
      if (typeof a.at !== 'number' && a.at.random[0] > a.at.random[1]) ctx.addIssue({ code: 'custom', path: [...p, 'at', 'random'], input: a.at.random, message: 'from <= to' });
      const end = latest + ('for' in a && a.for !== undefined ? a.for : 0);
      if (end > s.duration) ctx.addIssue({ code: 'custom', path: [...p, 'at'], input: a.at, message: `a time whose last occurrence (and its "for") ends by duration ${s.duration}ms, it ends at ${end}ms` });
      if (typeof a.at === 'number' && a.count > 1 && a.every === undefined) ctx.addIssue({ code: 'custom', path: [...p, 'every'], input: undefined, message: 'a duration when count > 1 with a fixed at' });
      if ('venue' in a) checkVenue(a.venue, [...p, 'venue']);
      if (a.do === 'partition-owner' && s.cluster === undefined) ctx.addIssue({ code: 'custom', path: [...p, 'do'], input: a.do, message: 'a fault of this scenario: partition-owner needs a cluster: block (a failover scenario)' });
      if (s.cluster !== undefined && !['kill-engine', 'partition-owner'].includes(a.do)) ctx.addIssue({ code: 'custom', path: [...p, 'do'], input: a.do, message: 'kill-engine or partition-owner (a failover scenario injects only these)' });
      if (a.do === 'outage' && a.mode === 'slow' && a.bytesPerSec === undefined) ctx.addIssue({ code: 'custom', path: [...p, 'bytesPerSec'], input: undefined, message: 'an integer >= 1 for mode slow' });
      if (a.do === 'outage' && a.mode === 'clock-skew' && a.skewMs === undefined) ctx.addIssue({ code: 'custom', path: [...p, 'skewMs'], input: undefined, message: 'an integer for mode clock-skew' });
      if (a.do === 'kill-actor') {
        const targets = typeof a.target === 'string' ? [a.target] : a.target.random;
        for (const t of targets) {
          const m = /^exchange\.(.+)$/.exec(t);
          if (m === null || !known.has(m[1]!)) ctx.addIssue({ code: 'custom', path: [...p, 'target'], input: t, message: `a venue actor address (${venues.map((v) => `exchange.${v}`).join(', ')})` });
        }
      }
    }
  });

/** A validated scenario (durations in ms). */
export type Scenario = Omit<z.output<typeof scenarioSchema>, 'ci'> & { name: string; ci: boolean };
/** One validated timeline item. */
export type TimelineItem = z.output<typeof actionSchema>;
/** Validated `expect:`. */
export type Expectations = z.output<typeof expectSchema>;

/**
 * Validates a parsed scenario document. With `ci`, the document's `ci:` block replaces the fields
 * it names before validation. Throws `ConfigError` naming the field (`timeline.2.venue: expected
 * one of sim-a, sim-b or random, got "sim-z"`; `ci.` prefixes a field of the CI variant).
 */
export function parseScenario(doc: unknown, opts: { name?: string; ci?: boolean } = {}): Scenario {
  const base = parseOptions(scenarioSchema, doc, '');
  let s = base;
  if (opts.ci === true && base.ci !== undefined) {
    const raw = { ...(doc as Record<string, unknown>) };
    const ci = (doc as { ci: Record<string, unknown> }).ci;
    for (const [k, v] of Object.entries(ci)) if (v !== undefined) raw[k] = v;
    delete raw.ci;
    s = parseOptions(scenarioSchema, raw, 'ci');
  }
  const { ci: _ci, ...rest } = s;
  return { ...rest, name: s.name ?? opts.name ?? 'scenario', ci: opts.ci === true && base.ci !== undefined };
}

/** Names of the built-in scenarios (`chaos/scenarios/*.yaml`), sorted. */
export function builtinScenarios(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Resolves a built-in name or a path to a file. */
export function scenarioPath(fileOrName: string): string {
  if (/^[a-z0-9][a-z0-9-]*$/.test(fileOrName) && existsSync(path.join(SCENARIO_DIR, `${fileOrName}.yaml`))) return path.join(SCENARIO_DIR, `${fileOrName}.yaml`);
  if (existsSync(fileOrName)) return path.resolve(fileOrName);
  throw new ChaosScenarioError(`scenario ${JSON.stringify(fileOrName)}: no such file and no built-in of that name (built-ins: ${builtinScenarios().join(', ')})`, { scenario: fileOrName });
}

/** Reads, parses (YAML) and validates a scenario given by built-in name or path. */
export function loadScenario(fileOrName: string, opts: { ci?: boolean } = {}): Scenario {
  const file = scenarioPath(fileOrName);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ChaosScenarioError(`${file}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`, { file }, { cause: e });
  }
  return parseScenario(doc, { name: path.basename(file).replace(/\.ya?ml$/, ''), ...opts });
}

/** The one-line description of a scenario file (its `description:`'s first sentence). */
export function describeScenario(fileOrName: string): string {
  const doc = parseYaml(readFileSync(scenarioPath(fileOrName), 'utf8')) as { description?: unknown };
  const d = typeof doc?.description === 'string' ? doc.description.trim() : '';
  const first = d.split(/(?<=\.)\s/)[0] ?? '';
  return first.replace(/\s+/g, ' ');
}
