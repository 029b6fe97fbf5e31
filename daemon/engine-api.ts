import diagnosticsChannel from 'node:diagnostics_channel';
import { setup } from 'xstate';
import type { TimerHandle } from '../common/clock.js';
import { logger } from '../common/log.js';
import type {
  BalanceView, BreakerView, CancelAck, CancelAllAck, CancelAllRequest, CancelRequest, EngineEventListener, EngineHealth,
  EnginePort, EngineStatus, KillSwitchAck, KillSwitchState, MarketDataMessage, MetricFamily, MetricSample, OrderAck,
  OrderFilter, OrderRequest, OrderView, PositionView, RequestContext, RiskLimitsView, StrategyAck,
} from '../gateway/engine-port.js';
import type { Ticker, Trade } from '../actors/messages.js';
import { isKnownMsg, message, topics, venueAddress } from '../actors/messages.js';
import type { OrderIntent } from '../actors/orders/intent.js';
import { avgPriceTicks, isTerminal, type Order } from '../actors/orders/order-state.js';
import type { ActorContext } from '../actors/runtime/actor-cell.js';
import type { Message } from '../actors/runtime/envelope.js';
import { CHANNELS, type BatchDeliveryEvent } from '../actors/runtime/diagnostics.js';
import type { Envelope } from '../actors/runtime/envelope.js';
import type { Engine } from '../actors/engine/engine.js';

/** Address of the actor that relays engine topics to the gateway. */
export const GATEWAY_EVENTS_ADDRESS = 'gateway.events';

/** The relay actor's machine: lifecycle only; the handler does the work. */
const relayMachine = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'gateway-events' });

/** Options of {@link EngineApi}. */
export interface EngineApiOptions {
  /** Period of the `actors.latency` event (ms of engine clock time; 0: never). Default 1000. */
  latencyEventMs?: number;
}

/**
 * Intent-key prefix of API orders: an order the gateway submits with the caller's
 * `clientOrderId` X carries intent key `api.X` in its own journal record (`order.submit`, field
 * `k`), so the mapping is durable exactly when the order is and is rebuilt by replay and kept in
 * snapshots with the order. Reserved for the gateway: strategies must not use it.
 */
export const API_INTENT_PREFIX = 'api.';

/** The caller's `clientOrderId` of an API order, from its intent key (undefined for other orders). */
export function apiClientOrderId(o: Pick<Order, 'intentKey'>): string | undefined {
  return o.intentKey !== undefined && o.intentKey.startsWith(API_INTENT_PREFIX) ? o.intentKey.slice(API_INTENT_PREFIX.length) : undefined;
}

interface ActorTiming {
  batches: number;
  envelopes: number;
  handleNs: number;
  maxWaitNs: number;
}

const CANCELABLE = new Set(['accepted', 'partially-filled']);
const KIND_TYPE = { ticker: 'md.ticker', trade: 'md.trade', book: 'md.book' } as const;

/**
 * {@link EnginePort} over a running {@link Engine}: the one place the gateway's requests turn into
 * actor messages and engine state turns into views. Orders go through `engine.submit` (the risk
 * actor, the same path strategies use); queries read the journal's order store and portfolio,
 * the risk engine and the venue actors; events reach the gateway through one relay actor
 * (`gateway.events`) subscribed to the engine's topics, so a slow gateway can never block an
 * engine actor (the relay's mailbox conflates tickers per instrument and drops the oldest
 * otherwise, counted in `/metrics`).
 *
 * API orders: `OrderRequest.clientOrderId` is the caller's id; the engine's own client order id
 * (`<strategy>.<seq>`, the one the venue sees) is returned as `orderId`. The caller's id travels
 * as the order's journal intent key (`api.<clientOrderId>`, see {@link API_INTENT_PREFIX}), so
 * duplicate detection (`DUPLICATE_CLIENT_ORDER_ID`, with the original `orderId`), cancel by
 * `clientOrderId` and the `clientOrderId` of order views survive restarts: an id is remembered as
 * long as the journal's order table holds its order (every open order; the most recent
 * `orderStore.maxClosed`, default 10 000, closed ones), and an attempt in flight is never sent
 * twice. Orders under the id of a strategy hosted by the engine
 * are refused with `API_STRATEGY_HOSTED` (its actor keeps its own books), and every order while
 * {@link lifecycle} is not `running` with `ENGINE_NOT_RUNNING` (start-up, shutdown).
 */
export class EngineApi implements EnginePort {
  /** Lifecycle shown by `status` (the daemon sets it: `starting`, `running`, `stopping`, `stopped`). */
  lifecycle = 'starting';
  private journalOpen = true;
  private readonly listeners = new Set<EngineEventListener>();
  private readonly startedMs: number;
  private readonly log = logger.child({ component: 'engine-api' });
  /** Topic → conflation key, for the instruments the engine trades (feed data for others is only fanned out). */
  private readonly mdKeys = new Map<string, string>();
  /** One scratch message per publish: the runtime copies its fields into the envelope. */
  private readonly scratch: Message = { type: '', payload: undefined, key: '' };
  /** Last mid (ticks) per `venue:symbol`, from tickers, for unrealized PnL. */
  private readonly mids = new Map<string, number>();
  private readonly timings = new Map<string, ActorTiming>();
  private readonly unsubs: (() => void)[] = [];
  private readonly onBatchEnd = (m: unknown): void => this.recordBatch(m as BatchDeliveryEvent);
  private latencyTimer: TimerHandle | null = null;
  private relayCtx: ActorContext | undefined;
  private mdPublished = 0;
  private mdRefused = 0;
  private mdExternal = 0;
  /** Feed records for a traded instrument kept off its trading topics, by reason. */
  private mdUntrusted = 0;
  private mdNoReference = 0;
  private mdOutOfBand = 0;
  /** `venue:symbol` → feed token names trusted for it (`risk.feeds.trusted`). */
  private readonly trustedFeeds = new Map<string, ReadonlySet<string>>();
  private readonly feedBandBps: number;
  /** Last mid (ticks) of the venue's own tickers per `venue:symbol`: the band reference for trusted feeds. */
  private readonly venueMids = new Map<string, number>();
  private readonly latencyEventMs: number;

  constructor(
    readonly engine: Engine,
    options: EngineApiOptions = {},
  ) {
    this.latencyEventMs = options.latencyEventMs ?? 1000;
    this.startedMs = engine.clock.epochMs();
    const feeds = engine.risk.config.feeds;
    for (const [key, names] of Object.entries(feeds.trusted)) this.trustedFeeds.set(key, new Set(names));
    this.feedBandBps = feeds.bandBps;
    for (const i of engine.instruments) {
      const key = `${i.venue}:${i.symbol}`;
      for (const kind of ['ticker', 'trade', 'book'] as const) this.mdKeys.set(`md.${kind}.${i.venue}.${i.symbol}`, key);
    }
    this.spawnRelay();
    this.unsubs.push(
      engine.risk.killSwitch.on((t) => this.emit('killswitch', { state: t.to, previous: t.from, trigger: t.trigger, reason: t.reason, remote: t.remote, epochMs: t.epochMs })),
    );
    for (const [name, v] of engine.venues) {
      this.unsubs.push(v.breaker.on('transition', (t) => this.emit('breakers', { name, state: t.to, previous: t.from, reason: t.reason })));
    }
    diagnosticsChannel.subscribe(CHANNELS.batchEnd, this.onBatchEnd);
    this.unsubs.push(() => diagnosticsChannel.unsubscribe(CHANNELS.batchEnd, this.onBatchEnd));
    if (this.latencyEventMs > 0) this.armLatency();
  }

  /** Marks the journal closed (health turns not-ready) and detaches from the engine. Idempotent. */
  detach(): void {
    this.journalOpen = false;
    if (this.latencyTimer !== null) this.engine.clock.clearTimer(this.latencyTimer);
    this.latencyTimer = null;
    for (const u of this.unsubs.splice(0)) u();
    this.listeners.clear();
  }

  // --- orders --------------------------------------------------------------------------------

  async submitOrder(req: OrderRequest, ctx: RequestContext): Promise<OrderAck> {
    const cid = req.clientOrderId;
    if (this.lifecycle !== 'running') return { accepted: false, ...(cid === undefined ? {} : { clientOrderId: cid }), reason: 'ENGINE_NOT_RUNNING', message: `the engine is ${this.lifecycle}` };
    if (cid !== undefined) {
      const existing = this.engine.journal.orders.latestAttempt(API_INTENT_PREFIX + cid)?.clientOrderId;
      if (existing !== undefined) return { accepted: false, orderId: existing, clientOrderId: cid, reason: 'DUPLICATE_CLIENT_ORDER_ID', message: `clientOrderId ${cid} was already used (order ${existing})` };
    }
    if (this.engine.strategies.has(req.strategy)) {
      return { accepted: false, ...(cid === undefined ? {} : { clientOrderId: cid }), reason: 'API_STRATEGY_HOSTED', message: `strategy ${req.strategy} is run by the engine; API orders need another risk-listed strategy id (default "api")` };
    }
    const intent: OrderIntent = {
      strategy: req.strategy,
      venue: req.venue,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      tif: req.tif,
      priceTicks: req.priceTicks,
      qtyLots: req.qtyLots,
      ...(req.reduceOnly ? { reduceOnly: true } : {}),
    };
    const ack = await this.engine.submit(intent, cid === undefined ? {} : { intentKey: API_INTENT_PREFIX + cid });
    this.log.info({ principal: ctx.principal, connectionId: ctx.connectionId, requestId: ctx.requestId, intent, accepted: ack.accepted, orderId: ack.clientOrderId, reason: ack.reason }, 'api order');
    return {
      accepted: ack.accepted,
      ...(ack.clientOrderId === undefined ? {} : { orderId: ack.clientOrderId }),
      ...(cid === undefined ? {} : { clientOrderId: cid }),
      ...(ack.reason === undefined ? {} : { reason: ack.reason }),
      ...(ack.message === undefined ? {} : { message: ack.message }),
    };
  }

  async cancelOrder(req: CancelRequest, ctx: RequestContext): Promise<CancelAck> {
    const id = req.orderId ?? (req.clientOrderId === undefined ? undefined : this.engine.journal.orders.latestAttempt(API_INTENT_PREFIX + req.clientOrderId)?.clientOrderId);
    const o = id === undefined ? undefined : this.engine.journal.orders.get(id);
    if (o === undefined || (req.venue !== undefined && o.intent.venue !== req.venue) || (req.symbol !== undefined && o.intent.symbol !== req.symbol)) {
      return { canceled: false, ...(id === undefined ? {} : { orderId: id }), reason: 'UNKNOWN_ORDER' };
    }
    if (isTerminal(o.state)) return { canceled: false, orderId: o.clientOrderId, reason: 'ORDER_CLOSED' };
    if (o.state === 'pending-cancel') return { canceled: true, orderId: o.clientOrderId, reason: 'CANCEL_PENDING' };
    if (!CANCELABLE.has(o.state)) return { canceled: false, orderId: o.clientOrderId, reason: 'ORDER_NOT_ACKNOWLEDGED' };
    this.log.info({ principal: ctx.principal, requestId: ctx.requestId, orderId: o.clientOrderId }, 'api cancel');
    this.engine.cancel(o.intent.venue, o.clientOrderId);
    return { canceled: true, orderId: o.clientOrderId };
  }

  async cancelAll(req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck> {
    let count = 0;
    for (const o of this.engine.journal.orders.openOrders(req.venue, req.symbol)) {
      if (req.strategy !== undefined && o.intent.strategy !== req.strategy) continue;
      if (CANCELABLE.has(o.state)) count++;
    }
    const payload = { reason: `api: ${ctx.principal}`, ...(req.symbol === undefined ? {} : { symbol: req.symbol }), ...(req.strategy === undefined ? {} : { strategy: req.strategy }) };
    for (const v of this.engine.venues.keys()) {
      if (req.venue !== undefined && v !== req.venue) continue;
      this.engine.system.send(venueAddress(v), message({ type: 'order.cancel-all', payload, lane: 'control' }));
    }
    this.log.info({ principal: ctx.principal, requestId: ctx.requestId, filter: req, count }, 'api cancel-all');
    return { count };
  }

  async setKillSwitch(state: KillSwitchState, ctx: RequestContext): Promise<KillSwitchAck> {
    // Answers once the transition is journaled (durable per fsync policy): it survives a restart.
    return this.engine.setTradingState(state, `api: ${ctx.principal} (connection ${ctx.connectionId})`);
  }

  // --- queries -------------------------------------------------------------------------------

  async status(): Promise<EngineStatus> {
    const e = this.engine;
    const venues: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(e.venueStats())) venues[name] = { state: s.state, submitted: s.submitted, accepted: s.accepted, rejected: s.rejected, unknown: s.unknown, breaker: e.venues.get(name)!.breaker.state, ...(s.haltCode === undefined ? {} : { haltCode: s.haltCode }) };
    const strategies = [...e.strategies.values()].map((h) => ({ id: h.id, mode: h.mode, lifecycle: h.ref.lifecycle }));
    const ks = e.risk.killSwitch.state;
    const state = this.lifecycle !== 'running' ? this.lifecycle : ks === 'HALTED' ? 'halted' : e.venuesSynced ? 'running' : 'degraded';
    return {
      state,
      killSwitch: ks,
      venuesSynced: e.venuesSynced,
      openOrders: e.journal.orders.openCount,
      journal: { dir: e.config.journal.dir, fsync: e.config.journal.fsync, nextSequence: e.journal.nextSequence },
      venues,
      strategies,
      uptimeSec: Math.floor((e.clock.epochMs() - this.startedMs) / 1000),
      pid: process.pid,
    };
  }

  async orders(filter: OrderFilter): Promise<readonly OrderView[]> {
    const store = this.engine.journal.orders;
    const src: Iterable<Order> = filter.status === 'open' ? store.openOrders(filter.venue, filter.symbol) : filter.status === 'closed' ? store.closedOrders() : store.values();
    const out: OrderView[] = [];
    for (const o of src) {
      if (filter.venue !== undefined && o.intent.venue !== filter.venue) continue;
      if (filter.symbol !== undefined && o.intent.symbol !== filter.symbol) continue;
      if (filter.strategy !== undefined && o.intent.strategy !== filter.strategy) continue;
      out.push(this.view(o));
    }
    // newest last in every source: keep the most recent `limit`
    return out.length > filter.limit ? out.slice(out.length - filter.limit) : out;
  }

  async positions(): Promise<readonly PositionView[]> {
    const pf = this.engine.journal.portfolio;
    return this.engine.instruments.map((i) => {
      const p = pf.position(i.venue, i.symbol);
      const mid = this.mids.get(`${i.venue}:${i.symbol}`);
      return {
        venue: i.venue,
        symbol: i.symbol,
        qtyLots: Number(p.qtyLots),
        qty: pf.fromAtoms(i.base, pf.baseAtoms(i.venue, i.symbol, p.qtyLots < 0n ? -p.qtyLots : p.qtyLots) * (p.qtyLots < 0n ? -1n : 1n)),
        cost: pf.fromAtoms(i.quote, p.costAtoms),
        realizedPnl: pf.fromAtoms(i.quote, p.realizedAtoms),
        ...(mid === undefined ? {} : { markTicks: mid, unrealizedPnl: pf.fromAtoms(i.quote, pf.unrealizedAtoms(i.venue, i.symbol, mid)) }),
        quote: i.quote,
      };
    });
  }

  async balances(): Promise<readonly BalanceView[]> {
    const pf = this.engine.journal.portfolio;
    const out: BalanceView[] = [];
    for (const venue of this.engine.venues.keys()) {
      const assets = new Set<string>();
      for (const i of this.engine.instruments) if (i.venue === venue) assets.add(i.base).add(i.quote);
      for (const asset of [...assets].sort()) {
        const b = pf.balance(venue, asset);
        out.push({ venue, asset, total: pf.fromAtoms(asset, b.total), locked: pf.fromAtoms(asset, b.locked), free: pf.fromAtoms(asset, b.total - b.locked) });
      }
    }
    return out;
  }

  async breakers(): Promise<readonly BreakerView[]> {
    return [...this.engine.venues].map(([name, v]) => ({ name, ...v.breaker.metrics() }));
  }

  async riskLimits(): Promise<RiskLimitsView> {
    return toPlain(this.engine.risk.config) as RiskLimitsView;
  }

  async startStrategy(id: string, ctx: RequestContext): Promise<StrategyAck> {
    return this.controlStrategy(id, 'start', ctx);
  }

  async stopStrategy(id: string, ctx: RequestContext): Promise<StrategyAck> {
    return this.controlStrategy(id, 'stop', ctx);
  }

  private controlStrategy(id: string, command: 'start' | 'stop', ctx: RequestContext): StrategyAck {
    if (!this.engine.controlStrategy(id, command)) return { id, state: 'unknown', ok: false, reason: 'UNKNOWN_STRATEGY' };
    this.log.info({ principal: ctx.principal, requestId: ctx.requestId, strategy: id, command }, 'api strategy control');
    // the command is a control-lane message: report the state it leads to
    return { id, state: command === 'start' ? 'running' : 'paused', ok: true };
  }

  // --- feed, health, metrics, events ---------------------------------------------------------

  /**
   * A `/feed` record. For an instrument the engine trades, the venue's own market data is the
   * reference: a record is published on `md.<kind>.<venue>.<symbol>` (where the risk actor and the
   * strategies listen) only when `risk.feeds.trusted` names its producer for that instrument and
   * its price lies within `risk.feeds.bandBps` of the venue's latest mid; any other record goes to
   * `ext.md.<kind>.<venue>.<symbol>` (no engine actor listens there) and is counted by outcome in
   * `bot4_engine_md_total`, so a `feed` token can never steer trading.
   */
  publishMarketData(msg: Readonly<MarketDataMessage>, producer?: string): boolean {
    const key = this.mdKeys.get(msg.topic);
    if (key === undefined) {
      // not an instrument the engine trades: no actor could use it, but /ws subscribers may want it
      this.mdExternal++;
      if (this.listeners.size > 0) this.emit(msg.topic, { ...msg });
      return true;
    }
    const trusted = producer !== undefined && this.trustedFeeds.get(key)?.has(producer) === true;
    if (!trusted) {
      this.mdUntrusted++;
      return this.publishExternal(msg);
    }
    const mid = this.venueMids.get(key);
    if (mid === undefined) {
      this.mdNoReference++;
      return this.publishExternal(msg);
    }
    if (this.outOfBand(msg, mid)) {
      this.mdOutOfBand++;
      return this.publishExternal(msg);
    }
    const m = this.scratch;
    m.key = key;
    const venueTimeMs = Math.floor(msg.exchTsUs / 1000);
    if (msg.kind === 'ticker') {
      const t: Ticker = { venue: msg.venue, symbol: msg.symbol, bidTicks: msg.bidPx, bidLots: msg.bidQty, askTicks: msg.askPx, askLots: msg.askQty, venueTimeMs, recvNs: msg.recvNs, source: producer! };
      m.payload = t;
    } else if (msg.kind === 'trade') {
      const t: Trade = { venue: msg.venue, symbol: msg.symbol, priceTicks: msg.px, lots: msg.qty, side: msg.side === 'sell' ? 'sell' : 'buy', venueTimeMs, recvNs: msg.recvNs };
      m.payload = t;
      m.key = undefined; // trades are a sequence, never conflated
    } else {
      m.payload = { venue: msg.venue, symbol: msg.symbol, side: msg.side, level: msg.level, priceTicks: msg.px, lots: msg.qty, seq: msg.seq, venueTimeMs, recvNs: msg.recvNs };
      m.key = undefined;
    }
    m.type = KIND_TYPE[msg.kind];
    const n = this.engine.system.publish(msg.topic, m);
    m.payload = undefined;
    if (n === 0 && this.engine.system.subscribers(msg.topic).length > 0) {
      this.mdRefused++;
      return false;
    }
    this.mdPublished++;
    return true;
  }

  /** True when any price of the record lies farther than the band from the venue's mid. */
  private outOfBand(msg: Readonly<MarketDataMessage>, mid: number): boolean {
    const band = this.feedBandBps * mid;
    if (msg.kind === 'ticker') return farFrom(msg.bidPx, mid, band) || farFrom(msg.askPx, mid, band);
    return farFrom(msg.px, mid, band);
  }

  /** Publishes a record no engine actor trades on: `ext.md.…` in the actor system (opt-in subscribers only). */
  private publishExternal(msg: Readonly<MarketDataMessage>): boolean {
    const topic = `ext.${msg.topic}`;
    if (this.engine.system.subscribers(topic).length > 0) this.engine.system.publish(topic, { type: `ext.md.${msg.kind}`, payload: { ...msg } });
    return true;
  }

  health(): EngineHealth {
    const checks: Record<string, boolean> = {};
    for (const [name, v] of this.engine.venues) checks[`venue.${name}`] = v.actor.state === 'running' || v.actor.state === 'degraded';
    // A journal in a write-failure episode (disk full, I/O error) takes no orders: not ready until it writes again.
    const writable = this.engine.journal.writer.health.writable;
    return { venuesSynced: this.engine.venuesSynced, journalOpen: this.journalOpen && writable, checks };
  }

  metrics(): readonly MetricFamily[] {
    const e = this.engine;
    const byState = new Map<string, number>();
    for (const o of e.journal.orders.values()) byState.set(o.state, (byState.get(o.state) ?? 0) + 1);
    const denials: MetricSample[] = [];
    const rs = e.riskActor.stats();
    for (const [code, n] of Object.entries(rs.denied)) denials.push({ labels: { source: 'risk', code }, value: n });
    const venueSamples: MetricSample[] = [];
    const venueState: MetricSample[] = [];
    for (const [venue, s] of Object.entries(e.venueStats())) {
      for (const [code, n] of Object.entries(s.denied)) denials.push({ labels: { source: `venue:${venue}`, code }, value: n });
      for (const k of ['submitted', 'accepted', 'rejected', 'unknown', 'resolved', 'syncs', 'downs'] as const) venueSamples.push({ labels: { venue, event: k }, value: s[k] });
      venueState.push({ labels: { venue, state: s.state }, value: 1 });
    }
    const breakerSamples: MetricSample[] = [];
    const breakerTrips: MetricSample[] = [];
    for (const [name, v] of e.venues) {
      const m = v.breaker.metrics();
      for (const st of ['closed', 'open', 'half-open']) breakerSamples.push({ labels: { breaker: name, state: st }, value: m.state === st ? 1 : 0 });
      breakerTrips.push({ labels: { breaker: name }, value: m.trips });
    }
    const depth: MetricSample[] = [];
    const drops: MetricSample[] = [];
    const processed: MetricSample[] = [];
    for (const s of e.system.allStats()) {
      depth.push({ labels: { actor: s.address }, value: s.depth });
      drops.push({ labels: { actor: s.address, reason: 'dropped' }, value: s.dropped }, { labels: { actor: s.address, reason: 'conflated' }, value: s.conflated }, { labels: { actor: s.address, reason: 'rejected' }, value: s.rejected });
      processed.push({ labels: { actor: s.address }, value: s.processed });
    }
    const handle: MetricSample[] = [];
    const wait: MetricSample[] = [];
    for (const [actor, t] of this.timings) {
      handle.push({ labels: { actor }, value: t.handleNs / 1e9, suffix: '_sum' }, { labels: { actor }, value: t.envelopes, suffix: '_count' });
      wait.push({ labels: { actor }, value: t.maxWaitNs / 1e9 });
    }
    const ks = e.risk.killSwitch.state;
    return [
      { name: 'bot4_engine_orders', help: 'Orders held by the order store, by state.', type: 'gauge', samples: [...byState].map(([state, value]) => ({ labels: { state }, value })) },
      { name: 'bot4_engine_orders_checked_total', help: 'Orders checked by the risk actor.', type: 'counter', samples: [{ value: rs.checked }] },
      { name: 'bot4_engine_orders_approved_total', help: 'Orders approved by the risk actor.', type: 'counter', samples: [{ value: rs.approved }] },
      { name: 'bot4_engine_denials_total', help: 'Orders denied, by source (risk or venue actor) and reason code.', type: 'counter', samples: denials },
      { name: 'bot4_engine_venue_events_total', help: 'Venue actor order and connection events.', type: 'counter', samples: venueSamples },
      { name: 'bot4_engine_venue_state', help: 'Venue connection state (1 for the current one).', type: 'gauge', samples: venueState },
      { name: 'bot4_engine_breaker_state', help: 'Circuit breaker state (1 for the current one).', type: 'gauge', samples: breakerSamples },
      { name: 'bot4_engine_breaker_trips', help: 'Breaker opens since it last closed.', type: 'gauge', samples: breakerTrips },
      { name: 'bot4_engine_kill_switch_state', help: 'Kill switch: 0 ACTIVE, 1 REDUCING, 2 HALTED.', type: 'gauge', samples: [{ value: ks === 'ACTIVE' ? 0 : ks === 'REDUCING' ? 1 : 2 }] },
      { name: 'bot4_actor_mailbox_depth', help: 'Pending envelopes per actor.', type: 'gauge', samples: depth },
      { name: 'bot4_actor_mailbox_drops_total', help: 'Envelopes an actor mailbox dropped, conflated away or rejected.', type: 'counter', samples: drops },
      { name: 'bot4_actor_processed_total', help: 'Envelopes handled per actor.', type: 'counter', samples: processed },
      { name: 'bot4_actor_handle_seconds', help: 'Handling time per actor (clock time of its batches) and envelopes handled.', type: 'untyped', samples: handle },
      { name: 'bot4_actor_wait_seconds_max', help: 'Longest mailbox wait of a batch head per actor.', type: 'gauge', samples: wait },
      {
        name: 'bot4_engine_md_total',
        help: 'Feed records published into the actor system, refused (subscriber mailbox full), only fanned out (not a traded instrument), or kept off a traded instrument\'s trading topics (untrusted producer, no venue price yet, out of the band around the venue\'s mid).',
        type: 'counter',
        samples: [
          { labels: { outcome: 'published' }, value: this.mdPublished },
          { labels: { outcome: 'refused' }, value: this.mdRefused },
          { labels: { outcome: 'external' }, value: this.mdExternal },
          { labels: { outcome: 'untrusted' }, value: this.mdUntrusted },
          { labels: { outcome: 'no-reference' }, value: this.mdNoReference },
          { labels: { outcome: 'out-of-band' }, value: this.mdOutOfBand },
        ],
      },
    ];
  }

  onEvent(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // --- internals -----------------------------------------------------------------------------

  private emit(topic: string, data: unknown): void {
    for (const l of this.listeners) {
      try {
        l(topic, data);
      } catch (err) {
        this.log.error({ err, topic }, 'engine event listener failed');
      }
    }
  }

  private view(o: Order): OrderView {
    const cid = apiClientOrderId(o);
    return {
      orderId: o.clientOrderId,
      ...(cid === undefined ? {} : { clientOrderId: cid }),
      strategy: o.intent.strategy,
      venue: o.intent.venue,
      symbol: o.intent.symbol,
      side: o.intent.side,
      type: o.intent.type,
      tif: o.intent.tif,
      status: o.state,
      priceTicks: o.intent.priceTicks,
      qtyLots: o.intent.qtyLots,
      filledLots: o.filledLots,
      avgPriceTicks: avgPriceTicks(o),
      ...(o.venueOrderId === undefined ? {} : { venueOrderId: o.venueOrderId }),
      ...(o.reason === undefined ? {} : { reason: o.reason }),
      createdNs: o.createdNs,
      updatedNs: o.updatedNs,
    };
  }

  private spawnRelay(): void {
    const sys = this.engine.system;
    sys.spawn(GATEWAY_EVENTS_ADDRESS, relayMachine, {
      handle: (e, ctx) => {
        this.relayCtx = ctx;
        this.relay(e);
      },
      // tickers conflate per instrument; anything else past capacity evicts the oldest: the
      // gateway's fan-out never applies backpressure to an engine actor
      mailbox: { capacity: 65_536, policy: 'conflate' },
    });
    for (const p of [topics.allOrders, topics.allFills, topics.denials, 'venues.*', 'balances.*', 'md.>']) this.unsubs.push(sys.subscribe(p, GATEWAY_EVENTS_ADDRESS));
  }

  private relay(e: Envelope): void {
    if (!isKnownMsg(e)) {
      if (e.type.startsWith('md.')) this.emit(e.topic, e.payload);
      return;
    }
    switch (e.type) {
      case 'order.update': {
        const u = e.payload;
        const o = this.engine.journal.orders.get(u.clientOrderId);
        const cid = o === undefined ? undefined : apiClientOrderId(o);
        this.emit('orders', { type: 'order.update', orderId: u.clientOrderId, ...(cid === undefined ? {} : { apiClientOrderId: cid }), status: u.state, ...u });
        return;
      }
      case 'order.fill': {
        const f = e.payload;
        this.emit('fills', { type: 'order.fill', orderId: f.clientOrderId, ...f });
        if (this.listeners.size > 0) {
          const pf = this.engine.journal.portfolio;
          const p = pf.position(f.venue, f.symbol);
          this.emit('positions', { venue: f.venue, symbol: f.symbol, qtyLots: Number(p.qtyLots), cost: pf.fromAtoms(pf.instrument(f.venue, f.symbol).quote, p.costAtoms), realizedPnl: pf.fromAtoms(pf.instrument(f.venue, f.symbol).quote, p.realizedAtoms) });
        }
        return;
      }
      case 'order.denied': {
        const d = e.payload;
        this.emit('risk.denials', { type: 'order.denied', source: d.source, code: d.code, detail: d.detail, intent: d.intent, ...(d.clientOrderId === undefined ? {} : { orderId: d.clientOrderId }), tNs: d.tNs });
        return;
      }
      case 'venue.state':
        this.emit('status', { type: 'venue.state', ...e.payload });
        return;
      case 'balance.update': {
        const b = e.payload;
        const pf = this.engine.journal.portfolio;
        this.emit('balances', { venue: b.venue, asset: b.asset, total: pf.fromAtoms(b.asset, BigInt(b.totalAtoms)) });
        return;
      }
      case 'md.ticker': {
        const t = e.payload;
        if (t.bidTicks > 0 && t.askTicks > 0) {
          const mid = Math.round((t.bidTicks + t.askTicks) / 2);
          this.mids.set(`${t.venue}:${t.symbol}`, mid);
          if (t.source === undefined) this.venueMids.set(`${t.venue}:${t.symbol}`, mid);
        }
        this.emit(e.topic, t);
        return;
      }
      default:
        if (e.type.startsWith('md.')) this.emit(e.topic, e.payload);
    }
  }

  private recordBatch(ev: BatchDeliveryEvent): void {
    if (ev.system !== this.engine.system.options.name || ev.handled === 0) return;
    let t = this.timings.get(ev.actor);
    if (t === undefined) {
      t = { batches: 0, envelopes: 0, handleNs: 0, maxWaitNs: 0 };
      this.timings.set(ev.actor, t);
    }
    t.batches++;
    t.envelopes += ev.handled;
    t.handleNs += ev.batchEndNs - ev.batchStartNs;
    const head = ev.envelopes[ev.start];
    if (head !== undefined) {
      const w = ev.batchStartNs - head.enqueuedAtNs;
      if (w > t.maxWaitNs) t.maxWaitNs = w;
    }
  }

  private armLatency(): void {
    this.latencyTimer = this.engine.clock.setTimer(this.latencyEventMs, () => {
      if (this.listeners.size > 0 && this.timings.size > 0) {
        const actors: Record<string, { envelopes: number; meanHandleUs: number; maxWaitUs: number }> = {};
        for (const [a, t] of this.timings) actors[a] = { envelopes: t.envelopes, meanHandleUs: t.envelopes === 0 ? 0 : Math.round(t.handleNs / t.envelopes / 10) / 100, maxWaitUs: Math.round(t.maxWaitNs / 10) / 100 };
        this.emit('actors.latency', { actors });
      }
      if (this.latencyTimer !== null) this.armLatency();
    });
  }

  /** The relay actor's context (tests). */
  get relayContext(): ActorContext | undefined {
    return this.relayCtx;
  }
}

/** bigint → decimal string, recursively (risk config holds atoms as bigints). */
function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
    return out;
  }
  return v;
}

/** |px − mid| · 10 000 > band (band = bandBps · mid): the price lies outside the band. */
function farFrom(px: number, mid: number, band: number): boolean {
  return (px > mid ? px - mid : mid - px) * 10_000 > band;
}
