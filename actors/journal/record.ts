import { crc32c } from './crc32c.js';

/**
 * Record layout on disk (little-endian):
 *
 * | bytes | field |
 * | --- | --- |
 * | 0..3 | u32 payload length `n` (> 0) |
 * | 4..7 | u32 CRC-32C of the payload bytes |
 * | 8..8+n | payload: UTF-8 JSON `{"s":seq,"t":epochMs,"k":type,"d":data}` |
 */
export const RECORD_HEADER_BYTES = 8;

/** A decoded journal record. */
export interface JournalRecord {
  /** Sequence number: 1, 2, 3, ... with no gaps across segments and restarts. */
  seq: number;
  /** Wall-clock time of the append, ms since the epoch (monotonic time does not survive restarts). */
  tMs: number;
  /** Record type, e.g. `order.submit`. */
  type: string;
  /** JSON-safe body (bigints as decimal strings). */
  data: unknown;
}

/** Encodes one record (header + payload) into a new buffer. */
export function encodeRecord(seq: number, tMs: number, type: string, data: unknown): Buffer {
  return encodeRecordText(seq, tMs, type, JSON.stringify(data ?? null));
}

/**
 * {@link encodeRecord} for a body already rendered as JSON text (`dataJson`, what
 * `JSON.stringify(data)` gives): the hot record types render their body without building the
 * generic object first (see `orderEventText`); the bytes are the same.
 */
export function encodeRecordText(seq: number, tMs: number, type: string, dataJson: string): Buffer {
  const json = `{"s":${seq},"t":${tMs},"k":${typeText(type)},"d":${dataJson}}`;
  const n = Buffer.byteLength(json);
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + n);
  buf.write(json, RECORD_HEADER_BYTES, 'utf8');
  buf.writeUInt32LE(n, 0);
  buf.writeUInt32LE(crc32c(buf, 0, RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + n), 4);
  return buf;
}

/**
 * {@link encodeRecordText} into `buf` at `off` (which must have room for
 * `RECORD_HEADER_BYTES + 3 × the JSON text's length`, the most UTF-8 can need): the journal's
 * group commit encodes a turn's records one after the other into one reused buffer. Returns the
 * payload's length `n` (the record is `RECORD_HEADER_BYTES + n` bytes); the bytes are those of
 * {@link encodeRecordText}.
 */
export function encodeRecordInto(buf: Buffer, off: number, seq: number, tMs: number, type: string, dataJson: string): number {
  const json = `{"s":${seq},"t":${tMs},"k":${typeText(type)},"d":${dataJson}}`;
  const start = off + RECORD_HEADER_BYTES;
  const n = buf.write(json, start, 'utf8');
  buf.writeUInt32LE(n, off);
  buf.writeUInt32LE(crc32c(buf, 0, start, start + n), off + 4);
  return n;
}

/** The most bytes {@link encodeRecordInto} can need for a body of `dataJsonLength` UTF-16 units (and a short type). */
export function maxRecordBytes(type: string, dataJsonLength: number): number {
  // `{"s":<≤16>,"t":<≤24>,"k":<type>,"d":<data>}`: 19 fixed characters, the numbers, the type text.
  return RECORD_HEADER_BYTES + 3 * (64 + type.length * 6 + dataJsonLength);
}

/** Splits `bytes` (whole records, back to back) into one fresh buffer per record (a copy). */
export function splitRecords(bytes: Buffer): Buffer[] {
  const copy = Buffer.from(bytes);
  const out: Buffer[] = [];
  for (let off = 0; off < copy.length; ) {
    const end = off + RECORD_HEADER_BYTES + copy.readUInt32LE(off);
    out.push(copy.subarray(off, end));
    off = end;
  }
  return out;
}

/** `JSON.stringify(type)` of the record types seen so far (a handful): no string built per record. */
const TYPE_TEXT = new Map<string, string>();
function typeText(type: string): string {
  let t = TYPE_TEXT.get(type);
  if (t === undefined) {
    t = JSON.stringify(type);
    if (TYPE_TEXT.size < 64) TYPE_TEXT.set(type, t);
  }
  return t;
}

/** Outcome of decoding at one offset: a record and its byte size, or why the bytes are not one. */
export type DecodeResult = { ok: true; record: JournalRecord; bytes: number } | { ok: false; reason: string; torn: boolean };

/**
 * Decodes the record at `off` of `buf` (the valid bytes end at `end`). `torn` marks failures a
 * partial write explains (header or payload cut short by the end of the file).
 */
export function decodeRecordAt(buf: Buffer, off: number, end: number, maxRecordBytes: number): DecodeResult {
  if (end - off < RECORD_HEADER_BYTES) return { ok: false, reason: `short header (${end - off} of 8 bytes)`, torn: true };
  const n = buf.readUInt32LE(off);
  if (n === 0) return { ok: false, reason: 'zero length', torn: false };
  if (n > maxRecordBytes) return { ok: false, reason: `length ${n} exceeds maxRecordBytes ${maxRecordBytes}`, torn: false };
  if (off + RECORD_HEADER_BYTES + n > end) return { ok: false, reason: `length ${n} beyond end of file`, torn: true };
  const crc = buf.readUInt32LE(off + 4);
  const start = off + RECORD_HEADER_BYTES;
  if (crc32c(buf, 0, start, start + n) !== crc) return { ok: false, reason: 'crc mismatch', torn: false };
  let p: unknown;
  try {
    p = JSON.parse(buf.toString('utf8', start, start + n));
  } catch {
    return { ok: false, reason: 'payload is not JSON', torn: false };
  }
  const o = p as { s?: unknown; t?: unknown; k?: unknown; d?: unknown };
  if (o === null || typeof o !== 'object' || !Number.isSafeInteger(o.s) || (o.s as number) < 1 || typeof o.t !== 'number' || typeof o.k !== 'string') {
    return { ok: false, reason: 'payload lacks seq/time/type', torn: false };
  }
  return { ok: true, record: { seq: o.s as number, tMs: o.t, type: o.k, data: o.d }, bytes: RECORD_HEADER_BYTES + n };
}
