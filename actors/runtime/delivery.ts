import type { Clock } from '../../common/clock.js';
import type { ActorCell } from './actor-cell.js';
import { handling } from './context.js';
import { channels, type BatchDeliveryEvent, type FinishedEvent, type StartedEvent } from './diagnostics.js';
import type { Envelope } from './envelope.js';

/** What a batch event points at between batches (never the live batch array). */
const NO_ENVELOPES: readonly Envelope[] = Object.freeze([]);

/**
 * Payload of the control envelope that `ActorSystem.injectFault` sends: delivery throws `error`
 * instead of handing the envelope to the machine and handler, so the failure takes the normal
 * supervision path. Only the runtime can make one (the class is not exported from the runtime's
 * index), so no message sent by an actor can be mistaken for it.
 */
export class InjectedFault {
  constructor(readonly error: Error) {}
}

/** Called when a delivery failed (handler threw, machine errored): hands the error to supervision. */
export type FailureSink = (cell: ActorCell, error: unknown) => void;

/**
 * Hands envelopes to an actor's machine and handler: one control envelope at a time, data in
 * batches. Owns the reused diagnostics events, so delivery allocates nothing per envelope.
 *
 * Instrumentation is decided once per batch from the channels' `hasSubscribers`:
 * - none: the plain loop (set the handling context, call the handler);
 * - `batch-start`/`batch-end` only: per-envelope trace contexts from the batch event, clock reads
 *   only for the envelopes a subscriber asked to time (sampled spans), and none of its own for
 *   the first one's start and the last one's end (the batch's start and end reads serve them);
 * - `started`/`finished` (the firehose): two events and two clock reads per envelope.
 * All three are the same loop ({@link Delivery.deliverBatch}); only the instrumented steps are
 * skipped.
 *
 * A failure consumes the envelope that failed (a poison message must not loop); the rest of the
 * batch stays in flight for the next incarnation. The failure goes to the {@link FailureSink}
 * after the handling context is cleared.
 */
export class Delivery {
  /** Envelopes handled so far (including ones whose handler threw). */
  delivered = 0;
  private readonly startedEvent: StartedEvent;
  private readonly finishedEvent: FinishedEvent;
  /** Reused `batch-start`/`batch-end` event, made on first use (sized `batchSize`). */
  private batchEv: BatchDeliveryEvent | undefined;
  /** One-slot array through which a control envelope is reported as a batch of one. */
  private readonly controlSlot: (Envelope | undefined)[] = [undefined];

  constructor(
    private readonly system: string,
    private readonly clock: Clock,
    private readonly batchSize: number,
    private readonly onFailure: FailureSink,
  ) {
    const none = undefined as unknown as Envelope;
    this.startedEvent = { system, actor: '', envelope: none, waitNs: 0, startNs: 0, traceparent: '' };
    this.finishedEvent = { system, actor: '', envelope: none, waitNs: 0, handleNs: 0, endNs: 0, error: undefined };
  }

  /** Delivers one control envelope: the machine gets `{ type, envelope }`, then the handler. */
  deliverControl(cell: ActorCell, e: Envelope): void {
    const perMsg = channels.started.hasSubscribers || channels.finished.hasSubscribers;
    let bev: BatchDeliveryEvent | undefined;
    if (channels.batchStart.hasSubscribers || channels.batchEnd.hasSubscribers) {
      this.controlSlot[0] = e;
      bev = this.openBatch(cell, this.controlSlot as Envelope[], 0, 1, false);
    }
    const tp = bev === undefined ? e.traceparent : bev.traceparents[0]!;
    const t0 = perMsg ? this.beginTraced(cell, e, tp) : this.begin(cell, e, tp);
    const timed = bev !== undefined && bev.timed[0] !== 0;
    // A timed envelope reuses the clock reads the batch already makes (its batchStartNs, read
    // just before, and closeBatch's end) unless per-message subscribers run in between.
    if (timed) bev!.startNs[0] = perMsg ? t0 : bev!.batchStartNs;
    let error: unknown;
    try {
      // A fault injected from outside (`ActorSystem.injectFault`): fails like a throwing handler.
      if (e.payload instanceof InjectedFault) throw e.payload.error;
      cell.xactor.send({ type: e.type, envelope: e });
      if (cell.machineError !== undefined) throw cell.machineError;
      if (cell.handle !== undefined) cell.handle(e, cell.ctx);
    } catch (err) {
      error = err ?? new Error('undefined thrown');
    }
    if (timed && perMsg) bev!.endNs[0] = this.clock.nowNs();
    cell.processed++;
    this.delivered++;
    if (perMsg) this.endTraced(cell, e, t0, 1, error);
    if (bev !== undefined) {
      this.closeBatch(bev, 1, error, error === undefined ? -1 : 0, timed && !perMsg ? 0 : -1);
      this.controlSlot[0] = undefined;
    }
    this.end();
    if (error !== undefined) this.onFailure(cell, error);
  }

  /**
   * Handles `batch[batchPos .. batchLen)` (at most `budget`), advancing `batchPos`; returns how
   * many. The machine sees the batch as ONE `batch` event (only if it has a transition a `batch`
   * event could take: `cell.batchReacts`), then the handler sees each envelope.
   */
  deliverBatch(cell: ActorCell, budget: number): number {
    const batch = cell.batch;
    const start = cell.batchPos;
    const stop = Math.min(cell.batchLen, start + budget);
    const perMsg = channels.started.hasSubscribers || channels.finished.hasSubscribers;
    const handle = cell.handle;
    const bev = channels.batchStart.hasSubscribers || channels.batchEnd.hasSubscribers ? this.openBatch(cell, batch, start, stop - start, handle === undefined) : undefined;
    const instrumented = perMsg || bev !== undefined;
    const ctx = cell.ctx;
    const ev = cell.batchEvent;
    ev.start = start;
    ev.count = stop - start;
    let i = start;
    let error: unknown;
    let errorIndex = -1;
    let t0 = 0;
    // Index whose handler is running (its finished event / end time is still owed on a throw).
    let open = -1;
    // `k` of a timed envelope whose end time is closeBatch's clock read (-1: none).
    let owedEnd = -1;
    try {
      const first = batch[start]!;
      const firstTp = bev === undefined ? first.traceparent : bev.traceparents[0]!;
      // Machine-only actor: the batch event is the whole delivery; it is traced as one handling
      // per envelope sharing the batch's time and the first envelope's context.
      t0 = perMsg && handle === undefined ? this.beginTraced(cell, first, firstTp) : this.begin(cell, first, firstTp);
      // A machine that cannot react to `batch` is not sent it (see machineReactsToBatch); an
      // error its machine reported meanwhile (an invoked actor failed) still fails this delivery.
      if (cell.batchReacts) cell.xactor.send(ev);
      if (cell.machineError !== undefined) throw cell.machineError;
      if (handle === undefined) {
        i = stop;
      } else {
        for (; i < stop && cell.dataOpen; i++) {
          const e = batch[i]!;
          if (!instrumented) {
            handling.envelope = e;
            handling.traceparent = e.traceparent;
            handle(e, ctx);
            continue;
          }
          const k = i - start;
          const tp = bev === undefined ? e.traceparent : bev.traceparents[k]!;
          const timed = bev !== undefined && bev.timed[k] !== 0;
          if (perMsg) {
            t0 = this.beginTraced(cell, e, tp);
          } else {
            handling.envelope = e;
            handling.traceparent = tp;
          }
          // Batch-level instrumentation reads the clock only for the envelopes a subscriber asked to
          // time, and reuses the batch's own reads where nothing runs in between: the first
          // envelope starts at batchStartNs unless the machine took a `batch` event first, and the
          // last one (without per-message subscribers) ends at closeBatch's read.
          if (timed) bev.startNs[k] = perMsg ? t0 : k === 0 && !cell.batchReacts ? bev.batchStartNs : this.clock.nowNs();
          open = i;
          handle(e, ctx);
          open = -1;
          if (timed) {
            if (i + 1 === stop && !perMsg) owedEnd = k;
            else bev.endNs[k] = this.clock.nowNs();
          }
          if (perMsg) this.endTraced(cell, e, t0, 1, undefined);
        }
      }
    } catch (err) {
      error = err ?? new Error('undefined thrown');
    }
    if (error !== undefined) {
      if (handle === undefined) {
        if (perMsg) this.endBatch(cell, start, stop, t0, error);
        i = stop;
      } else {
        if (open === i) {
          if (perMsg) this.endTraced(cell, batch[i]!, t0, 1, error);
          if (bev !== undefined && bev.timed[i - start] !== 0) bev.endNs[i - start] = this.clock.nowNs();
        }
        errorIndex = i - start;
        i = i < stop ? i + 1 : i;
      }
    } else if (handle === undefined && perMsg) {
      this.endBatch(cell, start, stop, t0, undefined);
    }
    if (bev !== undefined) this.closeBatch(bev, i - start, error, errorIndex, owedEnd);
    for (let k = start; k < i; k++) batch[k] = undefined as unknown as Envelope;
    cell.processed += i - start;
    this.delivered += i - start;
    cell.batchPos = i;
    if (i === cell.batchLen) {
      cell.batchPos = 0;
      cell.batchLen = 0;
    }
    this.end();
    if (error !== undefined) this.onFailure(cell, error);
    return i - start;
  }

  /** Fills and publishes `batch-start` for `envelopes[start .. start+count)`; returns the event. */
  private openBatch(cell: ActorCell, envelopes: Envelope[], start: number, count: number, shared: boolean): BatchDeliveryEvent {
    let ev = this.batchEv;
    if (ev === undefined) {
      const n = this.batchSize;
      ev = {
        system: this.system,
        actor: '',
        envelopes: NO_ENVELOPES,
        start: 0,
        count: 0,
        shared: false,
        batchStartNs: 0,
        batchEndNs: 0,
        handled: 0,
        traceparents: new Array<string>(n).fill(''),
        timed: new Uint8Array(n),
        startNs: new Float64Array(n),
        endNs: new Float64Array(n),
        error: undefined,
        errorIndex: -1,
      };
      this.batchEv = ev;
    }
    ev.actor = cell.address;
    ev.envelopes = envelopes;
    ev.start = start;
    ev.count = count;
    ev.shared = shared;
    ev.handled = 0;
    ev.batchEndNs = 0;
    ev.error = undefined;
    ev.errorIndex = -1;
    const tps = ev.traceparents;
    for (let k = 0; k < count; k++) tps[k] = envelopes[start + k]!.traceparent;
    ev.timed.fill(0, 0, count);
    if (channels.batchStart.hasSubscribers) channels.batchStart.publish(ev);
    // Read after the subscribers ran: their time is mailbox wait, not handling.
    ev.batchStartNs = this.clock.nowNs();
    return ev;
  }

  /** Completes and publishes `batch-end`, then lets go of the envelopes. */
  private closeBatch(ev: BatchDeliveryEvent, handled: number, error: unknown, errorIndex: number, owedEnd: number): void {
    const now = this.clock.nowNs();
    ev.batchEndNs = now;
    if (owedEnd >= 0) ev.endNs[owedEnd] = now;
    ev.handled = handled;
    ev.error = error;
    ev.errorIndex = errorIndex;
    if (ev.shared) {
      for (let k = 0; k < handled; k++) {
        if (ev.timed[k] === 0) continue;
        ev.startNs[k] = ev.batchStartNs;
        ev.endNs[k] = now;
      }
    }
    if (channels.batchEnd.hasSubscribers) channels.batchEnd.publish(ev);
    ev.envelopes = NO_ENVELOPES;
    ev.error = undefined;
  }

  private begin(cell: ActorCell, e: Envelope, traceparent: string): number {
    handling.actor = cell.address;
    handling.envelope = e;
    handling.traceparent = traceparent;
    return 0;
  }

  private end(): void {
    handling.actor = '';
    handling.envelope = undefined;
    handling.traceparent = '';
  }

  private beginTraced(cell: ActorCell, e: Envelope, traceparent: string): number {
    const now = this.clock.nowNs();
    handling.actor = cell.address;
    handling.envelope = e;
    const ev = this.startedEvent;
    ev.actor = cell.address;
    ev.envelope = e;
    ev.waitNs = now - e.enqueuedAtNs;
    ev.startNs = now;
    ev.traceparent = traceparent;
    if (channels.started.hasSubscribers) channels.started.publish(ev);
    // The subscriber (the tracing adapter) may have replaced the context with its span's.
    handling.traceparent = ev.traceparent;
    return now;
  }

  private endTraced(cell: ActorCell, e: Envelope, t0: number, share: number, error: unknown): void {
    if (!channels.finished.hasSubscribers) return;
    const now = this.clock.nowNs();
    const ev = this.finishedEvent;
    ev.actor = cell.address;
    ev.envelope = e;
    ev.waitNs = t0 - e.enqueuedAtNs;
    ev.handleNs = (now - t0) / share;
    ev.endNs = now;
    ev.error = error;
    channels.finished.publish(ev);
  }

  private endBatch(cell: ActorCell, start: number, stop: number, t0: number, error: unknown): void {
    const n = stop - start;
    for (let k = start; k < stop; k++) {
      const e = cell.batch[k]!;
      // Every envelope but the first gets its own started event so subscribers see each one.
      if (k > start && channels.started.hasSubscribers) {
        const ev = this.startedEvent;
        ev.actor = cell.address;
        ev.envelope = e;
        ev.waitNs = t0 - e.enqueuedAtNs;
        ev.startNs = t0;
        ev.traceparent = e.traceparent;
        channels.started.publish(ev);
      }
      this.endTraced(cell, e, t0, n, error);
    }
  }
}
