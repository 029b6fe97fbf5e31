import type { Envelope } from './envelope.js';

/** What a data lane does when it is full. */
export type OverflowPolicy = 'reject' | 'drop-oldest' | 'conflate';

/** Result of {@link Mailbox.offer}; numeric so the hot path allocates nothing. */
export const Offer = {
  /** Enqueued. */
  Ok: 0,
  /** Lane full under `reject` (and always for the control lane): not enqueued. */
  Rejected: 1,
  /** Enqueued after evicting the oldest data envelope ({@link Mailbox.evicted}). */
  DroppedOldest: 2,
  /** Replaced a pending envelope with the same key ({@link Mailbox.evicted}). */
  Conflated: 3,
} as const;
/** One of the {@link Offer} values. */
export type Offer = (typeof Offer)[keyof typeof Offer];

/**
 * A bounded FIFO ring buffer (of envelopes in a mailbox; of span sizes in the OTLP exporter's
 * queue). Capacity is rounded up to a power of two so the index wraps with a mask; slots are
 * cleared on take so the ring never retains delivered payloads.
 */
export class Ring<T = Envelope> {
  private buf: (T | undefined)[];
  private mask: number;
  /** Absolute sequence number of the head (next to take). */
  head = 0;
  /** Absolute sequence number of the tail (next free). */
  tail = 0;
  /** Usable capacity (the requested one, not the rounded-up buffer). */
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    let size = 1;
    while (size < capacity) size <<= 1;
    this.buf = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  get length(): number {
    return this.tail - this.head;
  }

  push(e: T): void {
    this.buf[this.tail & this.mask] = e;
    this.tail++;
  }

  shift(): T | undefined {
    if (this.head === this.tail) return undefined;
    const i = this.head & this.mask;
    const e = this.buf[i];
    this.buf[i] = undefined;
    this.head++;
    return e;
  }

  /** Doubles the buffer (absolute sequence numbers stay valid), for pushing past `capacity`. */
  grow(): void {
    const size = (this.mask + 1) * 2;
    const buf = new Array<T | undefined>(size).fill(undefined);
    for (let s = this.head; s < this.tail; s++) buf[s & (size - 1)] = this.buf[s & this.mask];
    this.buf = buf;
    this.mask = size - 1;
  }

  /** True when one more push would overwrite the head (the rounded-up buffer is full). */
  get bufferFull(): boolean {
    return this.tail - this.head > this.mask;
  }

  /** Item at absolute sequence `seq` (must be in [head, tail)). */
  at(seq: number): T | undefined {
    return this.buf[seq & this.mask];
  }

  /** Replaces the item at absolute sequence `seq`. */
  set(seq: number, e: T): void {
    this.buf[seq & this.mask] = e;
  }

  /** Drops everything, returning the items in order (for dead-lettering on stop). */
  drain(): T[] {
    const out: T[] = [];
    for (let e = this.shift(); e !== undefined; e = this.shift()) out.push(e);
    return out;
  }
}

/**
 * An actor's mailbox: a small control lane that is always served first (kill switch, cancel,
 * lifecycle), and a bounded data lane with an overflow policy:
 *
 * - `reject`: the envelope is refused and the sender gets `MailboxFullError` (or a status code);
 * - `drop-oldest`: the oldest pending data envelope is evicted and counted (market data);
 * - `conflate`: an envelope with a `key` replaces the pending one with the same key in place
 *   (latest ticker per symbol wins, keeping its queue position), counted; when the lane is full
 *   and no envelope with that key is pending, the oldest is evicted as under `drop-oldest`.
 *
 * The control lane never drops: when full it rejects, whatever the data policy. A data envelope
 * whose type is in `mustDeliver` is never refused or evicted-for: it is enqueued past the
 * capacity (the ring grows; counted in `overCapacity`).
 */
export class Mailbox {
  readonly control: Ring;
  readonly data: Ring;
  readonly policy: OverflowPolicy;
  /** Envelope evicted or replaced by the last `offer()` (valid until the next offer). */
  evicted: Envelope | undefined = undefined;
  /** Highest total depth seen. */
  highWater = 0;
  /** Data envelopes evicted by `drop-oldest` (or by `conflate` falling back to it). */
  dropped = 0;
  /** Data envelopes replaced by a newer one with the same key. */
  conflated = 0;
  /** Envelopes refused because a lane was full. */
  rejected = 0;
  /** `mustDeliver` envelopes enqueued while the data lane was at or past its capacity. */
  overCapacity = 0;
  /** Types enqueued past the capacity (see the class doc); undefined when none. */
  private readonly mustDeliver: ReadonlySet<string> | undefined;
  /** key → absolute sequence of the pending envelope with that key (conflate only). */
  private readonly keys: Map<string, number> | undefined;

  constructor(dataCapacity: number, controlCapacity: number, policy: OverflowPolicy, mustDeliver: readonly string[] = []) {
    this.data = new Ring(dataCapacity);
    this.mustDeliver = mustDeliver.length === 0 ? undefined : new Set(mustDeliver);
    this.control = new Ring(controlCapacity);
    this.policy = policy;
    this.keys = policy === 'conflate' ? new Map() : undefined;
  }

  /** Pending envelopes in both lanes. */
  get depth(): number {
    return this.data.length + this.control.length;
  }

  /** Enqueues `e` in its lane according to the policy. */
  offer(e: Envelope): Offer {
    let r: Offer = Offer.Ok;
    if (e.lane === 'control') {
      if (this.control.length >= this.control.capacity) {
        this.rejected++;
        return Offer.Rejected;
      }
      this.control.push(e);
    } else {
      const keys = this.keys;
      if (keys !== undefined && e.key !== '') {
        const seq = keys.get(e.key);
        if (seq !== undefined) {
          this.evicted = this.data.at(seq);
          this.data.set(seq, e);
          this.conflated++;
          return Offer.Conflated;
        }
      }
      if (this.data.length >= this.data.capacity) {
        if (this.mustDeliver !== undefined && this.mustDeliver.has(e.type)) {
          if (this.data.bufferFull) this.data.grow();
          this.overCapacity++;
          if (keys !== undefined && e.key !== '') keys.set(e.key, this.data.tail);
          this.data.push(e);
          const d = this.data.length + this.control.length;
          if (d > this.highWater) this.highWater = d;
          return Offer.Ok;
        }
        if (this.policy === 'reject') {
          this.rejected++;
          return Offer.Rejected;
        }
        this.evicted = this.takeData();
        this.dropped++;
        r = Offer.DroppedOldest;
      }
      if (keys !== undefined && e.key !== '') keys.set(e.key, this.data.tail);
      this.data.push(e);
    }
    const d = this.data.length + this.control.length;
    if (d > this.highWater) this.highWater = d;
    return r;
  }

  /** Next control envelope, or undefined. */
  takeControl(): Envelope | undefined {
    return this.control.shift();
  }

  /** Next data envelope, or undefined. */
  takeData(): Envelope | undefined {
    const keys = this.keys;
    if (keys === undefined) return this.data.shift();
    const seq = this.data.head;
    const e = this.data.shift();
    if (e !== undefined && e.key !== '' && keys.get(e.key) === seq) keys.delete(e.key);
    return e;
  }

  /** Empties both lanes (control first), returning what was pending. */
  drain(): Envelope[] {
    this.keys?.clear();
    return [...this.control.drain(), ...this.data.drain()];
  }
}
