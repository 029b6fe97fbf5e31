/**
 * Reading one WebSocket API request frame (`{"id":…,"method":…,"params":{…}}`) into what the hub
 * needs: the id as JSON text (echoed verbatim), the method, the parameters as strings and the
 * signed payload (Binance's WS-API signing string: every parameter but `signature`, sorted by name,
 * `k=v` joined by `&`, values by `String()`).
 *
 * {@link scanFrame} reads the frames order-entry clients send (what `JSON.stringify` writes: no
 * whitespace, flat `params` of strings, plain integers and booleans, printable ASCII without escapes)
 * in one pass over the text, without building the parsed object, its key list or a sorted copy when
 * the names arrive sorted (ccxt and Binance's own clients sort them to sign). Anything else — an
 * escape, whitespace, a nested value, a float, a duplicate name, non-ASCII — returns `null` and
 * {@link parseFrame} (`JSON.parse`) answers: the scan is a shortcut, never a second dialect. Both
 * give the same result wherever the scan answers (property test in test/unit/simulators/wire).
 */
import type { Params } from './order-params.js';

/** A request frame as the hub uses it. */
export interface Frame {
  /** The request id rendered as JSON (`null` when absent). */
  id: string;
  method: unknown;
  /** Parameters present and not null, as `String(value)`. */
  params: Params;
  /** The signing payload over every parameter but `signature` (undefined ones as `undefined`, null ones as `null`). */
  payload: string;
  /** Whether the frame had a `params` object. */
  hasParams: boolean;
}

const Q = 0x22; // "
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
/** Longest integer taken as is: up to 15 digits `String(Number(x))` gives back `x`. */
const MAX_DIGITS = 15;

/** A character a plain frame may not hold anywhere: a backslash (escapes), a control character or anything beyond ASCII. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the plain form excludes
const NOT_PLAIN = /[\\\x00-\x1f\x7f-\uffff]/;

/**
 * Parameter names the venue reads, by length. A name in a frame that is one of them is used as this
 * constant string (its hash computed once, so the map operations do not hash a fresh slice).
 */
const KNOWN_BY_LENGTH: string[][] = [];
for (const k of ['apiKey', 'fromId', 'limit', 'newClientOrderId', 'newOrderRespType', 'omitZeroBalances', 'orderId', 'origClientOrderId', 'price', 'quantity', 'quoteOrderQty', 'recvWindow', 'selfTradePreventionMode', 'side', 'signature', 'symbol', 'symbols', 'timeInForce', 'timestamp', 'traceparent', 'type']) {
  (KNOWN_BY_LENGTH[k.length] ??= []).push(k);
}

/** The name in `s` between `a` and `b`: a known name's constant, else a slice. */
function nameAt(s: string, a: number, b: number): string {
  const list = KNOWN_BY_LENGTH[b - a];
  if (list !== undefined) for (let i = 0; i < list.length; i++) if (s.startsWith(list[i]!, a)) return list[i]!;
  return s.slice(a, b);
}

/** Index of the closing quote of a string whose opening quote is just before `i` (the frame is known to be plain); -1 if none. */
function plainString(s: string, i: number): number {
  return s.indexOf('"', i);
}

/** End (exclusive) of a canonical integer at `i` (`0` or `-`? then 1–15 digits without a leading zero); -1 otherwise. */
function plainInt(s: string, i: number): number {
  let j = i;
  if (s.charCodeAt(j) === 0x2d) j++;
  const start = j;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) break;
    j++;
  }
  const n = j - start;
  if (n === 0 || n > MAX_DIGITS) return -1;
  if (n > 1 && s.charCodeAt(start) === 0x30) return -1;
  // `-0` prints as `0`: leave it to JSON.parse.
  if (n === 1 && s.charCodeAt(start) === 0x30 && start !== i) return -1;
  const c = s.charCodeAt(j);
  // a fraction or exponent: not an integer
  if (c === 0x2e || c === 0x65 || c === 0x45) return -1;
  return j;
}

/** The frame read in one pass, or `null` when it is not in the plain form (then use {@link parseFrame}). */
export function scanFrame(s: string): Frame | null {
  if (s.charCodeAt(0) !== LBRACE || NOT_PLAIN.test(s)) return null;
  let i = 1;
  let id: string | undefined;
  let method: string | undefined;
  let params: Params | undefined;
  let payload = '';
  let sorted = true;
  let names: string[] | undefined;
  if (s.charCodeAt(i) === RBRACE) return i + 1 === s.length ? { id: 'null', method: undefined, params: new Map(), payload: '', hasParams: false } : null;
  for (;;) {
    if (s.charCodeAt(i) !== Q) return null;
    const ke = plainString(s, i + 1);
    if (ke < 0 || s.charCodeAt(ke + 1) !== COLON) return null;
    const key = s.slice(i + 1, ke);
    i = ke + 2;
    const c = s.charCodeAt(i);
    if (key === 'params') {
      if (params !== undefined || c !== LBRACE) return null;
      params = new Map();
      i++;
      let last = '';
      if (s.charCodeAt(i) === RBRACE) i++;
      else {
        for (;;) {
          if (s.charCodeAt(i) !== Q) return null;
          const pe = plainString(s, i + 1);
          if (pe < 0 || s.charCodeAt(pe + 1) !== COLON) return null;
          const name = nameAt(s, i + 1, pe);
          if (params.has(name)) return null;
          i = pe + 2;
          const vc = s.charCodeAt(i);
          let value: string;
          if (vc === Q) {
            const ve = plainString(s, i + 1);
            if (ve < 0) return null;
            value = s.slice(i + 1, ve);
            i = ve + 1;
          } else if ((vc >= 0x30 && vc <= 0x39) || vc === 0x2d) {
            const ve = plainInt(s, i);
            if (ve < 0) return null;
            value = s.slice(i, ve);
            i = ve;
          } else if (s.startsWith('true', i)) {
            value = 'true';
            i += 4;
          } else if (s.startsWith('false', i)) {
            value = 'false';
            i += 5;
          } else {
            return null;
          }
          params.set(name, value);
          if (name !== 'signature') {
            if (sorted && payload.length !== 0 && !(last < name)) sorted = false;
            if (sorted) {
              payload += payload.length === 0 ? `${name}=${value}` : `&${name}=${value}`;
              last = name;
            }
          }
          const sep = s.charCodeAt(i);
          i++;
          if (sep === RBRACE) break;
          if (sep !== COMMA) return null;
        }
      }
      if (!sorted) names = [...params.keys()].sort();
    } else if (key === 'id') {
      if (id !== undefined) return null;
      if (c === Q) {
        const e = plainString(s, i + 1);
        if (e < 0) return null;
        id = s.slice(i, e + 1);
        i = e + 1;
      } else if (s.startsWith('null', i)) {
        id = 'null';
        i += 4;
      } else {
        const e = plainInt(s, i);
        if (e < 0) return null;
        id = s.slice(i, e);
        i = e;
      }
    } else if (key === 'method') {
      if (method !== undefined || c !== Q) return null;
      const e = plainString(s, i + 1);
      if (e < 0) return null;
      method = s.slice(i + 1, e);
      i = e + 1;
    } else {
      return null;
    }
    const sep = s.charCodeAt(i);
    i++;
    if (sep === RBRACE) break;
    if (sep !== COMMA) return null;
  }
  if (i !== s.length) return null;
  if (params === undefined) return { id: id ?? 'null', method, params: new Map(), payload: '', hasParams: false };
  if (names !== undefined) {
    payload = '';
    for (const k of names) if (k !== 'signature') payload += payload.length === 0 ? `${k}=${params.get(k)!}` : `&${k}=${params.get(k)!}`;
  }
  return { id: id ?? 'null', method, params, payload, hasParams: true };
}

/** The frame by `JSON.parse` (any valid JSON); `null` when the text is not JSON. */
export function parseFrame(text: string): Frame | null {
  let req: { id?: unknown; method?: unknown; params?: unknown };
  try {
    req = JSON.parse(text) as typeof req;
  } catch {
    return null;
  }
  if (typeof req !== 'object' || req === null) req = {};
  // The id is echoed verbatim; rendered once, spliced into the reply template.
  const id = JSON.stringify(req.id ?? null);
  const hasParams = typeof req.params === 'object' && req.params !== null;
  const raw = (hasParams ? req.params : {}) as Record<string, unknown>;
  // One pass over the sorted names builds both the parameter map and the signed payload.
  const p: Params = new Map();
  const names = Object.keys(raw).sort();
  let payload = '';
  for (let i = 0; i < names.length; i++) {
    const k = names[i]!;
    const v = raw[k];
    const text = String(v);
    if (v !== undefined && v !== null) p.set(k, text);
    if (k !== 'signature') payload += payload.length === 0 ? `${k}=${text}` : `&${k}=${text}`;
  }
  return { id, method: req.method, params: p, payload, hasParams };
}
