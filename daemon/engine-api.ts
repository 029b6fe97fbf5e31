/**
 * The gateway's {@link EnginePort} over a running {@link Engine}: a thin class that delegates each
 * concept to its own module —
 * - `order-entry.ts` ({@link OrderEntry}): submit / cancel / cancel-all / kill switch / strategy
 *   start-stop, API client ids (`api-client-id.ts`);
 * - `queries.ts` ({@link EngineQueries}): status, orders, positions, balances, breakers, limits, instruments;
 * - `feed-relay.ts` ({@link FeedRelay}): `/feed` market data into the actor system, and its trust;
 * - `engine-metrics.ts` ({@link EngineMetrics}): `/health`, `/metrics`, the `actors.latency` event;
 * - `event-relay.ts` ({@link EventRelay}): actor-system events → gateway subscribers;
 * - `event-relay-cluster.ts` (`ClusterGateway`, only with `cluster.remote`): other nodes' events in,
 *   this node's out, and orders/cancels/`orders.get` for other nodes' venues routed to them.
 *
 * ## The path of an order from the WS API (file:function per hop)
 *
 * Request (one text frame → one `order.ack` reply):
 *  1. `gateway/server.ts` `GatewayServer`: the `/ws` route's uWS `message` handler → `WsApi.onMessage`
 *  2. `gateway/ws-api.ts` `WsApi.onMessage`: rate limit, `gateway/protocol.ts` `parseEnvelope`,
 *     role check, `parseArgs('order.submit')` → `WsApi.dispatch` → `WsApi.engineCall` (in-flight
 *     limit, `limits.requestTimeoutMs` timer: `GW_TIMEOUT`) → `WsApi.call` → `EnginePort.submitOrder`
 *  3. `daemon/engine-api.ts` `EngineApi.submitOrder` → `daemon/order-entry.ts`
 *     `OrderEntry.submitOrder`: `ENGINE_NOT_RUNNING`, `DUPLICATE_CLIENT_ORDER_ID` (journal order
 *     store, `latestAttempt('api.<clientOrderId>')`), `API_STRATEGY_HOSTED`, builds the intent
 *  4. `actors/engine/engine.ts` `Engine.submit` → `actors/runtime/actor-system.ts`
 *     `ActorSystem.ask('risk', order.submit)` — the order's only ask, 30 s (`AskTimeoutError` past it)
 *  5. `actors/risk/risk-actor.ts` `RiskActor.handle` → `RiskActor.submit` →
 *     `actors/risk/risk-engine.ts` `RiskEngine.check` (synchronous); denied: `order.denied`
 *     (source `risk`) on `risk.denials` + `orders.<strategy>`, reply `{accepted:false, reason}`;
 *     approved: `RiskEngine.onOrderOpened` (reservation), then
 *     `ActorSystem.forward(request, 'exchange.<venue>', order.submit)`: the same request (reply
 *     address, correlation id) handed on, and the pending ask re-targeted to the venue actor
 *  6. `actors/exchange/venue-actor.ts` `VenueActor.handle` → `VenueActor.submit`: venue state,
 *     order budget, `actors/exchange/circuit-breaker.ts` `CircuitBreaker.tryAcquire`; denied:
 *     `VenueActor.deny` (source `venue`/`journal`, reply `{accepted:false}`); else
 *     `actors/journal/order-journal.ts` `OrderJournal.submit` (journal record, durable per fsync)
 *  7. `VenueActor.send`: `order.update` (`submitted`) published, reply `{accepted:true,
 *     clientOrderId}` — resolves the ask directly (a venue actor that cannot take the order, or
 *     stops before answering, becomes `{accepted:false, reason:'ENGINE_ERROR'}`) →
 *     `OrderEntry.submitOrder` maps the ack to an `OrderAck` → `WsApi.engineCall` → `okReply`.
 *
 * After the ack, in the venue actor: `actors/exchange/binance/binance-adapter.ts`
 * `BinanceAdapter.placeOrder` (REST/WS API to the venue, under the breaker) → `order.update`
 * (`accepted`/`rejected`/unknown) and later `order.fill` on `orders.<strategy>` / `fills.<strategy>`,
 * which the risk actor (`RiskActor.onUpdate`, fills → `RiskEngine.onFill`) and this API's event
 * relay (`EventRelay.relay` → `/ws` `orders`, `fills`, `positions`) both hear.
 *
 * One ask per order: the risk actor forwards (`ActorSystem.forward`) instead of asking the venue
 * actor again, so there is one pending entry and one timer per order, and a venue actor that
 * stops or faults before answering fails the ask at once (not after 30 s).
 */
import type { Metric } from 'prom-client';
import { logger } from '../common/log.js';
import type {
  BalanceView, BreakerView, CancelAck, CancelAllAck, CancelAllRequest, CancelRequest, EngineEventListener, EngineHealth,
  EnginePort, EngineStatus, InstrumentFilter, InstrumentView, KillSwitchAck, KillSwitchState, MarketDataMessage, MetricFamily, OrderAck,
  OrderFilter, OrderRequest, OrderView, PositionView, RequestContext, RiskLimitsView, StrategyAck, VenueResumeAck, VenueResumeRequest,
} from '../gateway/engine-port.js';
import type { ActorContext } from '../actors/runtime/actor-cell.js';
import type { Engine } from '../actors/engine/engine.js';
import { OrderEntry } from './order-entry.js';
import { EngineQueries } from './queries.js';
import { FeedRelay } from './feed-relay.js';
import { EngineMetrics } from './engine-metrics.js';
import { EventRelay } from './event-relay.js';

export { API_INTENT_PREFIX, apiClientOrderId } from './api-client-id.js';
export { GATEWAY_EVENTS_ADDRESS } from './event-relay.js';

/** Options of {@link EngineApi}. */
export interface EngineApiOptions {
  /** Period of the `actors.latency` event (ms of engine clock time; 0: never). Default 1000. */
  latencyEventMs?: number;
}

/**
 * {@link EnginePort} over a running {@link Engine}: the one place the gateway's requests turn into
 * actor messages and engine state turns into views. Orders go through `engine.submit` (the risk
 * actor, the same path strategies use); queries read the journal's order store and portfolio,
 * the risk engine and the venue actors; events reach the gateway through one relay actor
 * (`gateway.events`) subscribed to the engine's topics. See {@link OrderEntry} for API client
 * ids and the refusals (`ENGINE_NOT_RUNNING`, `DUPLICATE_CLIENT_ORDER_ID`, `API_STRATEGY_HOSTED`).
 */
export class EngineApi implements EnginePort {
  /** Lifecycle shown by `status` (the daemon sets it: `starting`, `running`, `stopping`, `stopped`). */
  lifecycle = 'starting';
  readonly entry: OrderEntry;
  readonly queries: EngineQueries;
  private readonly feed: FeedRelay;
  private readonly measures: EngineMetrics;
  readonly events: EventRelay;

  constructor(
    readonly engine: Engine,
    options: EngineApiOptions = {},
  ) {
    const lifecycle = (): string => this.lifecycle;
    const startedMs = engine.clock.epochMs();
    this.events = new EventRelay(engine);
    this.feed = new FeedRelay(engine, this.events);
    this.measures = new EngineMetrics(engine, this.events, this.feed, options.latencyEventMs ?? 1000);
    this.entry = new OrderEntry(engine, lifecycle, logger.child({ component: 'engine-api' }));
    this.queries = new EngineQueries(engine, lifecycle, startedMs, this.events.mids);
  }

  /** Marks the journal closed (health turns not-ready) and detaches from the engine. Idempotent. */
  detach(): void {
    this.measures.detach();
    this.events.detach();
  }

  // --- orders --------------------------------------------------------------------------------

  submitOrder(req: OrderRequest, ctx: RequestContext): Promise<OrderAck> {
    return this.entry.submitOrder(req, ctx);
  }

  cancelOrder(req: CancelRequest, ctx: RequestContext): Promise<CancelAck> {
    return this.entry.cancelOrder(req, ctx);
  }

  cancelAll(req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck> {
    return this.entry.cancelAll(req, ctx);
  }

  setKillSwitch(state: KillSwitchState, ctx: RequestContext): Promise<KillSwitchAck> {
    return this.entry.setKillSwitch(state, ctx);
  }

  async startStrategy(id: string, ctx: RequestContext): Promise<StrategyAck> {
    return this.entry.controlStrategy(id, 'start', ctx);
  }

  async stopStrategy(id: string, ctx: RequestContext): Promise<StrategyAck> {
    return this.entry.controlStrategy(id, 'stop', ctx);
  }

  async resumeVenue(req: VenueResumeRequest, ctx: RequestContext): Promise<VenueResumeAck> {
    return this.entry.resumeVenue(req, ctx);
  }

  // --- queries -------------------------------------------------------------------------------

  status(): Promise<EngineStatus> {
    return this.queries.status();
  }

  orders(filter: OrderFilter): Promise<readonly OrderView[]> {
    return this.queries.orders(filter);
  }

  positions(): Promise<readonly PositionView[]> {
    return this.queries.positions();
  }

  balances(): Promise<readonly BalanceView[]> {
    return this.queries.balances();
  }

  breakers(): Promise<readonly BreakerView[]> {
    return this.queries.breakers();
  }

  riskLimits(): Promise<RiskLimitsView> {
    return this.queries.riskLimits();
  }

  instruments(filter: InstrumentFilter): Promise<readonly InstrumentView[]> {
    return this.queries.instruments(filter);
  }

  // --- feed, health, metrics, events ---------------------------------------------------------

  publishMarketData(msg: Readonly<MarketDataMessage>, producer?: string): boolean {
    return this.feed.publishMarketData(msg, producer);
  }

  health(): EngineHealth {
    return this.measures.health();
  }

  metrics(): readonly MetricFamily[] {
    return this.measures.metrics();
  }

  promMetrics(): readonly Metric[] {
    return this.measures.promMetrics();
  }

  onEvent(listener: EngineEventListener): () => void {
    return this.events.onEvent(listener);
  }

  /** The relay actor's context (tests). */
  get relayContext(): ActorContext | undefined {
    return this.events.relayContext;
  }
}
