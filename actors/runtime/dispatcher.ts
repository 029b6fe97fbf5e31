import type { Clock } from '../../common/clock.js';
import type { ActorCell } from './actor-cell.js';
import type { Delivery } from './delivery.js';
import type { Scheduler } from './scheduler.js';

/** The pump's budgets (from the validated system options). */
export interface DispatcherOptions {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  /** Envelopes per actor per turn. */
  readonly actorBudget: number;
  /** Envelopes per pump run before yielding to the event loop. */
  readonly pumpBudget: number;
  /** Clock ns per pump run before yielding to the event loop. */
  readonly pumpTimeNs: number;
}

/** True when `cell` has something it may be handed now (control always first; data only while open). */
export function hasWork(cell: ActorCell): boolean {
  return cell.controlOpen && (cell.mailbox.control.length > 0 || (cell.dataOpen && (cell.batchPos < cell.batchLen || cell.mailbox.data.length > 0)));
}

/**
 * The pump: a queue of ready actors served round-robin. A send marks its receiver ready
 * ({@link Dispatcher.makeReady}); one pump run (scheduled through the {@link Scheduler}, never
 * nested) gives each ready actor a turn of at most `actorBudget` envelopes: its control lane
 * first, then its data lane in batches (handed to {@link Delivery}). It yields to the event loop
 * after `pumpBudget` envelopes or `pumpTimeNs`, and reschedules itself while actors are ready.
 */
export class Dispatcher {
  private readonly readyQueue: (ActorCell | undefined)[] = [];
  private readyHead = 0;
  private pumpScheduled = false;
  private pumping = false;
  private readonly pumpFn: () => void;

  constructor(
    private readonly options: DispatcherOptions,
    private readonly delivery: Delivery,
  ) {
    // Bound once: scheduling the pump allocates nothing.
    this.pumpFn = () => this.pump();
  }

  /** Queues `cell` for a turn (the caller checked `!cell.scheduled`) and schedules the pump. */
  makeReady(cell: ActorCell): void {
    cell.scheduled = true;
    this.readyQueue.push(cell);
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      this.options.scheduler.schedule(this.pumpFn);
    }
  }

  /** Queues `cell` if it is not queued and has work it may be handed now. */
  readyIfWork(cell: ActorCell): void {
    if (!cell.scheduled && hasWork(cell)) this.makeReady(cell);
  }

  private pump(): void {
    this.pumpScheduled = false;
    // Re-entered (a handler advanced a SimulatedClock, firing this pump's timer): the running
    // pump picks the new work up, and delivery is never nested.
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpLoop();
    } finally {
      this.pumping = false;
    }
    if (this.readyHead < this.readyQueue.length && !this.pumpScheduled) {
      this.pumpScheduled = true;
      this.options.scheduler.schedule(this.pumpFn);
    }
  }

  private pumpLoop(): void {
    const clock = this.options.clock;
    const deadline = clock.nowNs() + this.options.pumpTimeNs;
    const actorBudget = this.options.actorBudget;
    let budget = this.options.pumpBudget;
    const q = this.readyQueue;
    while (budget > 0 && this.readyHead < q.length) {
      const cell = q[this.readyHead]!;
      q[this.readyHead++] = undefined;
      cell.scheduled = false;
      budget -= this.runTurn(cell, actorBudget < budget ? actorBudget : budget);
      // Back of the queue: a flooding actor gets one turn per round, like everyone else. (A
      // send to itself during the turn may already have queued it.)
      if (!cell.scheduled && hasWork(cell)) {
        cell.scheduled = true;
        q.push(cell);
      }
      if (clock.nowNs() >= deadline) break;
    }
    if (this.readyHead === q.length) {
      q.length = 0;
      this.readyHead = 0;
    } else if (this.readyHead > 1024 && this.readyHead * 2 > q.length) {
      q.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  /** One turn of `cell`: control lane first, then data batches; returns envelopes handled. */
  private runTurn(cell: ActorCell, budget: number): number {
    const mb = cell.mailbox;
    const delivery = this.delivery;
    let done = 0;
    while (done < budget && cell.controlOpen) {
      const c = mb.takeControl();
      if (c !== undefined) {
        delivery.deliverControl(cell, c);
        done++;
        continue;
      }
      if (!cell.dataOpen) break;
      if (cell.batchPos === cell.batchLen) {
        const max = Math.min(cell.batch.length, budget - done);
        let n = 0;
        while (n < max) {
          const e = mb.takeData();
          if (e === undefined) break;
          cell.batch[n++] = e;
        }
        if (n === 0) break;
        cell.batchPos = 0;
        cell.batchLen = n;
      }
      // Control that arrived while handling this batch is served before the next one.
      done += delivery.deliverBatch(cell, budget - done);
    }
    return done;
  }
}
