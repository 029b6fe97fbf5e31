import type { Clock } from '../common/clock.js';
import type { MarketDataKind, MarketDataMessage } from './engine-port.js';
import type { GwCode } from './errors.js';
import { AnnounceKind, FEED_VERSION, FeedType, HEADER_BYTES, RECORD_BYTES, WireSide, i64Words } from './feed-codec.js';
import { parseOptions, z } from '../common/validate.js';
import { ConfigError } from '../common/errors.js';
import { describeValue } from '../common/describe.js';

/** Receives each validated message; return false when the engine refused it (counted as a drop). */
export type FeedSink = (msg: Readonly<MarketDataMessage>) => boolean;

interface SymbolEntry {
  venue: string;
  symbol: string;
  topicTicker: string;
  topicTrade: string;
  topicBook: string;
  lastSeq: number;
}

/** Most symbols one producer connection may intern (bounds memory per connection). */
export const MAX_SYMBOLS_PER_CONNECTION = 65536;
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;
const SYMBOL = /^[A-Za-z0-9_.-]{1,24}(\/[A-Za-z0-9_.-]{1,24})?$/;
/** Int32Array reads give the wire's little-endian words as they are only on a little-endian host. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const EMPTY = new ArrayBuffer(0);
const NO_WORDS = new Int32Array(0);
/** Largest message at an odd offset that is copied whole to be read as words (bounds memory per connection). */
const MAX_ALIGN_COPY = 64 * 1024;
/** Scratch for records that are not 4-aligned in their message (one decoder runs at a time: JS is single-threaded). */
const SCRATCH_WORDS = new Int32Array(Math.max(RECORD_BYTES.ticker, RECORD_BYTES.trade, RECORD_BYTES.book) / 4);
const SCRATCH_BYTES = new Uint8Array(SCRATCH_WORDS.buffer);

/**
 * Per-connection decoder of `/feed` frames (binary layout in `feed-codec.ts`, JSON below). It
 * validates every record, fills ONE reused {@link MarketDataMessage} and hands it to the sink —
 * no allocation per record on the binary path (topics are precomputed at announce time).
 * A frame stops at its first bad record; the error is left in `errorCode`/`errorMessage`/
 * `errorRecord` and the records before it have already been delivered.
 */
export class FeedDecoder {
  /** Records delivered by the last call. */
  accepted = 0;
  /** Records the sink refused in the last call. */
  refused = 0;
  errorCode: GwCode | null = null;
  errorMessage = '';
  errorRecord = -1;

  private readonly venues: (string | undefined)[] = [];
  private readonly symbols: (Map<number, SymbolEntry> | undefined)[] = [];
  private symbolCount = 0;
  /** Aligned copy of the last message that arrived at an odd offset (grows to MAX_ALIGN_COPY). */
  private alignBytes = new Uint8Array(0);
  private alignWords = NO_WORDS;
  /** The message being decoded (only during decodeBinary). */
  private frameBuf: ArrayBufferLike = EMPTY;
  private frameOff = 0;
  private frameLen = 0;
  private frameBytes: Uint8Array | null = null;
  /** The entry of the last binary record's (venue id, symbol id); cleared by every announce. */
  private lastEntry: SymbolEntry | undefined = undefined;
  private lastVenueId = -1;
  private lastSymbolId = -1;
  private readonly msg: MarketDataMessage = {
    kind: 'ticker', topic: '', venue: '', symbol: '', seq: 0, exchTsUs: 0, recvNs: 0,
    bidPx: 0, bidQty: 0, askPx: 0, askQty: 0, px: 0, qty: 0, side: '', level: 0,
  };

  /**
   * @param sink receives each valid record (the reused scratch message)
   * @param clock stamps `recvNs`
   * @param counts per-kind delivered-record counters, shareable across connections (gateway metrics)
   */
  constructor(
    private readonly sink: FeedSink,
    private readonly clock: Clock,
    readonly counts: Record<MarketDataKind, number> = { ticker: 0, trade: 0, book: 0 },
  ) {}

  /**
   * Decodes one binary message (`byteLength` bytes of `buf` from `byteOffset`). Returns true when
   * every record was valid. Reads the message in place (see {@link decodeBytes} for how).
   */
  decodeBinary(buf: ArrayBufferLike, byteOffset = 0, byteLength = buf.byteLength - byteOffset): boolean {
    this.accepted = 0;
    this.refused = 0;
    this.errorCode = null;
    if (byteLength === 0) return this.fail('GW_FEED_BAD_FRAME', 'frame: expected at least one record, got 0 bytes', 0);
    if (!LITTLE_ENDIAN || (byteOffset & 3) === 0 || byteLength > MAX_ALIGN_COPY) {
      const aligned = LITTLE_ENDIAN && (byteOffset & 3) === 0;
      return this.decodeAt(buf, byteOffset, byteLength, aligned ? new Int32Array(buf, byteOffset, byteLength >>> 2) : NO_WORDS, aligned);
    }
    return this.decodeCopy(new Uint8Array(buf, byteOffset, byteLength));
  }

  /**
   * Decodes one binary message held in a byte view (a Node Buffer, e.g. from `ws`). A view at a
   * 4-aligned offset is read in place; one at an odd offset (ws hands out slices of its read
   * buffer) is first copied whole into this decoder's aligned buffer (one memcpy, at most 64 KiB).
   */
  decodeBytes(u: Uint8Array): boolean {
    if (!LITTLE_ENDIAN || (u.byteOffset & 3) === 0 || u.length === 0 || u.length > MAX_ALIGN_COPY) return this.decodeBinary(u.buffer, u.byteOffset, u.length);
    this.accepted = 0;
    this.refused = 0;
    this.errorCode = null;
    return this.decodeCopy(u);
  }

  private decodeCopy(u: Uint8Array): boolean {
    let a = this.alignBytes;
    if (a.length < u.length) {
      let n = 64;
      while (n < u.length) n *= 2;
      a = this.alignBytes = new Uint8Array(n);
      this.alignWords = new Int32Array(a.buffer);
    }
    a.set(u);
    return this.decodeAt(a.buffer, 0, u.length, this.alignWords, true);
  }

  private decodeAt(buf: ArrayBufferLike, byteOffset: number, byteLength: number, words: Int32Array, aligned: boolean): boolean {
    this.frameBuf = buf;
    this.frameOff = byteOffset;
    this.frameLen = byteLength;
    this.frameBytes = null;
    const ok = this.decodeFrame(words, aligned, byteLength);
    // do not keep the message's memory reachable (uWS detaches it after the callback anyway)
    this.frameBuf = EMPTY;
    this.frameBytes = null;
    return ok;
  }

  /**
   * The hot path of `/feed`. Fixed-size records are read as 32-bit words straight from ONE Int32Array
   * view over the message (4-aligned records of a 4-aligned message: every uWS message, and every
   * record of a frame that has no announce before it). A record that is not 4-aligned (after an
   * odd-length announce; in a message at an odd offset above 64 KiB; any record on a big-endian
   * host) is first copied, at most 56 bytes, into a reused scratch and read from there: one parser
   * for both. Per record it validates, fills the
   * one reused message and calls the sink; it allocates nothing (names and topics were interned
   * by the announces).
   */
  private decodeFrame(words: Int32Array, aligned: boolean, len: number): boolean {
    const recvNs = this.clock.nowNs();
    let o = 0;
    let rec = 0;
    while (o < len) {
      if (len - o < HEADER_BYTES) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}: expected a ${HEADER_BYTES}-byte header, got ${len - o} bytes`, rec);
      let w = words;
      let i = o >> 2;
      if (!aligned || (o & 3) !== 0) {
        this.toScratch(o, len - o);
        w = SCRATCH_WORDS;
        i = 0;
      }
      const h = w[i]!;
      const version = h & 0xff;
      if (version !== FEED_VERSION) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}.version: expected ${FEED_VERSION}, got ${version}`, rec);
      const type = (h >>> 8) & 0xff;
      const venueId = h >>> 16;
      const symbolId = w[i + 1]! >>> 0;
      if (type === FeedType.announce) {
        const n = this.announce(this.bytes(), o, len, venueId, symbolId, rec);
        if (n < 0) return false;
        o = n;
        rec++;
        continue;
      }
      const size = type === FeedType.ticker ? RECORD_BYTES.ticker : type === FeedType.trade ? RECORD_BYTES.trade : type === FeedType.book ? RECORD_BYTES.book : 0;
      if (size === 0) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}.type: expected 1 (announce), 2 (ticker), 3 (trade) or 4 (book), got ${type}`, rec);
      if (len - o < size) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}: expected ${size} bytes for type ${type}, got ${len - o}`, rec);
      // a producer streams mostly one symbol at a time: skip the map lookup when it repeats
      let entry = this.lastEntry;
      if (entry === undefined || venueId !== this.lastVenueId || symbolId !== this.lastSymbolId) {
        entry = this.symbols[venueId]?.get(symbolId);
        if (entry === undefined) return this.fail('GW_FEED_UNKNOWN_SYMBOL', `record ${rec}: venue id ${venueId} / symbol id ${symbolId} was not announced on this connection`, rec);
        this.lastEntry = entry;
        this.lastVenueId = venueId;
        this.lastSymbolId = symbolId;
      }
      const seq = i64Words(w, i + 2);
      const ts = i64Words(w, i + 4);
      if (!(seq >= 1)) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}.seq: expected a safe integer >= 1, got ${seq}`, rec);
      if (!(ts >= 0)) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}.exchTsUs: expected a safe integer >= 0, got ${ts}`, rec);
      if (seq <= entry.lastSeq) return this.fail('GW_FEED_STALE_SEQ', `record ${rec}.seq: expected > ${entry.lastSeq} for ${entry.venue} ${entry.symbol}, got ${seq}`, rec);
      const m = this.msg;
      m.venue = entry.venue;
      m.symbol = entry.symbol;
      m.seq = seq;
      m.exchTsUs = ts;
      m.recvNs = recvNs;
      let ok: boolean;
      if (type === FeedType.ticker) {
        ok = this.ticker(entry, i64Words(w, i + 6), i64Words(w, i + 8), i64Words(w, i + 10), i64Words(w, i + 12), rec);
      } else if (type === FeedType.trade) {
        ok = this.trade(entry, i64Words(w, i + 6), i64Words(w, i + 8), w[i + 10]! & 0xff, rec);
      } else {
        const b = w[i + 6]!; // side u8, reserved u8, level u16
        ok = this.book(entry, b & 0xff, b >>> 16, i64Words(w, i + 8), i64Words(w, i + 10), rec);
      }
      if (!ok) return false;
      o += size;
      rec++;
    }
    return true;
  }

  /** A byte view of the current message (made only when needed: announces, unaligned records). */
  private bytes(): Uint8Array {
    return (this.frameBytes ??= new Uint8Array(this.frameBuf, this.frameOff, this.frameLen));
  }

  /** Copies up to one fixed-size record from offset `o` into the scratch, as little-endian words. */
  private toScratch(o: number, left: number): void {
    const u = this.bytes();
    const n = left < SCRATCH_BYTES.length ? left : SCRATCH_BYTES.length;
    if (LITTLE_ENDIAN) for (let k = 0; k < n; k++) SCRATCH_BYTES[k] = u[o + k]!;
    else for (let k = 0; k < n; k++) SCRATCH_BYTES[k ^ 3] = u[o + k]!;
  }

  /** Decodes one JSON text message: a record object or an array of them (schema in docs/ws-api.md). */
  decodeJson(text: string): boolean {
    this.accepted = 0;
    this.refused = 0;
    this.errorCode = null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.fail('GW_BAD_JSON', `frame: expected JSON, got ${describeValue(text)}`, 0);
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (list.length === 0 || list.length > 10_000) return this.fail('GW_FEED_BAD_FRAME', `frame: expected 1-10000 records, got ${list.length}`, 0);
    const recvNs = this.clock.nowNs();
    for (let i = 0; i < list.length; i++) {
      const r = jsonRecord.safeParse(list[i]);
      if (!r.success) return this.fail('GW_FEED_BAD_FRAME', describeIssue(list[i], i), i);
      const d = r.data;
      const entry = this.intern(d.venue, d.symbol);
      if (entry === undefined) return this.fail('GW_FEED_BAD_FRAME', `record ${i}: expected at most ${MAX_SYMBOLS_PER_CONNECTION} symbols per connection`, i);
      if (d.seq <= entry.lastSeq) return this.fail('GW_FEED_STALE_SEQ', `record ${i}.seq: expected > ${entry.lastSeq} for ${entry.venue} ${entry.symbol}, got ${d.seq}`, i);
      const m = this.msg;
      m.venue = entry.venue;
      m.symbol = entry.symbol;
      m.seq = d.seq;
      m.exchTsUs = d.tsUs;
      m.recvNs = recvNs;
      let ok: boolean;
      if (d.type === 'ticker') ok = this.ticker(entry, d.bidPx, d.bidQty, d.askPx, d.askQty, i);
      else if (d.type === 'trade') ok = this.trade(entry, d.px, d.qty, WireSide[d.side], i);
      else ok = this.book(entry, WireSide[d.side], d.level, d.px, d.qty, i);
      if (!ok) return false;
    }
    return true;
  }

  private ticker(e: SymbolEntry, bidPx: number, bidQty: number, askPx: number, askQty: number, rec: number): boolean {
    if (!(bidPx >= 0 && bidQty >= 0 && askPx >= 0 && askQty >= 0)) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}: ticker prices and quantities expected safe integers >= 0, got ${bidPx}/${bidQty}/${askPx}/${askQty}`, rec);
    if (bidPx > 0 && askPx > 0 && bidPx > askPx) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}: expected bidPx <= askPx, got ${bidPx} > ${askPx}`, rec);
    const m = this.msg;
    m.kind = 'ticker';
    m.topic = e.topicTicker;
    m.bidPx = bidPx;
    m.bidQty = bidQty;
    m.askPx = askPx;
    m.askQty = askQty;
    m.px = 0;
    m.qty = 0;
    m.side = '';
    m.level = 0;
    return this.deliver(e, 'ticker');
  }

  private trade(e: SymbolEntry, px: number, qty: number, side: number, rec: number): boolean {
    if (!(px >= 1 && qty >= 1)) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}: trade px and qty expected safe integers >= 1, got ${px}/${qty}`, rec);
    if (side !== WireSide.buy && side !== WireSide.sell) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}.side: expected 1 (buy) or 2 (sell), got ${side}`, rec);
    const m = this.msg;
    m.kind = 'trade';
    m.topic = e.topicTrade;
    m.bidPx = 0;
    m.bidQty = 0;
    m.askPx = 0;
    m.askQty = 0;
    m.px = px;
    m.qty = qty;
    m.side = side === WireSide.buy ? 'buy' : 'sell';
    m.level = 0;
    return this.deliver(e, 'trade');
  }

  private book(e: SymbolEntry, side: number, level: number, px: number, qty: number, rec: number): boolean {
    if (side !== WireSide.buy && side !== WireSide.sell) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}.side: expected 1 (buy) or 2 (sell), got ${side}`, rec);
    if (!(px >= 1 && qty >= 0)) return this.fail('GW_FEED_BAD_FRAME', `record ${rec}: book px expected a safe integer >= 1 and qty >= 0, got ${px}/${qty}`, rec);
    const m = this.msg;
    m.kind = 'book';
    m.topic = e.topicBook;
    m.bidPx = 0;
    m.bidQty = 0;
    m.askPx = 0;
    m.askQty = 0;
    m.px = px;
    m.qty = qty;
    m.side = side === WireSide.buy ? 'buy' : 'sell';
    m.level = level;
    return this.deliver(e, 'book');
  }

  private deliver(e: SymbolEntry, kind: MarketDataKind): boolean {
    e.lastSeq = this.msg.seq;
    if (this.sink(this.msg)) {
      this.accepted++;
      this.counts[kind]++;
    } else {
      this.refused++;
    }
    return true;
  }

  private announce(u: Uint8Array, o: number, len: number, venueId: number, symbolId: number, rec: number): number {
    // any announce may rebind an id: forget the cached lookup
    this.lastEntry = undefined;
    if (len - o < HEADER_BYTES + 2) return this.failN('GW_FEED_BAD_FRAME', `record ${rec}: expected an announce body, got ${len - o - HEADER_BYTES} bytes`, rec);
    const kind = u[o + 24]!;
    const n = u[o + 25]!;
    if (n < 1 || n > 64) return this.failN('GW_FEED_BAD_FRAME', `record ${rec}.len: expected 1-64, got ${n}`, rec);
    if (len - o < HEADER_BYTES + 2 + n) return this.failN('GW_FEED_BAD_FRAME', `record ${rec}: expected ${n} name bytes, got ${len - o - HEADER_BYTES - 2}`, rec);
    let name = '';
    for (let i = 0; i < n; i++) name += String.fromCharCode(u[o + 26 + i]!);
    if (kind === AnnounceKind.venue) {
      if (!NAME.test(name)) return this.failN('GW_FEED_BAD_FRAME', `record ${rec}.venue: expected 1-32 characters [A-Za-z0-9_.-], got ${JSON.stringify(name)}`, rec);
      this.venues[venueId] = name;
      // a renamed venue invalidates its symbols' topics
      this.symbols[venueId]?.clear();
    } else if (kind === AnnounceKind.symbol) {
      const venue = this.venues[venueId];
      if (venue === undefined) return this.failN('GW_FEED_UNKNOWN_SYMBOL', `record ${rec}: venue id ${venueId} must be announced before its symbols`, rec);
      if (!SYMBOL.test(name)) return this.failN('GW_FEED_BAD_FRAME', `record ${rec}.symbol: expected BASE/QUOTE of [A-Za-z0-9_.-], got ${JSON.stringify(name)}`, rec);
      let m = this.symbols[venueId];
      if (m === undefined) m = this.symbols[venueId] = new Map();
      if (!m.has(symbolId) && this.symbolCount >= MAX_SYMBOLS_PER_CONNECTION) return this.failN('GW_FEED_BAD_FRAME', `record ${rec}: expected at most ${MAX_SYMBOLS_PER_CONNECTION} symbols per connection`, rec);
      if (!m.has(symbolId)) this.symbolCount++;
      m.set(symbolId, entryFor(venue, name));
    } else {
      return this.failN('GW_FEED_BAD_FRAME', `record ${rec}.kind: expected 1 (venue) or 2 (symbol), got ${kind}`, rec);
    }
    return o + HEADER_BYTES + 2 + n;
  }

  /** JSON records name venue and symbol directly: intern them under synthetic ids. */
  private readonly jsonEntries = new Map<string, SymbolEntry>();
  private intern(venue: string, symbol: string): SymbolEntry | undefined {
    const key = `${venue}\u0000${symbol}`;
    let e = this.jsonEntries.get(key);
    if (e === undefined) {
      if (this.jsonEntries.size + this.symbolCount >= MAX_SYMBOLS_PER_CONNECTION) return undefined;
      e = entryFor(venue, symbol);
      this.jsonEntries.set(key, e);
    }
    return e;
  }

  private fail(code: GwCode, message: string, rec: number): false {
    this.errorCode = code;
    this.errorMessage = message;
    this.errorRecord = rec;
    return false;
  }

  private failN(code: GwCode, message: string, rec: number): -1 {
    this.fail(code, message, rec);
    return -1;
  }
}

function entryFor(venue: string, symbol: string): SymbolEntry {
  return { venue, symbol, topicTicker: `md.ticker.${venue}.${symbol}`, topicTrade: `md.trade.${venue}.${symbol}`, topicBook: `md.book.${venue}.${symbol}`, lastSeq: 0 };
}

const venueName = z.string().regex(NAME);
const symbolName = z.string().regex(SYMBOL);
const safe0 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const safe1 = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const base = { v: z.literal(FEED_VERSION), venue: venueName, symbol: symbolName, seq: safe1, tsUs: safe0 };

/** Schema of one JSON feed record (`{"v":1,"type":"ticker",...}`). */
export const jsonRecord = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('ticker'), bidPx: safe0, bidQty: safe0, askPx: safe0, askQty: safe0 }),
  z.strictObject({ ...base, type: z.literal('trade'), px: safe1, qty: safe1, side: z.enum(['buy', 'sell']) }),
  z.strictObject({ ...base, type: z.literal('book'), side: z.enum(['buy', 'sell']), level: z.number().int().min(0).max(65535), px: safe1, qty: safe0 }),
]);

/** Formats a bad JSON record the way `parseOptions` does (slow path: failures only). */
function describeIssue(record: unknown, i: number): string {
  try {
    parseOptions(jsonRecord, record, `records.${i}`);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
  }
  return `records.${i}: expected a feed record, got ${describeValue(record)}`;
}
