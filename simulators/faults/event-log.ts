import { createHash, type Hash } from 'node:crypto';

/** Bounded first-in-first-out store: keeps the newest `capacity` items. */
class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;
  /** Items pushed out because the ring was full. */
  dropped = 0;
  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }
  push(item: T): void {
    if (this.capacity === 0) {
      this.dropped++;
      return;
    }
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
  }
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity]!);
    return out;
  }
}

/** What every logged event carries. */
export interface LoggedEvent {
  /** Position in the log, from 1, across both rings. */
  readonly seq: number;
  /** Model clock time (`Clock.nowNs()`) when it happened; not part of the hash. */
  readonly atNs: number;
}

/**
 * The model's event log: control events (profile/outage changes, link openings) and, when enabled,
 * per-message decisions, each in its own bounded ring so that decisions never evict control events.
 * A running SHA-256 covers every event ever appended (also those the rings have since dropped), in
 * append order, as canonical JSON without `atNs`: the same calls in the same order hash the same
 * however the wall clock moved.
 */
export class EventLog<E extends LoggedEvent> {
  private readonly control: Ring<E>;
  private readonly decisions: Ring<E>;
  private digest: Hash = createHash('sha256');
  private seq = 0;

  constructor(controlCapacity: number, decisionCapacity: number) {
    this.control = new Ring(controlCapacity);
    this.decisions = new Ring(decisionCapacity);
  }

  /** Next sequence number to use (call once per event, then {@link append}). */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Appends an event to the control ring (`decision` false) or the decision ring. */
  append(event: E, decision: boolean): void {
    (decision ? this.decisions : this.control).push(event);
    const { atNs: _atNs, ...rest } = event;
    this.digest.update(JSON.stringify(rest));
    this.digest.update('\n');
  }

  /** Every retained event, oldest first. */
  events(): E[] {
    const a = this.control.toArray();
    const b = this.decisions.toArray();
    const out: E[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i]!.seq < b[j]!.seq)) out.push(a[i++]!);
      else out.push(b[j++]!);
    }
    return out;
  }

  /** Hex SHA-256 of every event appended so far. */
  hash(): string {
    return this.digest.copy().digest('hex');
  }

  /** Events appended so far, and how many the rings no longer hold. */
  counts(): { appended: number; droppedControl: number; droppedDecisions: number } {
    return { appended: this.seq, droppedControl: this.control.dropped, droppedDecisions: this.decisions.dropped };
  }
}
