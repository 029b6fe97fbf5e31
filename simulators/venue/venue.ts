import type { Clock, TimerHandle } from '../../common/clock.js';
import { SeededRandom } from '../../common/random.js';
import type { LinkScope } from '../faults/link.js';
import { Accounts } from './accounts.js';
import { FairValue } from './fair-value.js';
import { DEFAULT_INSTRUMENTS, InstrumentRegistry, parseDecimal, type InstrumentSpec } from './instruments.js';
import { Ledger } from './ledger.js';
import { MatchingEngine, type EngineListener, type ExecType, type FeeSchedule } from './matching-engine.js';
import { STP_MODES, type SimFill, type SimOrder, type StpMode } from './order.js';
import { DEFAULT_PARTICIPANTS, Participants, type ParticipantOptions } from './participants.js';
import type { LedgerRetention } from './retention.js';
import { SimulatorUnknownError } from '../errors.js';
import type { StoredState, VenueStore } from './venue-store.js';
import type { ApiUser } from '../wire/auth.js';
import { advertisedRateLimits, RateLimiter, type RateLimitOptions } from '../wire/rate-limit.js';

/** A funded API user of a venue. Balances are decimal strings per asset. */
export interface VenueUser {
  apiKey: string;
  apiSecret: string;
  /** Account id; defaults to `user:<apiKey>`. */
  account?: string;
  balances: Record<string, string>;
}

/** Options of one venue (validated by {@link Simulator.start}). */
export interface VenueOptions {
  name: string;
  seed: number;
  clock: Clock;
  users: VenueUser[];
  instruments?: readonly InstrumentSpec[];
  fees: FeeSchedule;
  limits: RateLimitOptions;
  /** Background makers/takers; false for an empty book (property tests, benches). */
  participants: ParticipantOptions | false;
  /** Period of the fair-value/participant loop in ms of clock time. */
  tickMs: number;
  /** `defaultSelfTradePreventionMode` of every symbol (Binance spot: `EXPIRE_MAKER`). */
  stp?: StpMode | undefined;
  /**
   * Durable ledger: the client accounts, their orders and history and the id counters are restored
   * from it and every change is written to it before the reply. Absent: the venue starts blank.
   */
  store?: VenueStore | undefined;
  /**
   * Client history kept in full (closed orders and balance entries past it are compacted into
   * running sums); undefined keeps everything. See docs/simulator.md, "Retention".
   */
  retention?: LedgerRetention | undefined;
}

/** Lifecycle of a venue as crises see it (FTX: withdrawals halted, then gone). */
export type VenueStatus = 'running' | 'withdrawals-halted' | 'gone';

/**
 * One simulated exchange: instruments, accounts, ledger, matching engine, fair values and the
 * background crowd, driven by the injected clock. The wire layer (`wire/server.ts`) serves it.
 * This is the surface the REST, stream, WS-API and control handlers use.
 */
export class VenueCore implements EngineListener {
  readonly name: string;
  readonly clock: Clock;
  readonly rng: SeededRandom;
  readonly instruments: InstrumentRegistry;
  readonly accounts = new Accounts();
  readonly ledger: Ledger;
  readonly engine: MatchingEngine;
  readonly fair = new Map<string, FairValue>();
  readonly participants: Participants | undefined;
  readonly users = new Map<string, ApiUser>();
  readonly limiter: RateLimiter;
  readonly fees: FeeSchedule;
  readonly assets: string[];
  status: VenueStatus = 'running';
  /**
   * Server clock offset per connection family (clock-skew outage), ms. Binance serves REST, streams
   * and the WebSocket API from different fleets, so a skew is scoped like every other outage.
   */
  readonly skewMs: Record<LinkScope, number> = { rest: 0, stream: 0, 'ws-api': 0 };
  private readonly listeners: EngineListener[] = [];
  private timer: TimerHandle | undefined;
  private lastTickMs = 0;
  private readonly tickMs: number;
  private idSeq = 0;
  private readonly tickHooks: ((nowMs: number) => void)[] = [];
  private readonly store: VenueStore | undefined;

  constructor(private readonly opts: VenueOptions) {
    this.name = opts.name;
    this.clock = opts.clock;
    this.rng = new SeededRandom(`${opts.seed}:${opts.name}`);
    this.instruments = new InstrumentRegistry(opts.instruments ?? DEFAULT_INSTRUMENTS);
    this.assets = this.instruments.assets();
    this.ledger = new Ledger(opts.name, this.accounts, this.instruments, () => this.clock.epochMs(), opts.retention);
    this.fees = opts.fees;
    this.engine = new MatchingEngine(this.instruments, this.accounts, this.ledger, opts.fees, () => this.clock.epochMs());
    this.engine.listen(this);
    this.engine.defaultStp = opts.stp ?? 'EXPIRE_MAKER';
    this.limiter = new RateLimiter({ ...opts.limits });
    this.tickMs = opts.tickMs;
    for (const ins of this.instruments.list) {
      this.fair.set(ins.symbol, new FairValue(this.rng.fork(`fv:${ins.symbol}`), ins.spec.initialPrice, ins.spec.volatility));
    }
    this.store = opts.store;
    if (this.store !== undefined) this.restore(this.store);
    // A user the durable ledger already knows keeps its balances: it is not funded again.
    for (const u of opts.users) {
      if (this.users.has(u.apiKey)) continue;
      this.addUser(u);
    }
    if (opts.participants !== false) {
      this.participants = new Participants(this.engine, this.accounts, this.instruments.list, this.fair, this.rng.fork('crowd'), opts.participants ?? DEFAULT_PARTICIPANTS);
    }
  }

  /** Registers and funds an API user (written to the durable ledger, when there is one, before it returns). */
  addUser(u: VenueUser): ApiUser {
    if (this.store?.error !== undefined) throw this.store.error;
    const user: ApiUser = { apiKey: u.apiKey, apiSecret: u.apiSecret, account: u.account ?? `user:${u.apiKey}` };
    const amounts: [string, bigint][] = [];
    for (const [asset, amount] of Object.entries(u.balances)) {
      const atoms = parseDecimal(amount);
      if (atoms === null) throw new SimulatorUnknownError(`venue ${this.name}: balance ${asset}=${JSON.stringify(amount)} is not a decimal with <= 8 decimals`);
      amounts.push([asset, atoms]);
    }
    this.users.set(u.apiKey, user);
    this.store?.user({ apiKey: user.apiKey, apiSecret: user.apiSecret, account: user.account });
    for (const [asset, atoms] of amounts) this.accounts.deposit(user.account, asset, atoms, 'initial balance');
    this.onCommit();
    return user;
  }

  /**
   * Puts back what the durable ledger holds: users, client balances (the sum of their entries), the
   * ledger's entries, client orders (open ones onto the books) and id counters; then subscribes the
   * store to every later change. Background participants and fair values start fresh.
   */
  private restore(store: VenueStore): void {
    const st = store.state;
    for (const u of st.users) this.users.set(u.apiKey, { apiKey: u.apiKey, apiSecret: u.apiSecret, account: u.account });
    const sums = new Map<string, { account: string; asset: string; free: bigint; locked: bigint }>();
    // Balances are the compacted entries' sums plus the kept entries.
    if (st.compacted !== undefined) {
      this.ledger.restoreCompacted(st.compacted);
      for (const [account, c] of this.ledger.compacted.accounts) {
        for (const [asset, b] of c.entries) sums.set(`${account}\u0000${asset}`, { account, asset, free: b.free, locked: b.locked });
      }
    }
    for (const e of st.entries) {
      const k = `${e.account}\u0000${e.asset}`;
      let b = sums.get(k);
      if (b === undefined) {
        b = { account: e.account, asset: e.asset, free: 0n, locked: 0n };
        sums.set(k, b);
      }
      b.free += e.freeDelta;
      b.locked += e.lockedDelta;
    }
    for (const b of sums.values()) this.accounts.restore(b.account, b.asset, b.free, b.locked);
    this.ledger.restoreEntries(st.entries);
    const trades: Record<string, number> = {};
    for (const [k, v] of Object.entries(st.reserved)) if (k.startsWith('trade:')) trades[k.slice(6)] = v - 1;
    this.engine.restore(st.orders, { nextOrderId: st.reserved.order ?? 1, seq: 0, tradeIds: trades, preventedIds: {} });
    this.idSeq = Math.max(this.idSeq, st.reserved.cid ?? 0);
    this.accounts.checkConservation();
    this.ledger.sink = (e) => store.entry(e);
    // A log replayed past the window is compacted before the fresh snapshot, so that stays bounded.
    this.engine.compactHistory(this.clock.epochMs(), true);
    // A restored log is folded into a fresh snapshot so the next start replays little.
    if (store.logLines > 0) store.compact(this.storedState());
  }

  private storedState(): Omit<StoredState, 'reserved'> {
    return {
      users: [...this.users.values()].map((u) => ({ apiKey: u.apiKey, apiSecret: u.apiSecret, account: u.account })),
      entries: [...this.ledger.rawEntries()],
      orders: this.ledger.clientOrders(),
      compacted: this.ledger.compacted.stored(),
    };
  }

  /** Venue time as served to clients of `scope` (epoch ms, including that scope's clock-skew outage). */
  serverTime(scope: LinkScope = 'rest'): number {
    return this.clock.epochMs() + this.skewMs[scope];
  }

  /** Venue time without skew (rate-limit windows, ledger). */
  clockNow(): number {
    return this.clock.epochMs();
  }

  /**
   * The write error that stopped the durable ledger, if any. From then on the venue refuses every
   * operation that would change state (Binance -1007, status unknown) and its background market
   * stops: memory may hold one operation the log lacks, and nothing more is added to it.
   */
  get storeError(): Error | undefined {
    return this.store?.error;
  }

  /** Whether clients may withdraw (false once a crisis halts withdrawals). */
  get canWithdraw(): boolean {
    return this.status === 'running';
  }

  /** A fresh Binance-style client order id (22 chars), from the venue's seeded generator. */
  readonly newClientOrderId = (): string => {
    const a = base36x7(this.rng.nextU32());
    const b = base36x7(this.rng.nextU32());
    // The sequence part keeps generated ids unique across restarts of a durable venue (the rng repeats).
    this.store?.reserve('cid', ++this.idSeq);
    return `sim${this.idSeq.toString(36).padStart(5, '0')}${a}${b}`.slice(0, 22);
  };

  /** Adds a listener for engine events (streams, WS-API user data). */
  addListener(l: EngineListener): void {
    this.listeners.push(l);
  }

  /** Removes a listener added with {@link addListener}. */
  removeListener(l: EngineListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Runs `fn` after every tick of the venue loop (crisis scripts). */
  onTick(fn: (nowMs: number) => void): () => void {
    this.tickHooks.push(fn);
    return () => {
      const i = this.tickHooks.indexOf(fn);
      if (i >= 0) this.tickHooks.splice(i, 1);
    };
  }

  onOrderEvent(order: SimOrder, exec: ExecType, fill: SimFill | undefined): void {
    if (this.store !== undefined) {
      // House orders take ids too: the mark must cover every id ever issued.
      if (exec === 'NEW') this.store.reserve('order', order.orderId);
      if (!order.house) this.store.order(order);
    }
    if (order.house) return;
    for (const l of this.listeners) l.onOrderEvent(order, exec, fill);
  }

  onOrderClosed(order: SimOrder): void {
    if (!order.house) this.store?.order(order);
  }

  onCommit(): void {
    this.store?.commit(() => this.storedState());
    // After the commit: the operation's orders are in the log before any of them is compacted.
    if (this.ledger.compactionDue) this.engine.compactHistory(this.clock.epochMs());
  }

  onTrade(symbol: string, tradeId: number, priceTicks: number, lots: number, buyerIsMaker: boolean, time: number): void {
    this.store?.reserve(`trade:${symbol}`, tradeId);
    for (const l of this.listeners) l.onTrade(symbol, tradeId, priceTicks, lots, buyerIsMaker, time);
  }

  onBalances(account: string, assets: readonly string[]): void {
    for (const l of this.listeners) l.onBalances(account, assets);
  }

  /** `GET /api/v3/exchangeInfo` body for `symbols`. */
  exchangeInfo(symbols: readonly string[]): Record<string, unknown> {
    return {
      timezone: 'UTC',
      serverTime: this.serverTime(),
      rateLimits: advertisedRateLimits(this.limiter.opts),
      exchangeFilters: [],
      symbols: symbols.map((s) => {
        const ins = this.instruments.get(s)!;
        return {
          symbol: s,
          status: this.engine.isHalted(s) ? 'HALT' : 'TRADING',
          baseAsset: ins.base,
          baseAssetPrecision: 8,
          quoteAsset: ins.quote,
          quotePrecision: 8,
          quoteAssetPrecision: 8,
          baseCommissionPrecision: 8,
          quoteCommissionPrecision: 8,
          orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
          icebergAllowed: false,
          ocoAllowed: false,
          otoAllowed: false,
          quoteOrderQtyMarketAllowed: true,
          allowTrailingStop: false,
          cancelReplaceAllowed: false,
          isSpotTradingAllowed: true,
          isMarginTradingAllowed: false,
          filters: ins.filters(),
          permissions: [],
          permissionSets: [['SPOT']],
          defaultSelfTradePreventionMode: this.engine.defaultStp,
          allowedSelfTradePreventionModes: [...STP_MODES],
        };
      }),
    };
  }

  /** Starts the fair-value/participant loop on the clock. */
  start(): void {
    if (this.timer !== undefined) return;
    this.lastTickMs = this.clock.nowNs() / 1e6;
    // Seed the books before the first client connects so depth and tickers are never empty.
    this.participants?.tick();
    this.schedule();
  }

  /** Stops the loop (timers cleared; state kept for inspection) and closes the durable ledger. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.store?.close();
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.tickMs, () => {
      const now = this.clock.nowNs() / 1e6;
      const dt = now - this.lastTickMs;
      this.lastTickMs = now;
      for (const fv of this.fair.values()) fv.step(dt);
      if (this.opts.retention !== undefined && this.opts.retention.maxAgeMs > 0) this.engine.compactHistory(this.clock.epochMs(), true);
      if (this.status !== 'gone' && this.store?.error === undefined) {
        try {
          this.participants?.tick();
        } catch (e) {
          // Only a failed durable write gets here (see storeError); anything else is a bug to surface.
          if (this.store?.error === undefined) throw e;
        }
      }
      for (const h of this.tickHooks) h(now);
      this.schedule();
    });
  }
}

/** Digit codes of base 36 (`0-9a-z`). */
const B36 = Array.from('0123456789abcdefghijklmnopqrstuvwxyz', (c) => c.charCodeAt(0));

/**
 * `x.toString(36).padStart(7, '0')` for a 32-bit unsigned `x` (at most 7 base-36 digits), by integer
 * division: `Number.prototype.toString(36)` goes through a floating-point radix conversion and was
 * a visible share of an order placed without a client order id.
 */
export function base36x7(x: number): string {
  const d6 = x % 36;
  x = (x - d6) / 36;
  const d5 = x % 36;
  x = (x - d5) / 36;
  const d4 = x % 36;
  x = (x - d4) / 36;
  const d3 = x % 36;
  x = (x - d3) / 36;
  const d2 = x % 36;
  x = (x - d2) / 36;
  const d1 = x % 36;
  const d0 = (x - d1) / 36;
  return String.fromCharCode(B36[d0]!, B36[d1]!, B36[d2]!, B36[d3]!, B36[d4]!, B36[d5]!, B36[d6]!);
}
