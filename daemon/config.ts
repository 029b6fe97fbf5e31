import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../common/errors.js';
import { parseOptions, z } from '../common/validate.js';
import { engineVenueSchema } from '../actors/engine/engine-config.js';
import { parseRiskConfig } from '../actors/risk/config.js';
import { parseGatewayOptions, type GatewayOptions } from '../gateway/options.js';
import { NO_PROFILE, PROFILE_CHOICES, type ProfileChoice } from '../simulators/faults/profiles.js';
import { RATE_LIMIT_PRESET_NAMES, type RateLimitPreset } from '../simulators/wire/rate-limit.js';
import { DaemonConfigFileError } from './errors.js';
import { CLUSTER_DEFAULTS, clusterSchema } from '../cluster/replication-options.js';
import { resolveTracing, TRACING_SAMPLERS, type ResolvedTracing, type TracingSampler } from './tracing-env.js';

/**
 * Every default of `bot4 daemon` in one object. The README's daemon config table is checked against
 * it (`test/unit/daemon/config.test.ts`). Without a config file the daemon runs exactly this: an
 * embedded two-venue simulator, a market maker on sim-a BTC/USDT, a cross-venue BTC/USDT pairs
 * strategy, the gateway on 127.0.0.1:8080.
 */
export const DAEMON_DEFAULTS = Object.freeze({
  sim: Object.freeze({ venues: 2, seed: 42, host: '127.0.0.1', port: 0, profile: NO_PROFILE as ProfileChoice, stateDir: '', participants: true, rateLimits: 'binance' as RateLimitPreset, retentionOrders: 250 }),
  venues: Object.freeze([]) as readonly never[],
  symbols: Object.freeze(['BTC/USDT', 'ETH/USDT']),
  journal: Object.freeze({ dir: '.bot4/journal', fsync: 'always' as 'always' | 'interval' | 'never', repair: false }),
  risk: Object.freeze({ strategies: Object.freeze({ api: Object.freeze({}), 'mm-btc': Object.freeze({}), 'pairs-btc': Object.freeze({}) }) }),
  strategies: Object.freeze([
    // BTC lot 0.00001 at ~60 000 USDT: 20 lots ≈ 12 USDT, above the venue's 5 USDT minimum notional.
    // Tick 0.01: the simulator's crowd quotes ±2 bps (±1200 ticks) around a fair value that moves
    // ~300 ticks per 250 ms step; quotes 1 bps from mid, re-quoted on a 100-tick move and kept 100
    // ticks behind the far touch, are rarely rejected as post-only (docs/strategies.md).
    Object.freeze({ id: 'mm-btc', kind: 'market-maker', instruments: Object.freeze(['sim-a:BTC/USDT']), params: Object.freeze({ qtyLots: 20, maxInventoryLots: 200, halfSpreadTicks: 600, requoteTicks: 100, postOnlyMarginTicks: 100 }) }),
    // The simulator's venues draw independent fair values for the same asset: the cross-venue spread
    // wanders, its z-score crosses the bands, and both legs trade. Correlation of two independent
    // walks says nothing, so the gate is off (minCorrelation -1) and the hedge ratio is 1.
    Object.freeze({ id: 'pairs-btc', kind: 'pairs', instruments: Object.freeze(['sim-a:BTC/USDT', 'sim-b:BTC/USDT']), params: Object.freeze({ beta: 'one', minCorrelation: -1, window: 60, entryZ: 2, exitZ: 0.5, qtyLotsA: 20, qtyLotsB: 20, maxPositionLotsA: 100, maxPositionLotsB: 100 }) }),
  ]),
  gateway: Object.freeze({ host: '127.0.0.1', port: 8080 }),
  auth: Object.freeze({ tokenFile: '.bot4/admin-token' }),
  shutdown: Object.freeze({ cancelOpenOrders: true, cancelWaitMs: 5000, timeoutMs: 15_000 }),
  // Traces to an OTLP/HTTP (protobuf) receiver such as Jaeger; the OTEL_* environment variables
  // override these field by field (daemon/tracing-env.ts, docs/tracing.md).
  tracing: Object.freeze({
    enabled: false,
    endpoint: 'http://127.0.0.1:4318',
    serviceName: 'bot4',
    simServiceName: 'bot4-sim',
    sampler: 'parentbased_traceidratio' as TracingSampler,
    samplerArg: 0.01,
    maxTracesPerSecond: 100,
    maxQueueSize: 2048,
    resourceAttributes: Object.freeze({}) as Readonly<Record<string, string>>,
  }),
  // Off: `npm start` needs no NATS. The replicated order log and the venue lease (docs/deployment.md).
  cluster: CLUSTER_DEFAULTS,
});


const D = DAEMON_DEFAULTS;
const strategySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,23}$/),
  kind: z.string().min(1),
  instruments: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}:[A-Z0-9]+\/[A-Z0-9]+$/)).min(1),
  params: z.record(z.string(), z.unknown()).default({}),
});

/** zod schema of the daemon config file (YAML or JSON). */
export const daemonConfigSchema = z
  .strictObject({
    /** The embedded simulator; it runs only when `venues` is empty. */
    sim: z
      .strictObject({
        venues: z.number().int().min(1).max(26).default(D.sim.venues),
        seed: z.number().int().default(D.sim.seed),
        host: z.string().min(1).default(D.sim.host),
        port: z.number().int().min(0).max(65535).default(D.sim.port),
        /** Network profile of every embedded venue: one of the simulator's `PROFILE_CHOICES` (`none`: no network effects). */
        profile: z.enum(PROFILE_CHOICES as [ProfileChoice, ...ProfileChoice[]]).default(D.sim.profile),
        /** Folder of the embedded venue's durable ledger; '' means `<journal.dir>/sim`. */
        stateDir: z.string().default(D.sim.stateDir),
        /** Background makers/takers on the embedded venues (false: the books hold only the engine's orders). */
        participants: z.boolean().default(D.sim.participants),
        /**
         * Rate-limit preset of the embedded venues (`off`, `binance`, `high`), enforced and advertised in
         * `exchangeInfo`; the engine's budget follows what they advertise unless `venues[].limits` says otherwise.
         */
        rateLimits: z.enum(RATE_LIMIT_PRESET_NAMES).default(D.sim.rateLimits),
        /**
         * Client orders each embedded venue keeps in full (the simulator's `retention.orders`; open
         * orders always are, older closed ones are compacted into running sums). Small by default so
         * the daemon's memory is flat within minutes (issue 16); see docs/daemon.md.
         */
        retentionOrders: z.number().int().min(0).max(100_000_000).default(D.sim.retentionOrders),
      })
      .prefault({}),
    /**
     * Venues to trade (the engine's own venue schema, `engineVenueSchema`: `name`, `rest`, `ws`,
     * `wsApi`, `apiKey`, `secret`, `timeoutMs`, `orderEntry`, `breaker`, `limits`, `limitsFile`, `actor`), checked
     * here exactly as the engine checks them. Empty: the embedded simulator's venues.
     */
    venues: z.array(engineVenueSchema).default([]),
    symbols: z.array(z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/)).min(1).default([...D.symbols]),
    journal: z
      .strictObject({
        dir: z.string().min(1).default(D.journal.dir),
        fsync: z.enum(['always', 'interval', 'never']).default(D.journal.fsync),
        /** Move a journal's damaged middle aside (`*.corrupt`) instead of refusing to start (`B4_JOURNAL_CORRUPT`); also `--repair-journal`. */
        repair: z.boolean().default(D.journal.repair),
      })
      .prefault({}),
    /** Risk engine config (see the risk section); replaces the default as a whole. */
    risk: z.record(z.string(), z.unknown()).default(() => structuredClone(D.risk) as Record<string, unknown>),
    /** Strategies spawned at start; replaces the default list as a whole (`[]`: none). */
    strategies: z.array(strategySchema).default(() => structuredClone(D.strategies) as never),
    /** Gateway options (see the gateway section); host and port default to 127.0.0.1:8080. */
    gateway: z.record(z.string(), z.unknown()).default({}),
    auth: z.strictObject({ tokenFile: z.string().default(D.auth.tokenFile) }).prefault({}),
    shutdown: z
      .strictObject({
        cancelOpenOrders: z.boolean().default(D.shutdown.cancelOpenOrders),
        cancelWaitMs: z.number().int().min(0).max(600_000).default(D.shutdown.cancelWaitMs),
        timeoutMs: z.number().int().min(1000).max(600_000).default(D.shutdown.timeoutMs),
      })
      .prefault({}),
    /** Tracing (docs/tracing.md); `OTEL_*` environment variables override it, `--trace` turns it on. */
    tracing: z
      .strictObject({
        enabled: z.boolean().default(D.tracing.enabled),
        /** OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces` (as `OTEL_EXPORTER_OTLP_ENDPOINT`). */
        endpoint: z.url({ protocol: /^https?$/ }).default(D.tracing.endpoint),
        serviceName: z.string().min(1).default(D.tracing.serviceName),
        /** `service.name` of the embedded simulator's spans. */
        simServiceName: z.string().min(1).default(D.tracing.simServiceName),
        sampler: z.enum(TRACING_SAMPLERS).default(D.tracing.sampler),
        /** Ratio of the `*traceidratio` samplers (0..1). */
        samplerArg: z.number().min(0).max(1).default(D.tracing.samplerArg),
        /** Most new traces per second (0: no cap). */
        maxTracesPerSecond: z.number().min(0).default(D.tracing.maxTracesPerSecond),
        /** Spans waiting for export per service; beyond it spans are dropped and counted. */
        maxQueueSize: z.number().int().min(1).max(1_000_000).default(D.tracing.maxQueueSize),
        resourceAttributes: z.record(z.string().min(1), z.string()).default({}),
      })
      .prefault({}),
    /** NATS JetStream: the replicated order log and the venue lease (docs/deployment.md). Off by default. */
    cluster: clusterSchema,
  })
  .superRefine((c, ctx) => {
    const venues = c.venues.length > 0 ? c.venues.map((v) => v.name) : simVenueNames(c.sim.venues);
    const listed = (c.risk.strategies ?? {}) as Record<string, unknown>;
    const seen = new Set<string>();
    for (const [i, s] of c.strategies.entries()) {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['strategies', i, 'id'], input: s.id, message: 'an id not used by another strategy' });
      seen.add(s.id);
      if (typeof listed !== 'object' || listed === null || !Object.hasOwn(listed, s.id)) {
        ctx.addIssue({ code: 'custom', path: ['strategies', i, 'id'], input: s.id, message: 'a strategy id listed under risk.strategies (its orders would all be denied)' });
      }
      for (const [k, ins] of s.instruments.entries()) {
        const [v, sym] = ins.split(':') as [string, string];
        if (!venues.includes(v) || !c.symbols.includes(sym)) {
          ctx.addIssue({ code: 'custom', path: ['strategies', i, 'instruments', k], input: ins, message: `an instrument <venue>:<symbol> with venue in ${venues.join(', ')} and symbol in ${c.symbols.join(', ')}` });
        }
      }
    }
    const names = new Set<string>();
    for (const [i, v] of c.venues.entries()) {
      if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['venues', i, 'name'], input: v.name, message: 'a venue name not used by another venue' });
      names.add(v.name);
    }
  });

/** The config as written. */
export type DaemonConfigInput = z.input<typeof daemonConfigSchema>;
/** Validated config plus the parsed gateway options and the tracing set-up (file + `OTEL_*` environment). */
export type DaemonConfig = Readonly<z.output<typeof daemonConfigSchema>> & { readonly gatewayOptions: GatewayOptions; readonly tracingSetup: ResolvedTracing };

/** `sim-a`, `sim-b`, … (the simulator's venue names). */
export function simVenueNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `sim-${String.fromCharCode(97 + i)}`);
}

/** Environment variable holding a venue's API key or secret: `BOT4_VENUE_SIM_A_API_KEY`. */
export function venueEnvName(venue: string, what: 'API_KEY' | 'API_SECRET'): string {
  return `BOT4_VENUE_${venue.toUpperCase().replace(/-/g, '_')}_${what}`;
}

/** Reads a YAML (`.yaml`/`.yml`) or JSON (`.json`) file; anything else is parsed as YAML (a superset of JSON). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DaemonConfigFileError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
  }
  try {
    if (path.extname(file).toLowerCase() === '.json') return JSON.parse(text) as unknown;
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true }) as unknown;
  } catch (e) {
    throw new DaemonConfigFileError(file, `not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, e);
  }
}

/**
 * Validates a daemon config once (raw object from a file, or undefined for the defaults), filling
 * venue secrets from the environment (`BOT4_VENUE_<NAME>_API_KEY` / `_API_SECRET`) and gateway
 * tokens from `BOT4_GATEWAY_TOKENS`. Throws `ConfigError` (`B4_CONFIG_INVALID`) naming the field,
 * what was expected and what arrived. The result is frozen.
 */
export function parseDaemonConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError('config', `config: expected a mapping of fields at the top level, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
  }
  const input = { ...((raw ?? {}) as Record<string, unknown>) };
  const known = Object.keys(DAEMON_DEFAULTS);
  for (const k of Object.keys(input)) {
    if (!known.includes(k)) throw new ConfigError(k, `${k}: expected one of the fields ${known.join(', ')}, got an unknown field`);
  }
  if (Array.isArray(input.venues)) {
    input.venues = input.venues.map((v: unknown) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const o = { ...(v as Record<string, unknown>) };
      const name = typeof o.name === 'string' ? o.name : '';
      if (o.apiKey === undefined && env[venueEnvName(name, 'API_KEY')] !== undefined) o.apiKey = env[venueEnvName(name, 'API_KEY')];
      if (o.secret === undefined && env[venueEnvName(name, 'API_SECRET')] !== undefined) o.secret = env[venueEnvName(name, 'API_SECRET')];
      return o;
    });
  }
  const cfg = parseOptions(daemonConfigSchema, input, '');
  checkRisk(cfg);
  const gatewayOptions = parseGatewayOptions({ host: D.gateway.host, port: D.gateway.port, ...cfg.gateway }, env);
  const tracingSetup = resolveTracing(cfg.tracing, env);
  return Object.freeze({ ...cfg, gatewayOptions, tracingSetup });
}

/**
 * The risk config as the daemon's engine will see it: the risk schema itself (every money limit
 * converted to atoms and range-checked, `B4_CONFIG_INVALID` naming the field) and the keys that
 * name venues and instruments checked against this config's venues and symbols. Runs on every
 * load, so `bot4 config check` and `bot4 daemon` refuse exactly the same files.
 */
function checkRisk(cfg: z.output<typeof daemonConfigSchema>): void {
  const risk = parseRiskConfig(cfg.risk, 'risk');
  const venues = cfg.venues.length > 0 ? cfg.venues.map((v) => v.name) : simVenueNames(cfg.sim.venues);
  for (const key of Object.keys(risk.venues)) {
    if (!venues.includes(key)) throw new ConfigError(`risk.venues.${key}`, `risk.venues.${key}: expected a configured venue (${venues.join(', ')}), got ${JSON.stringify(key)}`);
  }
  for (const [field, keys] of [['instruments', Object.keys(risk.instruments)], ['feeds.trusted', Object.keys(risk.feeds.trusted)]] as const) {
    for (const key of keys) {
      const [v = '', sym = ''] = key.split(':');
      if (!venues.includes(v) || !cfg.symbols.includes(sym)) {
        throw new ConfigError(`risk.${field}.${key}`, `risk.${field}.${key}: expected "venue:symbol" with venue in ${venues.join(', ')} and symbol in ${cfg.symbols.join(', ')}, got ${JSON.stringify(key)}`);
      }
    }
  }
}

/** Reads and validates `file` (or the defaults when undefined). */
export function loadDaemonConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  return parseDaemonConfig(file === undefined ? undefined : readConfigFile(file), env);
}

/**
 * The defaults as `field → value` rows (dotted paths, arrays and records as JSON): the README's
 * config table is checked against these.
 */
export function defaultRows(): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && prefix !== 'risk' && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(prefix === '' ? k : `${prefix}.${k}`, x);
      return;
    }
    rows.push([prefix, typeof v === 'string' && v !== '' ? v : JSON.stringify(v)]);
  };
  walk('', { ...DAEMON_DEFAULTS, strategies: DAEMON_DEFAULTS.strategies.map((s) => s.id) });
  return rows;
}
