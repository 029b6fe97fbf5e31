import { LiveClock, type Clock } from '../common/clock.js';
import { logger } from '../common/log.js';
import { parseOptions, z } from '../common/validate.js';
import { CrisisRunner, type CrisisStatus } from './faults/crisis-runner.js';
import { CRISES, type VenueEvent } from './faults/crises.js';
import type { LedgerSnapshot } from './venue/ledger.js';
import { DEFAULT_PARTICIPANTS } from './venue/participants.js';
import type { LedgerRetention } from './venue/retention.js';
import { SimulatorStateError, SimulatorUnknownError } from './errors.js';
import { VenueCore, type VenueOptions } from './venue/venue.js';
import { VenueStore } from './venue/venue-store.js';
import { ControlServer, handleControl, type ControlAccess } from './wire/control-api.js';
import { NetworkModel } from './faults/index.js';
import { LINK_SCOPES, OUTAGE_MODES, type LinkScope, type OutageMode } from './faults/index.js';
import type { FaultModel, Outage } from './wire/faults.js';
import { BINANCE_LIMITS, NO_LIMITS, RATE_LIMIT_PRESET_NAMES, RATE_LIMIT_PRESETS } from './wire/rate-limit.js';
import { uwsInfo, VenueServer } from './wire/server.js';

/** API key of the documented demo account (funded on every venue with {@link DEMO_BALANCES}). */
export const DEMO_API_KEY = 'bot4-demo-key';
/** API secret of the documented demo account. */
export const DEMO_API_SECRET = 'bot4-demo-secret';
/** Starting balances of the demo account on every venue. */
export const DEMO_BALANCES: Readonly<Record<string, string>> = Object.freeze({ USDT: '100000', BTC: '2', ETH: '20', SOL: '200', LUNA: '1000', UST: '10000', FTT: '1000' });

/** URLs of one venue. */
export interface VenueUrls {
  name: string;
  port: number;
  /** `http://host:port` */
  base: string;
  /** REST root, `…/api/v3` (ccxt `urls.api.public` / `private`). */
  rest: string;
  /** Raw market streams, `ws://…/ws` (ccxt `urls.api.ws.spot`). */
  ws: string;
  /** Combined market streams, `ws://…/stream`. */
  stream: string;
  /** WebSocket API, `ws://…/ws-api/v3` (ccxt `urls.api.ws['ws-api'].spot`). */
  wsApi: string;
  /** Control API on the venue port, `…/_sim`. */
  control: string;
}

/**
 * Default client history a venue keeps in full (the embedded simulator's memory bound): 20,000
 * client orders (a few MB) and 131,072 balance entries (about 6 MB of columns), no age limit.
 */
export const DEFAULT_RETENTION: Readonly<LedgerRetention> = Object.freeze({ orders: 20_000, entries: 131_072, maxAgeMs: 0 });

const optionsSchema = z
  .object({
    /** Number of venues (named sim-a, sim-b, …) or explicit names. */
    venues: z.union([z.number().int().min(1).max(26), z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/)).min(1).max(26)]).default(2),
    seed: z.number().int().default(42),
    host: z.string().min(1).default('127.0.0.1'),
    /** First port: venue i listens on port+i and the control API on port+N; 0 picks free ports. */
    port: z.number().int().min(0).max(65535).default(0),
    /** Network profile (name such as `good`, or a spec) for every venue and scope; `none` = no network effects. */
    profile: z.unknown().default('none'),
    apiKey: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default(DEMO_API_KEY),
    apiSecret: z.string().min(1).max(128).default(DEMO_API_SECRET),
    balances: z.record(z.string(), z.string().regex(/^\d+(\.\d{1,8})?$/)).default({ ...DEMO_BALANCES }),
    /** Background makers/takers. */
    participants: z.boolean().default(true),
    /**
     * Rate limits enforced and advertised in `exchangeInfo` `rateLimits`: Binance's by default; a
     * preset (`off`, `binance`, `high`: `RATE_LIMIT_PRESETS`), false (= `off`), or Binance's with
     * some fields replaced.
     */
    rateLimits: z
      .union(
        [
          z.literal(false),
          z.enum(RATE_LIMIT_PRESET_NAMES),
          z.object({
            weightPerMinute: z.number().int().min(0).optional(),
            ordersPer10s: z.number().int().min(0).optional(),
            ordersPerDay: z.number().int().min(0).optional(),
            banAfter429: z.number().int().min(0).optional(),
            banMs: z.number().int().min(0).optional(),
          }),
        ],
        { error: `false, a preset (${RATE_LIMIT_PRESET_NAMES.map((n) => JSON.stringify(n)).join(', ')}) or an object of whole limits >= 0 (weightPerMinute, ordersPer10s, ordersPerDay, banAfter429, banMs)` },
      )
      .default({}),
    makerBps: z.number().int().min(0).max(1000).default(10),
    takerBps: z.number().int().min(0).max(1000).default(10),
    tickMs: z.number().int().min(10).max(10_000).default(250),
    /** `defaultSelfTradePreventionMode` of every symbol: what an order that names no mode gets (Binance spot: `EXPIRE_MAKER`). */
    selfTradePreventionMode: z.enum(['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH']).default('EXPIRE_MAKER'),
    /** Per-message network decisions kept for `GET /_sim/network/events` (0 = none; they allocate). Ignored with `network`. */
    decisionLogSize: z.number().int().min(0).max(1_000_000).default(0),
    clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null && typeof (v as Clock).setTimer === 'function', 'a Clock').optional(),
    network: z.custom<FaultModel>((v) => typeof v === 'object' && v !== null && typeof (v as FaultModel).link === 'function', 'a FaultModel').optional(),
    /**
     * Bearer token the control API (`/_sim`, on every port) requires: `Authorization: Bearer <token>`.
     * Unset: no token (tests, `bot4 sim`); the daemon always sets one for its embedded simulator.
     */
    controlToken: z.string().regex(/^[A-Za-z0-9._~+/=-]{16,256}$/, 'a token of 16 to 256 characters from A-Z a-z 0-9 . _ ~ + / = -').optional(),
    /**
     * Folder of the durable ledger (one log + snapshot per venue). Set: the API users' accounts,
     * orders, order history, trades and id counters survive a restart (even SIGKILL); background
     * participants and fair values start fresh. Unset: every start is blank.
     */
    stateDir: z.string().min(1).optional(),
    /** fsync the venue log after every operation (power-loss safe; slower). Without it a process kill still loses nothing. */
    stateFsync: z.boolean().default(false),
    /** Log lines after which the log is folded into a snapshot. */
    stateCompactEvery: z.number().int().min(1).max(10_000_000).default(50_000),
    /**
     * Client history each venue keeps in full; past it, closed orders and balance entries are
     * compacted into running sums (the ledger still reconciles exactly; a compacted order answers
     * -2013 "Order does not exist."). `false` keeps everything (memory grows with every order).
     * See docs/simulator.md, "Retention".
     */
    retention: z
      .union(
        [
          z.literal(false),
          z
            .object({
              /** Client orders kept (open ones always; the oldest closed ones are compacted first). */
              orders: z.number().int().min(0).max(100_000_000).default(DEFAULT_RETENTION.orders),
              /** Balance entries kept (compacted in blocks of 16,384, so up to that many more are kept). */
              entries: z.number().int().min(0).max(1_000_000_000).default(DEFAULT_RETENTION.entries),
              /** Closed orders unchanged for longer than this (venue ms) are compacted whatever the count; 0 = no age limit. */
              maxAgeMs: z.number().int().min(0).max(365 * 86_400_000).default(DEFAULT_RETENTION.maxAgeMs),
            })
            .strict(),
        ],
        { error: 'false or an object { orders, entries, maxAgeMs } of whole numbers >= 0' },
      )
      .default({ ...DEFAULT_RETENTION }),
    /** Browser origins (`https://host:port`) allowed to call the control API; default none. */
    controlOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin such as http://localhost:3000')).max(32).default([]),
  })
  .strict();

/** Options of {@link Simulator.start}. */
export type SimulatorOptions = z.input<typeof optionsSchema>;

interface Slot {
  core: VenueCore;
  server: VenueServer;
  urls: VenueUrls;
  opts: VenueOptions;
  applied: Record<LinkScope, Outage | null>;
}

/**
 * Several Binance-compatible venues in one process, each on its own port, plus a control API.
 *
 * ```ts
 * const sim = await Simulator.start({ venues: 2, seed: 42, port: 0 });
 * sim.venues[0].rest; // http://127.0.0.1:PORT/api/v3
 * await sim.stop();
 * ```
 */
export class Simulator {
  readonly seed: number;
  readonly clock: Clock;
  readonly network: FaultModel;
  /** `http://host:port/_sim` of the dedicated control server. */
  controlUrl = '';
  /** The durable ledger's folder and settings, when there is one. */
  private stateDir: { dir: string; fsync: boolean; compactEvery: number } | undefined;
  /** Who may call the control API (token, browser origins). */
  controlAccess: ControlAccess = { token: undefined, origins: [] };
  private readonly slots = new Map<string, Slot>();
  private control: ControlServer | undefined;
  private crisis: CrisisRunner | undefined;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private readonly log = logger.child({ component: 'simulator' });

  private constructor(seed: number, clock: Clock, network: FaultModel) {
    this.seed = seed;
    this.clock = clock;
    this.network = network;
  }

  /** Validates `options`, builds and binds every venue and the control server. */
  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const o = parseOptions(optionsSchema, options, 'simulator');
    const uws = uwsInfo();
    if (!uws.native) logger.warn({ detail: uws.detail }, 'uWebSockets.js native binary NOT loaded: the simulator runs on the slow JS fallback and its benchmark figures are meaningless');
    const clock = o.clock ?? new LiveClock();
    const network: FaultModel = o.network ?? new NetworkModel({ seed: o.seed, clock, decisionLogSize: o.decisionLogSize });
    const sim = new Simulator(o.seed, clock, network);
    if (o.stateDir !== undefined) sim.stateDir = { dir: o.stateDir, fsync: o.stateFsync, compactEvery: o.stateCompactEvery };
    sim.controlAccess = Object.freeze({ token: o.controlToken, origins: Object.freeze([...o.controlOrigins]) });
    // Outages can end by themselves (durationMs): follow the model's expiries to undo wire effects.
    // Sets and clears are synced by setOutage/clearOutage themselves, so their errors reach the caller.
    sim.unsubscribe = network.subscribe?.((ev) => {
      if (ev.type === 'outage.expire' && ev.venue !== undefined && sim.slots.has(ev.venue)) {
        sim.syncOutages(ev.venue).catch((e: unknown) => sim.log.error({ err: e, venue: ev.venue }, 'could not apply the end of an outage'));
      }
    });
    const names = typeof o.venues === 'number' ? Array.from({ length: o.venues }, (_, i) => `sim-${String.fromCharCode(97 + i)}`) : [...o.venues];
    if (new Set(names).size !== names.length) throw new SimulatorUnknownError(`simulator.venues: names must be unique, got ${names.join(', ')}`);
    const limits =
      o.rateLimits === false ? { ...NO_LIMITS } : typeof o.rateLimits === 'string' ? { ...RATE_LIMIT_PRESETS[o.rateLimits] } : { ...BINANCE_LIMITS, ...stripUndefined(o.rateLimits) };
    try {
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        const vopts: VenueOptions = {
          name,
          seed: o.seed,
          clock,
          users: [{ apiKey: o.apiKey, apiSecret: o.apiSecret, balances: { ...o.balances } }],
          fees: { makerBps: o.makerBps, takerBps: o.takerBps },
          limits,
          participants: o.participants ? { ...DEFAULT_PARTICIPANTS } : false,
          tickMs: o.tickMs,
          stp: o.selfTradePreventionMode,
          retention: o.retention === false ? undefined : { ...o.retention },
          store: o.stateDir === undefined ? undefined : VenueStore.open({ dir: o.stateDir, venue: name, fsync: o.stateFsync, compactEvery: o.stateCompactEvery }),
        };
        const core = new VenueCore(vopts);
        const server = new VenueServer(core, network, (r) => handleControl(sim, r), sim.log.child({ venue: name }));
        const port = await server.listen(o.host, o.port === 0 ? 0 : o.port + i);
        const base = `http://${o.host}:${port}`;
        const ws = `ws://${o.host}:${port}`;
        const urls: VenueUrls = { name, port, base, rest: `${base}/api/v3`, ws: `${ws}/ws`, stream: `${ws}/stream`, wsApi: `${ws}/ws-api/v3`, control: `${base}/_sim` };
        sim.slots.set(name, { core, server, urls, opts: vopts, applied: { rest: null, stream: null, 'ws-api': null } });
        if (o.profile !== 'none') network.setProfile(name, 'all', o.profile as never);
        core.start();
      }
      sim.control = new ControlServer((r) => handleControl(sim, r));
      const cport = await sim.control.listen(o.host, o.port === 0 ? 0 : o.port + names.length);
      sim.controlUrl = `http://${o.host}:${cport}/_sim`;
    } catch (e) {
      await sim.stop();
      throw e;
    }
    return sim;
  }

  /** URLs of every venue, in creation order. */
  get venues(): VenueUrls[] {
    return [...this.slots.values()].map((s) => s.urls);
  }

  /** The venue core named `name` (engine, accounts, ledger) for in-process inspection. */
  venue(name: string): VenueCore {
    return this.slot(name).core;
  }

  /** The wire server of venue `name`. */
  server(name: string): VenueServer {
    return this.slot(name).server;
  }

  private slot(name: string): Slot {
    if (this.stopped) throw new SimulatorStateError('simulator is stopped');
    const s = this.slots.get(name);
    if (s === undefined) throw new SimulatorUnknownError(`unknown venue ${JSON.stringify(name)}; venues: ${[...this.slots.keys()].join(', ')}`, { venue: name });
    return s;
  }

  /** Sets the network profile of a venue (all scopes when `scope` is undefined). */
  setProfile(venue: string, scope: LinkScope | undefined, profile: unknown): void {
    this.slot(venue);
    this.network.setProfile(venue, scope ?? 'all', profile as never);
  }

  /**
   * Starts an outage on a venue (all scopes when `scope` is undefined) and applies its wire side
   * effects: `refuse` on every scope closes the port and every connection on it (ECONNREFUSED) and
   * reopens the same port when cleared, `refuse` on one scope resets that scope's connections,
   * `ws-drop` closes WebSockets abruptly (1006), `clock-skew` shifts that scope's server time by
   * `params.skewMs`.
   */
  async setOutage(venue: string, scope: LinkScope | undefined, mode: OutageMode, params: Record<string, unknown> = {}): Promise<void> {
    this.slot(venue);
    if (!OUTAGE_MODES.includes(mode)) throw new SimulatorUnknownError(`unknown outage mode ${JSON.stringify(mode)}; modes: ${OUTAGE_MODES.join(', ')}`);
    if (scope !== undefined && !LINK_SCOPES.includes(scope)) throw new SimulatorUnknownError(`unknown scope ${JSON.stringify(scope)}; scopes: ${LINK_SCOPES.join(', ')}`);
    this.network.setOutage(venue, scope ?? 'all', mode, params);
    await this.syncOutages(venue);
  }

  /** Ends outages on a venue (all scopes when `scope` is undefined). */
  async clearOutage(venue: string, scope?: LinkScope): Promise<void> {
    this.slot(venue);
    if (scope !== undefined && !LINK_SCOPES.includes(scope)) throw new SimulatorUnknownError(`unknown scope ${JSON.stringify(scope)}; scopes: ${LINK_SCOPES.join(', ')}`);
    this.network.clearOutage(venue, scope ?? 'all');
    await this.syncOutages(venue);
  }

  /** Brings the wire in line with the model's outages of `venue` (idempotent). */
  private async syncOutages(venue: string): Promise<void> {
    const s = this.slots.get(venue);
    if (s === undefined || this.stopped) return;
    const now: Record<LinkScope, Outage | null> = { rest: null, stream: null, 'ws-api': null };
    for (const sc of LINK_SCOPES) now[sc] = this.network.outage(venue, sc);
    for (const sc of LINK_SCOPES) {
      const o = now[sc];
      s.core.skewMs[sc] = o?.mode === 'clock-skew' && typeof o.skewMs === 'number' ? o.skewMs : 0;
    }
    for (const sc of ['stream', 'ws-api'] as const) {
      const o = now[sc];
      if (o !== null && o !== s.applied[sc] && (o.mode === 'refuse' || o.mode === 'ws-drop')) s.server.dropWebSockets(sc);
    }
    s.applied = now;
    await s.server.setRefusing(s.core.status === 'gone' || LINK_SCOPES.every((sc) => now[sc]?.mode === 'refuse'));
  }

  /** Active outages per venue and scope. */
  outages(): Record<string, Partial<Record<LinkScope, Outage>>> {
    const out: Record<string, Partial<Record<LinkScope, Outage>>> = {};
    for (const name of this.slots.keys()) {
      const row: Partial<Record<LinkScope, Outage>> = {};
      for (const sc of LINK_SCOPES) {
        const o = this.network.outage(name, sc);
        if (o !== null) row[sc] = o;
      }
      out[name] = row;
    }
    return out;
  }

  /** Starts crisis `scenario` (covid, luna, ftx) with `venue` as the protagonist venue. */
  startCrisis(scenario: string, venue: string, durationMs?: number): CrisisStatus {
    const target = this.slot(venue).core;
    const script = (CRISES as Record<string, (typeof CRISES)[keyof typeof CRISES] | undefined>)[scenario];
    if (script === undefined) throw new SimulatorUnknownError(`unknown crisis ${JSON.stringify(scenario)}; scenarios: ${Object.keys(CRISES).join(', ')}`);
    if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs >= 100)) throw new SimulatorUnknownError(`crisis durationMs: expected a number >= 100, got ${String(durationMs)}`);
    this.crisis?.cancel();
    const cores = [...this.slots.values()].map((s) => s.core);
    this.crisis = new CrisisRunner(script, cores, target, durationMs ?? script.defaultDurationMs, (v, ev) => void this.venueEvent(v, ev));
    return this.crisis.status();
  }

  /** Status of the current or last crisis, or null. */
  crisisStatus(): CrisisStatus | null {
    return this.crisis?.status() ?? null;
  }

  private async venueEvent(v: VenueCore, ev: VenueEvent): Promise<void> {
    v.status = ev;
    this.log.warn({ venue: v.name, event: ev }, 'crisis venue event');
    if (ev === 'gone') await this.setOutage(v.name, undefined, 'refuse');
  }

  /** The ledger of `venue` (optionally one account). */
  ledger(venue: string, account?: string): LedgerSnapshot {
    return this.slot(venue).core.ledger.snapshot(account);
  }

  /**
   * Resets a venue (or all) to its starting state: new books, accounts, ledger and fair values from
   * the same seed; outages cleared; open WebSockets closed; the port stays the same.
   */
  async reset(venue?: string): Promise<void> {
    this.crisis?.cancel();
    this.crisis = undefined;
    for (const s of venue === undefined ? [...this.slots.values()] : [this.slot(venue)]) {
      s.core.stop();
      if (this.stateDir !== undefined) {
        // A reset is a new venue: its durable ledger starts over too.
        VenueStore.wipe(this.stateDir.dir, s.urls.name);
        s.opts = { ...s.opts, store: VenueStore.open({ ...this.stateDir, venue: s.urls.name }) };
      }
      s.core = new VenueCore(s.opts);
      s.server.swapVenue(s.core);
      s.core.start();
      await this.clearOutage(s.urls.name);
    }
  }

  /** Stops every venue and the control server. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.network.close?.();
    this.crisis?.cancel();
    for (const s of this.slots.values()) {
      s.core.stop();
      s.server.close();
    }
    this.control?.close();
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
