import { FeedEncodeError } from './errors.js';

/**
 * The compact binary frame format of `/feed` (version 1). All integers little-endian. A WebSocket
 * binary message carries one or more records back to back; every record starts with the same
 * 24-byte header and its length follows from its type:
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | u8 | version = 1 |
 * | 1 | u8 | type: 1 announce, 2 ticker, 3 trade, 4 book level |
 * | 2 | u16 | venue id (interned by an announce) |
 * | 4 | u32 | symbol id (interned by an announce) |
 * | 8 | u64 | seq (≤ 2^53−1, strictly increasing per venue+symbol; 0 for announce) |
 * | 16 | i64 | exchange timestamp, µs since the Unix epoch (≥ 0) |
 *
 * Bodies (from offset 24): ticker = bidPx i64, bidQty i64, askPx i64, askQty i64 (56 bytes in all);
 * trade = px i64, qty i64, side u8 (1 buy, 2 sell), 7 reserved zero bytes (48); book = side u8,
 * reserved u8, level u16, reserved u32, px i64, qty i64 (48; qty 0 deletes the level);
 * announce = kind u8 (1 venue name for the header's venue id, 2 symbol name for venue id +
 * symbol id), len u8 (1–64), then len ASCII bytes (24 + 2 + len bytes).
 * Prices are integer ticks, quantities integer lots; every i64 must be a safe integer.
 */
export const FEED_VERSION = 1;
/** Record types. */
export const FeedType = Object.freeze({ announce: 1, ticker: 2, trade: 3, book: 4 });
/** Announce kinds. */
export const AnnounceKind = Object.freeze({ venue: 1, symbol: 2 });
/** Header size in bytes. */
export const HEADER_BYTES = 24;
/** Size of each fixed-size record type. */
export const RECORD_BYTES = Object.freeze({ ticker: 56, trade: 48, book: 48 });
/** Side codes on the wire. */
export const WireSide = Object.freeze({ buy: 1, sell: 2 });

const TWO32 = 4294967296;
const MAX = Number.MAX_SAFE_INTEGER;

/** Reads a little-endian i64 as a number; returns NaN when it is not a safe integer. */
export function readI64(dv: DataView, o: number): number {
  const v = dv.getInt32(o + 4, true) * TWO32 + dv.getUint32(o, true);
  return v > MAX || v < -MAX ? NaN : v;
}

/**
 * The i64 held in two little-endian 32-bit words `w[i]` (low) and `w[i + 1]` (high, signed) as a
 * number; NaN when it is not a safe integer. The decoder reads records as words.
 */
export function i64Words(w: Int32Array, i: number): number {
  const v = w[i + 1]! * TWO32 + (w[i]! >>> 0);
  return v > MAX || v < -MAX ? NaN : v;
}

/** Writes a safe integer as a little-endian i64. */
export function writeI64(dv: DataView, o: number, v: number): void {
  if (!Number.isSafeInteger(v)) throw new FeedEncodeError(`feed: expected a safe integer, got ${String(v)}`);
  const hi = Math.floor(v / TWO32);
  dv.setUint32(o, v - hi * TWO32, true);
  dv.setInt32(o + 4, hi, true);
}

function header(dv: DataView, o: number, type: number, venueId: number, symbolId: number, seq: number, tsUs: number): void {
  if (!Number.isInteger(venueId) || venueId < 0 || venueId > 0xffff) throw new FeedEncodeError(`feed: venueId expected an integer 0-65535, got ${String(venueId)}`);
  if (!Number.isInteger(symbolId) || symbolId < 0 || symbolId > 0xffffffff) throw new FeedEncodeError(`feed: symbolId expected a u32, got ${String(symbolId)}`);
  dv.setUint8(o, FEED_VERSION);
  dv.setUint8(o + 1, type);
  dv.setUint16(o + 2, venueId, true);
  dv.setUint32(o + 4, symbolId, true);
  writeI64(dv, o + 8, seq);
  writeI64(dv, o + 16, tsUs);
}

/**
 * Writes feed records into a caller-owned buffer (producers, tests, the benchmark). Each method
 * writes at `offset` and returns the offset after the record, so frames can batch records.
 */
export const feedEncoder = {
  /** Announces the name of `venueId` (ASCII, 1–64 bytes). */
  announceVenue(dv: DataView, offset: number, venueId: number, venue: string): number {
    return announce(dv, offset, AnnounceKind.venue, venueId, 0, venue);
  },
  /** Announces the symbol name of `symbolId` on `venueId` (ASCII, 1–64 bytes). */
  announceSymbol(dv: DataView, offset: number, venueId: number, symbolId: number, symbol: string): number {
    return announce(dv, offset, AnnounceKind.symbol, venueId, symbolId, symbol);
  },
  /** Best bid/ask. */
  ticker(dv: DataView, o: number, venueId: number, symbolId: number, seq: number, tsUs: number, bidPx: number, bidQty: number, askPx: number, askQty: number): number {
    header(dv, o, FeedType.ticker, venueId, symbolId, seq, tsUs);
    writeI64(dv, o + 24, bidPx);
    writeI64(dv, o + 32, bidQty);
    writeI64(dv, o + 40, askPx);
    writeI64(dv, o + 48, askQty);
    return o + RECORD_BYTES.ticker;
  },
  /** A trade print; side is the aggressor. */
  trade(dv: DataView, o: number, venueId: number, symbolId: number, seq: number, tsUs: number, px: number, qty: number, side: 'buy' | 'sell'): number {
    header(dv, o, FeedType.trade, venueId, symbolId, seq, tsUs);
    writeI64(dv, o + 24, px);
    writeI64(dv, o + 32, qty);
    dv.setUint8(o + 40, WireSide[side]);
    for (let i = 41; i < 48; i++) dv.setUint8(o + i, 0);
    return o + RECORD_BYTES.trade;
  },
  /** One order-book level (qty 0 deletes it). */
  book(dv: DataView, o: number, venueId: number, symbolId: number, seq: number, tsUs: number, side: 'buy' | 'sell', level: number, px: number, qty: number): number {
    header(dv, o, FeedType.book, venueId, symbolId, seq, tsUs);
    dv.setUint8(o + 24, WireSide[side]);
    dv.setUint8(o + 25, 0);
    dv.setUint16(o + 26, level, true);
    dv.setUint32(o + 28, 0, true);
    writeI64(dv, o + 32, px);
    writeI64(dv, o + 40, qty);
    return o + RECORD_BYTES.book;
  },
};

function announce(dv: DataView, o: number, kind: number, venueId: number, symbolId: number, name: string): number {
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) throw new FeedEncodeError(`feed: announce name expected 1-64 printable ASCII characters, got ${JSON.stringify(name)}`);
  header(dv, o, FeedType.announce, venueId, symbolId, 0, 0);
  dv.setUint8(o + 24, kind);
  dv.setUint8(o + 25, name.length);
  for (let i = 0; i < name.length; i++) dv.setUint8(o + 26 + i, name.charCodeAt(i));
  return o + HEADER_BYTES + 2 + name.length;
}
