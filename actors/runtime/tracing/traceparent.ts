/**
 * W3C Trace Context `traceparent` values: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`.
 * Parsing is by position (55 characters) so checking a context costs no allocation.
 */

/** Length of a version-00 traceparent. */
export const TRACEPARENT_LENGTH = 55;

/** By char code below 128: 1 for a lowercase hex digit, 3 for a non-zero one, else 0. */
const HEX_CLASS = ((): Uint8Array => {
  const t = new Uint8Array(128);
  for (const c of '0123456789abcdef') t[c.charCodeAt(0)] = c === '0' ? 1 : 3;
  return t;
})();

/** True when `tp` is a well-formed version-00 traceparent with non-zero ids. */
export function isTraceparent(tp: string): boolean {
  // by hand: the regular expression was a visible share of a sampled order's trace cost; one
  // table load per character (a digit and whether it is non-zero), no branch per digit class
  if (tp.length !== TRACEPARENT_LENGTH || tp.charCodeAt(0) !== 48 || tp.charCodeAt(1) !== 48 || tp.charCodeAt(2) !== 45 || tp.charCodeAt(35) !== 45 || tp.charCodeAt(52) !== 45) return false;
  let all = 1;
  let trace = 0;
  for (let i = 3; i < 35; i++) {
    const c = tp.charCodeAt(i);
    const k = c < 128 ? HEX_CLASS[c]! : 0;
    all &= k;
    trace |= k;
  }
  let span = 0;
  for (let i = 36; i < 52; i++) {
    const c = tp.charCodeAt(i);
    const k = c < 128 ? HEX_CLASS[c]! : 0;
    all &= k;
    span |= k;
  }
  for (let i = 53; i < 55; i++) {
    const c = tp.charCodeAt(i);
    all &= c < 128 ? HEX_CLASS[c]! : 0;
  }
  return all === 1 && (trace & 2) !== 0 && (span & 2) !== 0;
}

/** True when the traceparent's `sampled` flag is set (cheap: no validation beyond the length). */
export function isSampled(tp: string): boolean {
  if (tp.length !== TRACEPARENT_LENGTH) return false;
  // flags are the last two hex digits; `sampled` is bit 0 of the low digit.
  const c = tp.charCodeAt(54);
  const v = c <= 57 ? c - 48 : c - 87;
  return (v & 1) === 1;
}

/** Trace id (32 hex) of a traceparent. */
export function traceIdOf(tp: string): string {
  return tp.slice(3, 35);
}

/** Span id (16 hex) of a traceparent. */
export function spanIdOf(tp: string): string {
  return tp.slice(36, 52);
}

/** Builds a traceparent. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/**
 * Context given to messages whose root was not sampled: valid, with the sampled flag clear, so
 * every descendant is consistently unsampled (parent-based) without generating random ids per
 * message. Its ids are fixed and carry no meaning.
 */
export const UNSAMPLED_TRACEPARENT = '00-b04b04b04b04b04b04b04b04b04b04b0-b04b04b04b04b04b-00';

/** By char code below 128: the nibble of a lowercase hex digit, {@link NOT_HEX} for anything else. */
const NIBBLE = ((): Int16Array => {
  const t = new Int16Array(128).fill(0x100);
  const d = '0123456789abcdef';
  for (let i = 0; i < 16; i++) t[d.charCodeAt(i)] = i;
  return t;
})();
const NOT_HEX = 0x100;

/** True on a little-endian host: a word's first byte in memory is its low byte. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Accumulates {@link NOT_HEX} over the digits {@link word} read (reset by {@link readTraceparent}). */
let notHex = 0;

function nib(tp: string, i: number): number {
  const c = tp.charCodeAt(i);
  const v = c < 128 ? NIBBLE[c]! : NOT_HEX;
  notHex |= v;
  return v & 15;
}

/** 8 hex digits from `at` as the 32-bit word of their 4 bytes in memory order (as an Int32Array over the bytes reads it). */
function word(tp: string, at: number): number {
  const b0 = (nib(tp, at) << 4) | nib(tp, at + 1);
  const b1 = (nib(tp, at + 2) << 4) | nib(tp, at + 3);
  const b2 = (nib(tp, at + 4) << 4) | nib(tp, at + 5);
  const b3 = (nib(tp, at + 6) << 4) | nib(tp, at + 7);
  return LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}

/**
 * Checks a traceparent as {@link isTraceparent} does and, when it is valid, leaves its ids'
 * bytes in `out` as 32-bit words in memory order (the form `ids.ts` draws ids in and the OTLP
 * encoder copies): the trace id at `out[at..at+3]`, the parent span id at `out[at+6..at+7]`
 * (`at+4..5` is the caller's, for the new span's id). One pass over the text, no allocation: a
 * context is read into bytes once, where it enters the tracer; on an invalid one `out` holds
 * garbage and the caller starts a new root instead.
 */
export function readTraceparent(tp: string, out: Int32Array, at: number): boolean {
  if (tp.length !== TRACEPARENT_LENGTH || tp.charCodeAt(0) !== 48 || tp.charCodeAt(1) !== 48 || tp.charCodeAt(2) !== 45 || tp.charCodeAt(35) !== 45 || tp.charCodeAt(52) !== 45) return false;
  notHex = 0;
  const t0 = word(tp, 3);
  const t1 = word(tp, 11);
  const t2 = word(tp, 19);
  const t3 = word(tp, 27);
  const p0 = word(tp, 36);
  const p1 = word(tp, 44);
  nib(tp, 53);
  nib(tp, 54);
  if ((notHex & NOT_HEX) !== 0 || (t0 | t1 | t2 | t3) === 0 || (p0 | p1) === 0) return false;
  out[at] = t0;
  out[at + 1] = t1;
  out[at + 2] = t2;
  out[at + 3] = t3;
  out[at + 6] = p0;
  out[at + 7] = p1;
  return true;
}
