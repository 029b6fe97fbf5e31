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
