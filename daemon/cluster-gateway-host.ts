// What the gateway across nodes (daemon/event-relay-cluster.ts) needs of its daemon: the host of a
// daemon that runs one engine for its life, and that of a takeover daemon (an engine only while it
// owns the venue lease).
import type { Engine } from '../actors/engine/engine.js';
import type { BalanceView, CancelAck, CancelAllAck, CancelAllRequest, CancelRequest, OrderAck, OrderFilter, OrderRequest, OrderView, PositionView, RequestContext } from '../gateway/engine-port.js';
import type { EngineApi } from './engine-api.js';
import type { FailoverPort } from './failover-port.js';

/**
 * What the cluster gateway needs of its daemon: the daemon that runs one engine for its life uses
 * {@link engineHost}; a takeover daemon (`cluster.lease.takeover`) has an engine only while it owns
 * the lease, so its host answers from whichever engine runs now (daemon/daemon.ts).
 */
export interface ClusterGatewayHost {
  /** Venues this node runs now, with their state and breaker (announced; none on a standby). */
  venueStates(): Record<string, { state: string; breaker: string }>;
  /** Whether this node runs `venue` now (its events are never imported, its announcements ignored). */
  runs(venue: string): boolean;
  /** Hands another node's event to this daemon's `/ws` subscribers. */
  emit(topic: string, data: Record<string, unknown>): void;
  /** Runs a request another node routed here (never routed again). */
  serve: {
    submit(req: OrderRequest, ctx: RequestContext): Promise<OrderAck>;
    cancel(req: CancelRequest, ctx: RequestContext): Promise<CancelAck>;
    cancelAll(req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck>;
    orders(filter: OrderFilter): Promise<readonly OrderView[]>;
    positions(): Promise<readonly PositionView[]>;
    balances(): Promise<readonly BalanceView[]>;
  };
}

/** The host of a daemon with one engine for its life: its venues, its API's order entry and event relay. */
export function engineHost(engine: Engine, api: EngineApi): ClusterGatewayHost {
  return {
    venueStates: () => {
      const venues: Record<string, { state: string; breaker: string }> = {};
      for (const [name, s] of Object.entries(engine.venueStats())) venues[name] = { state: s.state, breaker: engine.venues.get(name)!.breaker.state };
      return venues;
    },
    runs: (venue) => engine.venues.has(venue),
    emit: (topic, data) => api.events.emit(topic, data),
    serve: {
      submit: (req, ctx) => api.entry.submitOrder(req, ctx, true),
      cancel: (req, ctx) => api.entry.cancelOrder(req, ctx, true),
      cancelAll: (req, ctx) => api.entry.cancelAll(req, ctx, true),
      orders: (filter) => api.queries.orders(filter, true),
      positions: () => api.queries.positions(),
      balances: () => api.queries.balances(),
    },
  };
}

/**
 * The host of a takeover daemon (`cluster.lease.takeover`): while it owns the lease, `engine()`
 * runs and `port.active` is its API (this node runs its venues, serves routed requests through
 * its order entry); as a standby it runs nothing and answers routed requests as the standby it is
 * (`LEASE_STALE`, no orders). Other nodes' events go to the port's subscribers either way.
 */
export function failoverHost(port: FailoverPort, engine: () => Engine | undefined): ClusterGatewayHost {
  const running = (): Engine | undefined => (port.active === undefined ? undefined : engine());
  return {
    venueStates: () => {
      const e = running();
      const out: Record<string, { state: string; breaker: string }> = {};
      if (e !== undefined) for (const [name, s] of Object.entries(e.venueStats())) out[name] = { state: s.state, breaker: e.venues.get(name)!.breaker.state };
      return out;
    },
    runs: (venue) => running()?.venues.has(venue) === true,
    emit: (topic, data) => port.emitRemote(topic, data),
    serve: {
      submit: (req, ctx) => port.active?.entry.submitOrder(req, ctx, true) ?? Promise.resolve(port.standbyAck()),
      cancel: (req, ctx) => port.active?.entry.cancelOrder(req, ctx, true) ?? Promise.resolve({ canceled: false, reason: port.standbyAck().reason! }),
      cancelAll: (req, ctx) => port.active?.entry.cancelAll(req, ctx, true) ?? Promise.resolve({ count: 0 }),
      orders: (filter) => port.active?.queries.orders(filter, true) ?? Promise.resolve([]),
      positions: () => port.active?.queries.positions() ?? Promise.resolve([]),
      balances: () => port.active?.queries.balances() ?? Promise.resolve([]),
    },
  };
}
