import type { Clock, TimerHandle } from '../../common/clock.js';
import { Bot4Error } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import { SeededRandom } from '../../common/random.js';
import { parseOptions, z } from '../../common/validate.js';
import type { OrderJournal } from '../journal/order-journal.js';
import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';
import { isTerminal, type Order, type OrderEvent, type ReconcileTarget } from '../orders/order-state.js';
import { PERMIT, TRIAL_PERMIT, type CircuitBreaker } from './circuit-breaker.js';
import type { ActorRef, ActorSystem } from '../runtime/actor-system.js';
import type { ActorContext } from '../runtime/actor-cell.js';
import { currentTraceparent } from '../runtime/context.js';
import type { Envelope } from '../runtime/envelope.js';
import type { SupervisionOptions } from '../runtime/options.js';
import type { ExchangeAdapter, VenueBook, VenueOrder, VenueOrderStatus, VenuePublicTrade, VenueTicker } from './adapter.js';
import { VenueAuthError, VenueCallError, VenueConfigError, VenueDivergedError } from './errors.js';
import { parseClientOrderId } from '../orders/client-order-id.js';
import { topics, venueAddress, type BalanceUpdate, type OrderCancel, type OrderCancelAll, type OrderDenied, type OrderFill, type OrderSubmit, type OrderUpdate, type Ticker, type Trade, type VenueConnState, type VenueStateEvent } from '../messages.js';
import { venueMachine } from './venue-machine.js';

/** Venue actor options (validated; defaults in {@link VENUE_DEFAULTS}). */
export const venueOptionsSchema = z
  .object({
    /** First reconnect/probe delay (ms); full-jitter exponential backoff from here. */
    probeBaseMs: z.number().int().min(1).max(60_000).default(50),
    /** Cap of the reconnect/probe backoff (ms). */
    probeCapMs: z.number().int().min(1).max(600_000).default(1000),
    /** Safety-net poll of open orders while running (ms); 0 disables. */
    reconcileEveryMs: z.number().int().min(0).max(3_600_000).default(2000),
    /** Align the journal's balances with the venue's on every sync (journaled as balance adjustments). */
    balanceSync: z.boolean().default(true),
    /** Seed of the backoff jitter. */
    seed: z.number().int().default(1),
    /** Start the market-data and user-data streams (ccxt.pro). */
    streams: z.boolean().default(true),
    /** Also stream depth (`md.book.<venue>.<symbol>`, top 10 levels) and public trades (`md.trade...`). */
    books: z.boolean().default(true),
    /**
     * "The venue has no such order" is not believed until this long (ms) after the order's request
     * went unanswered (timeout, 5xx, disconnect), nor, after a process start, for orders of an
     * earlier process: a request still travelling may yet reach the venue. Set it above the venue
     * request timeout.
     */
    notFoundGraceMs: z.number().int().min(0).max(600_000).default(5000),
    /**
     * After the venue refused our credentials (`B4_VENUE_AUTH`) the venue stays halted and is tried
     * again after this long (ms), doubling per failure up to {@link authRetryCapMs}; 0: only an
     * operator's `venue.cmd.resume` tries again. Never hammers a real exchange with a wrong key.
     */
    authRetryMs: z.number().int().min(0).max(86_400_000).default(300_000),
    /** Cap of the credential retry backoff (ms). */
    authRetryCapMs: z.number().int().min(1).max(86_400_000).default(3_600_000),
    /**
     * After a process start the venue's orders and trades since the journal's newest record minus
     * this margin (ms) are fetched and whatever the journal lacks is adopted (see docs/restart-safety.md).
     */
    historyMarginMs: z.number().int().min(0).max(7 * 86_400_000).default(300_000),
    /**
     * What to do when, after the start reconciliation, the journal's balances still differ from the
     * venue's: `halt` (`B4_VENUE_DIVERGED`, orders denied until an operator decides) or `adjust`
     * (journal the difference as a balance adjustment and trade on). A journal that has never seen
     * this venue always adopts the venue's balances.
     */
    onDivergence: z.enum(['halt', 'adjust']).default('halt'),
  })
  .strict();

/** Options accepted by {@link spawnVenueActor}. */
export type VenueOptionsInput = z.input<typeof venueOptionsSchema>;
/** Validated options. */
export type VenueOptions = z.output<typeof venueOptionsSchema>;

/** What a venue actor needs. */
export interface VenueActorDeps {
  adapter: ExchangeAdapter;
  journal: OrderJournal;
  clock: Clock;
  /** The venue's circuit breaker: every venue call goes through it. */
  breaker: CircuitBreaker;
  /** This venue's instruments as the engine knows them (checked against the venue on connect). */
  instruments: readonly Instrument[];
  options?: VenueOptionsInput;
}

/** Journal error codes share this prefix (a failed append is not the order's fault). */
const JOURNAL_CODE_PREFIX = ['B4', 'JOURNAL'].join('_');

/** Strategy id under which orders found at the venue but unknown to the journal are booked. */
export const ADOPTED_STRATEGY = 'adopted';

/** Denial codes of the venue actor (orders that never left the process). */
export const VENUE_DENIALS = Object.freeze({
  VENUE_UNAVAILABLE: 'VENUE_UNAVAILABLE',
  VENUE_SYNCING: 'VENUE_SYNCING',
  VENUE_HALTED: 'VENUE_HALTED',
  VENUE_RATE_LIMITED: 'VENUE_RATE_LIMITED',
  ORDER_OUTCOME_UNKNOWN: 'ORDER_OUTCOME_UNKNOWN',
  ORDER_INVALID: 'ORDER_INVALID',
  JOURNAL_FAILED: 'JOURNAL_FAILED',
});

/** A denial code of the venue actor (a member of {@link VENUE_DENIALS}). */
export type VenueDenialCode = (typeof VENUE_DENIALS)[keyof typeof VENUE_DENIALS];

/** Figures of one venue actor (for `/metrics`, tests and the recovery benchmark). */
export interface VenueActorStats {
  state: VenueConnState | 'faulted';
  submitted: number;
  accepted: number;
  rejected: number;
  denied: Record<string, number>;
  unknown: number;
  resolved: number;
  adopted: number;
  /** Venue answers of 429/418 (the budget exists so this stays 0). */
  throttled: number;
  /** Balance syncs skipped because fills were in motion (see `syncBalances`). */
  balanceSyncSkipped: number;
  syncs: number;
  downs: number;
  balanceDrift: Record<string, string>;
  /** Clock ns when the venue last came back (probe succeeded) and when the next order was accepted after it. */
  lastBackNs: number;
  lastRecoveryNs: number;
  /** Code of the error that halted the venue (`B4_VENUE_AUTH`, `B4_VENUE_DIVERGED`, `B4_VENUE_CONFIG`), if halted by one. */
  haltCode?: string;
  /** Credential refusals in a row (reset by a successful sync). */
  authFailures: number;
  /** What the start reconciliation found: orders adopted from the venue's history, fills it applied. */
  startReconcile: { done: boolean; adopted: number; fills: number; unexplainedTrades: number };
}

/**
 * One venue as an actor (`exchange.<venue>`): the connection lifecycle in XState
 * ({@link venueMachine}), every venue call through the venue's circuit breaker, orders journaled
 * before they leave, ambiguous outcomes parked in `unknown` and resolved by client order id, and
 * a full reconciliation (orders, fills, balances) after every (re)connect before new orders pass.
 *
 * Messages: `order.submit` (data, {@link OrderSubmit}), `order.cancel` / `order.cancel-all`
 * (control), `venue.cmd.halt` / `venue.cmd.resume` (control). Publishes `order.update` on
 * `orders.<strategy>` and `orders.all`, `order.fill` on `fills.<strategy>` and `fills.all`,
 * `order.denied` on `risk.denials` and `orders.<strategy>`, tickers on `md.ticker.<venue>.<symbol>`,
 * and `venue.state` on `venues.<venue>`.
 */
export class VenueActor {
  readonly venue: string;
  readonly address: string;
  readonly options: VenueOptions;
  private readonly adapter: ExchangeAdapter;
  private readonly journal: OrderJournal;
  private readonly clock: Clock;
  private readonly breaker: CircuitBreaker;
  private readonly instruments: readonly Instrument[];
  private readonly symbols: string[];
  private readonly rnd: SeededRandom;
  private readonly log;
  private ctx: ActorContext | undefined;
  private system: ActorSystem | undefined;
  private epoch = 0;
  private attempt = 0;
  private timer: TimerHandle | undefined;
  private pollTimer: TimerHandle | undefined;
  private connecting = false;
  private readonly resolving = new Set<string>();
  private readonly retrying = new Set<string>();
  /** Cancels whose request is running. */
  private readonly cancelling = new Set<string>();
  /** Orders whose placement request is still running (survives actor restarts: the request does). */
  private readonly inflight = new Set<string>();
  /** Orders this process placed (their requests are known to be finished when not in flight). */
  private readonly placedHere = new Set<string>();
  /** When each order's request ended without an answer (epoch ms): a late copy may still land. */
  private readonly unansweredAt = new Map<string, number>();
  private readonly startedMs: number;
  /** Bumped whenever a journaled event changes an order's fills of this venue. */
  private fillSeq = 0;
  /** Venue views being applied right now (some wait for executions). */
  private applying = 0;
  private readonly figures: VenueActorStats;
  private awaitingRecovery = false;
  /** The start reconciliation (venue history + balance check) passed for this process. */
  private startDone = false;
  /** The journal knew nothing of this venue when this process started (its balances are adopted). */
  private freshVenue: boolean | undefined;
  private haltCode: string | undefined;
  private haltReason = '';
  private authTimer: TimerHandle | undefined;
  /** An operator resumed with `acceptBalances`: the next balance check journals the difference. */
  private acceptBalances = false;

  constructor(deps: VenueActorDeps) {
    this.adapter = deps.adapter;
    this.venue = deps.adapter.venue;
    this.address = venueAddress(this.venue);
    this.journal = deps.journal;
    this.clock = deps.clock;
    this.breaker = deps.breaker;
    this.instruments = deps.instruments.filter((i) => i.venue === this.venue);
    if (this.instruments.length === 0) throw new VenueConfigError(`venue ${this.venue}: expected at least one instrument, got none`, { venue: this.venue });
    this.symbols = this.instruments.map((i) => i.symbol);
    this.options = parseOptions(venueOptionsSchema, deps.options ?? {}, `venues.${this.venue}`);
    this.rnd = new SeededRandom(this.options.seed).fork(this.venue);
    this.log = logger.child({ component: 'venue', venue: this.venue });
    this.startedMs = this.clock.epochMs();
    this.figures = {
      state: 'disconnected', submitted: 0, accepted: 0, rejected: 0, denied: {}, unknown: 0, resolved: 0, adopted: 0, throttled: 0, balanceSyncSkipped: 0, syncs: 0, downs: 0, balanceDrift: {}, lastBackNs: 0, lastRecoveryNs: 0,
      authFailures: 0, startReconcile: { done: false, adopted: 0, fills: 0, unexplainedTrades: 0 },
    };
  }

  /** Spawns the actor on `system`; resolves `started` once the first init ran. */
  spawn(system: ActorSystem, supervision?: SupervisionOptions): ActorRef<typeof venueMachine> {
    this.system = system;
    return system.spawn(this.address, venueMachine, {
      init: (ctx, info) => this.init(ctx, info.restart),
      handle: (e, ctx) => this.handle(e, ctx),
      mailbox: { capacity: 65_536, policy: 'reject' },
      ...(supervision === undefined ? {} : { supervision }),
    });
  }

  /** Current connection state (`faulted` once the supervisor gave up restarting the actor). */
  get state(): VenueConnState | 'faulted' {
    if (this.system?.lifecycleOf(this.address) === 'faulted') return 'faulted';
    return this.ctx === undefined ? 'disconnected' : (this.ctx.snapshot.value as VenueConnState);
  }

  /** Figures so far. */
  stats(): VenueActorStats {
    return {
      ...this.figures,
      state: this.state,
      denied: { ...this.figures.denied },
      balanceDrift: { ...this.figures.balanceDrift },
      startReconcile: { ...this.figures.startReconcile },
      ...(this.haltCode === undefined ? {} : { haltCode: this.haltCode }),
    };
  }

  /** Stops timers and streams (the actor itself is stopped by the system). */
  async close(): Promise<void> {
    this.epoch++;
    this.clearTimers();
    if (this.authTimer !== undefined) this.clock.clearTimer(this.authTimer);
    this.authTimer = undefined;
    this.adapter.stopStreams();
    await this.adapter.close();
  }

  // --- lifecycle -----------------------------------------------------------------------------

  private init(ctx: ActorContext, restart: boolean): void {
    this.ctx = ctx;
    this.epoch++;
    this.clearTimers();
    this.connecting = false;
    this.resolving.clear();
    // The previous incarnation's streams (if any) must stop, or startStreams would keep them (stale epoch).
    this.adapter.stopStreams();
    if (restart) this.log.warn('venue actor restarted: rebuilding from the journal and reconciling');
    // Connect once the actor is running (init must not outlive the start).
    const epoch = this.epoch;
    this.timer = this.clock.setTimer(0, () => {
      this.timer = undefined;
      if (epoch !== this.epoch) return;
      // A restart never lifts a halt that an error imposed (credentials, divergence): stay halted.
      if (this.haltCode !== undefined) this.machineSend({ type: 'venue.halt', reason: this.haltReason });
      else this.connect();
    });
  }

  /**
   * Halts the venue for `err` (its code is kept in the stats and the state event's reason): running
   * work is dropped (new epoch), streams and timers stop, orders are denied `VENUE_HALTED`.
   */
  private haltWith(err: Bot4Error): void {
    this.epoch++;
    this.clearTimers();
    this.connecting = false;
    this.adapter.stopStreams();
    this.haltCode = err.code;
    this.haltReason = `${err.code}: ${err.message}`;
    this.machineSend({ type: 'venue.halt', reason: this.haltReason });
  }

  /**
   * The venue refused our credentials: halt (logged once per run of refusals, with the venue's
   * code, never the key), then try again after `authRetryMs` doubling per refusal (capped), or
   * only on `venue.cmd.resume` when `authRetryMs` is 0.
   */
  private authFailed(e: VenueCallError): void {
    if (this.haltCode === VenueAuthError.code && this.state === 'halted') return;
    this.figures.authFailures++;
    const n = this.figures.authFailures;
    const base = this.options.authRetryMs;
    const delay = base === 0 ? undefined : Math.min(this.options.authRetryCapMs, base * 2 ** Math.min(n - 1, 30));
    const m = /"code":\s*(-?\d+)\s*,\s*"msg":\s*"([^"]{0,200})"/.exec(e.message);
    const said = m === null ? 'credentials refused' : `code ${m[1]}: ${m[2]}`;
    const next = delay === undefined ? 'only an operator resume (venue.cmd.resume) tries again' : `next attempt in ${delay} ms (or on venue.cmd.resume)`;
    const err = new VenueAuthError(this.venue, `venue ${this.venue} refused the API credentials (${said}); halted, ${next}`);
    if (n === 1) this.log.error({ code: err.code, venue: this.venue, retryInMs: delay ?? null }, err.message);
    else this.log.debug({ code: err.code, venue: this.venue, failures: n, retryInMs: delay ?? null }, 'credentials still refused');
    this.haltWith(err);
    if (this.authTimer !== undefined) this.clock.clearTimer(this.authTimer);
    this.authTimer = undefined;
    if (delay === undefined) return;
    this.authTimer = this.clock.setTimer(delay, () => {
      this.authTimer = undefined;
      if (this.state !== 'halted' || this.haltCode !== VenueAuthError.code) return;
      this.resume();
    });
  }

  /** Leaves `halted` (operator or the credential retry) and connects, which reconciles first. */
  private resume(): void {
    if (this.state !== 'halted') return;
    this.haltCode = undefined;
    this.haltReason = '';
    this.machineSend({ type: 'venue.resume' });
    this.connect();
  }

  private clearTimers(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    if (this.pollTimer !== undefined) this.clock.clearTimer(this.pollTimer);
    this.timer = undefined;
    this.pollTimer = undefined;
  }

  private machineSend(ev: Parameters<ActorContext<typeof venueMachine>['machine']['send']>[0]): void {
    const ctx = this.ctx as ActorContext<typeof venueMachine> | undefined;
    if (ctx === undefined) return;
    const before = ctx.snapshot.value as VenueConnState;
    ctx.machine.send(ev);
    const after = ctx.snapshot.value as VenueConnState;
    if (after === before) return;
    this.figures.state = after;
    if (after === 'disconnected' && before !== 'halted') this.figures.downs++;
    const reason = 'reason' in ev ? ev.reason : ev.type;
    const payload: VenueStateEvent = { venue: this.venue, state: after, previous: before, reason, tNs: this.clock.nowNs() };
    ctx.publish(topics.venue(this.venue), { type: 'venue.state', payload });
    this.log.info({ from: before, to: after, reason }, 'venue state');
    const lc = ctx.lifecycle;
    const want = after === 'running' ? 'running' : 'degraded';
    if ((lc === 'running' || lc === 'degraded') && lc !== want) ctx.setLifecycle(want);
  }

  /** disconnected → connecting → syncing → running; any failure goes back to probing. */
  private connect(): void {
    if (this.connecting || this.state === 'halted') return;
    this.connecting = true;
    const epoch = this.epoch;
    this.machineSend({ type: 'venue.connect' });
    void (async () => {
      try {
        const venueInstruments = await this.guarded(() => this.adapter.loadInstruments());
        this.checkInstruments(venueInstruments);
        if (epoch !== this.epoch) return;
        this.machineSend({ type: 'venue.connected' });
        await this.sync(epoch, true);
        if (epoch !== this.epoch) return;
        this.attempt = 0;
        this.connecting = false;
        this.figures.authFailures = 0;
        this.machineSend({ type: 'venue.synced' });
        this.awaitingRecovery = true;
        if (this.options.streams) this.adapter.startStreams(this.symbols, this.sinks(epoch));
        this.schedulePoll(epoch);
      } catch (e) {
        if (epoch !== this.epoch) return;
        this.connecting = false;
        if (e instanceof VenueConfigError) {
          this.log.error({ err: e }, 'venue config does not match the venue: halting');
          this.haltWith(e);
          return;
        }
        this.down(`connect failed: ${errMsg(e)}`);
      }
    })();
  }

  /** The venue stopped answering: deny orders, probe with full-jitter backoff, then reconnect. */
  private down(reason: string): void {
    if (this.state === 'halted') return;
    this.adapter.stopStreams();
    if (this.pollTimer !== undefined) this.clock.clearTimer(this.pollTimer);
    this.pollTimer = undefined;
    if (this.state !== 'disconnected') this.machineSend({ type: 'venue.down', reason });
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.timer !== undefined) return;
    const epoch = this.epoch;
    const ceiling = Math.min(this.options.probeCapMs, this.options.probeBaseMs * 2 ** Math.min(this.attempt, 20));
    const delay = Math.floor(this.rnd.next() * ceiling);
    this.attempt++;
    this.timer = this.clock.setTimer(delay, () => {
      this.timer = undefined;
      if (epoch !== this.epoch) return;
      void this.probe(epoch);
    });
  }

  /** One health probe (server time), admitted by the breaker as its trial call when half-open. */
  private async probe(epoch: number): Promise<void> {
    const permit = this.breaker.tryAcquire();
    if (permit !== PERMIT && permit !== TRIAL_PERMIT) {
      this.scheduleProbe();
      return;
    }
    const t0 = this.clock.nowNs();
    try {
      await this.adapter.probe();
      this.breaker.onSuccess(this.clock.nowNs() - t0);
    } catch (e) {
      this.breaker.onFailure(this.clock.nowNs() - t0);
      if (epoch === this.epoch) this.scheduleProbe();
      return;
    }
    if (epoch !== this.epoch) return;
    if (this.breaker.state !== 'closed') {
      this.scheduleProbe();
      return;
    }
    this.figures.lastBackNs = this.clock.nowNs();
    this.connect();
  }

  /** Runs a venue call through the breaker; a refusal or an ambiguous failure counts against it. */
  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    const permit = this.breaker.tryAcquire();
    if (permit !== PERMIT && permit !== TRIAL_PERMIT) throw new VenueCallError(this.venue, 'unknown', 'circuit breaker open', undefined);
    const t0 = this.clock.nowNs();
    try {
      const r = await fn();
      this.breaker.onSuccess(this.clock.nowNs() - t0);
      return r;
    } catch (e) {
      // Only failures that say the venue is unwell count: a business rejection is a healthy venue.
      if (e instanceof VenueCallError && (e.kind === 'unknown' || e.kind === 'throttled')) this.breaker.onFailure(this.clock.nowNs() - t0);
      else this.breaker.onSuccess(this.clock.nowNs() - t0);
      if (e instanceof VenueCallError && e.kind === 'auth') this.authFailed(e);
      throw e;
    }
  }

  private checkInstruments(venue: readonly Instrument[]): void {
    const bySym = new Map(venue.map((i) => [i.symbol, i]));
    for (const mine of this.instruments) {
      const v = bySym.get(mine.symbol);
      if (v === undefined) throw new VenueConfigError(`venue ${this.venue}: instrument ${mine.symbol} is not traded there`, { symbol: mine.symbol });
      if (v.tickSize !== mine.tickSize || v.lotSize !== mine.lotSize) {
        throw new VenueConfigError(`venue ${this.venue}: ${mine.symbol} filters differ (engine tick ${mine.tickSize} lot ${mine.lotSize}, venue tick ${v.tickSize} lot ${v.lotSize})`, { symbol: mine.symbol });
      }
    }
  }

  // --- reconciliation --------------------------------------------------------------------------

  /**
   * Brings the journal in line with the venue: every locally open order (including `unknown` ones)
   * is looked up by client order id; orders open at the venue that the journal lacks are adopted;
   * balances are aligned. Throws (→ down) if the venue stops answering meanwhile.
   */
  private async sync(epoch: number, balances = false): Promise<void> {
    const start = balances && !this.startDone;
    if (start) {
      this.freshVenue ??= this.isFreshVenue();
      // No known point in time (a journal of only a snapshot without order changes): nothing to ask for.
      if (!this.freshVenue && this.journal.lastRecordMs > 0) await this.reconcileHistory(epoch);
      if (epoch !== this.epoch) return;
    }
    const open = await this.guarded(() => this.adapter.fetchOpenOrders(this.symbols));
    const seen = new Set<string>();
    for (const v of open) {
      seen.add(v.clientOrderId);
      const o = this.journal.orders.get(v.clientOrderId);
      if (o === undefined) {
        await this.adopt(v);
        continue;
      }
      if (o.intent.venue !== this.venue) continue;
      await this.applyVenue(o, v);
    }
    for (const o of [...this.journal.orders.openOrders()]) {
      if (o.intent.venue !== this.venue || seen.has(o.clientOrderId) || this.inflight.has(o.clientOrderId)) continue;
      const v = await this.guarded(() => this.adapter.fetchOrder(o.clientOrderId, o.intent.symbol));
      if (epoch !== this.epoch) return; // a newer incarnation runs its own sync
      await this.resolveWith(o, v);
    }
    if (start) {
      if (this.options.balanceSync) await this.checkStartBalances(epoch, open);
      if (epoch !== this.epoch) return;
      this.startDone = true;
      this.figures.startReconcile.done = true;
      return;
    }
    if (balances && this.options.balanceSync) await this.syncBalances(open);
  }

  /** True when the journal has neither an order nor a balance of this venue (its first start). */
  private isFreshVenue(): boolean {
    for (const o of this.journal.orders.values()) if (o.intent.venue === this.venue) return false;
    for (const b of this.journal.portfolio.allBalances()) if (b.venue === this.venue && b.balance.total !== 0n) return false;
    return true;
  }

  /**
   * The start reconciliation, once per process: the venue's orders and trades per traded symbol
   * since the journal's newest record (minus `historyMarginMs`). An order with an engine client id
   * that the journal lacks and whose sequence lies after the journal's end was lost with the
   * journal's tail (or an older copy was restored): it is adopted with its fills. Orders the
   * journal knows but has open get the venue's view (fills it lacks, fetched with their fees).
   * Trades of known orders still missing after that are looked up by client order id.
   */
  private async reconcileHistory(epoch: number): Promise<void> {
    const since = Math.max(0, this.journal.lastRecordMs - this.options.historyMarginMs);
    const lastSeq = this.journal.report.lastSeq;
    const rec = this.figures.startReconcile;
    for (const symbol of this.symbols) {
      const orders = await this.guarded(() => this.adapter.fetchOrderHistory(symbol, since));
      if (epoch !== this.epoch) return;
      for (const v of orders) {
        const o = this.journal.orders.get(v.clientOrderId);
        if (o === undefined) {
          const id = parseClientOrderId(v.clientOrderId);
          // Not ours (another client on the account; open ones are adopted by the open-order pass),
          // or journaled long ago and evicted from the closed-order table: nothing was lost.
          if (id === undefined || id.sequence <= lastSeq) continue;
          const fills0 = this.fillSeq;
          if (await this.adopt(v, 'adopted at start: at the venue, lost from the journal (tail lost or an older copy restored)')) rec.adopted++;
          rec.fills += this.fillSeq - fills0;
          continue;
        }
        if (o.intent.venue !== this.venue || isTerminal(o.state)) continue;
        const fills0 = this.fillSeq;
        await this.applyVenue(o, v);
        rec.fills += this.fillSeq - fills0;
        if (epoch !== this.epoch) return;
      }
      const trades = await this.guarded(() => this.adapter.fetchTradeHistory(symbol, since));
      if (epoch !== this.epoch) return;
      const ask = new Map<string, Order>();
      for (const t of trades) {
        const o = this.journal.orders.getByVenueOrderId(this.venue, t.venueOrderId);
        if (o === undefined) {
          // The order is in neither the journal nor the venue's order history window: its effect
          // shows in the balance check, which decides.
          if (!orders.some((v) => v.venueOrderId === t.venueOrderId)) rec.unexplainedTrades++;
          continue;
        }
        if (!o.tradeIds.includes(t.tradeId) && !isTerminal(o.state)) ask.set(o.clientOrderId, o);
      }
      for (const o of ask.values()) {
        const v = await this.guarded(() => this.adapter.fetchOrder(o.clientOrderId, o.intent.symbol));
        if (epoch !== this.epoch) return;
        if (v === undefined) continue;
        const fills0 = this.fillSeq;
        await this.applyVenue(o, v);
        rec.fills += this.fillSeq - fills0;
      }
    }
    if (rec.adopted > 0 || rec.fills > 0) this.log.warn({ adopted: rec.adopted, fills: rec.fills, sinceMs: since }, 'start reconciliation: the journal lacked orders or fills the venue has; adopted them');
  }

  /**
   * After a start, once the venue's history is applied: the journal's balances must equal the
   * venue's (totals, every asset of this venue's instruments; open orders lock funds but do not
   * change totals). Read from a consistent picture (nothing in motion, open orders unchanged around
   * the read; a few tries). A difference nothing explains halts the venue with
   * `B4_VENUE_DIVERGED` (or, with `onDivergence: 'adjust'`, after an operator's resume with
   * `acceptBalances`, or on the venue's first start, is journaled as a balance adjustment).
   */
  private async checkStartBalances(epoch: number, openBefore: readonly VenueOrder[]): Promise<void> {
    const assets = this.assets();
    const key = (xs: readonly VenueOrder[]): string =>
      xs
        .map((v) => `${v.clientOrderId}:${v.filledLots}`)
        .sort()
        .join(',');
    let before = openBefore;
    for (let attempt = 0; attempt < 5; attempt++) {
      const fills0 = this.fillSeq;
      const rows = await this.guarded(() => this.adapter.fetchBalances());
      const after = await this.guarded(() => this.adapter.fetchOpenOrders(this.symbols));
      if (epoch !== this.epoch) return;
      const busy = this.applying > 0 || this.resolving.size > 0 || [...this.inflight].some((id) => this.journal.orders.get(id)?.intent.venue === this.venue);
      if (busy || this.fillSeq !== fills0 || key(before) !== key(after)) {
        before = after;
        await new Promise<void>((r) => this.clock.setTimer(50 * (attempt + 1), r));
        if (epoch !== this.epoch) return;
        continue;
      }
      const pf = this.journal.portfolio;
      const diffs: { asset: string; engine: bigint; venue: bigint }[] = [];
      for (const r of rows) {
        if (!assets.has(r.asset)) continue;
        const venue = pf.toAtoms(r.asset, addDecimal(r.free, r.locked));
        const engine = pf.balance(this.venue, r.asset).total;
        if (venue !== engine) diffs.push({ asset: r.asset, engine, venue });
      }
      if (diffs.length > 0 && !this.freshVenue && this.options.onDivergence === 'halt' && !this.acceptBalances) {
        const d = diffs[0]!;
        const all = diffs.map((x) => `${x.asset} engine ${pf.fromAtoms(x.asset, x.engine)} vs venue ${pf.fromAtoms(x.asset, x.venue)}`).join(', ');
        const err = new VenueDivergedError(
          this.venue,
          d.asset,
          pf.fromAtoms(d.asset, d.engine),
          pf.fromAtoms(d.asset, d.venue),
          `venue ${this.venue}: after the start reconciliation the journal's balances differ from the venue's (${all}); no order or trade the venue still reports explains it (older than its history, a transfer, or a journal restored from an old copy). Halted: check, then venue.cmd.resume with acceptBalances to adopt the venue's balances`,
        );
        this.log.error({ code: err.code, venue: this.venue, diffs: diffs.map((x) => ({ asset: x.asset, engine: pf.fromAtoms(x.asset, x.engine), venue: pf.fromAtoms(x.asset, x.venue) })) }, err.message);
        this.haltWith(err);
        return;
      }
      if (diffs.length > 0 && !this.freshVenue) this.log.warn({ venue: this.venue, assets: diffs.map((x) => x.asset) }, 'balances differ from the venue at start: adopting the venue balances (journaled adjustment)');
      this.acceptBalances = false;
      this.applyBalances(rows, assets);
      this.publishBalances(assets);
      return;
    }
    throw new VenueCallError(this.venue, 'unknown', 'start balance check: fills kept moving while balances were read', undefined);
  }

  private assets(): Set<string> {
    const assets = new Set<string>();
    for (const i of this.instruments) {
      assets.add(i.base);
      assets.add(i.quote);
    }
    return assets;
  }

  private publishBalances(assets: ReadonlySet<string>): void {
    const pf = this.journal.portfolio;
    for (const asset of assets) {
      const payload: BalanceUpdate = { venue: this.venue, asset, totalAtoms: pf.balance(this.venue, asset).total.toString(), tNs: this.clock.nowNs() };
      this.ctx?.publish(topics.balances(this.venue), { type: 'balance.update', payload, key: `${this.venue}:${asset}` });
    }
  }

  /**
   * Aligns journal balances with the venue's totals (a journaled adjustment per differing asset),
   * only from a consistent picture: a fill the venue has already booked in its balances but the
   * journal has not applied yet would otherwise be counted twice (once by the adjustment, once when
   * its event arrives). So the adjustment is made only if nothing of this venue is in flight or
   * being applied, no fill was journaled while the balances were fetched, and the venue's open
   * orders are unchanged (same ids, same executed quantities) before and after the fetch.
   * Otherwise it is skipped (and counted); the next (re)connect sync tries again.
   */
  private async syncBalances(openBefore: readonly VenueOrder[]): Promise<void> {
    const assets = this.assets();
    const fills0 = this.fillSeq;
    const rows = await this.guarded(() => this.adapter.fetchBalances());
    const openAfter = await this.guarded(() => this.adapter.fetchOpenOrders(this.symbols));
    const key = (xs: readonly VenueOrder[]): string =>
      xs
        .map((v) => `${v.clientOrderId}:${v.filledLots}`)
        .sort()
        .join(',');
    const busy = [...this.inflight].some((id) => this.journal.orders.get(id)?.intent.venue === this.venue) || this.applying > 0 || this.resolving.size > 0;
    if (busy || this.fillSeq !== fills0 || key(openBefore) !== key(openAfter)) {
      this.figures.balanceSyncSkipped++;
      this.log.info('balance sync skipped: fills in motion (the next sync tries again)');
    } else {
      this.applyBalances(rows, assets);
    }
    this.publishBalances(assets);
  }

  /** Journals one adjustment per asset whose venue total differs from the journal's (synchronously applied). */
  private applyBalances(rows: readonly { asset: string; free: string; locked: string }[], assets: ReadonlySet<string>): void {
    const pf = this.journal.portfolio;
    for (const r of rows) {
      if (!assets.has(r.asset)) continue;
      const total = pf.toAtoms(r.asset, addDecimal(r.free, r.locked));
      const mine = pf.balance(this.venue, r.asset).total;
      const delta = total - mine;
      if (delta !== 0n) {
        this.figures.balanceDrift[r.asset] = (BigInt(this.figures.balanceDrift[r.asset] ?? '0') + delta).toString();
        this.journal.adjustBalance(this.venue, r.asset, delta).catch((e: unknown) => this.log.error({ err: errMsg(e) }, 'journal append failed'));
      }
    }
  }

  /** An order at the venue the journal does not know: adopt it (journaled), report it, never ignore it. */
  private async adopt(v: VenueOrder, why = 'adopted: found at the venue, unknown to the journal'): Promise<boolean> {
    const ins = this.instruments.find((i) => i.symbol === v.symbol);
    if (ins === undefined) return false;
    if (v.terms === undefined) {
      this.log.error({ clientOrderId: v.clientOrderId, venueOrderId: v.venueOrderId }, 'an order at the venue that the journal lacks cannot be adopted: the venue view has no terms');
      return false;
    }
    this.log.warn({ clientOrderId: v.clientOrderId, venueOrderId: v.venueOrderId }, 'adopting an order found at the venue that the journal lacks');
    const intent: OrderIntent = { strategy: ADOPTED_STRATEGY, venue: this.venue, symbol: v.symbol, ...v.terms };
    let o: Order;
    try {
      o = await this.journal.adopt(v.clientOrderId, intent, v.venueOrderId);
    } catch (err) {
      this.log.error({ err: errMsg(err), clientOrderId: v.clientOrderId }, 'adoption refused by the journal');
      return false;
    }
    this.figures.adopted++;
    this.publishUpdate(o, why);
    await this.applyVenue(o, v);
    return true;
  }

  /** Resolves a locally open order with the venue's answer (`undefined` = the venue never had it). */
  private async resolveWith(o: Order, v: VenueOrder | undefined): Promise<void> {
    if (v === undefined) {
      // Its own request may still land: never conclude "not there" while it runs, nor (for orders
      // of an earlier process) within the grace period after start.
      if (this.inflight.has(o.clientOrderId)) return;
      const now = this.clock.epochMs();
      const lost = this.unansweredAt.get(o.clientOrderId);
      // Orders of an earlier process: the grace runs from the order's own journal time (epoch ms;
      // createdNs comes from the journal record), so repeated restarts do not keep it unknown.
      const createdMs = Math.floor(o.createdNs / 1e6);
      const until = Math.max(this.placedHere.has(o.clientOrderId) ? 0 : Math.min(this.startedMs, createdMs) + this.options.notFoundGraceMs, lost === undefined ? 0 : lost + this.options.notFoundGraceMs);
      if (now < until) {
        // Ask again once the grace is over (whether or not the periodic poll runs).
        this.retryResolve(o, until - now + 1);
        return;
      }
      this.unansweredAt.delete(o.clientOrderId);
      if (o.state === 'unknown' || o.state === 'submitted') {
        await this.record(o, { kind: 'reconcile', to: 'rejected', filledLots: 0, cumTickLots: 0n }, 'not found at the venue');
        this.figures.resolved++;
      } else {
        this.log.error({ clientOrderId: o.clientOrderId, state: o.state }, 'an acknowledged order is missing at the venue');
      }
      return;
    }
    const wasUnknown = o.state === 'unknown';
    this.unansweredAt.delete(o.clientOrderId);
    await this.applyVenue(o, v);
    if (wasUnknown && o.state !== 'unknown') this.figures.resolved++;
  }

  /**
   * Applies the venue's view of an order: new executions as fills (deduplicated by the cumulative
   * quantity, so a trade seen in both the REST reply and the stream counts once), then the state.
   * Events are issued synchronously (the journal applies them at once), then awaited.
   */
  private async applyVenue(o: Order, v: VenueOrder): Promise<unknown> {
    this.applying++;
    try {
      return await this.applyVenueInner(o, v);
    } finally {
      this.applying--;
    }
  }

  private async applyVenueInner(o: Order, v: VenueOrder): Promise<unknown> {
    let known = o.filledLots;
    for (const t of v.trades) if (!o.tradeIds.includes(t.tradeId)) known += t.lots;
    if (v.filledLots > known && !isTerminal(o.state)) {
      // The view says more was executed than its trades show (GET order, open orders): fetch the
      // executions so fills carry their trade ids and fees (balances reconcile to the atom).
      try {
        const trades = await this.guarded(() => this.adapter.fetchTrades(o.intent.symbol, v.venueOrderId));
        v = { ...v, trades };
      } catch (err) {
        // Applying the view without its executions would book fills without fees for good (the
        // order may turn terminal): leave it for the next look (poll, sync or a lookup retry).
        this.log.warn({ clientOrderId: o.clientOrderId, err: errMsg(err) }, 'could not fetch executions; the order is looked at again later');
        if (o.state === 'unknown' || o.state === 'submitted') this.retryResolve(o, this.options.probeCapMs);
        return undefined;
      }
    }
    return this.applyView(o, v);
  }

  private applyView(o: Order, v: VenueOrder): Promise<unknown> {
    const pending: Promise<unknown>[] = [];
    const push = (ev: OrderEvent, why?: string): void => {
      pending.push(this.record(o, ev, why));
    };
    if (o.venueOrderId === undefined && o.state === 'submitted' && v.status !== 'REJECTED' && v.status !== 'EXPIRED' && v.status !== 'EXPIRED_IN_MATCH') {
      push({ kind: 'accept', venueOrderId: v.venueOrderId });
    }
    if (o.state !== 'unknown' && !isTerminal(o.state)) {
      for (const t of v.trades) {
        if (o.filledLots + t.lots > v.filledLots || o.tradeIds.includes(t.tradeId)) continue;
        const fee = t.feeAsset !== undefined && t.fee !== undefined ? { feeAsset: t.feeAsset, feeAtoms: this.journal.portfolio.toAtoms(t.feeAsset, t.fee) } : {};
        push({ kind: 'fill', lots: t.lots, priceTicks: t.priceTicks, tradeId: t.tradeId, ...fee });
      }
    }
    const target = statusTarget(v.status);
    if (isTerminal(o.state)) return Promise.all(pending);
    if (o.state === 'pending-cancel' && !this.cancelling.has(o.clientOrderId) && (target === 'accepted' || target === 'partially-filled') && v.filledLots === o.filledLots) {
      // The cancel never took effect (its request failed or went unanswered): the order is open again
      // and can be cancelled again (a cancel-all sweep does).
      push({ kind: 'reconcile', to: v.filledLots > 0 ? 'partially-filled' : 'accepted', venueOrderId: v.venueOrderId, filledLots: v.filledLots, cumTickLots: v.cumTickLots }, 'cancel did not take effect');
      return Promise.all(pending);
    }
    if (v.filledLots > o.filledLots || o.state === 'unknown' || (target !== undefined && needsReconcile(o, target))) {
      if (target !== undefined && (v.filledLots !== o.filledLots || o.state !== target)) {
        const fee = this.unseenFees(o, v);
        push({ kind: 'reconcile', to: reconcileTarget(target, v, o), venueOrderId: v.venueOrderId, filledLots: v.filledLots, cumTickLots: v.cumTickLots, ...fee });
      }
    } else if (target === 'canceled' && o.state !== 'canceled') {
      push({ kind: 'canceled', reason: 'venue' });
    } else if (target === 'expired' && o.state !== 'expired') {
      push({ kind: 'expire' });
    }
    return Promise.all(pending);
  }

  private unseenFees(o: Order, v: VenueOrder): { feeAsset?: string; feeAtoms?: bigint } {
    let asset: string | undefined;
    let atoms = 0n;
    let lots = o.filledLots;
    for (const t of v.trades) {
      if (o.tradeIds.includes(t.tradeId) || t.feeAsset === undefined || t.fee === undefined) continue;
      if (lots + t.lots > v.filledLots) continue;
      lots += t.lots;
      asset ??= t.feeAsset;
      if (asset === t.feeAsset) atoms += this.journal.portfolio.toAtoms(t.feeAsset, t.fee);
    }
    return asset === undefined ? {} : { feeAsset: asset, feeAtoms: atoms };
  }

  /** Journals one event and publishes the update (and the fill); a refused event is logged, not thrown. */
  private async record(o: Order, ev: OrderEvent, why?: string): Promise<void> {
    const before = o.filledLots;
    const beforeTicks = o.cumTickLots;
    const steps = o.history.length;
    // `record` validates and applies synchronously (an async function runs to its first await), so
    // an unchanged history means the event was refused (invalid transition, duplicate fill): a late
    // or repeated venue view, logged and dropped, never a crash.
    const p = this.journal.record(o.clientOrderId, ev);
    if (o.history.length === steps) {
      try {
        await p;
      } catch (e) {
        this.log.warn({ err: errMsg(e), clientOrderId: o.clientOrderId, event: ev.kind, state: o.state }, 'venue event refused by the order table');
      }
      return;
    }
    this.publishUpdate(o, why);
    if (o.filledLots > before) {
      this.fillSeq++;
      this.publishFill(o, o.filledLots - before, o.cumTickLots - beforeTicks, ev);
    }
    try {
      await p;
    } catch (e) {
      // The journal refuses every later append after an I/O failure; the engine reports it via health.
      this.log.error({ err: errMsg(e), clientOrderId: o.clientOrderId, event: ev.kind }, 'journal append failed');
    }
  }

  // --- messages ------------------------------------------------------------------------------

  private handle(e: Envelope, ctx: ActorContext): void {
    this.ctx = ctx;
    switch (e.type) {
      case 'order.submit':
        this.submit(e);
        break;
      case 'order.cancel':
        this.cancel((e.payload as OrderCancel).clientOrderId);
        break;
      case 'order.cancel-all':
        this.cancelAll(e.payload as OrderCancelAll);
        break;
      case 'venue.cmd.halt':
        this.epoch++;
        this.clearTimers();
        this.connecting = false;
        this.adapter.stopStreams();
        this.machineSend({ type: 'venue.halt', reason: String((e.payload as { reason?: string } | undefined)?.reason ?? 'operator') });
        break;
      case 'venue.cmd.resume':
        // `acceptBalances: true`: the operator accepts the venue's balances after a B4_VENUE_DIVERGED halt.
        if (this.state === 'halted') {
          if ((e.payload as { acceptBalances?: unknown } | undefined)?.acceptBalances === true) this.acceptBalances = true;
          if (this.authTimer !== undefined) this.clock.clearTimer(this.authTimer);
          this.authTimer = undefined;
          this.resume();
        }
        break;
      case 'venue.cmd.crash':
        // Chaos hook: fail this incarnation so the supervisor restarts it (rebuild + reconcile).
        throw new Error(`venue ${this.venue}: crash requested`);
      default:
        break;
    }
  }

  private deny(e: Envelope, intent: OrderIntent, code: VenueDenialCode, detail: string, clientOrderId?: string): void {
    const ctx = this.ctx!;
    this.figures.denied[code] = (this.figures.denied[code] ?? 0) + 1;
    const base = { intent, detail, tNs: this.clock.nowNs(), ...(clientOrderId === undefined ? {} : { clientOrderId }) };
    const payload: OrderDenied = code === VENUE_DENIALS.JOURNAL_FAILED ? { ...base, source: 'journal', code } : { ...base, source: 'venue', code };
    ctx.publish(topics.denials, { type: 'order.denied', payload });
    ctx.publish(topics.orders(intent.strategy), { type: 'order.denied', payload });
    if (e.replyTo !== '') ctx.reply(e, { accepted: false, reason: code, message: detail }, 'order.ack');
  }

  private submit(e: Envelope): void {
    const req = e.payload as OrderSubmit;
    const intent = req.intent;
    const state = this.state;
    if (state === 'halted') return this.deny(e, intent, VENUE_DENIALS.VENUE_HALTED, `venue ${this.venue} is halted${this.haltCode === undefined ? '' : ` (${this.haltReason})`}`);
    if (state === 'connecting' || state === 'syncing') return this.deny(e, intent, VENUE_DENIALS.VENUE_SYNCING, `venue ${this.venue} is ${state}: reconciling before new orders`);
    if (state === 'disconnected' || this.breaker.state === 'open') return this.deny(e, intent, VENUE_DENIALS.VENUE_UNAVAILABLE, `venue ${this.venue} is unavailable (breaker ${this.breaker.state})`);
    const budget = this.adapter.budget;
    if (budget !== undefined && !budget.tryOrder()) {
      return this.deny(e, intent, VENUE_DENIALS.VENUE_RATE_LIMITED, `venue ${this.venue}: order budget of ${budget.orderLimit} per 10 s spent (kept below the venue's limit)`);
    }
    const permit = this.breaker.tryAcquire();
    if (permit !== PERMIT && permit !== TRIAL_PERMIT) return this.deny(e, intent, VENUE_DENIALS.VENUE_UNAVAILABLE, `venue ${this.venue}: circuit breaker ${this.breaker.state}`);
    // The client order id the journal is about to assign: the order counts as in flight from now
    // on, so a sync that runs before its request is sent never concludes "not at the venue".
    const prefix = req.prefix ?? intent.strategy;
    let expectedId = '';
    try {
      expectedId = this.journal.nextClientOrderId(prefix);
    } catch {
      // a bad prefix: the journal refuses it below with a typed error
    }
    if (expectedId !== '') {
      this.inflight.add(expectedId);
      this.placedHere.add(expectedId);
    }
    let pending: Promise<Order>;
    try {
      pending = this.journal.submit(prefix, intent, req.intentKey);
    } catch (err) {
      this.inflight.delete(expectedId);
      this.breaker.onSuccess(0);
      return this.denyError(e, intent, err);
    }
    // The order exists in the table now (applied synchronously); it leaves only once durable.
    // The handling span's context (this actor's span when tracing is on): the venue request joins the order's trace.
    const tp = currentTraceparent();
    const epoch = this.epoch;
    void pending.then(
      (o) => {
        if (o.clientOrderId !== expectedId) {
          // Never expected (the sequence moved between the two reads); keep the invariant anyway.
          this.inflight.delete(expectedId);
          this.inflight.add(o.clientOrderId);
          this.placedHere.add(o.clientOrderId);
        }
        return this.send(e, o, tp, epoch);
      },
      (err: unknown) => {
        this.inflight.delete(expectedId);
        this.breaker.onSuccess(0);
        this.denyError(e, intent, err);
      },
    );
  }

  private denyError(e: Envelope, intent: OrderIntent, err: unknown): void {
    const code = err instanceof Bot4Error ? (err.code === 'B4_ORDER_OUTCOME_UNKNOWN' ? VENUE_DENIALS.ORDER_OUTCOME_UNKNOWN : err.code.startsWith(JOURNAL_CODE_PREFIX) ? VENUE_DENIALS.JOURNAL_FAILED : VENUE_DENIALS.ORDER_INVALID) : VENUE_DENIALS.ORDER_INVALID;
    this.deny(e, intent, code, errMsg(err));
  }

  private async send(e: Envelope, o: Order, traceparent: string, epoch: number): Promise<void> {
    this.figures.submitted++;
    this.publishUpdate(o);
    if (e.replyTo !== '' && this.ctx !== undefined) this.ctx.reply(e, { accepted: true, clientOrderId: o.clientOrderId, orderId: o.clientOrderId }, 'order.ack');
    const t0 = this.clock.nowNs();
    try {
      const v = await this.adapter.placeOrder(o.clientOrderId, o.intent, traceparent);
      this.inflight.delete(o.clientOrderId);
      this.breaker.onSuccess(this.clock.nowNs() - t0);
      this.figures.accepted++;
      if (this.awaitingRecovery) {
        this.awaitingRecovery = false;
        if (this.figures.lastBackNs > 0) this.figures.lastRecoveryNs = this.clock.nowNs() - this.figures.lastBackNs;
      }
      await this.applyVenue(o, v);
    } catch (err) {
      this.inflight.delete(o.clientOrderId);
      const kind = err instanceof VenueCallError ? err.kind : 'unknown';
      if (kind === 'unknown') {
        this.breaker.onFailure(this.clock.nowNs() - t0);
        this.unansweredAt.set(o.clientOrderId, this.clock.epochMs());
        this.figures.unknown++;
        await this.record(o, { kind: 'unknown', reason: errMsg(err) });
        if (this.breaker.state === 'open' && epoch === this.epoch) this.down(`order outcome unknown and breaker open: ${errMsg(err)}`);
        else this.resolveSoon(o);
        return;
      }
      this.breaker.onSuccess(this.clock.nowNs() - t0);
      if (kind === 'auth') {
        // Refused before processing: the order never existed at the venue.
        this.figures.rejected++;
        await this.record(o, { kind: 'reject', reason: errMsg(err) });
        this.authFailed(err as VenueCallError);
        return;
      }
      if (kind === 'throttled') this.figures.throttled++;
      if (kind === 'duplicate') {
        // "Already there": the venue has this client id, so look it up instead of failing it.
        this.resolveSoon(o);
        return;
      }
      this.figures.rejected++;
      await this.record(o, { kind: 'reject', reason: errMsg(err) });
    }
  }

  /** Schedules one more lookup of an unresolved order after `ms` (once per order at a time). */
  private retryResolve(o: Order, ms: number): void {
    if (this.retrying.has(o.clientOrderId)) return;
    this.retrying.add(o.clientOrderId);
    this.clock.setTimer(ms, () => {
      this.retrying.delete(o.clientOrderId);
      if (o.state === 'unknown' || o.state === 'submitted') this.resolveSoon(o);
    });
  }

  /** Queries an unresolved order by client order id (the breaker permitting), retrying until resolved. */
  private resolveSoon(o: Order): void {
    if (this.resolving.has(o.clientOrderId)) return;
    this.resolving.add(o.clientOrderId);
    const epoch = this.epoch;
    void (async () => {
      try {
        const v = await this.guarded(() => this.adapter.fetchOrder(o.clientOrderId, o.intent.symbol));
        await this.resolveWith(o, v);
      } catch (err) {
        // Still no answer: when the venue is down the reconnect sync resolves it; otherwise ask again.
        if (epoch === this.epoch && this.breaker.state === 'open') this.down(`query failed: ${errMsg(err)}`);
        else if (epoch === this.epoch) this.retryResolve(o, this.options.probeCapMs);
      } finally {
        this.resolving.delete(o.clientOrderId);
      }
    })();
  }

  private cancel(clientOrderId: string): void {
    const o = this.journal.orders.get(clientOrderId);
    if (o === undefined || o.intent.venue !== this.venue || isTerminal(o.state)) return;
    if (o.state !== 'accepted' && o.state !== 'partially-filled') {
      // submitted/unknown/pending-cancel: nothing to cancel yet, or already cancelling.
      return;
    }
    void this.record(o, { kind: 'cancel-request' });
    this.cancelling.add(clientOrderId);
    void (async () => {
      try {
        const v = await this.guarded(() => this.adapter.cancelOrder(clientOrderId, o.intent.symbol, ''));
        await this.applyVenue(o, v);
      } catch (err) {
        const kind = err instanceof VenueCallError ? err.kind : 'unknown';
        if (kind === 'not-found' || kind === 'rejected') {
          // Lost the race (already filled or cancelled): the venue's view decides.
          try {
            const v = await this.guarded(() => this.adapter.fetchOrder(clientOrderId, o.intent.symbol));
            if (v !== undefined) await this.applyVenue(o, v);
            else if (o.state === 'pending-cancel') await this.record(o, { kind: 'cancel-reject', reason: errMsg(err) });
          } catch {
            // reconciled at the next sync
          }
        }
        if (this.breaker.state === 'open') this.down(`cancel failed: ${errMsg(err)}`);
      } finally {
        this.cancelling.delete(clientOrderId);
      }
    })();
  }

  private cancelAll(req: OrderCancelAll): void {
    for (const o of [...this.journal.orders.openOrders()]) {
      if (o.intent.venue !== this.venue) continue;
      if (req.symbol !== undefined && o.intent.symbol !== req.symbol) continue;
      if (req.strategy !== undefined && o.intent.strategy !== req.strategy) continue;
      this.cancel(o.clientOrderId);
    }
  }

  // --- streams and polling -------------------------------------------------------------------

  private sinks(epoch: number) {
    return {
      onOrder: (v: VenueOrder): void => {
        if (epoch !== this.epoch) return;
        const o = this.journal.orders.get(v.clientOrderId);
        if (o === undefined) {
          void this.adopt(v);
          return;
        }
        if (o.intent.venue !== this.venue) return;
        void this.applyVenue(o, v);
      },
      onTicker: (t: VenueTicker): void => {
        if (epoch !== this.epoch || this.ctx === undefined) return;
        const payload: Ticker = { venue: this.venue, symbol: t.symbol, bidTicks: t.bidTicks, bidLots: t.bidLots, askTicks: t.askTicks, askLots: t.askLots, venueTimeMs: t.venueTimeMs, recvNs: this.clock.nowNs() };
        this.ctx.publish(topics.ticker(this.venue, t.symbol), { type: 'md.ticker', payload, key: `${this.venue}:${t.symbol}` });
      },
      ...(this.options.books
        ? {
            onBook: (b: VenueBook): void => {
              if (epoch !== this.epoch || this.ctx === undefined) return;
              this.ctx.publish(topics.book(this.venue, b.symbol), { type: 'md.book', payload: { venue: this.venue, ...b, recvNs: this.clock.nowNs() }, key: `${this.venue}:${b.symbol}` });
            },
            onTrade: (t: VenuePublicTrade): void => {
              if (epoch !== this.epoch || this.ctx === undefined) return;
              const payload: Trade = { venue: this.venue, symbol: t.symbol, priceTicks: t.priceTicks, lots: t.lots, side: t.side, venueTimeMs: t.venueTimeMs, recvNs: this.clock.nowNs() };
              this.ctx.publish(topics.trade(this.venue, t.symbol), { type: 'md.trade', payload });
            },
          }
        : {}),
      onStreamError: (stream: string, err: unknown): void => {
        if (epoch !== this.epoch) return;
        if (err instanceof VenueCallError && err.kind === 'auth') return this.authFailed(err);
        this.log.warn({ stream, err: errMsg(err) }, 'venue stream broke (retrying)');
        if (this.state === 'running') this.machineSend({ type: 'venue.degrade', reason: `${stream} stream: ${errMsg(err)}` });
      },
      onStreamUp: (stream: string): void => {
        if (epoch !== this.epoch) return;
        if (this.state === 'degraded') {
          this.machineSend({ type: 'venue.recover' });
          // Anything missed while the stream was down is picked up by a poll now.
          void this.poll(epoch);
        }
        void stream;
      },
    };
  }

  private schedulePoll(epoch: number): void {
    if (this.options.reconcileEveryMs === 0) return;
    this.pollTimer = this.clock.setTimer(this.options.reconcileEveryMs, () => {
      this.pollTimer = undefined;
      if (epoch !== this.epoch) return;
      void this.poll(epoch).finally(() => {
        if (epoch === this.epoch && (this.state === 'running' || this.state === 'degraded')) this.schedulePoll(epoch);
      });
    });
  }

  /** Safety net: reconcile locally open orders against the venue's open orders. */
  private async poll(epoch: number): Promise<void> {
    try {
      await this.sync(epoch);
    } catch (err) {
      if (epoch === this.epoch && this.breaker.state === 'open') this.down(`poll failed: ${errMsg(err)}`);
    }
  }

  private publishUpdate(o: Order, why?: string): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const payload: OrderUpdate = {
      clientOrderId: o.clientOrderId,
      strategy: o.intent.strategy,
      venue: o.intent.venue,
      symbol: o.intent.symbol,
      side: o.intent.side,
      state: o.state,
      priceTicks: o.intent.priceTicks,
      qtyLots: o.intent.qtyLots,
      filledLots: o.filledLots,
      tNs: this.clock.nowNs(),
      ...(o.venueOrderId === undefined ? {} : { venueOrderId: o.venueOrderId }),
      ...(why === undefined && o.reason === undefined ? {} : { reason: why ?? o.reason }),
    };
    ctx.publish(topics.orders(o.intent.strategy), { type: 'order.update', payload });
    ctx.publish(topics.allOrders, { type: 'order.update', payload });
  }

  private publishFill(o: Order, lots: number, tickLots: bigint, ev: OrderEvent): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const payload: OrderFill = {
      clientOrderId: o.clientOrderId,
      strategy: o.intent.strategy,
      venue: o.intent.venue,
      symbol: o.intent.symbol,
      side: o.intent.side,
      lots,
      priceTicks: Number(tickLots / BigInt(lots)),
      tNs: this.clock.nowNs(),
      ...(ev.kind === 'fill' && ev.tradeId !== undefined ? { tradeId: ev.tradeId } : {}),
      ...((ev.kind === 'fill' || ev.kind === 'reconcile') && ev.feeAsset !== undefined && ev.feeAtoms !== undefined ? { feeAsset: ev.feeAsset, feeAtoms: ev.feeAtoms.toString() } : {}),
    };
    ctx.publish(topics.fills(o.intent.strategy), { type: 'order.fill', payload });
    ctx.publish(topics.allFills, { type: 'order.fill', payload });
  }
}

type Target = 'accepted' | 'partially-filled' | 'filled' | 'canceled' | 'expired' | 'rejected';

function statusTarget(s: VenueOrderStatus): Target | undefined {
  switch (s) {
    case 'NEW':
      return 'accepted';
    case 'PARTIALLY_FILLED':
      return 'partially-filled';
    case 'FILLED':
      return 'filled';
    case 'CANCELED':
      return 'canceled';
    case 'EXPIRED':
    case 'EXPIRED_IN_MATCH':
      return 'expired';
    case 'REJECTED':
      return 'rejected';
    default:
      return undefined; // PENDING_CANCEL: wait for the final word
  }
}

function needsReconcile(o: Order, target: Target): boolean {
  // From `submitted`, a terminal answer without fills goes through reconcile (the table allows it).
  return o.state === 'submitted' && target !== 'accepted';
}

function reconcileTarget(target: Target, v: VenueOrder, o: Order): ReconcileTarget {
  if (target === 'accepted' && v.filledLots > 0) return v.filledLots === o.intent.qtyLots ? 'filled' : 'partially-filled';
  return target;
}

function addDecimal(a: string, b: string): string {
  const d = Math.max(dec(a), dec(b));
  const s = (BigInt(scale(a, d)) + BigInt(scale(b, d))).toString().padStart(d + 1, '0');
  return d === 0 ? s : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}`;
}
function dec(s: string): number {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}
function scale(s: string, d: number): string {
  const [i = '0', f = ''] = s.split('.');
  return i + f.padEnd(d, '0');
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
