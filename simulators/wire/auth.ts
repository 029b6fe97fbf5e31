import { HmacSha256 } from '../../common/hmac.js';
import type { Rejection } from '../venue/matching-engine.js';
import { mandatory, type Params } from './order-params.js';

/** An API key pair and the account it trades for. */
export interface ApiUser {
  apiKey: string;
  apiSecret: string;
  account: string;
}

/** Binance's upper bound on `recvWindow`. */
export const MAX_RECV_WINDOW = 60_000;

const err = (code: number, msg: string, status: number): Rejection & { status: number } => ({ ok: false, code, msg, status });
/** The rejections of request signing, with the HTTP status Binance uses. */
export const AUTH_REJECT = {
  keyFormat: err(-2014, 'API-key format invalid.', 401),
  keyInvalid: err(-2015, 'Invalid API-key, IP, or permissions for action.', 401),
  signature: err(-1022, 'Signature for this request is not valid.', 400),
  ahead: err(-1021, "Timestamp for this request was 1000ms ahead of the server's time.", 400),
  outside: err(-1021, 'Timestamp for this request is outside of the recvWindow.', 400),
  recvWindow: err(-1131, 'recvWindow must be less than 60000', 400),
} as const;

/**
 * Secret → its prepared signer (`common/hmac.ts`), so the pads are made once per API secret, not
 * once per request. Bounded: a venue has a handful of API users; past the bound the cache is
 * simply cleared.
 */
const SIGNERS = new Map<string, HmacSha256>();
const MAX_SIGNERS = 1024;

/** Lowercase hex HMAC-SHA256 of `payload` (UTF-8) with `secret`. */
export function sign(secret: string, payload: string): string {
  let s = SIGNERS.get(secret);
  if (s === undefined) {
    if (SIGNERS.size >= MAX_SIGNERS) SIGNERS.clear();
    s = new HmacSha256(secret);
    SIGNERS.set(secret, s);
  }
  return s.hex(payload);
}

const HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Whether `signatureHex` (64 hex digits, either case) is the HMAC-SHA256 of `payload` with
 * `secret`. The comparison runs over all 64 digits with no early exit (the time does not depend on
 * where they differ). It compares the hex text rather than raw bytes because a hex digest is
 * cheaper in node:crypto than `digest()` plus a Buffer decode of the presented value (measured).
 */
export function verifyHmacHex(secret: string, payload: string, signatureHex: string): boolean {
  if (!HEX.test(signatureHex)) return false;
  const want = sign(secret, payload);
  let diff = 0;
  // `| 0x20` lowercases A-F and leaves 0-9 alone; only valid for hex digits, checked above.
  for (let i = 0; i < 64; i++) diff |= want.charCodeAt(i) ^ (signatureHex.charCodeAt(i) | 0x20);
  return diff === 0;
}

/**
 * Removes the `signature` parameter from a raw query/body string, returning the signed payload and
 * the signature (Binance signs `totalParams` = query string concatenated with the body).
 */
export function splitSignature(raw: string): { payload: string; signature: string | undefined } {
  const m = /(^|&)signature=([^&]*)/.exec(raw);
  if (m === null) return { payload: raw, signature: undefined };
  const before = raw.slice(0, m.index);
  const after = raw.slice(m.index + m[0].length);
  const payload = before.length > 0 && after.length > 0 ? before + after : before + after.replace(/^&/, '');
  // A malformed percent-escape is not a signature: it fails verification (-1022) like any wrong one.
  let signature: string;
  try {
    signature = decodeURIComponent(m[2]!);
  } catch {
    signature = m[2]!;
  }
  return { payload, signature };
}

/**
 * Checks a signed request like Binance: key present and known, `timestamp` and `signature`
 * present, HMAC matches, `recvWindow` <= 60000, and `timestamp < serverTime + 1000` and
 * `serverTime - timestamp <= recvWindow` (default 5000). Returns the user or the rejection.
 */
export function verifySigned(
  users: ReadonlyMap<string, ApiUser>,
  apiKey: string | undefined,
  params: Params,
  payload: string,
  signature: string | undefined,
  serverTime: number,
): ApiUser | (Rejection & { status: number }) {
  if (apiKey === undefined || apiKey === '') return AUTH_REJECT.keyFormat;
  const user = users.get(apiKey);
  if (user === undefined) return AUTH_REJECT.keyInvalid;
  const ts = params.get('timestamp');
  if (ts === undefined || !/^\d{1,16}$/.test(ts)) return { ...mandatory('timestamp'), status: 400 };
  if (signature === undefined || signature === '') return { ...mandatory('signature'), status: 400 };
  const rw = params.get('recvWindow');
  let recvWindow = 5000;
  if (rw !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(rw)) return { ...mandatory('recvWindow'), status: 400 };
    recvWindow = Number(rw);
    if (recvWindow > MAX_RECV_WINDOW) return AUTH_REJECT.recvWindow;
  }
  if (!verifyHmacHex(user.apiSecret, payload, signature)) return AUTH_REJECT.signature;
  const t = Number(ts);
  if (t >= serverTime + 1000) return AUTH_REJECT.ahead;
  if (serverTime - t > recvWindow) return AUTH_REJECT.outside;
  return user;
}

/** The WS-API signing payload: parameters except `signature`, sorted by name, `k=v` joined by `&`. */
export function wsApiPayload(params: Record<string, unknown>): string {
  const keys = Object.keys(params).sort();
  let s = '';
  for (const k of keys) {
    if (k === 'signature') continue;
    s += s.length === 0 ? `${k}=${String(params[k])}` : `&${k}=${String(params[k])}`;
  }
  return s;
}
