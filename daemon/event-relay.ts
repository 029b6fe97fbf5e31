import { setup } from 'xstate';
import { logger } from '../common/log.js';
import type { EngineEventListener } from '../gateway/engine-port.js';
import { isKnownMsg, topics } from '../actors/messages.js';
import type { ActorContext } from '../actors/runtime/actor-cell.js';
import type { Envelope } from '../actors/runtime/envelope.js';
import type { Engine } from '../actors/engine/engine.js';
import { apiClientOrderId } from './api-client-id.js';

/** Address of the actor that relays engine topics to the gateway. */
export const GATEWAY_EVENTS_ADDRESS = 'gateway.events';

/** The relay actor's machine: lifecycle only; the handler does the work. */
const relayMachine = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'gateway-events' });

/**
 * Actor-system events → gateway subscribers. One relay actor (`gateway.events`) subscribes to the
 * engine's order, fill, denial, venue, balance and market-data topics and turns each envelope
 * into a gateway event (`orders`, `fills`, `positions`, `risk.denials`, `status`, `balances`,
 * `md.…`); kill-switch and breaker transitions are relayed as `killswitch` and `breakers`. A slow
 * gateway never blocks an engine actor: the relay's mailbox conflates tickers per instrument and
 * drops the oldest otherwise (counted in `/metrics`). It also keeps the last mid per instrument
 * from tickers: {@link mids} (every ticker, marks for positions) and {@link venueMids} (the
 * venue's own tickers only, the band reference of trusted feeds).
 */
export class EventRelay {
  /** Registered gateway listeners. */
  readonly listeners = new Set<EngineEventListener>();
  /** Last mid (ticks) per `venue:symbol`, from tickers, for unrealized PnL. */
  readonly mids = new Map<string, number>();
  /** Last mid (ticks) of the venue's own tickers per `venue:symbol`: the band reference for trusted feeds. */
  readonly venueMids = new Map<string, number>();
  /**
   * Called with every `orders`, `fills`, `status` and `balances` event made from this engine's own
   * envelopes (never with events {@link emit}ted from elsewhere): the cluster gateway ships them to
   * the other nodes (daemon/event-relay-cluster.ts). Undefined: nothing leaves the process.
   */
  exporter: ((topic: string, data: Record<string, unknown>) => void) | undefined = undefined;
  private readonly log = logger.child({ component: 'engine-api' });
  private readonly unsubs: (() => void)[] = [];
  private relayCtx: ActorContext | undefined;

  /** Spawns the relay actor, subscribes it, and listens to the kill switch and every venue's breaker. */
  constructor(private readonly engine: Engine) {
    this.spawnRelay();
    this.unsubs.push(
      engine.risk.killSwitch.on((t) => this.emit('killswitch', { state: t.to, previous: t.from, trigger: t.trigger, reason: t.reason, remote: t.remote, epochMs: t.epochMs })),
    );
    for (const [name, v] of engine.venues) {
      this.unsubs.push(v.breaker.on('transition', (t) => this.emit('breakers', { name, state: t.to, previous: t.from, reason: t.reason })));
    }
  }

  /** Unsubscribes from the engine and forgets every listener. Idempotent. */
  detach(): void {
    for (const u of this.unsubs.splice(0)) u();
    this.listeners.clear();
  }

  /** See {@link EnginePort.onEvent}. */
  onEvent(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Calls every listener with one event; a listener that throws is logged and skipped. */
  emit(topic: string, data: unknown): void {
    for (const l of this.listeners) {
      try {
        l(topic, data);
      } catch (err) {
        this.log.error({ err, topic }, 'engine event listener failed');
      }
    }
  }

  /** Emits an event made from a local envelope, and hands it to the {@link exporter}. */
  private local(topic: string, data: Record<string, unknown>): void {
    this.emit(topic, data);
    this.exporter?.(topic, data);
  }

  /** The relay actor's context (tests). */
  get relayContext(): ActorContext | undefined {
    return this.relayCtx;
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
        this.local('orders', { type: 'order.update', orderId: u.clientOrderId, ...(cid === undefined ? {} : { apiClientOrderId: cid }), status: u.state, ...u });
        return;
      }
      case 'order.fill': {
        const f = e.payload;
        this.local('fills', { type: 'order.fill', orderId: f.clientOrderId, ...f });
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
        this.local('status', { type: 'venue.state', ...e.payload });
        return;
      case 'balance.update': {
        const b = e.payload;
        const pf = this.engine.journal.portfolio;
        this.local('balances', { venue: b.venue, asset: b.asset, total: pf.fromAtoms(b.asset, BigInt(b.totalAtoms)) });
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
}
