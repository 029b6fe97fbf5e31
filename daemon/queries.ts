import type { BalanceView, BreakerView, EngineStatus, InstrumentFilter, InstrumentView, OrderFilter, OrderView, PositionView, RiskLimitsView } from '../gateway/engine-port.js';
import { avgPriceTicks, type Order } from '../actors/orders/order-state.js';
import type { Engine } from '../actors/engine/engine.js';
import { apiClientOrderId } from './api-client-id.js';
import type { RemoteRouter } from './order-entry.js';

/**
 * The read side of the gateway's API: status, orders, positions, balances, breakers, risk
 * limits and instruments (tick, lot, last mid), as views over the journal's order store and portfolio, the risk engine and the venue
 * actors. Nothing here sends a message.
 */
export class EngineQueries {
  /**
   * @param engine the running engine
   * @param lifecycle the API's lifecycle right now (`starting`, `running`, `stopping`, `stopped`)
   * @param startedMs engine clock time (epoch ms) the API started at (for `uptimeSec`)
   * @param mids last mid (ticks) per `venue:symbol`, kept by the event relay from tickers (marks for unrealized PnL)
   */
  constructor(
    private readonly engine: Engine,
    private readonly lifecycle: () => string,
    private readonly startedMs: number,
    private readonly mids: ReadonlyMap<string, number>,
  ) {}

  /** Set by the cluster gateway (`cluster.remote`): this node's name and the venues other nodes announced (`remoteVenues` of `status`). */
  cluster: { node: string; remoteVenues(): Record<string, unknown>; stats(): Record<string, unknown> } | undefined = undefined;

  /** See {@link EnginePort.status}. */
  async status(): Promise<EngineStatus> {
    const e = this.engine;
    const venues: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(e.venueStats())) venues[name] = { state: s.state, submitted: s.submitted, accepted: s.accepted, rejected: s.rejected, unknown: s.unknown, breaker: e.venues.get(name)!.breaker.state, ...(s.haltCode === undefined ? {} : { haltCode: s.haltCode }) };
    const strategies = [...e.strategies.values()].map((h) => ({ id: h.id, mode: h.mode, lifecycle: h.ref.lifecycle }));
    const ks = e.risk.killSwitch.state;
    const lifecycle = this.lifecycle();
    const state = lifecycle !== 'running' ? lifecycle : ks === 'HALTED' ? 'halted' : e.venuesSynced ? 'running' : 'degraded';
    return {
      state,
      killSwitch: ks,
      venuesSynced: e.venuesSynced,
      openOrders: e.journal.orders.openCount,
      journal: { dir: e.config.journal.dir, fsync: e.config.journal.fsync, nextSequence: e.journal.nextSequence },
      venues,
      ...(this.cluster === undefined ? {} : { node: this.cluster.node, remoteVenues: this.cluster.remoteVenues(), clusterGateway: this.cluster.stats() }),
      strategies,
      // pending envelopes per actor (the dashboard's mailbox depths)
      mailboxes: Object.fromEntries(e.system.allStats().map((s) => [s.address, s.depth])),
      uptimeSec: Math.floor((e.clock.epochMs() - this.startedMs) / 1000),
      pid: process.pid,
    };
  }

  /** Set by the cluster gateway (`cluster.remote`): `orders.get` for another node's venue is answered by that node. */
  router: RemoteRouter | undefined = undefined;

  /** See {@link EnginePort.orders}. `routed`: asked by another node (never routed again). */
  async orders(filter: OrderFilter, routed = false): Promise<readonly OrderView[]> {
    if (!routed && this.router !== undefined && filter.venue !== undefined && !this.engine.venues.has(filter.venue)) {
      const node = this.router.ownerOf(filter.venue);
      if (node !== undefined) return this.router.orders(node, filter);
    }
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

  /** See {@link EnginePort.positions}. */
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

  /** See {@link EnginePort.balances}. */
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

  /** See {@link EnginePort.breakers}. */
  async breakers(): Promise<readonly BreakerView[]> {
    return [...this.engine.venues].map(([name, v]) => ({ name, ...v.breaker.metrics() }));
  }

  /** See {@link EnginePort.riskLimits}. */
  async riskLimits(): Promise<RiskLimitsView> {
    return toPlain(this.engine.risk.config) as RiskLimitsView;
  }

  /** See {@link EnginePort.instruments}: the engine's instruments in config order, with the last mid when one was seen. */
  async instruments(filter: InstrumentFilter): Promise<readonly InstrumentView[]> {
    const out: InstrumentView[] = [];
    for (const i of this.engine.instruments) {
      if (filter.venue !== undefined && i.venue !== filter.venue) continue;
      const mid = this.mids.get(`${i.venue}:${i.symbol}`);
      out.push({ venue: i.venue, symbol: i.symbol, base: i.base, quote: i.quote, tickSize: i.tickSize, lotSize: i.lotSize, minQtyLots: i.minQtyLots, maxQtyLots: i.maxQtyLots, minNotional: i.minNotional, ...(mid === undefined ? {} : { midTicks: mid }) });
    }
    return out;
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
      cumTickLots: o.cumTickLots.toString(),
      ...(o.venueOrderId === undefined ? {} : { venueOrderId: o.venueOrderId }),
      ...(o.reason === undefined ? {} : { reason: o.reason }),
      createdNs: o.createdNs,
      updatedNs: o.updatedNs,
    };
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
