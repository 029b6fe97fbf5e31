import { mkdirSync } from 'node:fs';
import type { Clock } from '../../common/clock.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import { CLIENT_ORDER_ID_MAX, chooseEpoch, formatClientOrderId, maxEpoch, parseClientOrderId } from '../orders/client-order-id.js';
import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';
import type { Order, OrderEvent } from '../orders/order-state.js';
import { OrderStore, type OrderStoreOptions } from '../orders/order-store.js';
import { Portfolio, type PortfolioOptions } from '../orders/portfolio.js';
import { JournalClosedError, JournalIoError, openFailure } from './errors.js';
import type { JournalFileOps } from './fs-util.js';
import { Journal, type CommitFn } from './journal.js';
import { acquireLock, type JournalLock } from './lock.js';
import { parseJournalOptions, type JournalOptionsInput } from './options.js';
import { applyOrderEventRecord, applyOrderRecord, orderEventText, renderOrderBookImage, restoreOrderBook, type OrderBookState, type TradingStateRecord } from './order-records.js';
import type { JournalRecord } from './record.js';
import { replayJournal, type ReplayReport } from './replay.js';
import { SnapshotParts } from './snapshot.js';

/** What opening a journal rebuilds: the order table, the portfolio, the id sequence and a report. */
export interface JournalState extends OrderBookState {
  /** Sequence the next record (and client order id) will use. */
  nextSequence: number;
  /** What replay found (snapshot used, records, torn/corrupt tail warnings). */
  report: ReplayReport;
}

/** Dependencies of {@link OrderJournal.open}. */
export interface OrderJournalDeps {
  clock: Clock;
  instruments: readonly Instrument[];
  portfolio?: PortfolioOptions;
  orderStore?: OrderStoreOptions;
  /**
   * Journal an `unknown` event (reason {@link RESTART_REASON}) for every order replay leaves in
   * `submitted` (default true). Tests that compare two replays of the same bytes turn it off.
   */
  markInFlightUnknown?: boolean;
  /** The writer's file operations (default: the real ones); a fault-injection seam for tests. */
  fileOps?: JournalFileOps;
}

/**
 * Told once when an order created by {@link OrderJournal.submitThen} is journaled (`err`
 * undefined: durable per the fsync policy; now, and only now, send it) or could not be (`err` is
 * the journal's {@link JournalIoError}; the order is rejected and must not be sent).
 */
export interface SubmitListener {
  journaled(err: Error | undefined, order: Order): void;
}

/**
 * What stands between a journaled order and the venue besides the local journal (installed with
 * {@link OrderJournal.setGate}; the cluster's replicated log and venue lease build one):
 * - {@link admit}: before an order is created and journaled; an error refuses it (nothing
 *   journaled, no sequence used), e.g. a lease that is no longer valid (`B4_LEASE_STALE`) or a
 *   replicated log that cannot acknowledge under `ack: sync` (`B4_REPLICATION_FAILED`).
 * - {@link fence}: a number journaled with every order (`l` of the `order.submit` record): the
 *   lease revision (term) under which it was sent.
 * - {@link release}: called once the order's record is durable locally; calls
 *   `done(err, a, b)` when the order may leave (`err` undefined) or must not (then it is rejected
 *   with the error's code as reason and never sent). Called in sequence order.
 */
export interface OrderGate {
  admit(): Error | undefined;
  readonly fence: number | undefined;
  release<A, B>(seq: number, done: (err: Error | undefined, a: A, b: B) => void, a: A, b: B): void;
}

/** Reason of the `unknown` event journaled at startup for orders that were in flight. */
export const RESTART_REASON = 'restart: the submission may or may not have reached the venue';

/**
 * The journaled order book: the one object the venue actor (issue 6) and the daemon (issue 7) use.
 * `open()` takes the directory's lock, replays (snapshot + tail segments), and returns a book whose
 * every change is journaled:
 *
 * - {@link submit} journals an intent (durable per fsync policy) *before* returning the order and
 *   its client order id; only then may the order leave the process.
 * - {@link record} validates and applies a later event (accepted, rejected, unknown, fills,
 *   cancels, reconciliation) and journals it.
 * - {@link close} flushes, syncs and releases the lock (call it on SIGTERM).
 *
 * Orders that were `submitted` when the previous process stopped are moved to `unknown` after
 * replay by a journaled event (reason {@link RESTART_REASON}): the submission may or may not have
 * reached the venue, so only reconciliation by client order id resolves them.
 */
export class OrderJournal {
  private readonly book: OrderBookState;
  /** The last prefix `formatClientOrderId` accepted (the hot path skips its pattern checks). */
  private checkedPrefix: string | undefined;
  /** The one commit callback of every `submitThen` record (made once: no closure per order). */
  private gate: OrderGate | undefined;
  private readonly submitCommitted = (err: Error | undefined, seq: number, order: Order, listener: SubmitListener): void => {
    if (err === undefined && this.gate !== undefined) return this.gate.release(seq, this.submitReleased, order, listener);
    this.submitReleased(err, order, listener);
  };
  /** The gate's answer (or the journal's, without a gate) for one `submitThen` order. */
  private readonly submitReleased = (err: Error | undefined, order: Order, listener: SubmitListener): void => {
    if (err !== undefined && !(err instanceof JournalIoError) && order.state === 'submitted') {
      // Durable locally but refused by the gate (replication or lease): never sent, so rejected.
      this.record(order.clientOrderId, { kind: 'reject', reason: `${gateReason(err)}: ${err.message}` }).catch(() => undefined);
    }
    if (err instanceof JournalIoError) {
      // The write of this order failed: it is denied and never sent. Its record waits for the
      // journal to recover, so a rejection follows it (the id is never reused; on disk the order
      // ends rejected, or neither record is there if the process stops first).
      this.record(order.clientOrderId, { kind: 'reject', reason: `JOURNAL_FAILED: ${err.message}` }).catch(() => undefined);
    }
    listener.journaled(err, order);
  };

  private constructor(
    private readonly journal: Journal,
    private readonly lock: JournalLock,
    private readonly clock: Clock,
    book: OrderBookState,
    /** What replay found. */
    readonly report: ReplayReport,
    /**
     * This incarnation's epoch (base 36), part of every client order id it creates: above every
     * epoch in the journal and taken from the wall clock, so ids stay fresh even when the journal
     * lost its tail or an old copy was restored (see `chooseEpoch`).
     */
    readonly epoch: string,
    /**
     * Epoch ms of the newest record replay applied (or, after a snapshot without later records, of
     * the newest order change in it); 0 for an empty journal. The venue actor asks the venue for
     * what happened since then (minus a margin) when it starts.
     */
    readonly lastRecordMs: number,
  ) {
    this.book = book;
  }

  /**
   * Validates options, locks the directory (throws `JournalLockedError` if another live process
   * has it), replays, and opens the writer. Throws `JournalCorruptError` for corruption in the middle.
   */
  static async open(options: JournalOptionsInput, deps: OrderJournalDeps): Promise<OrderJournal> {
    const opts = parseJournalOptions(options);
    try {
      mkdirSync(opts.dir, { recursive: true });
    } catch (e) {
      throw openFailure(e, opts.dir, 'mkdir');
    }
    let lock: JournalLock;
    try {
      lock = acquireLock(opts.dir);
    } catch (e) {
      throw openFailure(e, opts.dir, 'lock');
    }
    try {
      const book: OrderBookState = { orders: new OrderStore(deps.orderStore), portfolio: new Portfolio(deps.instruments, deps.portfolio) };
      let lastRecordMs = 0;
      const apply = (r: JournalRecord): void => {
        applyOrderRecord(book, r);
        if (r.tMs > lastRecordMs) lastRecordMs = r.tMs;
      };
      let journal: Journal;
      let report: ReplayReport;
      try {
        const r = replayJournal(opts, { restore: (s, seq, binary) => restoreOrderBook(book, s, binary, `snapshot ${seq}`), apply }, deps.clock);
        report = r.report;
        journal = new Journal(opts, deps.clock, r.tail, report.lastSeq, deps.fileOps);
        await journal.start();
      } catch (e) {
        throw openFailure(e, opts.dir, 'open');
      }
      let lastEpoch: string | undefined;
      for (const o of book.orders.values()) {
        lastEpoch = maxEpoch(lastEpoch, parseClientOrderId(o.clientOrderId)?.epoch);
        const changedMs = Math.floor(o.updatedNs / 1e6);
        if (report.records === 0 && changedMs > lastRecordMs) lastRecordMs = changedMs;
      }
      const oj = new OrderJournal(journal, lock, deps.clock, book, report, chooseEpoch(deps.clock.epochMs(), lastEpoch), lastRecordMs);
      if (deps.markInFlightUnknown ?? true) {
        const inFlight = [...book.orders.openOrders()].filter((o) => o.state === 'submitted');
        for (const o of inFlight) await oj.record(o.clientOrderId, { kind: 'unknown', reason: RESTART_REASON });
      }
      return oj;
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** The rebuilt and live state: `{ orders, portfolio, nextSequence, report }`. */
  get state(): JournalState {
    return { orders: this.book.orders, portfolio: this.book.portfolio, nextSequence: this.journal.nextSequence, report: this.report };
  }

  /** The order table. */
  get orders(): OrderStore {
    return this.book.orders;
  }

  /** Positions, balances, PnL. */
  get portfolio(): Portfolio {
    return this.book.portfolio;
  }

  /** Sequence the next record (and client order id) will use. */
  get nextSequence(): number {
    return this.journal.nextSequence;
  }

  /** The client order id the next order of `prefix` gets (throws `ClientOrderIdError` for a bad prefix). */
  nextClientOrderId(prefix: string): string {
    const seq = this.journal.nextSequence;
    if (prefix === this.checkedPrefix) {
      // The prefix and the epoch passed `formatClientOrderId`'s checks before: only the length can fail.
      const id = `${prefix}.${this.epoch}.${seq.toString(36)}`;
      if (id.length <= CLIENT_ORDER_ID_MAX) return id;
    }
    const id = formatClientOrderId(prefix, seq, this.epoch);
    this.checkedPrefix = prefix;
    return id;
  }

  /**
   * Installs (or removes) the {@link OrderGate} every new order passes: checked before journaling,
   * its fence journaled with the order, and its release awaited before the order may leave.
   */
  setGate(gate: OrderGate | undefined): void {
    this.gate = gate;
  }

  /** The underlying writer (fsync policy, flush/sync, snapshots). */
  get writer(): Journal {
    return this.journal;
  }

  /**
   * Creates an order for `intent` with client order id `<prefix>.<epoch>.<sequence>` (see
   * {@link epoch}; both base 36), journals it
   * and resolves once the record is durable per policy: send the order only after this resolves.
   * With `intentKey`, refuses (`OutcomeUnknownError`) while a previous attempt of that key is in
   * flight or unknown. Throws typed errors for a bad prefix, an unknown instrument, a bad intent.
   */
  async submit(prefix: string, intent: OrderIntent, intentKey?: string): Promise<Order> {
    return this.create('order.submit', prefix, intent, intentKey, undefined);
  }

  /**
   * The hot-path form of {@link submit}: creates the order for `intent` and queues its record
   * synchronously, returns the order (in the table, `submitted`), and calls
   * `listener.journaled(err, order)` once the record is committed with the rest of this event-loop
   * turn's records (one `writev`; under `always` after its fdatasync) or failed. No promise per
   * order. Throws synchronously, with nothing journaled and no sequence used, what `submit` rejects
   * with before journaling: {@link JournalIoError} during a failure episode, `OutcomeUnknownError`,
   * typed errors for a bad prefix, intent or instrument, `JournalClosedError` once closed.
   */
  submitThen(prefix: string, intent: OrderIntent, intentKey: string | undefined, listener: SubmitListener): Order {
    const failed = this.journal.failed;
    if (failed !== undefined) throw failed;
    if (!this.journal.isOpen) throw new JournalClosedError();
    const gate = this.gate;
    if (gate !== undefined) {
      const refused = gate.admit();
      if (refused !== undefined) throw refused;
    }
    if (intentKey !== undefined) this.book.orders.assertCanResubmit(intentKey);
    checkIntent(intent);
    this.book.portfolio.instrument(intent.venue, intent.symbol);
    const id = this.nextClientOrderId(prefix);
    const data: Record<string, unknown> = { id, i: { ...intent } };
    if (intentKey !== undefined) data.k = intentKey;
    if (gate?.fence !== undefined) data.l = gate.fence;
    const tMs = this.clock.epochMs();
    this.applyLive('order.submit', data, tMs);
    const order = this.book.orders.require(id);
    this.journal.appendThen('order.submit', data, tMs, this.submitCommitted, order, listener);
    this.maybeSnapshot();
    return order;
  }

  /** Journals an order denied by risk (state `denied`, with the denial code as reason). */
  async deny(prefix: string, intent: OrderIntent, reason: string, intentKey?: string): Promise<Order> {
    return this.create('order.deny', prefix, intent, intentKey, reason);
  }

  /**
   * Validates and applies `event` to the order (typed errors, nothing journaled, on an invalid
   * transition or fill), then journals it. Resolves with the order when durable per policy; callers
   * that need not wait for durability may ignore the promise's timing, not its rejection.
   */
  async record(clientOrderId: string, event: OrderEvent): Promise<Order> {
    const tMs = this.clock.epochMs();
    // Applied as is (what replay rebuilds from the record: the same function after decoding),
    // then journaled from the event itself: no intermediate encoded copy.
    applyOrderEventRecord(this.book, clientOrderId, event, tMs * 1e6);
    const p = this.journal.appendText('order.event', orderEventText(clientOrderId, event), tMs);
    this.maybeSnapshot();
    await p;
    return this.book.orders.require(clientOrderId);
  }

  /**
   * The hot-path form of {@link record}: validates and applies `event` now (throws the same typed
   * errors, nothing journaled, on an invalid transition or fill), queues its record, and calls
   * `fn(err, seq, a, b)` once it is committed (or failed), never synchronously. No promise or
   * closure per event (pass one function made once). For events nothing waits on (a venue's
   * answer, applied and published at once): the record does not start a write of its own, it joins
   * the next commit (the next order's, or one `LATER_MS` later: `Journal.appendTextThen`'s
   * `later`), so at a steady order rate an order and the answers before it share one `writev`.
   * Throws {@link JournalClosedError} once closed, before applying anything.
   */
  recordThen<A, B>(clientOrderId: string, event: OrderEvent, fn: CommitFn<A, B>, a: A, b: B): void {
    if (!this.journal.isOpen) throw new JournalClosedError();
    const tMs = this.clock.epochMs();
    applyOrderEventRecord(this.book, clientOrderId, event, tMs * 1e6);
    this.journal.appendTextThen('order.event', orderEventText(clientOrderId, event), tMs, fn, a, b, true);
    this.maybeSnapshot();
  }

  /**
   * Adopts an order found at the venue that the journal does not know (placed by another client on
   * this account, or lost with an unsynced journal): journals it under the venue's client order id
   * as submitted and accepted, so later fills and reconciliation apply to it like to any other.
   * Throws `DuplicateOrderError` if the id is already known, typed errors for a bad intent.
   */
  async adopt(clientOrderId: string, intent: OrderIntent, venueOrderId?: string): Promise<Order> {
    checkIntent(intent);
    this.book.portfolio.instrument(intent.venue, intent.symbol);
    const data: Record<string, unknown> = { id: clientOrderId, i: { ...intent } };
    if (venueOrderId !== undefined) data.v = venueOrderId;
    const tMs = this.clock.epochMs();
    this.applyLive('order.adopt', data, tMs);
    await this.append('order.adopt', data, tMs);
    return this.book.orders.require(clientOrderId);
  }

  /** Journals a balance change in atoms (deposit, withdrawal, reconciliation against the venue). */
  async adjustBalance(venue: string, asset: string, deltaAtoms: bigint): Promise<void> {
    const data = { v: venue, a: asset, x: deltaAtoms.toString() };
    const tMs = this.clock.epochMs();
    this.applyLive('balance.adjust', data, tMs);
    await this.append('balance.adjust', data, tMs);
  }

  /** The last journaled kill-switch state, or undefined when none was ever journaled (ACTIVE). */
  get tradingState(): Readonly<TradingStateRecord> | undefined {
    return this.book.tradingState;
  }

  /**
   * Journals a kill-switch transition (`risk.state`); resolves when durable per the fsync policy,
   * like an order record. The engine restores the last one at start.
   */
  async recordTradingState(state: TradingStateRecord['s'], trigger: string, reason: string): Promise<void> {
    const data = { s: state, g: trigger, r: reason };
    const tMs = this.clock.epochMs();
    this.applyLive('risk.state', data, tMs);
    await this.append('risk.state', data, tMs);
  }

  /** Takes a snapshot now (and compacts); resolves with its sequence. */
  async snapshot(): Promise<number> {
    return this.journal.snapshot(this.captureSnapshot());
  }

  /** Resolves when everything appended so far is written (synced under `always`). */
  flush(): Promise<void> {
    return this.journal.flush();
  }

  /** Flushes, fdatasyncs, closes the segment and releases the lock. Idempotent. */
  async close(): Promise<void> {
    try {
      await this.journal.close();
    } finally {
      this.lock.release();
    }
  }

  private async create(type: 'order.submit' | 'order.deny', prefix: string, intent: OrderIntent, intentKey: string | undefined, reason: string | undefined): Promise<Order> {
    // A journal that cannot write takes no new order: refused before an id or a sequence is used,
    // so every attempt gets the same B4_JOURNAL_IO (the venue actor's JOURNAL_FAILED denial).
    const failed = this.journal.failed;
    if (failed !== undefined) throw failed;
    const gate = type === 'order.submit' ? this.gate : undefined;
    if (gate !== undefined) {
      const refused = gate.admit();
      if (refused !== undefined) throw refused;
    }
    if (intentKey !== undefined) this.book.orders.assertCanResubmit(intentKey);
    checkIntent(intent);
    this.book.portfolio.instrument(intent.venue, intent.symbol);
    const id = this.nextClientOrderId(prefix);
    const i: OrderIntent = { ...intent };
    const data: Record<string, unknown> = { id, i };
    if (intentKey !== undefined) data.k = intentKey;
    if (reason !== undefined) data.r = reason;
    if (gate?.fence !== undefined) data.l = gate.fence;
    const tMs = this.clock.epochMs();
    this.applyLive(type, data, tMs);
    try {
      const seq = await this.append(type, data, tMs);
      if (gate !== undefined) {
        const refused = await new Promise<Error | undefined>((resolve) => gate.release(seq, resolve, undefined, undefined));
        if (refused !== undefined) {
          this.record(id, { kind: 'reject', reason: `${gateReason(refused)}: ${refused.message}` }).catch(() => undefined);
          throw refused;
        }
      }
    } catch (e) {
      // The write of this order failed: it is denied and never sent. Its record waits for the
      // journal to recover, so a rejection follows it (the id is never reused; on disk the order
      // ends rejected, or neither record is there if the process stops first).
      if (e instanceof JournalIoError && type === 'order.submit') {
        this.record(id, { kind: 'reject', reason: `JOURNAL_FAILED: ${e.message}` }).catch(() => undefined);
      }
      throw e;
    }
    return this.book.orders.require(id);
  }

  private applyLive(type: string, data: unknown, tMs: number): void {
    const r: JournalRecord = { seq: this.journal.nextSequence, tMs, type, data };
    applyOrderRecord(this.book, r);
  }

  private append(type: string, data: unknown, tMs: number): Promise<number> {
    const p = this.journal.append(type, data, tMs);
    this.maybeSnapshot();
    return p;
  }

  /**
   * The state now, captured synchronously (exactly the state after the last record) as a
   * version-2 snapshot: the order table as a binary image (`renderOrderBookImage`: the packed
   * closed orders' bytes copied once, the orders held as objects encoded a slice per event-loop
   * turn), the rest as JSON. The turn that triggers a snapshot pays for the capture (a few words
   * per open order and one copy of the packed records), not for encoding the whole table.
   */
  private async captureSnapshot(): Promise<SnapshotParts> {
    const { parts, binary } = await renderOrderBookImage(this.book);
    return new SnapshotParts(parts, binary);
  }

  private maybeSnapshot(): void {
    const every = this.journal.options.snapshotEvery;
    if (every > 0 && this.journal.recordsSinceSnapshot >= every && !this.journal.snapshotInProgress) {
      // State captured now, synchronously, so it is exactly the state after this record.
      this.journal.snapshot(this.captureSnapshot()).catch((e: unknown) => logger.error({ err: e }, 'journal snapshot failed'));
    }
  }
}

/** The reason prefix of an order a gate refused after journaling: the error's `B4_` code without the prefix (`LEASE_STALE`). */
function gateReason(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code.replace(/^B4_/, '') : 'GATE_REFUSED';
}

/** Checked per order: no closure made per call (the thrower is module-level). */
function checkIntent(i: OrderIntent): void {
  if (!Number.isSafeInteger(i.qtyLots) || i.qtyLots <= 0) notPositiveInteger('qtyLots', i.qtyLots);
  if (!Number.isSafeInteger(i.priceTicks) || i.priceTicks <= 0) notPositiveInteger('priceTicks', i.priceTicks);
  if (i.side !== 'buy' && i.side !== 'sell') throw new InvalidArgumentError(`intent.side: expected "buy" or "sell", got ${String(i.side)}`);
}

/** Throws the InvalidArgumentError of an intent field that is not a positive safe integer. */
function notPositiveInteger(field: string, v: unknown): never {
  throw new InvalidArgumentError(`intent.${field}: expected a positive safe integer, got ${String(v)}`, { field });
}
