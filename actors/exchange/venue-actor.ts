/**
 * One venue as an actor: the wiring. The parts, each in its own file:
 * - `venue-options.ts`: the options schema and defaults, the denial codes, the figures.
 * - `venue-call.ts`: the one breaker-guarded call path every venue request takes.
 * - `venue-machine.ts`: the connection machine; `connection.ts`: what it invokes (reconnects,
 *   probes, connect, streams, poll, credential retry).
 * - `reconciler.ts`: syncs, the start reconciliation and divergence check, unknown outcomes.
 * - `order-router.ts`: submit / cancel, journal-before-send, denials.
 * - `venue-views.ts`: applying the venue's view of an order to the journal.
 * This file owns the halts (operator, credentials, divergence, config) and the `venue.state` events.
 */
import type { Bot4Error } from '../../common/errors.js';
import type { ActorRef, ActorSystem } from '../runtime/actor-system.js';
import type { ActorContext } from '../runtime/actor-cell.js';
import type { Envelope } from '../runtime/envelope.js';
import type { SupervisionOptions } from '../runtime/options.js';
import { isKnownMsg, topics, venueAddress, type VenueConnState, type VenueStateEvent } from '../messages.js';
import { Connection } from './connection.js';
import { VenueAuthError, VenueConfigError, type VenueCallError } from './errors.js';
import { OrderRouter } from './order-router.js';
import { Reconciler } from './reconciler.js';
import { VenueCall } from './venue-call.js';
import { VenueCore, type VenueControl } from './venue-core.js';
import { connStateOf, haltReasonOf, venueMachine } from './venue-machine.js';
import { parseVenueOptions, type VenueActorDeps, type VenueActorStats, type VenueOptions } from './venue-options.js';
import { VenueViews } from './venue-views.js';

export { ADOPTED_STRATEGY, VENUE_DENIALS, venueOptionsSchema, type VenueActorDeps, type VenueActorStats, type VenueDenialCode, type VenueOptions, type VenueOptionsInput } from './venue-options.js';


/**
 * One venue as an actor (`exchange.<venue>`): the connection lifecycle in XState
 * ({@link venueMachine}), every venue call through the venue's circuit breaker, orders journaled
 * before they leave, ambiguous outcomes parked in `unknown` and resolved by client order id, and
 * a full reconciliation (orders, fills, balances) after every (re)connect before new orders pass.
 *
 * Messages: `order.submit` (data, {@link OrderSubmit}), `order.cancel` / `order.cancel-all`
 * (control), `venue.cmd.halt` / `venue.cmd.resume` (control). Publishes `order.update` on
 * `orders.<strategy>` and `orders.all`, `order.fill` on `fills.<strategy>` and `fills.all`,
 * `order.denied` on `risk.denials` and `orders.<strategy>`, tickers on `md.ticker.<venue>.<symbol>`,
 * and `venue.state` on `venues.<venue>`.
 */
export class VenueActor implements VenueControl {
  readonly venue: string;
  readonly address: string;
  readonly options: VenueOptions;
  private readonly core: VenueCore;
  private readonly reconciler: Reconciler;
  private readonly router: OrderRouter;
  private readonly machine;
  private system: ActorSystem | undefined;
  private haltCode: string | undefined;
  private haltReason = '';
  /** Delay of the credential retry while halted by refused credentials (undefined: operator only). */
  private authRetryMs: number | undefined;

  constructor(deps: VenueActorDeps) {
    this.venue = deps.adapter.venue;
    this.address = venueAddress(this.venue);
    const instruments = deps.instruments.filter((i) => i.venue === this.venue);
    if (instruments.length === 0) throw new VenueConfigError(`venue ${this.venue}: expected at least one instrument, got none`, { venue: this.venue });
    this.options = parseVenueOptions(this.venue, deps.options);
    const call = new VenueCall(deps.adapter, deps.breaker, deps.clock);
    call.onAuth = (e) => this.authFailed(e);
    const core = new VenueCore(deps.adapter, deps.journal, deps.clock, instruments, this.options, call);
    core.control = this;
    const views = new VenueViews(core);
    this.reconciler = new Reconciler(core, views);
    views.retryLookup = (o, ms) => this.reconciler.retryResolve(o, ms);
    this.router = new OrderRouter(core, views, this.reconciler);
    const connection = new Connection(core, this.reconciler, views, {
      haltReasonAfterRestart: () => (this.haltCode === undefined ? undefined : this.haltReason),
      authRetryInMs: () => (this.haltCode === VenueAuthError.code ? this.authRetryMs : undefined),
    });
    this.core = core;
    const parts = connection.machineParts();
    this.machine = venueMachine.provide({
      actors: parts.actors,
      actions: {
        ...parts.actions,
        configHalt: (_, p) => {
          if (!(p.error instanceof VenueConfigError)) return;
          core.log.error({ err: p.error }, 'venue config does not match the venue: halting');
          this.markHalted(p.error);
        },
        clearHalt: () => {
          this.haltCode = undefined;
          this.haltReason = '';
          this.authRetryMs = undefined;
        },
      },
    });
  }

  /** Spawns the actor on `system`; resolves `started` once the first init ran. */
  spawn(system: ActorSystem, supervision?: SupervisionOptions): ActorRef<typeof venueMachine> {
    this.system = system;
    return system.spawn(this.address, this.machine, {
      init: (ctx, info) => this.init(ctx, info.restart),
      handle: (e, ctx) => this.handle(e, ctx),
      mailbox: { capacity: 65_536, policy: 'reject' },
      ...(supervision === undefined ? {} : { supervision }),
    });
  }

  /** Current connection state (`faulted` once the supervisor gave up restarting the actor). */
  get state(): VenueConnState | 'faulted' {
    if (this.system?.lifecycleOf(this.address) === 'faulted') return 'faulted';
    const ctx = this.core.ctx;
    return ctx === undefined ? 'disconnected' : connStateOf(ctx.snapshot);
  }

  /** Figures so far. */
  stats(): VenueActorStats {
    const f = this.core.figures;
    return {
      ...f,
      state: this.state,
      denied: { ...f.denied },
      balanceDrift: { ...f.balanceDrift },
      startReconcile: { ...f.startReconcile },
      ...(this.haltCode === undefined ? {} : { haltCode: this.haltCode }),
    };
  }

  /**
   * Stops the machine (every flow it invoked: timers, probes, syncs, the poll, the streams) and
   * closes the adapter. The actor itself is stopped by the system; its state stays as it was.
   */
  async close(): Promise<void> {
    this.core.generation++;
    this.core.ctx?.machine.stop();
    this.core.adapter.stopStreams();
    await this.core.adapter.close();
  }

  /** ` (<halt reason>)` when an error halted the venue, else empty (for the `VENUE_HALTED` detail). */
  haltDetail(): string {
    return this.haltCode === undefined ? '' : ` (${this.haltReason})`;
  }

  /**
   * Order entry stopped answering: deny orders, probe every < `probeCapMs` (full jitter), then
   * reconnect. The streams keep running (market-data health is separate; see venue-machine.ts).
   */
  down(reason: string): void {
    if (this.state === 'halted') return;
    this.send({ type: 'venue.down', reason });
  }

  /**
   * Halts the venue for `err` (its code is kept in the stats and the state event's reason): the
   * machine stops what it was doing, streams stop, orders are denied `VENUE_HALTED`.
   */
  haltWith(err: Bot4Error): void {
    this.markHalted(err);
    this.send({ type: 'venue.halt', reason: this.haltReason });
  }

  // --- lifecycle -----------------------------------------------------------------------------

  private init(ctx: ActorContext<typeof venueMachine>, restart: boolean): void {
    this.core.ctx = ctx;
    this.core.generation++;
    this.core.resolving.clear();
    // The previous incarnation's streams (if any) must stop before this one starts its own.
    this.core.adapter.stopStreams();
    if (restart) this.core.log.warn('venue actor restarted: rebuilding from the journal and reconciling');
    // The machine connects on its own (its start delay); a restart never lifts a halt an error imposed.
    this.watch(ctx);
  }

  /** Publishes `venue.state` (and keeps the figures and the actor lifecycle) on every change of state. */
  private watch(ctx: ActorContext<typeof venueMachine>): void {
    let before = connStateOf(ctx.snapshot);
    ctx.machine.subscribe((snap) => {
      const after = connStateOf(snap);
      if (after === before || this.core.ctx !== ctx) return;
      const previous = before;
      before = after;
      const f = this.core.figures;
      f.state = after;
      if (after === 'disconnected' && previous !== 'halted') f.downs++;
      const reason = snap.context.reason;
      const payload: VenueStateEvent = { venue: this.venue, state: after, previous, reason, tNs: this.core.clock.nowNs() };
      ctx.publish(topics.venue(this.venue), { type: 'venue.state', payload });
      this.core.log.info({ from: previous, to: after, reason }, 'venue state');
      const lc = ctx.lifecycle;
      const want = after === 'running' ? 'running' : 'degraded';
      if ((lc === 'running' || lc === 'degraded') && lc !== want) ctx.setLifecycle(want);
    });
  }

  private send(ev: Parameters<ActorContext<typeof venueMachine>['machine']['send']>[0]): void {
    this.core.ctx?.machine.send(ev);
  }

  /** Records a halt for `err`; the caller moves the machine to `halted`. */
  private markHalted(err: Bot4Error): void {
    this.core.generation++;
    this.core.adapter.stopStreams();
    this.haltCode = err.code;
    this.haltReason = haltReasonOf(err);
    if (err.code !== VenueAuthError.code) this.authRetryMs = undefined;
  }

  /**
   * The venue refused our credentials: halt (logged once per run of refusals, with the venue's
   * code, never the key), then try again after `authRetryMs` doubling per refusal (capped), or
   * only on `venue.cmd.resume` when `authRetryMs` is 0.
   */
  private authFailed(e: VenueCallError): void {
    if (this.haltCode === VenueAuthError.code && this.state === 'halted') return;
    const f = this.core.figures;
    f.authFailures++;
    const n = f.authFailures;
    const base = this.options.authRetryMs;
    const delay = base === 0 ? undefined : Math.min(this.options.authRetryCapMs, base * 2 ** Math.min(n - 1, 30));
    const m = /"code":\s*(-?\d+)\s*,\s*"msg":\s*"([^"]{0,200})"/.exec(e.message);
    const said = m === null ? 'credentials refused' : `code ${m[1]}: ${m[2]}`;
    const next = delay === undefined ? 'only an operator resume (venue.cmd.resume) tries again' : `next attempt in ${delay} ms (or on venue.cmd.resume)`;
    const err = new VenueAuthError(this.venue, `venue ${this.venue} refused the API credentials (${said}); halted, ${next}`);
    if (n === 1) this.core.log.error({ code: err.code, venue: this.venue, retryInMs: delay ?? null }, err.message);
    else this.core.log.debug({ code: err.code, venue: this.venue, failures: n, retryInMs: delay ?? null }, 'credentials still refused');
    // Set before the halt: entering `halted` starts the retry (the machine's `authRetry`).
    this.authRetryMs = delay;
    this.haltWith(err);
  }

  // --- messages ------------------------------------------------------------------------------

  private handle(e: Envelope, ctx: ActorContext<typeof venueMachine>): void {
    this.core.ctx = ctx;
    // Typed narrowing (actors/messages.ts): each case sees its own payload type.
    if (!isKnownMsg(e)) return;
    switch (e.type) {
      case 'order.submit':
        // A malformed submit (no intent) from an untyped sender is logged and dropped, never thrown.
        if (typeof e.payload === 'object' && e.payload !== null && typeof e.payload.intent === 'object' && e.payload.intent !== null) this.router.submit(e, e.payload);
        else this.core.log.warn({ type: e.type }, 'malformed order.submit dropped (no intent)');
        break;
      case 'order.cancel':
        if (typeof e.payload?.clientOrderId === 'string') this.router.cancel(e.payload.clientOrderId);
        break;
      case 'order.cancel-all':
        this.router.cancelAll(e.payload ?? { reason: 'operator' });
        break;
      case 'venue.cmd.halt':
        this.core.generation++;
        this.core.adapter.stopStreams();
        this.send({ type: 'venue.halt', reason: e.payload?.reason ?? 'operator' });
        break;
      case 'venue.cmd.resume':
        // `acceptBalances: true`: the operator accepts the venue's balances after a B4_VENUE_DIVERGED halt.
        if (this.state === 'halted') {
          if (e.payload?.acceptBalances === true) this.reconciler.acceptBalances = true;
          this.send({ type: 'venue.resume' });
        }
        break;
      default:
        break;
    }
  }
}
