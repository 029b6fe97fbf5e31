import { LiveClock, type Clock } from '../../common/clock.js';
import { logger } from '../../common/log.js';
import { AtomicCounters } from '../../native/atomic-counters.js';
import { RollingCorrelation } from '../../native/rolling-correlation.js';
import type { ExchangeAdapter } from '../exchange/adapter.js';
import { BinanceAdapter } from '../exchange/binance/binance-adapter.js';
import { VenueConfigError } from '../exchange/errors.js';
import { WEIGHT_BUDGET_SLOTS, WeightBudget } from '../exchange/weight-budget.js';
import { RISK_ADDRESS, venueAddress, message, type OrderSubmit, type SubmitAck } from '../messages.js';
import { VenueActor, type VenueActorStats } from '../exchange/venue-actor.js';
import { OrderJournal } from '../journal/order-journal.js';
import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';
import { CircuitBreaker } from '../exchange/circuit-breaker.js';
import { STATE_CODE, type TradingState } from '../risk/kill-switch.js';
import { RiskEngine } from '../risk/risk-engine.js';
import { ActorSystem } from '../runtime/actor-system.js';
import { ActorStoppedError } from '../runtime/errors.js';
import { loadStrategy, type LoadStrategyOptions } from '../strategy/registry.js';
import { controlStrategy, spawnStrategy, type StrategyHandle } from '../strategy/strategy-actor.js';
import type { StrategySpec } from '../strategy/strategy.js';
import { RiskActor } from '../risk/risk-actor.js';
import { parseEngineConfig, VENUE_BREAKER_DEFAULTS, type EngineConfig, type EngineConfigInput } from './engine-config.js';

export { VENUE_BREAKER_DEFAULTS, engineConfigSchema, engineVenueSchema, parseEngineConfig } from './engine-config.js';
export type { EngineConfig, EngineConfigInput, EngineVenue, EngineVenueInput } from './engine-config.js';

/** Submission result (the venue actor's or the risk actor's ack); defined with the messages. */
export type { SubmitAck };

interface VenueSlot {
  adapter: ExchangeAdapter;
  breaker: CircuitBreaker;
  actor: VenueActor;
}

/**
 * The engine: one actor system with a venue actor per venue, the risk actor in front of them, the
 * order journal behind them, and (added by the caller) strategy actors. `start()` loads each
 * venue's instruments, opens the journal (replay, lock), builds the risk engine and spawns the
 * actors; `stop()` drains and closes everything in order. The daemon and the crash tests both run
 * exactly this.
 */
export class Engine {
  readonly config: EngineConfig;
  readonly clock: Clock;
  readonly system: ActorSystem;
  journal!: OrderJournal;
  risk!: RiskEngine;
  riskActor!: RiskActor;
  instruments: Instrument[] = [];
  readonly venues = new Map<string, VenueSlot>();
  /** Strategy actors by id. */
  readonly strategies = new Map<string, StrategyHandle>();
  private readonly log = logger.child({ component: 'engine' });
  private stopped = false;
  /** The last kill-switch journal write (awaited by {@link setTradingState}). */
  private ksWrite: Promise<void> = Promise.resolve();

  private constructor(config: EngineConfig, clock: Clock) {
    this.config = config;
    this.clock = clock;
    this.system = new ActorSystem({ clock });
  }

  /**
   * Validates `config` ({@link parseEngineConfig}: a config it already returned is not validated
   * again), connects to every venue for its instruments, opens the journal and spawns the actors.
   */
  static async start(config: EngineConfigInput | EngineConfig, deps: { clock?: Clock; adapters?: ExchangeAdapter[] } = {}): Promise<Engine> {
    const cfg = parseEngineConfig(config);
    const clock = deps.clock ?? new LiveClock();
    const e = new Engine(cfg, clock);
    await e.boot(deps.adapters);
    return e;
  }

  private async boot(adapters: ExchangeAdapter[] | undefined): Promise<void> {
    const cfg = this.config;
    const list =
      adapters ??
      cfg.venues.map(
        (v) =>
          new BinanceAdapter({
            venue: v.name,
            apiKey: v.apiKey,
            secret: v.secret,
            rest: v.rest,
            timeoutMs: v.timeoutMs,
            orderEntry: v.orderEntry,
            clock: this.clock,
            budget: new WeightBudget(v.limits, this.clock, v.limitsFile === undefined ? undefined : AtomicCounters.openShared(v.limitsFile, WEIGHT_BUDGET_SLOTS)),
            ...(v.ws === undefined ? {} : { ws: v.ws }),
            ...(v.wsApi === undefined ? {} : { wsApi: v.wsApi }),
          }),
      );
    for (const a of list) {
      const all = await a.loadInstruments();
      for (const sym of cfg.symbols) {
        const ins = all.find((i) => i.symbol === sym);
        if (ins === undefined) throw new VenueConfigError(`symbols: ${sym} is not traded on venue ${a.venue}`, { venue: a.venue, symbol: sym });
        this.instruments.push(ins);
      }
    }
    const decimals: Record<string, number> = {};
    for (const i of this.instruments) {
      decimals[i.base] = Math.max(8, decimals[i.base] ?? 0);
      decimals[i.quote] = Math.max(8, decimals[i.quote] ?? 0);
    }
    this.journal = await OrderJournal.open({ dir: cfg.journal.dir, fsync: cfg.journal.fsync, repair: cfg.journal.repair }, { clock: this.clock, instruments: this.instruments, portfolio: { assetDecimals: decimals } });
    const breakers: Record<string, CircuitBreaker> = {};
    for (const a of list) {
      const v = cfg.venues.find((x) => x.name === a.venue)!;
      breakers[a.venue] = new CircuitBreaker({ ...VENUE_BREAKER_DEFAULTS, name: a.venue, ...v.breaker }, this.clock);
    }
    const riskCfg = cfg.risk as Record<string, unknown>;
    const symbols = [...new Set(cfg.symbols)];
    const corr = cfg.correlation.enabled && symbols.length >= 2 ? { source: new RollingCorrelation(symbols.length, cfg.correlation.window), symbols } : undefined;
    const counters = AtomicCounters.create(RiskEngine.slotsNeeded(this.instruments, riskCfg));
    this.risk = new RiskEngine({
      config: riskCfg,
      instruments: this.instruments,
      clock: this.clock,
      counters,
      breakers,
      cancelAll: (reason) => this.cancelAll(reason),
      ...(corr === undefined ? {} : { correlation: corr }),
      onTransition: (t) => this.log.warn({ transition: t }, 'trading state changed'),
    });
    this.restoreTradingState();
    // Seed the risk mirror with the balances the journal rebuilt.
    for (const i of this.instruments) {
      for (const asset of [i.base, i.quote]) {
        const b = this.journal.portfolio.balance(i.venue, asset).total;
        if (b > 0n) this.risk.onBalance(i.venue, asset, b);
      }
    }
    this.riskActor = new RiskActor(this.system, this.risk, this.clock, corr === undefined ? undefined : { ...corr, sampleMs: cfg.correlation.sampleMs });
    this.riskActor.spawn();
    // Orders the journal holds open are reserved again before any venue actor syncs (their locked
    // funds, open counts and the self-trade check's price levels survive the restart).
    const restored = this.riskActor.restoreOpen(this.journal.orders.openOrders());
    if (restored > 0) this.log.info({ restored }, 'open orders from the journal projected into the risk state');
    for (const a of list) {
      const v = cfg.venues.find((x) => x.name === a.venue)!;
      const actor = new VenueActor({ adapter: a, journal: this.journal, clock: this.clock, breaker: breakers[a.venue]!, instruments: this.instruments, options: v.actor });
      actor.spawn(this.system, cfg.supervision);
      this.venues.set(a.venue, { adapter: a, breaker: breakers[a.venue]!, actor });
    }
    // A HALTED restart sweeps again: the previous process may have died before its sweep finished.
    if (this.risk.killSwitch.state === 'HALTED') this.cancelAll('restored HALTED from the journal');
  }

  /**
   * Restores the last journaled kill-switch state (before any actor that can trade exists), then
   * journals every later transition. A restart never loosens the state: only an explicit
   * transition (`bot4 kill --active`) brings a HALTED or REDUCING engine back to ACTIVE.
   */
  private restoreTradingState(): void {
    const ks = this.risk.killSwitch;
    const saved = this.journal.tradingState;
    if (saved !== undefined && saved.s !== 'ACTIVE' && STATE_CODE[saved.s] > ks.code()) {
      ks.set(saved.s, 'manual', `restored from the journal (${saved.g}: ${saved.r})`);
    }
    ks.on((t) => {
      // The restore itself (and any state already journaled) is not written again.
      if (this.journal.tradingState?.s === t.to || (this.journal.tradingState === undefined && t.to === 'ACTIVE')) return;
      this.ksWrite = this.journal.recordTradingState(t.to, t.trigger, t.reason).catch((err: unknown) => this.log.error({ err, transition: t }, 'kill-switch transition not journaled'));
    });
  }

  /**
   * Sets the kill switch (operator command) and resolves once the transition is durable in the
   * journal (per its fsync policy), so an acknowledged `kill --halt` survives a SIGKILL right after.
   */
  async setTradingState(state: TradingState, reason: string): Promise<{ state: TradingState; previous: TradingState }> {
    const ks = this.risk.killSwitch;
    const previous = ks.state;
    // HALTED runs the engine's cancel-all sweep from inside the kill switch (RiskEngine's cancelAll hook)
    if (state === 'HALTED') ks.halt(reason);
    else if (state === 'REDUCING') ks.reduce(reason);
    else ks.resume(reason);
    await this.ksWrite;
    await this.journal.flush();
    return { state: ks.state, previous };
  }

  /** Submits an order through the risk actor (the path strategies use); resolves with the ack. */
  submit(intent: OrderIntent, opts: { intentKey?: string; prefix?: string; timeoutMs?: number } = {}): Promise<SubmitAck> {
    const payload: OrderSubmit = { intent, ...(opts.intentKey === undefined ? {} : { intentKey: opts.intentKey }), ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }) };
    // The risk actor forwards an approved order to the venue actor, which answers this ask directly;
    // a venue actor that stops or faults before answering rejects it: reported as the venue-side
    // ENGINE_ERROR ack it always was (a failure of the risk actor itself still rejects).
    return this.system.ask<SubmitAck>(RISK_ADDRESS, message({ type: 'order.submit', payload }), { timeoutMs: opts.timeoutMs ?? 30_000 }).catch((err: unknown) => {
      if (err instanceof ActorStoppedError && err.details?.address !== RISK_ADDRESS) return { accepted: false, reason: 'ENGINE_ERROR', message: err.message } as SubmitAck;
      throw err;
    });
  }

  /**
   * Loads (built-in name or module path) and spawns a strategy actor `strategy.<id>`. Its id must be
   * listed under `risk.strategies` for its orders to pass risk. Throws `ConfigError`/strategy errors.
   */
  async addStrategy(spec: StrategySpec, options: LoadStrategyOptions = {}): Promise<StrategyHandle> {
    const loaded = await loadStrategy(spec, options);
    const sup = this.config.supervision;
    const h = spawnStrategy(this.system, loaded.spec, loaded.strategy, { clock: this.clock, instruments: this.instruments, ...(sup === undefined ? {} : { supervision: sup }) });
    this.strategies.set(loaded.spec.id, h);
    return h;
  }

  /** Pauses (`stop`) or resumes (`start`) a strategy's quoting; false when no such strategy. */
  controlStrategy(id: string, command: 'stop' | 'start'): boolean {
    if (!this.strategies.has(id)) return false;
    controlStrategy(this.system, id, command);
    return true;
  }

  /** Cancels one order (control lane to its venue actor). */
  cancel(venue: string, clientOrderId: string): void {
    this.system.send(venueAddress(venue), message({ type: 'order.cancel', payload: { clientOrderId }, lane: 'control' }));
  }

  /** Cancels every open order on every venue (the HALTED sweep). */
  cancelAll(reason: string): void {
    for (const v of this.venues.keys()) this.system.send(venueAddress(v), message({ type: 'order.cancel-all', payload: { reason }, lane: 'control' }));
  }

  /** Every venue is running (synced) right now. */
  get venuesSynced(): boolean {
    for (const v of this.venues.values()) if (v.actor.state !== 'running' && v.actor.state !== 'degraded') return false;
    return this.venues.size > 0;
  }

  /** Per-venue figures. */
  venueStats(): Record<string, VenueActorStats> {
    const out: Record<string, VenueActorStats> = {};
    for (const [k, v] of this.venues) out[k] = v.actor.stats();
    return out;
  }

  /** Stops actors, closes venue connections, flushes and closes the journal (idempotent). */
  async stop(opts: { cancelOpenOrders?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.strategies.values()) h.stop();
    if (opts.cancelOpenOrders === true) this.cancelAll('shutdown');
    for (const v of this.venues.values()) await v.actor.close();
    this.riskActor.close();
    await this.system.shutdown();
    await this.journal.close();
  }
}
