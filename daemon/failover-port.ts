// The gateway's EnginePort of a daemon under `cluster.lease.takeover` (docs/deployment.md#automatic-takeover):
// the gateway is up from the start and talks to this port; while the daemon is a standby there is
// no engine behind it (queries answer empty, orders are refused LEASE_STALE, /health is not ready
// with the check `lease.owner: false`), and when it takes over the port forwards to the new
// engine's EngineApi. Event subscribers stay subscribed across takeovers.
import type { Metric } from 'prom-client';
import type {
  BalanceView,
  BreakerView,
  CancelAck,
  CancelAllAck,
  CancelAllRequest,
  CancelRequest,
  EngineEventListener,
  EngineHealth,
  EnginePort,
  EngineStatus,
  InstrumentFilter,
  InstrumentView,
  KillSwitchAck,
  KillSwitchState,
  MarketDataMessage,
  MetricFamily,
  OrderAck,
  OrderFilter,
  OrderRequest,
  OrderView,
  PositionView,
  RequestContext,
  RiskLimitsView,
  StrategyAck,
  VenueResumeAck,
  VenueResumeRequest,
} from '../gateway/engine-port.js';
import type { EngineApi } from './engine-api.js';
import type { RemoteRouter } from './order-entry.js';

/** What a standby says about itself (`status`, order refusals). */
export interface StandbyInfo {
  node: string;
  leaseKey: string;
  /** The lease's current owner and term as last seen (undefined: not known yet). */
  owner?: string;
  term?: number;
}

/** Denial reason of an order sent to a standby (the journal's gate says the same when it refuses). */
const STANDBY_REASON = 'LEASE_STALE';

export class FailoverPort implements EnginePort {
  private target: EngineApi | undefined;
  private untarget: (() => void) | undefined;
  private readonly listeners = new Set<EngineEventListener>();
  private ownLifecycle = 'standby';

  /**
   * The gateway across nodes (`cluster.remote` with takeover): while this daemon is a standby, orders,
   * cancels and order queries go to the lease's current owner through it (undefined: refused LEASE_STALE).
   */
  router: (Pick<RemoteRouter, 'submit' | 'cancel' | 'cancelAll' | 'orders'> & { positions(node: string): Promise<readonly PositionView[]>; balances(node: string): Promise<readonly BalanceView[]> }) | undefined = undefined;

  /** The gateway across nodes' view for a standby's `status` (`remoteVenues`, `clusterGateway`), as an engine's status has it. */
  clusterView: { remoteVenues(): Record<string, unknown>; stats(): Record<string, unknown> } | undefined = undefined;

  constructor(private readonly info: () => StandbyInfo) {}

  /** The node to route to while this daemon is a standby: the lease's owner as last seen, when it is another node. */
  private owner(): string | undefined {
    if (this.router === undefined) return undefined;
    const i = this.info();
    return i.owner !== undefined && i.owner !== i.node ? i.owner : undefined;
  }

  /** Hands an event of another node (gateway across nodes) to every subscriber, with or without an engine. */
  emitRemote(topic: string, data: Record<string, unknown>): void {
    for (const l of this.listeners) l(topic, data);
  }

  /** A standby's answer to a request another node routed here (that node thought this one owns the account). */
  standbyAck(): OrderAck {
    return this.refusal();
  }

  /** `starting`, `running`, … of the active engine; `standby` without one. */
  get lifecycle(): string {
    return this.target?.lifecycle ?? this.ownLifecycle;
  }
  set lifecycle(v: string) {
    if (this.target !== undefined) this.target.lifecycle = v;
    else this.ownLifecycle = v;
  }

  /** The engine this daemon now runs (after a takeover). */
  get active(): EngineApi | undefined {
    return this.target;
  }

  /** Forwards everything to `api` from now on (its events reach every subscriber). */
  attach(api: EngineApi): void {
    this.detach();
    this.target = api;
    this.untarget = api.onEvent((topic, data) => {
      for (const l of this.listeners) l(topic, data);
    });
  }

  /** Back to standby answers (the engine stopped). */
  detach(): void {
    this.untarget?.();
    this.untarget = undefined;
    this.target = undefined;
  }

  private refusal(): OrderAck {
    const i = this.info();
    return { accepted: false, reason: STANDBY_REASON, message: `node ${i.node} is a standby for venue lease ${i.leaseKey}${i.owner === undefined ? '' : ` (owner: ${i.owner}, term ${i.term})`}` };
  }

  submitOrder(req: OrderRequest, ctx: RequestContext): Promise<OrderAck> {
    if (this.target !== undefined) return this.target.submitOrder(req, ctx);
    const owner = this.owner();
    return owner === undefined ? Promise.resolve(this.refusal()) : this.router!.submit(owner, req, ctx);
  }
  cancelOrder(req: CancelRequest, ctx: RequestContext): Promise<CancelAck> {
    if (this.target !== undefined) return this.target.cancelOrder(req, ctx);
    const owner = this.owner();
    return owner === undefined ? Promise.resolve({ canceled: false, reason: STANDBY_REASON }) : this.router!.cancel(owner, req, ctx);
  }
  cancelAll(req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck> {
    if (this.target !== undefined) return this.target.cancelAll(req, ctx);
    const owner = this.owner();
    return owner === undefined ? Promise.resolve({ count: 0 } as CancelAllAck) : this.router!.cancelAll(owner, req, ctx);
  }
  setKillSwitch(state: KillSwitchState, ctx: RequestContext): Promise<KillSwitchAck> {
    return this.target?.setKillSwitch(state, ctx) ?? Promise.resolve({ state: 'HALTED', previous: 'HALTED' });
  }
  startStrategy(id: string, ctx: RequestContext): Promise<StrategyAck> {
    return this.target?.startStrategy(id, ctx) ?? Promise.resolve({ id, state: 'standby', ok: false, reason: STANDBY_REASON });
  }
  stopStrategy(id: string, ctx: RequestContext): Promise<StrategyAck> {
    return this.target?.stopStrategy(id, ctx) ?? Promise.resolve({ id, state: 'standby', ok: false, reason: STANDBY_REASON });
  }
  resumeVenue(req: VenueResumeRequest, ctx: RequestContext): Promise<VenueResumeAck> {
    return this.target?.resumeVenue(req, ctx) ?? Promise.resolve({ venue: req.venue, ok: false, state: 'standby', reason: STANDBY_REASON });
  }
  status(): Promise<EngineStatus> {
    if (this.target !== undefined) return this.target.status();
    const i = this.info();
    const cluster = this.clusterView === undefined ? {} : { remoteVenues: this.clusterView.remoteVenues(), clusterGateway: this.clusterView.stats() };
    return Promise.resolve({ state: this.ownLifecycle, killSwitch: 'HALTED', standby: true, node: i.node, leaseKey: i.leaseKey, leaseOwner: i.owner ?? null, leaseTerm: i.term ?? null, ...cluster });
  }
  orders(filter: OrderFilter): Promise<readonly OrderView[]> {
    if (this.target !== undefined) return this.target.orders(filter);
    const owner = this.owner();
    return owner === undefined ? Promise.resolve([]) : this.router!.orders(owner, filter);
  }
  positions(): Promise<readonly PositionView[]> {
    if (this.target !== undefined) return this.target.positions();
    const owner = this.owner();
    return owner === undefined ? Promise.resolve([]) : this.router!.positions(owner);
  }
  balances(): Promise<readonly BalanceView[]> {
    if (this.target !== undefined) return this.target.balances();
    const owner = this.owner();
    return owner === undefined ? Promise.resolve([]) : this.router!.balances(owner);
  }
  breakers(): Promise<readonly BreakerView[]> {
    return this.target?.breakers() ?? Promise.resolve([]);
  }
  riskLimits(): Promise<RiskLimitsView> {
    return this.target?.riskLimits() ?? Promise.resolve({});
  }
  instruments(filter: InstrumentFilter): Promise<readonly InstrumentView[]> {
    return this.target?.instruments(filter) ?? Promise.resolve([]);
  }
  publishMarketData(msg: Readonly<MarketDataMessage>, producer?: string): boolean {
    return this.target?.publishMarketData(msg, producer) ?? false;
  }
  health(): EngineHealth {
    if (this.target !== undefined) {
      const h = this.target.health();
      return { ...h, checks: { ...h.checks, 'lease.owner': true } };
    }
    return { venuesSynced: false, journalOpen: false, checks: { 'lease.owner': false } };
  }
  metrics(): readonly MetricFamily[] {
    return this.target?.metrics() ?? [];
  }
  promMetrics(): readonly Metric[] {
    return this.target?.promMetrics() ?? [];
  }
  onEvent(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
