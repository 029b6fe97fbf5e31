/**
 * Random W3C trace and span ids as lowercase hex, from a pool filled by `crypto.randomFillSync`
 * (one system call and one hex conversion per 2048 span ids; an id is a slice of that hex string). Never all zeros
 * (W3C forbids zero ids).
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.allocUnsafe(16384);
/** The pool as 32-bit words (ids start at multiples of 8 bytes): a span id's bytes without parsing its hex. */
const POOL32 = new Int32Array(POOL.buffer, POOL.byteOffset, POOL.length >>> 2);
/**
 * The bytes of the span id {@link randomSpanId} returned last, as two 32-bit words in memory
 * order (write them back through an Int32Array over the destination's bytes, see
 * `otlp-encoder.ts`): a record keeps them, so its encoder copies the id instead of parsing hex.
 */
export const lastSpanIdWords = new Int32Array(2);
/** The bytes of the trace id {@link randomTraceId} returned last, as four 32-bit words in memory order. */
export const lastTraceIdWords = new Int32Array(4);

/** The pool as one hex string: an id is a slice of it (a V8 sliced string, no copy per id). */
let HEX = '';
let offset = POOL.length * 2;

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function hex(bytes: number): string {
  const n = bytes * 2;
  if (offset + n > HEX.length) {
    randomFillSync(POOL);
    HEX = POOL.toString('hex');
    offset = 0;
  }
  const s = HEX.slice(offset, offset + n);
  offset += n;
  return s;
}

/** 32 hex digits, not all zero; its bytes are left in {@link lastTraceIdWords}. */
export function randomTraceId(): string {
  for (;;) {
    const s = hex(16);
    if (s === ZERO_TRACE) continue;
    const w = (offset - 32) >>> 3; // hex digits → 32-bit words
    lastTraceIdWords[0] = POOL32[w]!;
    lastTraceIdWords[1] = POOL32[w + 1]!;
    lastTraceIdWords[2] = POOL32[w + 2]!;
    lastTraceIdWords[3] = POOL32[w + 3]!;
    return s;
  }
}

/** 16 hex digits, not all zero; its bytes are left in {@link lastSpanIdWords}. */
export function randomSpanId(): string {
  for (;;) {
    const s = hex(8);
    if (s === ZERO_SPAN) continue;
    const w = (offset - 16) >>> 3; // hex digits → 32-bit words
    lastSpanIdWords[0] = POOL32[w]!;
    lastSpanIdWords[1] = POOL32[w + 1]!;
    return s;
  }
}

