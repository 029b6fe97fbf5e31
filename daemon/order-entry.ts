import type { Logger } from '../common/log.js';
import type { CancelAck, CancelAllAck, CancelAllRequest, CancelRequest, KillSwitchAck, KillSwitchState, OrderAck, OrderFilter, OrderRequest, OrderView, RequestContext, StrategyAck, VenueResumeAck, VenueResumeRequest } from '../gateway/engine-port.js';
import { message, venueAddress } from '../actors/messages.js';
import type { OrderIntent } from '../actors/orders/intent.js';
import { isTerminal } from '../actors/orders/order-state.js';
import type { Engine } from '../actors/engine/engine.js';
import { API_INTENT_PREFIX } from './api-client-id.js';

const CANCELABLE = new Set(['accepted', 'partially-filled']);

/**
 * Where API orders for venues of other nodes go (daemon/event-relay-cluster.ts, with
 * `cluster.remote`): consulted only for a venue this engine does not run, or a cancel of an order
 * its journal does not hold.
 */
export interface RemoteRouter {
  /** The node running `venue` (config table first, then the last node that announced it); undefined: none known. */
  ownerOf(venue: string): string | undefined;
  /** The node of an order seen on another node's `orders` stream (by engine id or API client id). */
  nodeOfOrder(orderId: string | undefined, clientOrderId: string | undefined): string | undefined;
  /** Submits on `node` (its order entry, risk and journal); a refusal before delivery is `{accepted:false, reason:'B4_REMOTE_…'}`. */
  submit(node: string, req: OrderRequest, ctx: RequestContext): Promise<OrderAck>;
  /** Cancels on `node`. */
  cancel(node: string, req: CancelRequest, ctx: RequestContext): Promise<CancelAck>;
  /** Cancel-all on `node` for one of its venues. */
  cancelAll(node: string, req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck>;
  /** `orders.get` on `node` for one of its venues (its journal's order store). */
  orders(node: string, filter: OrderFilter): Promise<readonly OrderView[]>;
}

/**
 * Order entry of the gateway's API: submit, cancel (by engine id or the caller's
 * `clientOrderId`), cancel-all, the kill switch and strategy start/stop, each turned into the
 * engine call or actor message that does it.
 *
 * API orders: `OrderRequest.clientOrderId` is the caller's id; the engine's own client order id
 * (`<strategy>.<seq>`, the one the venue sees) is returned as `orderId`. The caller's id travels
 * as the order's journal intent key (`api.<clientOrderId>`, see {@link API_INTENT_PREFIX}), so
 * duplicate detection (`DUPLICATE_CLIENT_ORDER_ID`, with the original `orderId`), cancel by
 * `clientOrderId` and the `clientOrderId` of order views survive restarts: an id is remembered as
 * long as the journal's order table holds its order (every open order; the most recent
 * `orderStore.maxClosed`, default 10 000, closed ones), and an attempt in flight is never sent
 * twice. Orders under the id of a strategy hosted by the engine are refused with
 * `API_STRATEGY_HOSTED` (its actor keeps its own books), and every order while the lifecycle is
 * not `running` with `ENGINE_NOT_RUNNING` (start-up, shutdown).
 */
export class OrderEntry {
  /**
   * @param engine the running engine
   * @param lifecycle the API's lifecycle right now (`starting`, `running`, `stopping`, `stopped`)
   * @param log the API's logger (one `api order` / `api cancel` line per request)
   */
  constructor(
    private readonly engine: Engine,
    private readonly lifecycle: () => string,
    private readonly log: Logger,
  ) {}

  /** Set by the cluster gateway (`cluster.remote`): orders for other nodes' venues go there. */
  router: RemoteRouter | undefined = undefined;

  /**
   * See {@link EnginePort.submitOrder}: one ask to the risk actor through `Engine.submit`; for a
   * venue of another node (with a {@link router}), one ask to that node, whose order entry, risk
   * and journal take it. `routed`: the request came from another node (never routed again).
   */
  async submitOrder(req: OrderRequest, ctx: RequestContext, routed = false): Promise<OrderAck> {
    const cid = req.clientOrderId;
    const lifecycle = this.lifecycle();
    if (lifecycle !== 'running') return { accepted: false, ...(cid === undefined ? {} : { clientOrderId: cid }), reason: 'ENGINE_NOT_RUNNING', message: `the engine is ${lifecycle}` };
    if (!routed && this.router !== undefined && !this.engine.venues.has(req.venue)) {
      const node = this.router.ownerOf(req.venue);
      if (node !== undefined) return this.router.submit(node, req, ctx);
    }
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

  /** See {@link EnginePort.cancelOrder}: a control-lane `order.cancel` to the order's venue actor. */
  async cancelOrder(req: CancelRequest, ctx: RequestContext, routed = false): Promise<CancelAck> {
    const id = req.orderId ?? (req.clientOrderId === undefined ? undefined : this.engine.journal.orders.latestAttempt(API_INTENT_PREFIX + req.clientOrderId)?.clientOrderId);
    const o = id === undefined ? undefined : this.engine.journal.orders.get(id);
    if (o === undefined && !routed && this.router !== undefined) {
      // not in this journal: the venue's node (when the venue is another node's), else the node whose stream showed the order
      const node = req.venue !== undefined && !this.engine.venues.has(req.venue) ? this.router.ownerOf(req.venue) : this.router.nodeOfOrder(req.orderId, req.clientOrderId);
      if (node !== undefined) return this.router.cancel(node, req, ctx);
    }
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

  /** See {@link EnginePort.cancelAll}: a control-lane `order.cancel-all` to each matching venue actor. */
  async cancelAll(req: CancelAllRequest, ctx: RequestContext, routed = false): Promise<CancelAllAck> {
    if (!routed && this.router !== undefined && req.venue !== undefined && !this.engine.venues.has(req.venue)) {
      const node = this.router.ownerOf(req.venue);
      if (node !== undefined) return this.router.cancelAll(node, req, ctx);
    }
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

  /** See {@link EnginePort.setKillSwitch}. */
  async setKillSwitch(state: KillSwitchState, ctx: RequestContext): Promise<KillSwitchAck> {
    // Answers once the transition is journaled (durable per fsync policy): it survives a restart.
    return this.engine.setTradingState(state, `api: ${ctx.principal} (connection ${ctx.connectionId})`);
  }

  /**
   * Resumes a halted venue: sends `venue.cmd.resume` (control lane) to its actor, which reconnects,
   * syncs and reconciles; with `acceptBalances` a divergence halt accepts the venue's balances.
   */
  resumeVenue(req: VenueResumeRequest, ctx: RequestContext): VenueResumeAck {
    const stats = this.engine.venueStats()[req.venue];
    if (stats === undefined) return { venue: req.venue, ok: false, state: 'unknown', reason: 'UNKNOWN_VENUE' };
    if (stats.state !== 'halted') return { venue: req.venue, ok: false, state: stats.state, reason: 'VENUE_NOT_HALTED' };
    this.engine.system.send(venueAddress(req.venue), message({ type: 'venue.cmd.resume', payload: { acceptBalances: req.acceptBalances === true }, lane: 'control' }));
    this.log.warn({ principal: ctx.principal, requestId: ctx.requestId, venue: req.venue, acceptBalances: req.acceptBalances === true, haltCode: stats.haltCode }, 'api venue resume');
    return { venue: req.venue, ok: true, state: stats.state };
  }

  /** Starts or pauses a hosted strategy (`UNKNOWN_STRATEGY` when the engine runs none by that id). */
  controlStrategy(id: string, command: 'start' | 'stop', ctx: RequestContext): StrategyAck {
    if (!this.engine.controlStrategy(id, command)) return { id, state: 'unknown', ok: false, reason: 'UNKNOWN_STRATEGY' };
    this.log.info({ principal: ctx.principal, requestId: ctx.requestId, strategy: id, command }, 'api strategy control');
    // the command is a control-lane message: report the state it leads to
    return { id, state: command === 'start' ? 'running' : 'paused', ok: true };
  }
}
