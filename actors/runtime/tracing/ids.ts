/**
 * Random W3C trace and span ids as lowercase hex, from a pool filled by `crypto.randomFillSync`
 * (one system call per 512 span ids instead of one `Math.random` per 32 bits). Never all zeros
 * (W3C forbids zero ids).
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function hex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const s = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return s;
}

/** 32 hex digits, not all zero. */
export function randomTraceId(): string {
  for (;;) {
    const s = hex(16);
    if (s !== ZERO_TRACE) return s;
  }
}

/** 16 hex digits, not all zero. */
export function randomSpanId(): string {
  for (;;) {
    const s = hex(8);
    if (s !== ZERO_SPAN) return s;
  }
}
