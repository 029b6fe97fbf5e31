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

  constructor(private readonly info: () => StandbyInfo) {}

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
    return this.target?.submitOrder(req, ctx) ?? Promise.resolve(this.refusal());
  }
  cancelOrder(req: CancelRequest, ctx: RequestContext): Promise<CancelAck> {
    return this.target?.cancelOrder(req, ctx) ?? Promise.resolve({ canceled: false, reason: STANDBY_REASON });
  }
  cancelAll(req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck> {
    return this.target?.cancelAll(req, ctx) ?? Promise.resolve({ count: 0 } as CancelAllAck);
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
    return Promise.resolve({ state: this.ownLifecycle, killSwitch: 'HALTED', standby: true, node: i.node, leaseKey: i.leaseKey, leaseOwner: i.owner ?? null, leaseTerm: i.term ?? null });
  }
  orders(filter: OrderFilter): Promise<readonly OrderView[]> {
    return this.target?.orders(filter) ?? Promise.resolve([]);
  }
  positions(): Promise<readonly PositionView[]> {
    return this.target?.positions() ?? Promise.resolve([]);
  }
  balances(): Promise<readonly BalanceView[]> {
    return this.target?.balances() ?? Promise.resolve([]);
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
