import { setup } from 'xstate';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { RollingCorrelation } from '../../native/rolling-correlation.js';
import { logger } from '../../common/log.js';
import { isKnownMsg, message, RISK_ADDRESS, topics, venueAddress, type Msg, type OrderDenied, type OrderUpdate, type RiskDenialCode, type SubmitAck } from '../messages.js';
import type { OrderIntent } from '../orders/intent.js';
import { isTerminal, type Order } from '../orders/order-state.js';
import type { RiskEngine } from './risk-engine.js';
import type { ActorContext } from '../runtime/actor-cell.js';
import { SendStatus, type ActorRef, type ActorSystem } from '../runtime/actor-system.js';
import type { Envelope } from '../runtime/envelope.js';

/** Checks a reply against {@link SubmitAck} (its `reason` must be a denial code); returns it unchanged. */
const submitAck = (a: SubmitAck): SubmitAck => a;

/** The risk actor's machine: only the runtime's lifecycle and batches; state lives in the engine. */
export const riskMachine = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'risk' });

/** Figures of the risk actor. */
export interface RiskActorStats {
  checked: number;
  approved: number;
  denied: Record<string, number>;
}

/**
 * The pre-trade gate between strategies (and the API) and the venue actors: `order.submit` →
 * {@link RiskEngine.check} (synchronous) → forwarded to `exchange.<venue>`, or published as
 * `order.denied` on `risk.denials` and `orders.<strategy>`. It keeps the engine's state mirror
 * current from the venue actors' events: tickers (reference prices and quote ages), order updates
 * (open orders), fills (positions, PnL triggers) and venue-side denials (releasing the projection).
 *
 * An `order.submit` sent with `ask()` gets exactly one reply: the venue actor's ack
 * (`{ accepted, clientOrderId }`) when approved — the request is forwarded
 * (`ActorSystem.forward`), so the venue actor answers the asker directly — and
 * `{ accepted: false, reason }` when denied here or when the venue actor cannot take it.
 */
export class RiskActor {
  readonly address = RISK_ADDRESS;
  private readonly figures: RiskActorStats = { checked: 0, approved: 0, denied: {} };
  /**
   * Approved intents not yet seen as orders, by limit price, each bucket in approval order (the
   * first match in a bucket is the oldest with those fields). Was one queue scanned from its head:
   * under overload (15k orders/s offered, risk mailbox full) updates arrived out of approval order
   * and an intent whose update was dropped stayed at the head, so every later match scanned past
   * everything pending behind it, O(pending) per update (issue 13: `onUpdate` + `takePending` 94 %
   * of the engine's CPU, the throughput collapse). Updates are no longer dropped (the mailbox's
   * `mustDeliver` below); the buckets keep a match short when they arrive out of order.
   */
  private readonly pending = new Map<number, OrderIntent[]>();
  /**
   * Open orders the engine projects: client id → intent, lots filled since it was projected, and
   * `base`, the lots already filled when it was restored from the journal (0 for new orders).
   */
  private readonly open = new Map<string, { intent: OrderIntent; filled: number; base: number }>();
  private ctx: ActorContext | undefined;
  private readonly log = logger.child({ component: 'risk' });

  /** Correlation feed: last mid per series, previous sample, the sample buffer. */
  private readonly corr: { source: RollingCorrelation; index: Map<string, number>; mid: Float64Array; prev: Float64Array; sample: Float64Array; sampleMs: number; samples: number } | undefined;
  private corrTimer: TimerHandle | undefined;

  constructor(
    private readonly system: ActorSystem,
    private readonly risk: RiskEngine,
    private readonly clock: Clock,
    correlation?: { source: RollingCorrelation; symbols: readonly string[]; sampleMs: number },
  ) {
    if (correlation !== undefined) {
      const n = correlation.symbols.length;
      this.corr = {
        source: correlation.source,
        index: new Map(correlation.symbols.map((s, i) => [s, i])),
        mid: new Float64Array(n),
        prev: new Float64Array(n),
        sample: new Float64Array(n),
        sampleMs: correlation.sampleMs,
        samples: 0,
      };
    }
  }

  /** Samples taken into the correlation matrix so far. */
  get correlationSamples(): number {
    return this.corr?.samples ?? 0;
  }

  /**
   * Every `sampleMs`, once every series has a mid: pushes one sample of log returns since the
   * previous sample into the rolling correlation and refreshes the risk engine's copy.
   */
  private sampleCorrelation(): void {
    const c = this.corr;
    if (c === undefined) return;
    this.corrTimer = this.clock.setTimer(c.sampleMs, () => this.sampleCorrelation());
    for (let i = 0; i < c.mid.length; i++) if (!(c.mid[i]! > 0)) return;
    let havePrev = true;
    for (let i = 0; i < c.mid.length; i++) {
      if (!(c.prev[i]! > 0)) havePrev = false;
      else c.sample[i] = Math.log(c.mid[i]! / c.prev[i]!);
    }
    c.prev.set(c.mid);
    if (!havePrev) return;
    try {
      c.source.push(c.sample);
      c.samples++;
      this.risk.refreshCorrelation();
    } catch (err) {
      this.log.error({ err }, 'correlation sample refused');
    }
  }

  /** Stops the correlation sampling timer. */
  close(): void {
    if (this.corrTimer !== undefined) this.clock.clearTimer(this.corrTimer);
    this.corrTimer = undefined;
  }

  /** Spawns `risk` and subscribes it to tickers, order updates, fills and denials. */
  spawn(): ActorRef<typeof riskMachine> {
    const ref = this.system.spawn(this.address, riskMachine, {
      handle: (e, ctx) => this.handle(e, ctx),
      // Updates, fills, denials and balances move reservations and exposure: losing one under
      // overload would leak a reservation forever. They are bounded by the orders this actor let
      // through (new submits are refused at capacity), so they may pass the capacity.
      mailbox: { capacity: 65_536, policy: 'reject', mustDeliver: ['order.update', 'order.fill', 'order.denied', 'balance.update'] },
    });
    this.system.subscribe('md.ticker.>', this.address);
    this.system.subscribe(topics.allOrders, this.address);
    this.system.subscribe(topics.allFills, this.address);
    this.system.subscribe(topics.denials, this.address);
    this.system.subscribe('balances.*', this.address);
    if (this.corr !== undefined) this.corrTimer = this.clock.setTimer(this.corr.sampleMs, () => this.sampleCorrelation());
    return ref;
  }

  /**
   * Projects the orders a restart found open in the journal (call before the venue actors start):
   * their unfilled lots are reserved again (open counts, locked funds, the self-trade price levels),
   * so after a restart the risk check sees them exactly as before it. Later fills and the terminal
   * update release them as for any order.
   */
  restoreOpen(orders: Iterable<Order>): number {
    let n = 0;
    for (const o of orders) {
      if (isTerminal(o.state) || o.state === 'initialized' || this.open.has(o.clientOrderId)) continue;
      const remaining = o.intent.qtyLots - o.filledLots;
      if (remaining <= 0) continue;
      const intent: OrderIntent = { ...o.intent, qtyLots: remaining };
      this.safe(() => {
        this.risk.onOrderOpened(intent);
        this.open.set(o.clientOrderId, { intent, filled: 0, base: o.filledLots });
        n++;
      });
    }
    return n;
  }

  /** Figures so far. */
  stats(): RiskActorStats {
    return { ...this.figures, denied: { ...this.figures.denied } };
  }

  /** Publishes a risk denial on `risk.denials` and the strategy's `orders.<strategy>` topic. */
  private publishDenied(intent: OrderIntent, code: RiskDenialCode, detail: string): void {
    const payload: OrderDenied = { source: 'risk', intent, code, detail, tNs: this.clock.nowNs() };
    this.system.publish(topics.denials, message({ type: 'order.denied', payload }));
    this.system.publish(topics.orders(intent.strategy), message({ type: 'order.denied', payload }));
  }

  private handle(e: Envelope, ctx: ActorContext): void {
    this.ctx = ctx;
    if (!isKnownMsg(e)) return;
    switch (e.type) {
      case 'order.submit':
        this.submit(e);
        return;
      case 'md.ticker': {
        const t = e.payload;
        if (t.bidTicks > 0 && t.askTicks > 0) {
          this.safe(() => this.risk.onQuote(t.venue, t.symbol, Math.round((t.bidTicks + t.askTicks) / 2)));
          const i = this.corr?.index.get(t.symbol);
          // Series are per symbol (every venue's quote of it moves the same series); ticks are fine as prices for log returns.
          if (i !== undefined) this.corr!.mid[i] = (t.bidTicks + t.askTicks) / 2;
        }
        return;
      }
      case 'balance.update': {
        const b = e.payload;
        // Exact at any size (1e9 USDT is 1e17 atoms, past a double's 2^53): the state keeps a bigint
        // beyond its ceiling. A balance dropped here would leave the check deciding on a stale one.
        this.safe(() => {
          const atoms = BigInt(b.totalAtoms);
          if (atoms >= 0n) this.risk.onBalance(b.venue, b.asset, atoms);
          else this.log.error({ balance: b }, 'negative balance from the venue ignored');
        });
        return;
      }
      case 'order.update':
        this.onUpdate(e.payload);
        return;
      case 'order.fill': {
        const f = e.payload;
        const o = this.open.get(f.clientOrderId);
        if (o === undefined) return;
        o.filled += f.lots;
        this.safe(() => this.risk.onFill(o.intent, f.lots, f.priceTicks, f.feeAtoms === undefined ? 0 : Number(f.feeAtoms)));
        return;
      }
      case 'order.denied': {
        const d = e.payload;
        // The risk actor hears its own denials on this topic too: only a denial made after approval
        // (venue actor, journal) has a projection to release. Decided by the source, never by the
        // code: VENUE_UNAVAILABLE is a code of both the risk engine and the venue actor.
        if (d.source === 'venue' || d.source === 'journal') {
          const x = d.intent;
          const i = this.takePending(x.strategy, x.venue, x.symbol, x.side, x.priceTicks, x.qtyLots);
          if (i !== undefined) this.closed(i, i.qtyLots);
        }
        return;
      }
      default:
        return;
    }
  }

  private submit(e: Msg<'order.submit'>): void {
    const req = e.payload;
    this.figures.checked++;
    const d = this.risk.check(req.intent);
    if (!d.approved) {
      this.figures.denied[d.code] = (this.figures.denied[d.code] ?? 0) + 1;
      this.publishDenied(req.intent, d.code, d.detail);
      if (e.replyTo !== '') this.ctx?.reply(e, submitAck({ accepted: false, reason: d.code, message: d.detail }), 'order.ack');
      return;
    }
    this.figures.approved++;
    this.risk.onOrderOpened(req.intent);
    const bucket = this.pending.get(req.intent.priceTicks);
    if (bucket === undefined) this.pending.set(req.intent.priceTicks, [req.intent]);
    else bucket.push(req.intent);
    const to = venueAddress(req.intent.venue);
    // Forwarded, not asked again: the venue actor's ack goes straight to whoever asked (one ask per
    // order on the whole path); an order sent without a reply address travels the same way.
    const status = this.system.forward(e, to, message({ type: 'order.submit', payload: req }));
    if (status === SendStatus.Sent) return;
    // Not handed on (venue actor's mailbox full, or no live venue actor): the order will never be
    // seen by the venue, so its reservation and pending entry (the one just pushed) are released
    // here, or they would hold funds and lengthen every later match for ever.
    const b = this.pending.get(req.intent.priceTicks);
    if (b !== undefined && b[b.length - 1] === req.intent) {
      if (b.length === 1) this.pending.delete(req.intent.priceTicks);
      else b.pop();
    }
    this.closed(req.intent, req.intent.qtyLots);
    if (e.replyTo !== '') {
      const why = status === SendStatus.Rejected ? `the mailbox of ${to} is full` : `no live actor at ${to}`;
      this.ctx?.reply(e, submitAck({ accepted: false, reason: 'ENGINE_ERROR', message: `order not handed to the venue: ${why}` }), 'order.ack');
    }
  }

  private onUpdate(u: OrderUpdate): void {
    let o = this.open.get(u.clientOrderId);
    if (o === undefined) {
      if (isTerminal(u.state) && u.state !== 'denied') {
        // An order we never saw open (e.g. after a restart): nothing is projected for it.
        const i = this.takePending(u.strategy, u.venue, u.symbol, u.side, u.priceTicks, u.qtyLots);
        if (i !== undefined) this.closed(i, u.qtyLots - u.filledLots);
        return;
      }
      const i = this.takePending(u.strategy, u.venue, u.symbol, u.side, u.priceTicks, u.qtyLots);
      if (i === undefined) return;
      o = { intent: i, filled: 0, base: 0 };
      this.open.set(u.clientOrderId, o);
    }
    if (isTerminal(u.state)) {
      this.open.delete(u.clientOrderId);
      this.closed(o.intent, o.intent.qtyLots - Math.max(o.filled, u.filledLots - o.base));
    }
  }

  /** Removes and returns the first (oldest) pending approved intent with these order fields. */
  private takePending(strategy: string, venue: string, symbol: string, side: OrderIntent['side'], priceTicks: number, qtyLots: number): OrderIntent | undefined {
    const q = this.pending.get(priceTicks);
    if (q === undefined) return undefined;
    for (let i = 0; i < q.length; i++) {
      const p = q[i]!;
      if (p.strategy !== strategy || p.venue !== venue || p.symbol !== symbol || p.side !== side || p.qtyLots !== qtyLots) continue;
      if (q.length === 1) this.pending.delete(priceTicks);
      else if (i === 0) q.shift();
      else q.splice(i, 1);
      return p;
    }
    return undefined;
  }

  /** Releases a closed order's projection (the hot path's {@link safe}, without a closure per order). */
  private closed(intent: OrderIntent, restLots: number): void {
    try {
      this.risk.onOrderClosed(intent, restLots);
    } catch (err) {
      this.log.error({ err }, 'risk state update refused');
    }
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // A state-mirror refusal (unknown instrument, invariant) must not stop the gate: log it.
      this.log.error({ err }, 'risk state update refused');
    }
  }
}
