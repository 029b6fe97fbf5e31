import { ORDER_EVENT_KINDS, ORDER_STATES, type Order, type OrderEventKind, type OrderHistoryEntry, type OrderState } from './order-state.js';
import type { OrderIntent } from './intent.js';

/**
 * The compact form of a closed order in the {@link OrderStore} (issue 16): a short binary record
 * (~70–110 bytes for a market maker's quote) instead of ~17 objects (the order, its intent, fees,
 * trade id and history arrays, one object and one boxed number per history step: ~0.9 KB). A
 * closed order can no longer change, so it is packed once, when it leaves the store's window of
 * recently closed orders kept as objects, and unpacked (a fresh, equal {@link Order}) only when it
 * is read. The store keeps the records back to back in one byte buffer (closed-table.ts);
 * {@link packOrder}/{@link unpackOrder} give the same bytes as a copy of their own (a snapshot's
 * capture holds that: the store's buffer moves on while the snapshot renders).
 *
 * Layout: the venue order id and the intent key first (the store indexes them), then repeated
 * strings (strategy, venue, symbol, side, type, time in force, fee assets) as numbers into a
 * per-store {@link PackStrings} table, states and event kinds as their index in ORDER_STATES /
 * ORDER_EVENT_KINDS, times after the creation time as differences to it (when exact). Numbers are
 * variable-length integers when they are safe integers, else the 8 bytes of the double, so every
 * field comes back exactly (−0, fractions, 10³⁰⁰ included). Ids made of decimal digits (venue order
 * ids, trade ids) are kept as their number. The intent comes back with its fields in the declared
 * order (strategy, venue, symbol, side, type, tif, priceTicks, qtyLots, reduceOnly only if it was
 * present).
 */
export class PackStrings {
  private readonly index = new Map<string, number>();
  private readonly list: string[] = [];

  /** The number of `s` (added on first use; the table holds distinct values only, a handful). */
  id(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  /** The number of `s`, or -1 when it was never added. */
  find(s: string): number {
    return this.index.get(s) ?? -1;
  }

  /** Strings held (numbered 0 … size − 1). */
  get size(): number {
    return this.list.length;
  }

  /** The string numbered `i`. */
  at(i: number): string {
    const s = this.list[i];
    if (s === undefined) throw new RangeError(`packed order: no string #${i}`);
    return s;
  }
}

const STATE_NO = new Map<OrderState, number>(ORDER_STATES.map((s, i) => [s, i]));
const EVENT_NO = new Map<OrderEventKind, number>(ORDER_EVENT_KINDS.map((k, i) => [k, i]));
const TWO52 = 2 ** 52;
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** An id kept as its number: decimal digits, no leading zero, ≤ 15 digits (exact as a double). */
export function numericId(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || (i === 0 && c === 0 && n > 1)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Appends bytes to a growable buffer (one per store, reused for every record). */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  byte(x: number): void {
    this.reserve(1);
    this.buf[this.pos++] = x;
  }

  /** Unsigned LEB128 of a safe non-negative integer. */
  uvar(x: number): void {
    this.reserve(8);
    while (x >= 128) {
      this.buf[this.pos++] = (x % 128) | 128;
      x = Math.floor(x / 128);
    }
    this.buf[this.pos++] = x;
  }

  /** A number, exactly: tag 0 non-negative integer, 1 negative integer, 2 the double's bytes. */
  num(x: number): void {
    if (Number.isSafeInteger(x) && Math.abs(x) < TWO52 && !Object.is(x, -0)) {
      this.uvar(x >= 0 ? x * 4 : -x * 4 + 1);
      return;
    }
    this.byte(2);
    this.dbl(x);
  }

  /** A time as its difference to `c` when exact, else tag 3 and the double. */
  rel(t: number, c: number): void {
    const d = t - c;
    if (c + d === t && Number.isSafeInteger(d) && Math.abs(d) < TWO52 && !Object.is(d, -0)) {
      this.num(d);
      return;
    }
    this.byte(3);
    this.dbl(t);
  }

  dbl(x: number): void {
    this.reserve(8);
    f64[0] = x;
    for (let i = 0; i < 8; i++) this.buf[this.pos++] = f64b[i]!;
  }

  big(x: bigint): void {
    if (x > -0x8000000000000n && x < 0x8000000000000n) return this.num(Number(x));
    this.byte(3);
    this.str(x.toString());
  }

  /** A string: byte length then UTF-8 (ASCII written directly). */
  str(s: string): void {
    this.tagged(s, 1, 0);
  }

  /** An optional id: 0 absent, 2n+2 the decimal id n, 2·len+1 then the string. */
  id(s: string | undefined | null): void {
    if (s === undefined || s === null) return this.byte(0);
    const n = numericId(s);
    if (n >= 0) return this.uvar(n * 2 + 2);
    this.tagged(s, 2, 1);
  }

  /** `s` as UTF-8 after its byte length written as `len·mul + add`. */
  private tagged(s: string, mul: number, add: number): void {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.uvar(n * mul + add);
      this.reserve(n);
      for (let i = 0; i < n; i++) this.buf[this.pos++] = s.charCodeAt(i);
      return;
    }
    const bytes = utf8.encode(s);
    this.uvar(bytes.length * mul + add);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

/** Reads what {@link ByteWriter} wrote. */
export class ByteReader {
  constructor(
    public buf: Uint8Array,
    public pos: number,
  ) {}

  byte(): number {
    return this.buf[this.pos++]!;
  }

  uvar(): number {
    let x = 0;
    let m = 1;
    for (;;) {
      const b = this.buf[this.pos++]!;
      x += (b & 127) * m;
      if (b < 128) return x;
      m *= 128;
    }
  }

  num(): number {
    const v = this.uvar();
    const tag = v % 4;
    if (tag === 0) return v / 4;
    if (tag === 1) return -(v - 1) / 4;
    return this.dbl();
  }

  rel(c: number): number {
    if (this.buf[this.pos] === 3) {
      this.pos++;
      return this.dbl();
    }
    return c + this.num();
  }

  dbl(): number {
    for (let i = 0; i < 8; i++) f64b[i] = this.buf[this.pos++]!;
    return f64[0]!;
  }

  big(): bigint {
    if (this.buf[this.pos] === 3) {
      this.pos++;
      return BigInt(this.str());
    }
    return BigInt(this.num());
  }

  str(): string {
    return this.bytes(this.uvar());
  }

  /** `len` bytes (UTF-8) as a string. */
  bytes(len: number): string {
    const s = utf8d.decode(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  id(): string | undefined {
    const v = this.uvar();
    if (v === 0) return undefined;
    if (v % 2 === 0) return String(v / 2 - 1);
    return this.bytes((v - 1) / 2);
  }

  skipId(): void {
    const v = this.uvar();
    if (v % 2 === 1) this.pos += (v - 1) / 2;
  }
}

/** Writes the record of `o` (its client order id is not part of it: the caller keys it). */
export function writeOrder(w: ByteWriter, o: Order, t: PackStrings): void {
  const it = o.intent;
  w.id(o.venueOrderId);
  w.id(o.intentKey);
  w.uvar(t.id(it.venue));
  w.uvar(t.id(it.strategy));
  w.uvar(t.id(it.symbol));
  w.uvar(t.id(it.side));
  w.uvar(t.id(it.type));
  w.uvar(t.id(it.tif));
  w.num(it.priceTicks);
  w.num(it.qtyLots);
  w.byte(!('reduceOnly' in it) ? 0 : it.reduceOnly === true ? 2 : it.reduceOnly === false ? 1 : 3);
  w.byte(STATE_NO.get(o.state)!);
  w.num(o.filledLots);
  w.big(o.cumTickLots);
  let nf = 0;
  for (const k in o.fees) if (Object.hasOwn(o.fees, k)) nf++;
  w.uvar(nf);
  for (const k in o.fees) {
    if (!Object.hasOwn(o.fees, k)) continue;
    w.uvar(t.id(k));
    w.big(o.fees[k]!);
  }
  w.uvar(o.tradeIds.length);
  for (const id of o.tradeIds) w.id(id);
  if (o.reason === undefined) w.byte(0);
  else {
    w.byte(1);
    w.str(o.reason);
  }
  const c = o.createdNs;
  w.num(c);
  w.rel(o.updatedNs, c);
  const h = o.history;
  w.uvar(h.length);
  for (let i = 0; i < h.length; i++) {
    const e = h[i]!;
    w.rel(e.tNs, c);
    w.byte(EVENT_NO.get(e.event)!);
    w.byte(STATE_NO.get(e.from)! * 16 + STATE_NO.get(e.to)!);
  }
}

/** The order whose record starts at `r.pos` (written by {@link writeOrder}): a fresh equal object. */
export function readOrder(clientOrderId: string, r: ByteReader, t: PackStrings): Order {
  const venueOrderId = r.id();
  const intentKey = r.id();
  const venue = t.at(r.uvar());
  const intent: OrderIntent = {
    strategy: t.at(r.uvar()),
    venue,
    symbol: t.at(r.uvar()),
    side: t.at(r.uvar()) as OrderIntent['side'],
    type: t.at(r.uvar()) as OrderIntent['type'],
    tif: t.at(r.uvar()) as OrderIntent['tif'],
    priceTicks: r.num(),
    qtyLots: r.num(),
  };
  const ro = r.byte();
  if (ro !== 0) intent.reduceOnly = ro === 2 ? true : ro === 1 ? false : (undefined as unknown as boolean);
  const state = ORDER_STATES[r.byte()]!;
  const filledLots = r.num();
  const cumTickLots = r.big();
  const fees: Record<string, bigint> = {};
  for (let n = r.uvar(); n > 0; n--) {
    const k = t.at(r.uvar());
    fees[k] = r.big();
  }
  const nt = r.uvar();
  const tradeIds = new Array<string>(nt);
  for (let i = 0; i < nt; i++) tradeIds[i] = r.id()!;
  const reason = r.byte() === 0 ? undefined : r.str();
  const createdNs = r.num();
  const updatedNs = r.rel(createdNs);
  const nh = r.uvar();
  const history = new Array<OrderHistoryEntry>(nh);
  for (let i = 0; i < nh; i++) {
    const tNs = r.rel(createdNs);
    const event = ORDER_EVENT_KINDS[r.byte()]!;
    const ft = r.byte();
    history[i] = { tNs, event, from: ORDER_STATES[ft >> 4]!, to: ORDER_STATES[ft & 15]! };
  }
  return { clientOrderId, venueOrderId, intent, intentKey, state, filledLots, cumTickLots, fees, tradeIds, reason, createdNs, updatedNs, history };
}

const packWriter = new ByteWriter();

/** The record of `o` in bytes of its own (its client order id is not part of it). */
export function packOrder(o: Order, t: PackStrings): Uint8Array {
  packWriter.pos = 0;
  writeOrder(packWriter, o, t);
  return packWriter.buf.slice(0, packWriter.pos);
}

/** The order packed by {@link packOrder} (or a record copied out of the store): a fresh object equal to the one packed. */
export function unpackOrder(clientOrderId: string, record: Uint8Array, t: PackStrings): Order {
  return readOrder(clientOrderId, new ByteReader(record, 0), t);
}
