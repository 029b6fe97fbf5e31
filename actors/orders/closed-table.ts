import type { Order, OrderState } from './order-state.js';
import { ORDER_STATES } from './order-state.js';
import { ByteReader, ByteWriter, numericId, readOrder, writeOrder, type PackStrings } from './closed-pack.js';

/** Which id a hash index holds. */
const BY_ID = 0;
const BY_VENUE_ID = 1;
const BY_KEY = 2;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const digits = new Uint8Array(16);

/** FNV-1a over the UTF-16 code units of `s`, continuing from `h`. */
function hashStr(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** {@link hashStr} of `String(n)` without building the string. */
function hashNum(n: number, h: number): number {
  let k = 16;
  do {
    digits[--k] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  for (; k < 16; k++) h = Math.imul(h ^ digits[k]!, FNV_PRIME);
  return h;
}

function mixVenue(h: number, venue: number): number {
  return Math.imul(h ^ Math.imul(venue + 1, 0x9e3779b1), FNV_PRIME);
}

/**
 * The engine's packed closed orders (issue 16): every record back to back in one growing byte
 * buffer, in closing order (a FIFO: a close appends, an eviction advances the head), and three
 * open-addressing hash indexes in `Int32Array`s — client order id, venue + venue order id, and
 * intent key (only for the latest attempt of that key) — that hold record numbers, not strings.
 * The ids live once, in the record bytes; a lookup compares the wanted string against them in
 * place. A closed order costs its record (~70–110 bytes for a market maker's quote) plus ~4 bytes
 * of offset and ~12–24 bytes of index slots, all outside the JavaScript heap (typed arrays), where
 * the ~0.9 KB object graph or a Map entry and string per id cost heap that grew with the window.
 */
export class ClosedTable {
  private buf = new Uint8Array(4096);
  /** Live bytes are [bufHead, bufTail). */
  private bufHead = 0;
  private bufTail = 0;
  /** Record numbers [head, tail) are live; `starts[seq & ringMask]` is the record's byte offset. */
  private head = 0;
  private tail = 0;
  private starts = new Int32Array(64);
  private ringMask = 63;
  /** The hash indexes: slot = record number + 1, 0 empty; linear probing, backward-shift deletion. */
  private readonly slots: Int32Array[] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];
  private readonly used = [0, 0, 0];
  private readonly w = new ByteWriter();
  private readonly r = new ByteReader(this.buf, 0);
  /** Packed orders per state (the metrics count states without unpacking). */
  readonly states = new Map<OrderState, number>();

  constructor(private readonly strings: PackStrings) {}

  /** Records held. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Bytes held outside the JavaScript heap (buffer and indexes; for the memory bench). */
  get bytes(): number {
    return this.buf.byteLength + this.starts.byteLength + this.slots[0]!.byteLength + this.slots[1]!.byteLength + this.slots[2]!.byteLength;
  }

  /** Bytes of the records themselves (the buffer holds them with room to grow). */
  get recordBytes(): number {
    return this.bufTail - this.bufHead;
  }

  /**
   * Appends the closed order `o`. `latestOfKey`: it is the latest attempt of its intent key, so the
   * key index points at it (replacing an older packed attempt of the same key).
   */
  add(o: Order, latestOfKey: boolean): void {
    const w = this.w;
    w.pos = 0;
    w.id(o.clientOrderId);
    writeOrder(w, o, this.strings);
    const n = w.pos;
    this.room(n);
    this.buf.set(w.buf.subarray(0, n), this.bufTail);
    if (this.tail - this.head > this.ringMask) this.growRing();
    const seq = this.tail++;
    this.starts[seq & this.ringMask] = this.bufTail;
    this.bufTail += n;
    this.insert(BY_ID, seq);
    if (o.venueOrderId !== undefined) this.insert(BY_VENUE_ID, seq);
    if (latestOfKey && o.intentKey !== undefined) {
      const old = this.find(BY_KEY, o.intentKey, -1);
      if (old >= 0) this.remove(BY_KEY, old);
      this.insert(BY_KEY, seq);
    }
    this.states.set(o.state, (this.states.get(o.state) ?? 0) + 1);
  }

  /** Drops the oldest record; returns its client order id. */
  evictOldest(): string {
    const seq = this.head;
    const r = this.reader(seq);
    const id = r.id()!;
    const hasVid = this.buf[r.pos] !== 0;
    r.skipId();
    const hasKey = this.buf[r.pos] !== 0;
    const state = this.stateAt(seq);
    this.remove(BY_ID, seq);
    if (hasVid) this.remove(BY_VENUE_ID, seq);
    if (hasKey) this.remove(BY_KEY, seq); // absent when a later attempt of the key took the slot
    const n = (this.states.get(state) ?? 0) - 1;
    if (n <= 0) this.states.delete(state);
    else this.states.set(state, n);
    this.head++;
    if (this.head === this.tail) this.bufHead = this.bufTail = 0;
    else this.bufHead = this.starts[this.head & this.ringMask]!;
    return id;
  }

  /** Empties the table. */
  clear(): void {
    this.head = this.tail = 0;
    this.bufHead = this.bufTail = 0;
    for (const s of this.slots) s.fill(0);
    this.used.fill(0);
    this.states.clear();
  }

  /** Whether `clientOrderId` is held. */
  has(clientOrderId: string): boolean {
    return this.find(BY_ID, clientOrderId, -1) >= 0;
  }

  /** The order, unpacked, or undefined. */
  get(clientOrderId: string): Order | undefined {
    const seq = this.find(BY_ID, clientOrderId, -1);
    return seq < 0 ? undefined : this.orderAt(seq, clientOrderId);
  }

  /** The client order id of the order with this venue order id on `venue`, or undefined. */
  idByVenueOrderId(venue: string, venueOrderId: string): string | undefined {
    const v = this.strings.find(venue);
    if (v < 0) return undefined;
    const seq = this.find(BY_VENUE_ID, venueOrderId, v);
    return seq < 0 ? undefined : this.reader(seq).id();
  }

  /** The latest packed attempt of `intentKey`, unpacked, or undefined. */
  latestOfKey(intentKey: string): Order | undefined {
    const seq = this.find(BY_KEY, intentKey, -1);
    return seq < 0 ? undefined : this.orderAt(seq);
  }

  /** Whether the key index holds `intentKey`. */
  hasKey(intentKey: string): boolean {
    return this.find(BY_KEY, intentKey, -1) >= 0;
  }

  /** Client order ids, oldest closed first. */
  *ids(): IterableIterator<string> {
    for (let s = this.head; s < this.tail; s++) yield this.reader(s).id()!;
  }

  /** Every record as [client order id, a copy of its bytes for `unpackOrder`], oldest first. */
  *records(): IterableIterator<[string, Uint8Array]> {
    for (let s = this.head; s < this.tail; s++) {
      const r = this.reader(s);
      const id = r.id()!;
      const end = s + 1 === this.tail ? this.bufTail : this.starts[(s + 1) & this.ringMask]!;
      yield [id, this.buf.slice(r.pos, end)];
    }
  }

  /** Orders, unpacked, oldest closed first. */
  *orders(): IterableIterator<Order> {
    for (let s = this.head; s < this.tail; s++) yield this.orderAt(s);
  }

  private orderAt(seq: number, id?: string): Order {
    const r = this.reader(seq);
    const cid = r.id()!;
    return readOrder(id ?? cid, r, this.strings);
  }

  private reader(seq: number): ByteReader {
    this.r.buf = this.buf;
    this.r.pos = this.starts[seq & this.ringMask]!;
    return this.r;
  }

  private stateAt(seq: number): OrderState {
    const r = this.reader(seq);
    r.skipId();
    r.skipId();
    r.skipId();
    for (let i = 0; i < 6; i++) r.uvar();
    r.num();
    r.num();
    r.byte();
    return ORDER_STATES[r.byte()]!;
  }

  /** Makes room for `n` more bytes at the tail: compacts to the front or grows (doubling). */
  private room(n: number): void {
    if (this.bufTail + n <= this.buf.length) return;
    const live = this.bufTail - this.bufHead;
    if (live + n <= this.buf.length / 2) {
      this.buf.copyWithin(0, this.bufHead, this.bufTail);
    } else {
      let cap = this.buf.length * 2;
      while (cap < (live + n) * 2) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf.subarray(this.bufHead, this.bufTail));
      this.buf = b;
    }
    const shift = this.bufHead;
    for (let s = this.head; s < this.tail; s++) this.starts[s & this.ringMask]! -= shift;
    this.bufHead = 0;
    this.bufTail = live;
  }

  private growRing(): void {
    const size = (this.ringMask + 1) * 2;
    const next = new Int32Array(size);
    for (let s = this.head; s < this.tail; s++) next[s & (size - 1)] = this.starts[s & this.ringMask]!;
    this.starts = next;
    this.ringMask = size - 1;
  }

  // --- the hash indexes -------------------------------------------------------------------------

  /** Positions the reader at the id the index `kind` holds for record `seq`; returns the venue (BY_VENUE_ID) or -1. */
  private at(kind: number, seq: number): number {
    const r = this.reader(seq);
    r.skipId();
    if (kind === BY_ID) {
      r.pos = this.starts[seq & this.ringMask]!;
      return -1;
    }
    if (kind === BY_VENUE_ID) {
      const p = r.pos;
      r.skipId();
      r.skipId();
      const v = r.uvar();
      r.pos = p;
      return v;
    }
    r.skipId();
    return -1;
  }

  /** The hash of the id the index `kind` holds for record `seq`. */
  private hashAt(kind: number, seq: number): number {
    const venue = this.at(kind, seq);
    const r = this.r;
    const v = r.uvar();
    let h: number;
    if (v % 2 === 0) h = hashNum(v / 2 - 1, FNV_OFFSET);
    else {
      const len = (v - 1) / 2;
      let ascii = true;
      h = FNV_OFFSET;
      for (let i = r.pos; i < r.pos + len; i++) {
        const b = this.buf[i]!;
        if (b > 127) ascii = false;
        h = Math.imul(h ^ b, FNV_PRIME);
      }
      if (!ascii) h = hashStr(r.bytes(len), FNV_OFFSET);
    }
    return venue >= 0 ? mixVenue(h, venue) : h;
  }

  /** Whether record `seq`'s id of index `kind` is `s` (and its venue `venue`, for BY_VENUE_ID). */
  private equals(kind: number, seq: number, s: string, num: number, venue: number): boolean {
    const v0 = this.at(kind, seq);
    if (kind === BY_VENUE_ID && v0 !== venue) return false;
    const r = this.r;
    const v = r.uvar();
    if (v === 0) return false; // absent (never indexed; a guard, not a case)
    if (v % 2 === 0) return num === v / 2 - 1;
    if (num >= 0) return false;
    const len = (v - 1) / 2;
    if (len === s.length) {
      let i = 0;
      const p = r.pos;
      for (; i < len; i++) {
        const b = this.buf[p + i]!;
        if (b > 127 || b !== s.charCodeAt(i)) break;
      }
      if (i === len) return true;
      if (this.buf[p + i]! <= 127) return false;
    } else if (len < s.length) return false;
    return r.bytes(len) === s; // non-ASCII: decode
  }

  /** The record number holding `s` in index `kind` (with `venue` for BY_VENUE_ID), or -1. */
  private find(kind: number, s: string, venue: number): number {
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    let h = hashStr(s, FNV_OFFSET);
    if (kind === BY_VENUE_ID) h = mixVenue(h, venue);
    const num = numericId(s);
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = slots[i]!;
      if (x === 0) return -1;
      if (this.equals(kind, x - 1, s, num, venue)) return x - 1;
    }
  }

  /** The slot holding record `seq` in index `kind`, or -1. */
  private slotOf(kind: number, seq: number): number {
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    for (let i = this.hashAt(kind, seq) & mask; ; i = (i + 1) & mask) {
      const x = slots[i]!;
      if (x === 0) return -1;
      if (x === seq + 1) return i;
    }
  }

  private insert(kind: number, seq: number): void {
    if ((this.used[kind]! + 1) * 4 > this.slots[kind]!.length * 3) this.rehash(kind, this.slots[kind]!.length * 2);
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    let i = this.hashAt(kind, seq) & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = seq + 1;
    this.used[kind]!++;
  }

  private remove(kind: number, seq: number): void {
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    let i = this.slotOf(kind, seq);
    if (i < 0) return;
    // backward-shift deletion: move later entries of the cluster into the hole when their home allows
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const x = slots[j]!;
      if (x === 0) break;
      const home = this.hashAt(kind, x - 1) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[i] = x;
        i = j;
      }
    }
    slots[i] = 0;
    this.used[kind]!--;
    if (slots.length > 64 && this.used[kind]! * 8 < slots.length) this.rehash(kind, slots.length / 2);
  }

  private rehash(kind: number, size: number): void {
    const old = this.slots[kind]!;
    const slots = new Int32Array(size);
    const mask = size - 1;
    this.slots[kind] = slots;
    for (let k = 0; k < old.length; k++) {
      const x = old[k]!;
      if (x === 0) continue;
      let i = this.hashAt(kind, x - 1) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = x;
    }
  }
}
