/**
 * Reconciliation: bringing the journal in line with the venue.
 * - {@link Reconciler.sync}: after every (re)connect (with balances) and as the periodic poll:
 *   open orders looked up by client order id, orders the journal lacks adopted, balances aligned.
 * - The start reconciliation, once per process: the venue's order and trade history since the
 *   journal's end (orders lost with the journal's tail are adopted), then the balance check that
 *   halts with `B4_VENUE_DIVERGED` when nothing explains a difference.
 * - Unknown outcomes: {@link Reconciler.resolveSoon} asks the venue by client order id until the
 *   order is resolved; "not there" is believed only after `notFoundGraceMs`.
 * Over ~300 lines because these share the consistency rules (nothing in motion while balances
 * are read); split the start reconciliation out if it grows.
 */
import { parseClientOrderId } from '../orders/client-order-id.js';
import type { OrderIntent } from '../orders/intent.js';
import { isTerminal, type Order } from '../orders/order-state.js';
import type { VenueOrder } from './adapter.js';
import { VenueCallError, VenueDivergedError } from './errors.js';
import { addDecimal, errMsg, type VenueCore } from './venue-core.js';
import { ADOPTED_STRATEGY } from './venue-options.js';
import type { VenueViews } from './venue-views.js';

/** Reconciles one venue's orders, fills and balances with the journal (see the file header). */
export class Reconciler {
  /** The start reconciliation (venue history + balance check) passed for this process. */
  startDone = false;
  /** The journal knew nothing of this venue when this process started (its balances are adopted). */
  private freshVenue: boolean | undefined;
  /** An operator resumed with `acceptBalances`: the next balance check journals the difference. */
  acceptBalances = false;

  constructor(
    private readonly core: VenueCore,
    private readonly views: VenueViews,
  ) {}

  /**
   * Brings the journal in line with the venue: every locally open order (including `unknown` ones)
   * is looked up by client order id; orders open at the venue that the journal lacks are adopted;
   * balances are aligned. Throws (→ down) if the venue stops answering meanwhile. `signal` is the
   * invoking machine state's: once it left that state (down, halt, restart), nothing more of this
   * sync is applied (a newer sync runs instead).
   */
  async sync(signal: AbortSignal, balances = false): Promise<void> {
    const start = balances && !this.startDone;
    if (start) {
      this.freshVenue ??= this.isFreshVenue();
      // No known point in time (a journal of only a snapshot without order changes): nothing to ask for.
      if (!this.freshVenue && this.core.journal.lastRecordMs > 0) await this.reconcileHistory(signal);
      if (signal.aborted) return;
    }
    const open = await this.core.call.run((a) => a.fetchOpenOrders(this.core.symbols));
    if (signal.aborted) return;
    const seen = new Set<string>();
    for (const v of open) {
      seen.add(v.clientOrderId);
      const o = this.core.journal.orders.get(v.clientOrderId);
      if (o === undefined) {
        await this.adopt(v);
        continue;
      }
      if (o.intent.venue !== this.core.venue) continue;
      await this.views.applyVenue(o, v);
    }
    for (const o of [...this.core.journal.orders.openOrders()]) {
      if (o.intent.venue !== this.core.venue || seen.has(o.clientOrderId) || this.core.inflight.has(o.clientOrderId)) continue;
      const v = await this.core.call.run((a) => a.fetchOrder(o.clientOrderId, o.intent.symbol));
      if (signal.aborted) return; // a newer incarnation runs its own sync
      await this.resolveWith(o, v);
    }
    if (start) {
      if (this.core.options.balanceSync) await this.checkStartBalances(signal, open);
      if (signal.aborted) return;
      this.startDone = true;
      this.core.figures.startReconcile.done = true;
      return;
    }
    if (balances && this.core.options.balanceSync) await this.syncBalances(signal, open);
  }

  /** True when the journal has neither an order nor a balance of this venue (its first start). */
  private isFreshVenue(): boolean {
    for (const o of this.core.journal.orders.values()) if (o.intent.venue === this.core.venue) return false;
    for (const b of this.core.journal.portfolio.allBalances()) if (b.venue === this.core.venue && b.balance.total !== 0n) return false;
    return true;
  }

  /**
   * The start reconciliation, once per process: the venue's orders and trades per traded symbol
   * since the journal's newest record (minus `historyMarginMs`). An order with an engine client id
   * that the journal lacks and whose sequence lies after the journal's end was lost with the
   * journal's tail (or an older copy was restored): it is adopted with its fills. Orders the
   * journal knows but has open get the venue's view (fills it lacks, fetched with their fees).
   * Trades of known orders still missing after that are looked up by client order id.
   */
  private async reconcileHistory(signal: AbortSignal): Promise<void> {
    const since = Math.max(0, this.core.journal.lastRecordMs - this.core.options.historyMarginMs);
    const lastSeq = this.core.journal.report.lastSeq;
    const rec = this.core.figures.startReconcile;
    for (const symbol of this.core.symbols) {
      const orders = await this.core.call.run((a) => a.fetchOrderHistory(symbol, since));
      if (signal.aborted) return;
      for (const v of orders) {
        const o = this.core.journal.orders.get(v.clientOrderId);
        if (o === undefined) {
          const id = parseClientOrderId(v.clientOrderId);
          // Not ours (another client on the account; open ones are adopted by the open-order pass),
          // or journaled long ago and evicted from the closed-order table: nothing was lost.
          if (id === undefined || id.sequence <= lastSeq) continue;
          const fills0 = this.core.fillSeq;
          if (await this.adopt(v, 'adopted at start: at the venue, lost from the journal (tail lost or an older copy restored)')) rec.adopted++;
          rec.fills += this.core.fillSeq - fills0;
          continue;
        }
        if (o.intent.venue !== this.core.venue || isTerminal(o.state)) continue;
        const fills0 = this.core.fillSeq;
        await this.views.applyVenue(o, v);
        rec.fills += this.core.fillSeq - fills0;
        if (signal.aborted) return;
      }
      const trades = await this.core.call.run((a) => a.fetchTradeHistory(symbol, since));
      if (signal.aborted) return;
      const ask = new Map<string, Order>();
      for (const t of trades) {
        const o = this.core.journal.orders.getByVenueOrderId(this.core.venue, t.venueOrderId);
        if (o === undefined) {
          // The order is in neither the journal nor the venue's order history window: its effect
          // shows in the balance check, which decides.
          if (!orders.some((v) => v.venueOrderId === t.venueOrderId)) rec.unexplainedTrades++;
          continue;
        }
        if (!o.tradeIds.includes(t.tradeId) && !isTerminal(o.state)) ask.set(o.clientOrderId, o);
      }
      for (const o of ask.values()) {
        const v = await this.core.call.run((a) => a.fetchOrder(o.clientOrderId, o.intent.symbol));
        if (signal.aborted) return;
        if (v === undefined) continue;
        const fills0 = this.core.fillSeq;
        await this.views.applyVenue(o, v);
        rec.fills += this.core.fillSeq - fills0;
      }
    }
    if (rec.adopted > 0 || rec.fills > 0) this.core.log.warn({ adopted: rec.adopted, fills: rec.fills, sinceMs: since }, 'start reconciliation: the journal lacked orders or fills the venue has; adopted them');
  }

  /**
   * After a start, once the venue's history is applied: the journal's balances must equal the
   * venue's (totals, every asset of this venue's instruments; open orders lock funds but do not
   * change totals). Read from a consistent picture (nothing in motion, open orders unchanged around
   * the read; a few tries). A difference nothing explains halts the venue with
   * `B4_VENUE_DIVERGED` (or, with `onDivergence: 'adjust'`, after an operator's resume with
   * `acceptBalances`, or on the venue's first start, is journaled as a balance adjustment).
   */
  private async checkStartBalances(signal: AbortSignal, openBefore: readonly VenueOrder[]): Promise<void> {
    const assets = this.core.assets();
    const key = (xs: readonly VenueOrder[]): string =>
      xs
        .map((v) => `${v.clientOrderId}:${v.filledLots}`)
        .sort()
        .join(',');
    let before = openBefore;
    for (let attempt = 0; attempt < 5; attempt++) {
      const fills0 = this.core.fillSeq;
      const rows = await this.core.call.run((a) => a.fetchBalances());
      const after = await this.core.call.run((a) => a.fetchOpenOrders(this.core.symbols));
      if (signal.aborted) return;
      const busy = this.core.busy();
      if (busy || this.core.fillSeq !== fills0 || key(before) !== key(after)) {
        before = after;
        await new Promise<void>((r) => this.core.clock.setTimer(50 * (attempt + 1), r));
        if (signal.aborted) return;
        continue;
      }
      const pf = this.core.journal.portfolio;
      const diffs: { asset: string; engine: bigint; venue: bigint }[] = [];
      for (const r of rows) {
        if (!assets.has(r.asset)) continue;
        const venue = pf.toAtoms(r.asset, addDecimal(r.free, r.locked));
        const engine = pf.balance(this.core.venue, r.asset).total;
        if (venue !== engine) diffs.push({ asset: r.asset, engine, venue });
      }
      if (diffs.length > 0 && !this.freshVenue && this.core.options.onDivergence === 'halt' && !this.acceptBalances) {
        const d = diffs[0]!;
        const all = diffs.map((x) => `${x.asset} engine ${pf.fromAtoms(x.asset, x.engine)} vs venue ${pf.fromAtoms(x.asset, x.venue)}`).join(', ');
        const err = new VenueDivergedError(
          this.core.venue,
          d.asset,
          pf.fromAtoms(d.asset, d.engine),
          pf.fromAtoms(d.asset, d.venue),
          `venue ${this.core.venue}: after the start reconciliation the journal's balances differ from the venue's (${all}); no order or trade the venue still reports explains it (older than its history, a transfer, or a journal restored from an old copy). Halted: check, then venue.cmd.resume with acceptBalances to adopt the venue's balances`,
        );
        this.core.log.error({ code: err.code, venue: this.core.venue, diffs: diffs.map((x) => ({ asset: x.asset, engine: pf.fromAtoms(x.asset, x.engine), venue: pf.fromAtoms(x.asset, x.venue) })) }, err.message);
        this.core.control.haltWith(err);
        return;
      }
      if (diffs.length > 0 && !this.freshVenue) this.core.log.warn({ venue: this.core.venue, assets: diffs.map((x) => x.asset) }, 'balances differ from the venue at start: adopting the venue balances (journaled adjustment)');
      this.acceptBalances = false;
      this.applyBalances(rows, assets);
      this.core.publishBalances(assets);
      return;
    }
    throw new VenueCallError(this.core.venue, 'unknown', 'start balance check: fills kept moving while balances were read', undefined);
  }

  /**
   * Aligns journal balances with the venue's totals (a journaled adjustment per differing asset),
   * only from a consistent picture: a fill the venue has already booked in its balances but the
   * journal has not applied yet would otherwise be counted twice (once by the adjustment, once when
   * its event arrives). So the adjustment is made only if nothing of this venue is in flight or
   * being applied, no fill was journaled while the balances were fetched, and the venue's open
   * orders are unchanged (same ids, same executed quantities) before and after the fetch.
   * Otherwise it is skipped (and counted); the next (re)connect sync tries again.
   */
  private async syncBalances(signal: AbortSignal, openBefore: readonly VenueOrder[]): Promise<void> {
    const assets = this.core.assets();
    const fills0 = this.core.fillSeq;
    const rows = await this.core.call.run((a) => a.fetchBalances());
    const openAfter = await this.core.call.run((a) => a.fetchOpenOrders(this.core.symbols));
    if (signal.aborted) return;
    const key = (xs: readonly VenueOrder[]): string =>
      xs
        .map((v) => `${v.clientOrderId}:${v.filledLots}`)
        .sort()
        .join(',');
    const busy = this.core.busy();
    if (busy || this.core.fillSeq !== fills0 || key(openBefore) !== key(openAfter)) {
      this.core.figures.balanceSyncSkipped++;
      this.core.log.info('balance sync skipped: fills in motion (the next sync tries again)');
    } else {
      this.applyBalances(rows, assets);
    }
    this.core.publishBalances(assets);
  }

  /** Journals one adjustment per asset whose venue total differs from the journal's (synchronously applied). */
  private applyBalances(rows: readonly { asset: string; free: string; locked: string }[], assets: ReadonlySet<string>): void {
    const pf = this.core.journal.portfolio;
    for (const r of rows) {
      if (!assets.has(r.asset)) continue;
      const total = pf.toAtoms(r.asset, addDecimal(r.free, r.locked));
      const mine = pf.balance(this.core.venue, r.asset).total;
      const delta = total - mine;
      if (delta !== 0n) {
        this.core.figures.balanceDrift[r.asset] = (BigInt(this.core.figures.balanceDrift[r.asset] ?? '0') + delta).toString();
        this.core.journal.adjustBalance(this.core.venue, r.asset, delta).catch((e: unknown) => this.core.log.error({ err: errMsg(e) }, 'journal append failed'));
      }
    }
  }

  /** An order at the venue the journal does not know: adopt it (journaled), report it, never ignore it. */
  async adopt(v: VenueOrder, why = 'adopted: found at the venue, unknown to the journal'): Promise<boolean> {
    const ins = this.core.instruments.find((i) => i.symbol === v.symbol);
    if (ins === undefined) return false;
    if (v.terms === undefined) {
      this.core.log.error({ clientOrderId: v.clientOrderId, venueOrderId: v.venueOrderId }, 'an order at the venue that the journal lacks cannot be adopted: the venue view has no terms');
      return false;
    }
    this.core.log.warn({ clientOrderId: v.clientOrderId, venueOrderId: v.venueOrderId }, 'adopting an order found at the venue that the journal lacks');
    const intent: OrderIntent = { strategy: ADOPTED_STRATEGY, venue: this.core.venue, symbol: v.symbol, ...v.terms };
    let o: Order;
    try {
      o = await this.core.journal.adopt(v.clientOrderId, intent, v.venueOrderId);
    } catch (err) {
      this.core.log.error({ err: errMsg(err), clientOrderId: v.clientOrderId }, 'adoption refused by the journal');
      return false;
    }
    this.core.figures.adopted++;
    this.core.publishUpdate(o, why);
    await this.views.applyVenue(o, v);
    return true;
  }

  /** Resolves a locally open order with the venue's answer (`undefined` = the venue never had it). */
  async resolveWith(o: Order, v: VenueOrder | undefined): Promise<void> {
    if (v === undefined) {
      // Its own request may still land: never conclude "not there" while it runs, nor (for orders
      // of an earlier process) within the grace period after start.
      if (this.core.inflight.has(o.clientOrderId)) return;
      const now = this.core.clock.epochMs();
      const lost = this.core.unansweredAt.get(o.clientOrderId);
      // Orders of an earlier process: the grace runs from the order's own journal time (epoch ms;
      // createdNs comes from the journal record), so repeated restarts do not keep it unknown.
      const createdMs = Math.floor(o.createdNs / 1e6);
      const until = Math.max(this.core.placedHere.has(o.clientOrderId) ? 0 : Math.min(this.core.startedMs, createdMs) + this.core.options.notFoundGraceMs, lost === undefined ? 0 : lost + this.core.options.notFoundGraceMs);
      if (now < until) {
        // Ask again once the grace is over (whether or not the periodic poll runs).
        this.retryResolve(o, until - now + 1);
        return;
      }
      this.core.unansweredAt.delete(o.clientOrderId);
      if (o.state === 'unknown' || o.state === 'submitted') {
        await this.views.record(o, { kind: 'reconcile', to: 'rejected', filledLots: 0, cumTickLots: 0n }, 'not found at the venue');
        this.core.figures.resolved++;
      } else {
        this.core.log.error({ clientOrderId: o.clientOrderId, state: o.state }, 'an acknowledged order is missing at the venue');
      }
      return;
    }
    const wasUnknown = o.state === 'unknown';
    this.core.unansweredAt.delete(o.clientOrderId);
    await this.views.applyVenue(o, v);
    if (wasUnknown && o.state !== 'unknown') this.core.figures.resolved++;
  }

  /** Schedules one more lookup of an unresolved order after `ms` (once per order at a time). */
  retryResolve(o: Order, ms: number): void {
    if (this.core.retrying.has(o.clientOrderId)) return;
    this.core.retrying.add(o.clientOrderId);
    this.core.clock.setTimer(ms, () => {
      this.core.retrying.delete(o.clientOrderId);
      if (o.state === 'unknown' || o.state === 'submitted') this.resolveSoon(o);
    });
  }

  /** Queries an unresolved order by client order id (the breaker permitting), retrying until resolved. */
  resolveSoon(o: Order): void {
    if (this.core.resolving.has(o.clientOrderId)) return;
    this.core.resolving.add(o.clientOrderId);
    const generation = this.core.generation;
    void (async () => {
      try {
        const v = await this.core.call.run((a) => a.fetchOrder(o.clientOrderId, o.intent.symbol));
        await this.resolveWith(o, v);
      } catch (err) {
        // Still no answer: when the venue is down the reconnect sync resolves it; otherwise ask again.
        if (generation === this.core.generation && this.core.call.breaker.state === 'open') this.core.control.down(`query failed: ${errMsg(err)}`);
        else if (generation === this.core.generation) this.retryResolve(o, this.core.options.probeCapMs);
      } finally {
        this.core.resolving.delete(o.clientOrderId);
      }
    })();
  }
}
