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
 *
 * Each record also keeps the low 16 bits of its three id hashes beside its offset (6 bytes), so
 * inserting, finding the slot of and removing a record, the backward shift after a removal and a
 * rehash never re-read and re-hash an id from the bytes (`hashAt` was ~13 % of the order table's
 * CPU at 10k orders/s). 16 bits decide the home slot of every index up to 65,536 slots (~49,000
 * records, past the default `maxClosed` of 10,000); a larger index recomputes the hash from the
 * record's bytes, as every index did before ({@link hashesRecomputed} counts those). Index slots
 * hold a record's position in the ring (`seq & ringMask`) + 1, not its sequence: positions stay
 * below the ring size however many orders closed (a sequence + 1 past 2³¹ would not fit an
 * `Int32Array` slot, after ~2.1 billion closed orders).
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
  /** Low 16 bits of the record's hash in each index: `hashes[pos * 3 + kind]`, pos = seq & ringMask. */
  private hashes = new Uint16Array(64 * 3);
  /** The hash indexes: slot = ring position + 1, 0 empty; linear probing, backward-shift deletion. */
  private readonly slots: Int32Array[] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];
  private readonly used = [0, 0, 0];
  private readonly w = new ByteWriter();
  private readonly r = new ByteReader(this.buf, 0);
  /** Packed orders per state (the metrics count states without unpacking). */
  readonly states = new Map<OrderState, number>();
  /** Hashes recomputed from record bytes (indexes larger than the stored bits cover; tests count them). */
  hashesRecomputed = 0;
  /** The largest slot mask the stored hash bits decide (`2^storedHashBits − 1`). */
  private readonly storedMask: number;

  /** `storedHashBits` (1–16, default 16): tests lower it to drive the recomputing path with small tables. */
  constructor(
    private readonly strings: PackStrings,
    storedHashBits = 16,
  ) {
    if (!Number.isInteger(storedHashBits) || storedHashBits < 1 || storedHashBits > 16) throw new RangeError(`storedHashBits: expected an integer 1–16, got ${storedHashBits}`);
    this.storedMask = 2 ** storedHashBits - 1;
  }

  /** Records held. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Bytes held outside the JavaScript heap (buffer and indexes; for the memory bench). */
  get bytes(): number {
    return this.buf.byteLength + this.starts.byteLength + this.hashes.byteLength + this.slots[0]!.byteLength + this.slots[1]!.byteLength + this.slots[2]!.byteLength;
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
    const pos = this.tail++ & this.ringMask;
    this.starts[pos] = this.bufTail;
    this.bufTail += n;
    // The hashes `find` computes from the strings (hashStr over UTF-16 units = over the record's
    // bytes for ASCII; a decimal id's digits hash the same either way).
    const hs = this.hashes;
    const hId = hashStr(o.clientOrderId, FNV_OFFSET);
    hs[pos * 3 + BY_ID] = hId;
    this.insert(BY_ID, pos, hId);
    if (o.venueOrderId !== undefined) {
      const h = mixVenue(hashStr(o.venueOrderId, FNV_OFFSET), this.strings.find(o.intent.venue));
      hs[pos * 3 + BY_VENUE_ID] = h;
      this.insert(BY_VENUE_ID, pos, h);
    }
    if (latestOfKey && o.intentKey !== undefined) {
      const h = hashStr(o.intentKey, FNV_OFFSET);
      hs[pos * 3 + BY_KEY] = h;
      const old = this.find(BY_KEY, o.intentKey, -1);
      if (old >= 0) this.remove(BY_KEY, old);
      this.insert(BY_KEY, pos, h);
    }
    this.states.set(o.state, (this.states.get(o.state) ?? 0) + 1);
  }

  /** Drops the oldest record; returns its client order id. */
  evictOldest(): string {
    const pos = this.head & this.ringMask;
    const r = this.reader(pos);
    const id = r.id()!;
    const hasVid = this.buf[r.pos] !== 0;
    r.skipId();
    const hasKey = this.buf[r.pos] !== 0;
    const state = this.stateAt(pos);
    this.remove(BY_ID, pos);
    if (hasVid) this.remove(BY_VENUE_ID, pos);
    if (hasKey) this.remove(BY_KEY, pos); // absent when a later attempt of the key took the slot
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
    const pos = this.find(BY_ID, clientOrderId, -1);
    return pos < 0 ? undefined : this.orderAt(pos, clientOrderId);
  }

  /** The client order id of the order with this venue order id on `venue`, or undefined. */
  idByVenueOrderId(venue: string, venueOrderId: string): string | undefined {
    const v = this.strings.find(venue);
    if (v < 0) return undefined;
    const pos = this.find(BY_VENUE_ID, venueOrderId, v);
    return pos < 0 ? undefined : this.reader(pos).id();
  }

  /** The latest packed attempt of `intentKey`, unpacked, or undefined. */
  latestOfKey(intentKey: string): Order | undefined {
    const pos = this.find(BY_KEY, intentKey, -1);
    return pos < 0 ? undefined : this.orderAt(pos);
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

  /**
   * A copy of every record's bytes, back to back, oldest first (each the client order id then
   * `writeOrder`'s record): what a snapshot's image holds; one memory copy, nothing unpacked.
   */
  copyRecords(): { count: number; bytes: Uint8Array } {
    return { count: this.size, bytes: this.buf.slice(this.bufHead, this.bufTail) };
  }

  /** Orders, unpacked, oldest closed first. */
  *orders(): IterableIterator<Order> {
    for (let s = this.head; s < this.tail; s++) yield this.orderAt(s);
  }

  /** `at`: a record's sequence or its ring position (the same slot of the ring). */
  private orderAt(at: number, id?: string): Order {
    const r = this.reader(at);
    const cid = r.id()!;
    return readOrder(id ?? cid, r, this.strings);
  }

  private reader(at: number): ByteReader {
    this.r.buf = this.buf;
    this.r.pos = this.starts[at & this.ringMask]!;
    return this.r;
  }

  private stateAt(at: number): OrderState {
    const r = this.reader(at);
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

  /**
   * Doubles the ring: records move to their position in the larger ring (`seq & (size − 1)`), and
   * the index slots that name them are renamed in place (their hash slots do not change).
   */
  private growRing(): void {
    const size = (this.ringMask + 1) * 2;
    const oldMask = this.ringMask;
    const newMask = size - 1;
    const next = new Int32Array(size);
    const nextHashes = new Uint16Array(size * 3);
    for (let s = this.head; s < this.tail; s++) {
      const p = s & oldMask;
      const q = s & newMask;
      next[q] = this.starts[p]!;
      nextHashes[q * 3] = this.hashes[p * 3]!;
      nextHashes[q * 3 + 1] = this.hashes[p * 3 + 1]!;
      nextHashes[q * 3 + 2] = this.hashes[p * 3 + 2]!;
    }
    const head = this.head;
    for (const slots of this.slots) {
      for (let i = 0; i < slots.length; i++) {
        const x = slots[i]!;
        if (x === 0) continue;
        // the live sequence at old position x − 1: the one in [head, head + oldSize)
        const seq = head + ((x - 1 - head) & oldMask);
        slots[i] = (seq & newMask) + 1;
      }
    }
    this.starts = next;
    this.hashes = nextHashes;
    this.ringMask = newMask;
  }

  // --- the hash indexes -------------------------------------------------------------------------

  /** Positions the reader at the id the index `kind` holds for the record at `pos`; returns the venue (BY_VENUE_ID) or -1. */
  private at(kind: number, pos: number): number {
    const r = this.reader(pos);
    r.skipId();
    if (kind === BY_ID) {
      r.pos = this.starts[pos]!;
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

  /** The home slot (under `mask`) of the record at `pos` in index `kind`: from the stored bits when they suffice. */
  private home(kind: number, pos: number, mask: number): number {
    if (mask <= this.storedMask) return this.hashes[pos * 3 + kind]! & mask;
    return this.hashAt(kind, pos) & mask;
  }

  /** The hash of the id the index `kind` holds for the record at `pos`, recomputed from its bytes. */
  private hashAt(kind: number, pos: number): number {
    this.hashesRecomputed++;
    const venue = this.at(kind, pos);
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

  /** Whether the record at `pos` has `s` as its id of index `kind` (and its venue `venue`, for BY_VENUE_ID). */
  private equals(kind: number, pos: number, s: string, num: number, venue: number): boolean {
    const v0 = this.at(kind, pos);
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

  /** The ring position of the record holding `s` in index `kind` (with `venue` for BY_VENUE_ID), or -1. */
  private find(kind: number, s: string, venue: number): number {
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    let h = hashStr(s, FNV_OFFSET);
    if (kind === BY_VENUE_ID) h = mixVenue(h, venue);
    const num = numericId(s);
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = slots[i]!;
      if (x === 0) return -1;
      // the stored bits first: a record whose hash differs there is not the one (no byte compare)
      if ((mask > this.storedMask || ((this.hashes[(x - 1) * 3 + kind]! ^ h) & 0xffff) === 0) && this.equals(kind, x - 1, s, num, venue)) return x - 1;
    }
  }

  /** The slot holding the record at `pos` in index `kind`, or -1. */
  private slotOf(kind: number, pos: number): number {
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    for (let i = this.home(kind, pos, mask); ; i = (i + 1) & mask) {
      const x = slots[i]!;
      if (x === 0) return -1;
      if (x === pos + 1) return i;
    }
  }

  /** Inserts the record at `pos` whose hash in index `kind` is `h`. */
  private insert(kind: number, pos: number, h: number): void {
    if ((this.used[kind]! + 1) * 4 > this.slots[kind]!.length * 3) this.rehash(kind, this.slots[kind]!.length * 2);
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = pos + 1;
    this.used[kind]!++;
  }

  private remove(kind: number, pos: number): void {
    const slots = this.slots[kind]!;
    const mask = slots.length - 1;
    let i = this.slotOf(kind, pos);
    if (i < 0) return;
    // backward-shift deletion: move later entries of the cluster into the hole when their home allows
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const x = slots[j]!;
      if (x === 0) break;
      const home = this.home(kind, x - 1, mask);
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
      let i = this.home(kind, x - 1, mask);
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = x;
    }
  }
}
