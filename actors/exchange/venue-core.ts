/**
 * What the venue actor's helpers share: its dependencies, the per-order bookkeeping (requests in
 * flight, lookups running, when a request went unanswered), the figures, and the publishing of
 * order updates, fills and balances. The helpers (`venue-views`, `reconciler`, `order-router`,
 * `connection`) each take this one object; only `venue-actor.ts` creates it.
 */
import type { Clock } from '../../common/clock.js';
import type { Bot4Error } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import { SpanKind, spanSink } from '../../common/span-sink.js';
import type { OrderJournal } from '../journal/order-journal.js';
import type { Instrument } from '../orders/instrument.js';
import type { Order, OrderEvent } from '../orders/order-state.js';
import type { ActorContext } from '../runtime/actor-cell.js';
import { topics, type BalanceUpdate, type OrderFill, type OrderUpdate, type VenueConnState } from '../messages.js';
import type { ExchangeAdapter } from './adapter.js';
import type { VenueActorStats, VenueOptions } from './venue-options.js';
import type { VenueCall } from './venue-call.js';
import { PlacedOrders } from './placed-orders.js';
import type { venueMachine } from './venue-machine.js';

/**
 * Closed orders' ids the venue actor's {@link VenueCore.placedHere} keeps beyond the open ones: the
 * reconciler only asks about open orders, so these are slack, not history.
 */
export const PLACED_WINDOW = 128;

/** What the helpers may ask of the actor (it owns the machine and the halts). */
export interface VenueControl {
  /** Current connection state. */
  readonly state: VenueConnState | 'faulted';
  /** The venue stopped answering: deny orders, probe with backoff, then reconnect (no-op when halted). */
  down(reason: string): void;
  /** Halts the venue for `err` (its code is kept in the stats and the state event's reason). */
  haltWith(err: Bot4Error): void;
  /** ` (<halt reason>)` when an error halted the venue, else empty. */
  haltDetail(): string;
}

/** Shared state of one venue actor (see the file header). */
export class VenueCore {
  readonly venue: string;
  readonly symbols: readonly string[];
  readonly log;
  /** The actor's context (the current incarnation's; set by init and every handled message). */
  ctx: ActorContext<typeof venueMachine> | undefined;
  /** Set by the actor right after construction. */
  control!: VenueControl;
  /**
   * Incarnation of the actor, bumped by a restart, a halt and `close()`. Per-order requests run
   * outside the machine (a placement in flight is not cancelled by a reconnect: its answer must
   * still be booked), so when one fails late it asks this to decide whether the venue it was
   * started under still stands before it knocks the connection down. The connection's own flows
   * (connect, sync, probe, poll, auth retry) do not use it: the machine drops their stale results.
   */
  generation = 0;
  /** Lookups by client order id running now. */
  readonly resolving = new Set<string>();
  /** Lookups scheduled for later. */
  readonly retrying = new Set<string>();
  /** Cancels whose request is running. */
  readonly cancelling = new Set<string>();
  /** Orders whose placement request is still running (survives actor restarts: the request does). */
  readonly inflight = new Set<string>();
  /**
   * Orders this process placed (their requests are known to be finished when not in flight): every
   * one still open or in flight, plus the newest {@link PLACED_WINDOW} others (issue 16: was a Set
   * of every id ever placed).
   */
  readonly placedHere: PlacedOrders;
  /** When each order's request ended without an answer (epoch ms): a late copy may still land. */
  readonly unansweredAt = new Map<string, number>();
  readonly startedMs: number;
  /** Bumped whenever a journaled event changes an order's fills of this venue. */
  fillSeq = 0;
  /** Venue views being applied right now (some wait for executions). */
  applying = 0;
  /** The first accepted order after the venue came back sets `lastRecoveryNs`. */
  awaitingRecovery = false;
  readonly figures: VenueActorStats;
  /**
   * Tracing on: client order id → the order's trace context (the venue actor's `order.submit`
   * span) and whether its ack span was made. Updates and fills of the order are published in
   * that trace (an `order.ack` / `order.update` / `order.fill` span, child of it) instead of
   * starting traces of their own. Empty when tracing is off (one size check per publish).
   */
  readonly traces = new Map<string, { tp: string; acked: boolean }>();

  constructor(
    readonly adapter: ExchangeAdapter,
    readonly journal: OrderJournal,
    readonly clock: Clock,
    readonly instruments: readonly Instrument[],
    readonly options: VenueOptions,
    readonly call: VenueCall,
  ) {
    this.venue = adapter.venue;
    this.symbols = instruments.map((i) => i.symbol);
    this.log = logger.child({ component: 'venue', venue: this.venue });
    this.startedMs = clock.epochMs();
    this.placedHere = new PlacedOrders(PLACED_WINDOW, (id) => this.inflight.has(id) || journal.orders.isOpen(id));
    this.figures = {
      state: 'disconnected', submitted: 0, accepted: 0, rejected: 0, denied: {}, unknown: 0, resolved: 0, adopted: 0, throttled: 0, balanceSyncSkipped: 0, syncs: 0, downs: 0, balanceDrift: {}, lastBackNs: 0, lastRecoveryNs: 0,
      authFailures: 0, startReconcile: { done: false, adopted: 0, fills: 0, unexplainedTrades: 0 },
    };
  }

  /** True while a placement of this venue is in flight, a view is being applied or a lookup runs (balances are then not a consistent picture). */
  busy(): boolean {
    return [...this.inflight].some((id) => this.journal.orders.get(id)?.intent.venue === this.venue) || this.applying > 0 || this.resolving.size > 0;
  }

  /** The assets of this venue's instruments. */
  assets(): Set<string> {
    const assets = new Set<string>();
    for (const i of this.instruments) {
      assets.add(i.base);
      assets.add(i.quote);
    }
    return assets;
  }

  /** Publishes `order.update` on `orders.<strategy>` and `orders.all`. */
  publishUpdate(o: Order, why?: string): void {
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
    };
    // Assigned, not spread from temporary objects: one object per update.
    if (o.venueOrderId !== undefined) payload.venueOrderId = o.venueOrderId;
    const reason = why ?? o.reason;
    if (reason !== undefined) payload.reason = reason;
    const t = this.traces.size === 0 ? undefined : this.traces.get(o.clientOrderId);
    if (t !== undefined) {
      // 'submitted' is the journal's ack (before the wire call): it stays in the venue span
      const tp = o.state === 'submitted' ? t.tp : this.orderSpan(t.tp, t.acked ? `order.update ${o.state}` : 'order.ack', o, o.state);
      t.acked ||= o.state !== 'submitted';
      ctx.publish(this.strategyTopic(o.intent.strategy, 'orders'), { type: 'order.update', payload, traceparent: tp });
      ctx.publish(topics.allOrders, { type: 'order.update', payload, traceparent: tp });
      return;
    }
    ctx.publish(this.strategyTopic(o.intent.strategy, 'orders'), { type: 'order.update', payload });
    ctx.publish(topics.allOrders, { type: 'order.update', payload });
  }

  /**
   * Tracing on: remembers `traceparent` as the trace of order `clientOrderId` (bounded: the oldest
   * entry goes beyond 10 000 orders in flight). Forgotten when the order ends ({@link untrace}).
   */
  traceOrder(clientOrderId: string, traceparent: string): void {
    if (traceparent === '' || spanSink('engine') === undefined) return;
    if (this.traces.size >= 10_000) this.traces.delete(this.traces.keys().next().value!);
    this.traces.set(clientOrderId, { tp: traceparent, acked: false });
  }

  /** Forgets a finished order's trace. */
  untrace(clientOrderId: string): void {
    if (this.traces.size !== 0) this.traces.delete(clientOrderId);
  }

  /** A zero-length span of the order's trace (sampled orders only); returns the context its messages carry. */
  private orderSpan(parent: string, name: string, o: Order, state: string, lots?: number, tradeId?: string): string {
    const sink = spanSink('engine');
    if (sink === undefined) return parent;
    const span = sink.start(name, SpanKind.INTERNAL, parent);
    if (!span.recording) return span.traceparent;
    span.setAttribute('bot4.order.client_id', o.clientOrderId);
    span.setAttribute('bot4.venue', o.intent.venue);
    span.setAttribute('bot4.symbol', o.intent.symbol);
    span.setAttribute('bot4.side', o.intent.side);
    span.setAttribute('bot4.order.state', state);
    span.setAttribute('bot4.order.filled_lots', o.filledLots);
    if (o.venueOrderId !== undefined) span.setAttribute('bot4.order.venue_id', o.venueOrderId);
    if (lots !== undefined) span.setAttribute('bot4.fill.lots', lots);
    if (tradeId !== undefined) span.setAttribute('bot4.fill.trade_id', tradeId);
    span.end();
    return span.traceparent;
  }

  /** Publishes `order.fill` on `fills.<strategy>` and `fills.all`. */
  publishFill(o: Order, lots: number, tickLots: bigint, ev: OrderEvent): void {
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
    const t = this.traces.size === 0 ? undefined : this.traces.get(o.clientOrderId);
    if (t !== undefined) {
      const tp = this.orderSpan(t.tp, 'order.fill', o, o.state, lots, payload.tradeId);
      ctx.publish(this.strategyTopic(o.intent.strategy, 'fills'), { type: 'order.fill', payload, traceparent: tp });
      ctx.publish(topics.allFills, { type: 'order.fill', payload, traceparent: tp });
      return;
    }
    ctx.publish(this.strategyTopic(o.intent.strategy, 'fills'), { type: 'order.fill', payload });
    ctx.publish(topics.allFills, { type: 'order.fill', payload });
  }

  /** `topics.orders(strategy)` / `topics.fills(strategy)`, built once per strategy (not per update). */
  private strategyTopic(strategy: string, kind: 'orders' | 'fills'): string {
    const cache = kind === 'orders' ? this.orderTopics : this.fillTopics;
    let t = cache.get(strategy);
    if (t === undefined) {
      t = kind === 'orders' ? topics.orders(strategy) : topics.fills(strategy);
      if (cache.size < 4096) cache.set(strategy, t);
    }
    return t;
  }

  private readonly orderTopics = new Map<string, string>();
  private readonly fillTopics = new Map<string, string>();

  /** Publishes the journal's balance of every asset of this venue on `balances.<venue>`. */
  publishBalances(assets: ReadonlySet<string>): void {
    const pf = this.journal.portfolio;
    for (const asset of assets) {
      const payload: BalanceUpdate = { venue: this.venue, asset, totalAtoms: pf.balance(this.venue, asset).total.toString(), tNs: this.clock.nowNs() };
      this.ctx?.publish(topics.balances(this.venue), { type: 'balance.update', payload, key: `${this.venue}:${asset}` });
    }
  }
}

/** The message of anything thrown. */
export function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Exact sum of two non-negative decimal strings (`"1.5" + "0.25"` → `"1.75"`). */
export function addDecimal(a: string, b: string): string {
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
