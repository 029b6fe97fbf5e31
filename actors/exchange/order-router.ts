/**
 * The order router: `order.submit`, `order.cancel` and `order.cancel-all` of one venue.
 * Submit: deny while the venue is not running (`VENUE_HALTED`, `VENUE_SYNCING`,
 * `VENUE_UNAVAILABLE`), over the order budget (`VENUE_RATE_LIMITED`) or refused by the breaker;
 * otherwise the order is journaled BEFORE it is sent: its record joins the journal's group commit of
 * this event-loop turn (one writev) and the order is handed to the adapter from the commit's
 * callback (no promise per order until then); the ask is answered, and the placement's answer is applied. An ambiguous answer parks the order in
 * `unknown` for the reconciler to resolve by client order id; a credential refusal halts the venue.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { Bot4Error } from '../../common/errors.js';
import type { OrderIntent } from '../orders/intent.js';
import { isTerminal, type Order } from '../orders/order-state.js';
import { currentTraceparent } from '../runtime/context.js';
import type { Envelope } from '../runtime/envelope.js';
import { topics, type OrderCancelAll, type OrderDenied, type OrderSubmit } from '../messages.js';
import { isJournalError } from '../journal/errors.js';
import type { SubmitListener } from '../journal/order-journal.js';
import { VenueCallError } from './errors.js';
import type { Reconciler } from './reconciler.js';
import { failureKind } from './venue-call.js';
import { errMsg, type VenueCore } from './venue-core.js';
import { VENUE_DENIALS, type VenueDenialCode } from './venue-options.js';
import type { VenueViews } from './venue-views.js';

/**
 * `bot4:order:ack`: an {@link OrderAckEvent} when the venue answered an order's placement
 * (accepted, or refused with an answer; not a timeout). Published only when subscribed
 * (`/metrics` observes it as `bot4_order_round_trip_seconds`).
 */
export const ORDER_ACK_CHANNEL = diagnosticsChannel.channel('bot4:order:ack');

/** One venue answer on {@link ORDER_ACK_CHANNEL}. */
export interface OrderAckEvent {
  venue: string;
  clientOrderId: string;
  /** Clock ns just before the placement call and when its answer arrived. */
  startNs: number;
  endNs: number;
  /** The order's trace context (the venue actor's handling span when traced), or ''. */
  traceparent: string;
  accepted: boolean;
  /** The venue actor's order journal: tells engines in one process apart. */
  journal: unknown;
}

/**
 * One order between its journal append and its commit: the journal's listener (one object per
 * order, no closure or promise), carrying what `send` needs.
 */
class PendingSubmit implements SubmitListener {
  constructor(
    private readonly router: OrderRouter,
    readonly e: Envelope,
    readonly intent: OrderIntent,
    readonly expectedId: string,
    readonly traceparent: string,
    readonly generation: number,
  ) {}

  journaled(err: Error | undefined, order: Order): void {
    this.router.journaled(this, err, order);
  }
}

/**
 * Codes of the errors an `OrderGate` (the cluster's replicated log and venue lease) refuses an order
 * with, and their denials. Matched on the error's stable code: the actors never import `cluster/`.
 */
const GATE_DENIALS: ReadonlyMap<string, VenueDenialCode> = new Map([
  ['B4_REPLICATION_FAILED', VENUE_DENIALS.REPLICATION_FAILED],
  ['B4_LEASE_STALE', VENUE_DENIALS.LEASE_STALE],
]);

/** Routes one venue's orders (see the file header). */
export class OrderRouter {
  constructor(
    private readonly core: VenueCore,
    private readonly views: VenueViews,
    private readonly reconciler: Reconciler,
  ) {}

  private deny(e: Envelope, intent: OrderIntent, code: VenueDenialCode, detail: string, clientOrderId?: string): void {
    const ctx = this.core.ctx!;
    this.core.figures.denied[code] = (this.core.figures.denied[code] ?? 0) + 1;
    const base = { intent, detail, tNs: this.core.clock.nowNs(), ...(clientOrderId === undefined ? {} : { clientOrderId }) };
    const payload: OrderDenied =
      code === VENUE_DENIALS.JOURNAL_FAILED || code === VENUE_DENIALS.REPLICATION_FAILED || code === VENUE_DENIALS.LEASE_STALE ? { ...base, source: 'journal', code } : { ...base, source: 'venue', code };
    ctx.publish(topics.denials, { type: 'order.denied', payload });
    ctx.publish(topics.orders(intent.strategy), { type: 'order.denied', payload });
    if (e.replyTo !== '') ctx.reply(e, { accepted: false, reason: code, message: detail }, 'order.ack');
  }

  /** `order.submit`: deny (state, budget, breaker) or journal the order, then send it. */
  submit(e: Envelope, req: OrderSubmit): void {
    const intent = req.intent;
    const state = this.core.control.state;
    if (state === 'halted') return this.deny(e, intent, VENUE_DENIALS.VENUE_HALTED, `venue ${this.core.venue} is halted${this.core.control.haltDetail()}`);
    if (state === 'connecting' || state === 'syncing') return this.deny(e, intent, VENUE_DENIALS.VENUE_SYNCING, `venue ${this.core.venue} is ${state}: reconciling before new orders`);
    if (state === 'disconnected' || this.core.call.breaker.state === 'open') return this.deny(e, intent, VENUE_DENIALS.VENUE_UNAVAILABLE, `venue ${this.core.venue} is unavailable (breaker ${this.core.call.breaker.state})`);
    const budget = this.core.adapter.budget;
    if (budget !== undefined && !budget.tryOrder(intent.strategy)) {
      return this.deny(e, intent, VENUE_DENIALS.VENUE_RATE_LIMITED, `venue ${this.core.venue}: order budget of ${budget.orderLimitText(intent.strategy)} spent (kept below the venue's limits)`);
    }
    if (!this.core.call.admit()) return this.deny(e, intent, VENUE_DENIALS.VENUE_UNAVAILABLE, `venue ${this.core.venue}: circuit breaker ${this.core.call.breaker.state}`);
    // The client order id the journal is about to assign: the order counts as in flight from now
    // on, so a sync that runs before its request is sent never concludes "not at the venue".
    const prefix = req.prefix ?? intent.strategy;
    let expectedId = '';
    try {
      expectedId = this.core.journal.nextClientOrderId(prefix);
    } catch {
      // a bad prefix: the journal refuses it below with a typed error
    }
    if (expectedId !== '') {
      this.core.inflight.add(expectedId);
      this.core.placedHere.add(expectedId);
    }
    // The handling span's context (this actor's span when tracing is on): the venue request joins the order's trace.
    const pending = new PendingSubmit(this, e, intent, expectedId, currentTraceparent(), this.core.generation);
    try {
      // The order exists in the table now (applied synchronously); it leaves only once its record
      // is committed with the rest of this turn's (one writev): see `journaled`.
      this.core.journal.submitThen(prefix, intent, req.intentKey, pending);
    } catch (err) {
      this.core.inflight.delete(expectedId);
      this.core.call.release();
      return this.denyError(e, intent, err);
    }
  }

  /**
   * The journal's answer for one submitted order: committed → hand it to the adapter (write-ahead:
   * this is the only way `send` is reached); failed (JOURNAL_FAILED) → denied, never sent.
   */
  journaled(p: PendingSubmit, err: Error | undefined, o: Order): void {
    if (err !== undefined) {
      this.core.inflight.delete(p.expectedId);
      this.core.call.release();
      return this.denyError(p.e, p.intent, err);
    }
    if (o.clientOrderId !== p.expectedId) {
      // Never expected (the sequence moved between the two reads); keep the invariant anyway.
      this.core.inflight.delete(p.expectedId);
      this.core.inflight.add(o.clientOrderId);
      this.core.placedHere.add(o.clientOrderId);
    }
    void this.send(p.e, o, p.traceparent, p.generation);
  }

  private denyError(e: Envelope, intent: OrderIntent, err: unknown): void {
    const code = err instanceof Bot4Error ? (GATE_DENIALS.get(err.code) ?? (err.code === 'B4_ORDER_OUTCOME_UNKNOWN' ? VENUE_DENIALS.ORDER_OUTCOME_UNKNOWN : isJournalError(err) ? VENUE_DENIALS.JOURNAL_FAILED : VENUE_DENIALS.ORDER_INVALID)) : VENUE_DENIALS.ORDER_INVALID;
    this.deny(e, intent, code, errMsg(err));
  }

  private acked(o: Order, startNs: number, traceparent: string, accepted: boolean): void {
    const ev: OrderAckEvent = { venue: this.core.venue, clientOrderId: o.clientOrderId, startNs, endNs: this.core.clock.nowNs(), traceparent, accepted, journal: this.core.journal };
    ORDER_ACK_CHANNEL.publish(ev);
  }

  private async send(e: Envelope, o: Order, traceparent: string, generation: number): Promise<void> {
    this.core.figures.submitted++;
    this.core.traceOrder(o.clientOrderId, traceparent);
    this.core.publishUpdate(o);
    if (e.replyTo !== '' && this.core.ctx !== undefined) this.core.ctx.reply(e, { accepted: true, clientOrderId: o.clientOrderId, orderId: o.clientOrderId }, 'order.ack');
    const t0 = this.core.clock.nowNs();
    try {
      const v = await this.core.adapter.placeOrder(o.clientOrderId, o.intent, traceparent);
      if (ORDER_ACK_CHANNEL.hasSubscribers) this.acked(o, t0, traceparent, true);
      this.core.inflight.delete(o.clientOrderId);
      this.core.call.settle(t0, undefined);
      this.core.figures.accepted++;
      if (this.core.awaitingRecovery) {
        this.core.awaitingRecovery = false;
        if (this.core.figures.lastBackNs > 0) this.core.figures.lastRecoveryNs = this.core.clock.nowNs() - this.core.figures.lastBackNs;
      }
      // Applied now, its records in this turn's group commit: nothing here waits for them.
      this.views.applyVenueNow(o, v);
    } catch (err) {
      this.core.inflight.delete(o.clientOrderId);
      const kind = failureKind(err);
      this.core.call.settle(t0, kind);
      if (kind !== 'unknown' && ORDER_ACK_CHANNEL.hasSubscribers) this.acked(o, t0, traceparent, false);
      if (kind === 'unknown') {
        this.core.unansweredAt.set(o.clientOrderId, this.core.clock.epochMs());
        this.core.figures.unknown++;
        await this.views.record(o, { kind: 'unknown', reason: errMsg(err) });
        if (this.core.call.breaker.state === 'open' && generation === this.core.generation) this.core.control.down(`order outcome unknown and breaker open: ${errMsg(err)}`);
        else this.reconciler.resolveSoon(o);
        return;
      }
      if (kind === 'auth') {
        // Refused before processing: the order never existed at the venue.
        this.core.figures.rejected++;
        await this.views.record(o, { kind: 'reject', reason: errMsg(err) });
        if (err instanceof VenueCallError) this.core.call.onAuth(err);
        return;
      }
      if (kind === 'throttled') this.core.figures.throttled++;
      if (kind === 'duplicate') {
        // "Already there": the venue has this client id, so look it up instead of failing it.
        this.reconciler.resolveSoon(o);
        return;
      }
      this.core.figures.rejected++;
      await this.views.record(o, { kind: 'reject', reason: errMsg(err) });
    }
  }

  /** `order.cancel`: cancels an open order (cancel-request journaled first), the venue's view decides. */
  cancel(clientOrderId: string): void {
    const o = this.core.journal.orders.get(clientOrderId);
    if (o === undefined || o.intent.venue !== this.core.venue || isTerminal(o.state)) return;
    if (o.state !== 'accepted' && o.state !== 'partially-filled') {
      // submitted/unknown/pending-cancel: nothing to cancel yet, or already cancelling.
      return;
    }
    void this.views.record(o, { kind: 'cancel-request' });
    this.core.cancelling.add(clientOrderId);
    void (async () => {
      try {
        const v = await this.core.call.run((a) => a.cancelOrder(clientOrderId, o.intent.symbol, ''));
        await this.views.applyVenue(o, v);
      } catch (err) {
        const kind = failureKind(err);
        if (kind === 'not-found' || kind === 'rejected') {
          // Lost the race (already filled or cancelled): the venue's view decides.
          try {
            const v = await this.core.call.run((a) => a.fetchOrder(clientOrderId, o.intent.symbol));
            if (v !== undefined) await this.views.applyVenue(o, v);
            else if (o.state === 'pending-cancel') await this.views.record(o, { kind: 'cancel-reject', reason: errMsg(err) });
          } catch {
            // reconciled at the next sync
          }
        }
        if (this.core.call.breaker.state === 'open') this.core.control.down(`cancel failed: ${errMsg(err)}`);
      } finally {
        this.core.cancelling.delete(clientOrderId);
      }
    })();
  }

  /** `order.cancel-all`: cancels every open order of this venue matching the filters. */
  cancelAll(req: OrderCancelAll): void {
    for (const o of [...this.core.journal.orders.openOrders()]) {
      if (o.intent.venue !== this.core.venue) continue;
      if (req.symbol !== undefined && o.intent.symbol !== req.symbol) continue;
      if (req.strategy !== undefined && o.intent.strategy !== req.strategy) continue;
      this.cancel(o.clientOrderId);
    }
  }
}
