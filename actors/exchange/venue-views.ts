/**
 * Applying the venue's view of an order to the journal: new executions become fills (deduplicated
 * by trade id and cumulative quantity, so a trade seen in both a REST reply and the stream counts
 * once), then the state moves (accept, reconcile, cancel, expire). Every event is journaled, then
 * published as `order.update` / `order.fill`. Used by the order router (placement and cancel
 * answers), the reconciler (syncs, lookups) and the streams.
 */
import { isTerminal, type Order, type OrderEvent, type ReconcileTarget } from '../orders/order-state.js';
import type { VenueOrder, VenueOrderStatus } from './adapter.js';
import { errMsg, type VenueCore } from './venue-core.js';

/** Applies venue views and journals order events (see the file header). */
export class VenueViews {
  /** Looks an unresolved order up again after `ms` (wired to the reconciler by the actor). */
  retryLookup: (o: Order, ms: number) => void = () => undefined;

  constructor(private readonly core: VenueCore) {}

  /**
   * Applies the venue's view of an order: new executions as fills (deduplicated by the cumulative
   * quantity, so a trade seen in both the REST reply and the stream counts once), then the state.
   * Events are issued synchronously (the journal applies them at once); the promise resolves when
   * their records are written. A view whose executions must be fetched first counts as `applying`
   * (balances are no consistent picture) until it is applied; the usual view (a placement's or a
   * cancel's answer) is applied before this returns, with no async frame around it.
   */
  applyVenue(o: Order, v: VenueOrder): Promise<unknown> {
    let known = o.filledLots;
    for (const t of v.trades) if (!o.tradeIds.includes(t.tradeId)) known += t.lots;
    if (v.filledLots > known && !isTerminal(o.state)) return this.applyWithExecutions(o, v);
    try {
      return this.applyView(o, v);
    } catch (e) {
      return Promise.reject(e as Error); // as the async form did: callers see a rejection, never a throw
    }
  }

  /**
   * {@link applyVenue} for callers that do not wait for the records (a placement's answer, the
   * user-data stream): the events are applied and published now, their records join this turn's
   * group commit, and a failed write is logged (the journal's failure episode is reported by its
   * health). No promise per event. A view whose executions must be fetched first is applied when
   * they arrive, as {@link applyVenue} does.
   */
  applyVenueNow(o: Order, v: VenueOrder): void {
    let known = o.filledLots;
    for (const t of v.trades) if (!o.tradeIds.includes(t.tradeId)) known += t.lots;
    if (v.filledLots > known && !isTerminal(o.state)) {
      void this.applyWithExecutions(o, v);
      return;
    }
    try {
      this.applyView(o, v, true);
    } catch (e) {
      this.core.log.error({ err: errMsg(e), clientOrderId: o.clientOrderId }, 'venue view could not be applied');
    }
  }

  /**
   * The view says more was executed than its trades show (GET order, open orders): fetch the
   * executions so fills carry their trade ids and fees (balances reconcile to the atom), then apply.
   */
  private async applyWithExecutions(o: Order, v: VenueOrder): Promise<unknown> {
    this.core.applying++;
    try {
      try {
        const trades = await this.core.call.run((a) => a.fetchTrades(o.intent.symbol, v.venueOrderId));
        v = { ...v, trades };
      } catch (err) {
        // Applying the view without its executions would book fills without fees for good (the
        // order may turn terminal): leave it for the next look (poll, sync or a lookup retry).
        this.core.log.warn({ clientOrderId: o.clientOrderId, err: errMsg(err) }, 'could not fetch executions; the order is looked at again later');
        if (o.state === 'unknown' || o.state === 'submitted') this.retryLookup(o, this.core.options.probeCapMs);
        return undefined;
      }
      return await this.applyView(o, v);
    } finally {
      this.core.applying--;
    }
  }

  /**
   * Issues the events `v` implies. `now`: through {@link recordNow} (nothing to wait for, the
   * promise returned is a resolved one); else through {@link record}, and the promise resolves when
   * their records are written.
   */
  private applyView(o: Order, v: VenueOrder, now = false): Promise<unknown> {
    // The usual view (a placement's NEW, a cancel's CANCELED) makes one event: its record's promise
    // is returned as is; only a view that makes several pays for an array and `Promise.all`.
    let acc: Pending;
    const add = now ? this.addNow : this.addLater;
    if (o.venueOrderId === undefined && o.state === 'submitted' && v.status !== 'REJECTED' && v.status !== 'EXPIRED' && v.status !== 'EXPIRED_IN_MATCH') {
      acc = add(acc, o, { kind: 'accept', venueOrderId: v.venueOrderId });
    }
    if (o.state !== 'unknown' && !isTerminal(o.state)) {
      for (const t of v.trades) {
        if (o.filledLots + t.lots > v.filledLots || o.tradeIds.includes(t.tradeId)) continue;
        const fill: OrderEvent = { kind: 'fill', lots: t.lots, priceTicks: t.priceTicks, tradeId: t.tradeId };
        if (t.feeAsset !== undefined && t.fee !== undefined) {
          fill.feeAsset = t.feeAsset;
          fill.feeAtoms = this.core.journal.portfolio.toAtoms(t.feeAsset, t.fee);
        }
        acc = add(acc, o, fill);
      }
    }
    const target = statusTarget(v.status);
    if (isTerminal(o.state)) return done(acc);
    if (o.state === 'pending-cancel' && !this.core.cancelling.has(o.clientOrderId) && (target === 'accepted' || target === 'partially-filled') && v.filledLots === o.filledLots) {
      // The cancel never took effect (its request failed or went unanswered): the order is open again
      // and can be cancelled again (a cancel-all sweep does).
      acc = add(acc, o, { kind: 'reconcile', to: v.filledLots > 0 ? 'partially-filled' : 'accepted', venueOrderId: v.venueOrderId, filledLots: v.filledLots, cumTickLots: v.cumTickLots }, 'cancel did not take effect');
      return done(acc);
    }
    if (v.filledLots > o.filledLots || o.state === 'unknown' || (target !== undefined && needsReconcile(o, target))) {
      if (target !== undefined && (v.filledLots !== o.filledLots || o.state !== target)) {
        const fee = this.unseenFees(o, v);
        acc = add(acc, o, { kind: 'reconcile', to: reconcileTarget(target, v, o), venueOrderId: v.venueOrderId, filledLots: v.filledLots, cumTickLots: v.cumTickLots, ...fee });
      }
    } else if (target === 'canceled' && o.state !== 'canceled') {
      acc = add(acc, o, { kind: 'canceled', reason: 'venue' });
    } else if (target === 'expired' && o.state !== 'expired') {
      acc = add(acc, o, { kind: 'expire' });
    }
    return done(acc);
  }

  private unseenFees(o: Order, v: VenueOrder): { feeAsset?: string; feeAtoms?: bigint } {
    let asset: string | undefined;
    let atoms = 0n;
    let lots = o.filledLots;
    for (const t of v.trades) {
      if (o.tradeIds.includes(t.tradeId) || t.feeAsset === undefined || t.fee === undefined) continue;
      if (lots + t.lots > v.filledLots) continue;
      lots += t.lots;
      asset ??= t.feeAsset;
      if (asset === t.feeAsset) atoms += this.core.journal.portfolio.toAtoms(t.feeAsset, t.fee);
    }
    return asset === undefined ? {} : { feeAsset: asset, feeAtoms: atoms };
  }

  /** {@link applyView} without `now`: records the event with {@link record}, its promise kept. */
  private readonly addLater = (acc: Pending, o: Order, ev: OrderEvent, why?: string): Pending => addPromise(acc, this.record(o, ev, why));

  /** `now` mode of {@link applyView}: records the event with {@link recordNow}, nothing to wait for. */
  private readonly addNow = (acc: Pending, o: Order, ev: OrderEvent, why?: string): Pending => {
    this.recordNow(o, ev, why);
    return acc;
  };

  /** The one commit callback of {@link recordNow}'s records (made once: no closure per event). */
  private readonly committed = (err: Error | undefined, _seq: number, clientOrderId: string, kind: OrderEvent['kind']): void => {
    // The journal refuses every later append after an I/O failure; the engine reports it via health.
    if (err !== undefined) this.core.log.error({ err: errMsg(err), clientOrderId, event: kind }, 'journal append failed');
  };

  /**
   * {@link record} without a promise: journals one event (`OrderJournal.recordThen`: applied now,
   * its record in this turn's group commit) and publishes the update (and the fill); a refused
   * event is logged, not thrown.
   */
  recordNow(o: Order, ev: OrderEvent, why?: string): void {
    const before = o.filledLots;
    const beforeTicks = o.cumTickLots;
    const steps = o.history.length;
    try {
      this.core.journal.recordThen(o.clientOrderId, ev, this.committed, o.clientOrderId, ev.kind);
    } catch (e) {
      this.core.log.warn({ err: errMsg(e), clientOrderId: o.clientOrderId, event: ev.kind, state: o.state }, 'venue event refused by the order table');
      return;
    }
    if (o.history.length === steps) return;
    this.published(o, ev, why, before, beforeTicks);
  }

  /** After an event changed `o`: `order.update`, `order.fill` when it filled, the trace forgotten when it ended. */
  private published(o: Order, ev: OrderEvent, why: string | undefined, before: number, beforeTicks: bigint): void {
    this.core.publishUpdate(o, why);
    if (o.filledLots > before) {
      this.core.fillSeq++;
      this.core.publishFill(o, o.filledLots - before, o.cumTickLots - beforeTicks, ev);
    }
    if (isTerminal(o.state)) this.core.untrace(o.clientOrderId);
  }

  /** Journals one event and publishes the update (and the fill); a refused event is logged, not thrown. */
  async record(o: Order, ev: OrderEvent, why?: string): Promise<void> {
    const before = o.filledLots;
    const beforeTicks = o.cumTickLots;
    const steps = o.history.length;
    // `record` validates and applies synchronously (an async function runs to its first await), so
    // an unchanged history means the event was refused (invalid transition, duplicate fill): a late
    // or repeated venue view, logged and dropped, never a crash.
    const p = this.core.journal.record(o.clientOrderId, ev);
    if (o.history.length === steps) {
      try {
        await p;
      } catch (e) {
        this.core.log.warn({ err: errMsg(e), clientOrderId: o.clientOrderId, event: ev.kind, state: o.state }, 'venue event refused by the order table');
      }
      return;
    }
    this.published(o, ev, why, before, beforeTicks);
    try {
      await p;
    } catch (e) {
      // The journal refuses every later append after an I/O failure; the engine reports it via health.
      this.core.log.error({ err: errMsg(e), clientOrderId: o.clientOrderId, event: ev.kind }, 'journal append failed');
    }
  }
}

const RESOLVED: Promise<unknown> = Promise.resolve(undefined);

/** The records' promises of one view: none, one, or several (no closure or array for the usual one). */
type Pending = Promise<unknown> | Promise<unknown>[] | undefined;
function addPromise(acc: Pending, p: Promise<unknown>): Pending {
  if (acc === undefined) return p;
  if (Array.isArray(acc)) {
    acc.push(p);
    return acc;
  }
  return [acc, p];
}
function done(acc: Pending): Promise<unknown> {
  return acc === undefined ? RESOLVED : Array.isArray(acc) ? Promise.all(acc) : acc;
}

type Target = 'accepted' | 'partially-filled' | 'filled' | 'canceled' | 'expired' | 'rejected';

function statusTarget(s: VenueOrderStatus): Target | undefined {
  switch (s) {
    case 'NEW':
      return 'accepted';
    case 'PARTIALLY_FILLED':
      return 'partially-filled';
    case 'FILLED':
      return 'filled';
    case 'CANCELED':
      return 'canceled';
    case 'EXPIRED':
    case 'EXPIRED_IN_MATCH':
      return 'expired';
    case 'REJECTED':
      return 'rejected';
    default:
      return undefined; // PENDING_CANCEL: wait for the final word
  }
}

function needsReconcile(o: Order, target: Target): boolean {
  // From `submitted`, a terminal answer without fills goes through reconcile (the table allows it).
  return o.state === 'submitted' && target !== 'accepted';
}

function reconcileTarget(target: Target, v: VenueOrder, o: Order): ReconcileTarget {
  if (target === 'accepted' && v.filledLots > 0) return v.filledLots === o.intent.qtyLots ? 'filled' : 'partially-filled';
  return target;
}
