import { Bot4Error } from '../common/errors.js';

/**
 * Codes of the gateway wire protocol. They travel inside replies (`{ ok: false, error: { code } }`)
 * and are never thrown as exceptions: a bad frame is a reply, not a crash. Stable and never reused;
 * every one is documented in docs/errors.md.
 */
export const GW_CODES = [
  'GW_BAD_JSON',
  'GW_BAD_FRAME',
  'GW_BAD_REQUEST',
  'GW_UNSUPPORTED_VERSION',
  'GW_UNKNOWN_OP',
  'GW_AUTH_FAILED',
  'GW_UNAUTHENTICATED',
  'GW_FORBIDDEN',
  'GW_RATE_LIMITED',
  'GW_TOO_MANY_SUBSCRIPTIONS',
  'GW_TOO_MANY_INFLIGHT',
  'GW_BAD_TOPIC',
  'GW_ENGINE_ERROR',
  'GW_TIMEOUT',
  'GW_INTERNAL',
  'GW_FEED_BAD_FRAME',
  'GW_FEED_UNKNOWN_SYMBOL',
  'GW_FEED_STALE_SEQ',
  'GW_FEED_REJECTED',
  'GW_AUTH_THROTTLED',
  'GW_AUTH_TIMEOUT',
  'GW_TOO_MANY_AUTH_FAILURES',
  'GW_ADMIN_SLOT',
  'GW_TOO_MANY_CONNECTIONS',
  'GW_TOO_MANY_CONNECTIONS_PER_IP',
  'GW_ORIGIN_FORBIDDEN',
  'GW_HOST_FORBIDDEN',
  'GW_TOKEN_IN_URL',
] as const;

/** One gateway protocol error code. */
export type GwCode = (typeof GW_CODES)[number];

/** The error object carried by a failed reply. */
export interface GwErrorBody {
  /** Stable protocol code (`GW_*`). */
  code: GwCode;
  /** Human-readable message; for GW_BAD_REQUEST it names field, expectation and value. */
  message: string;
  /** Offending field path (`args.priceTicks`) when the error is about one field. */
  field?: string;
  /** Extra structured details (engine error code, record index of a feed batch...). */
  details?: Record<string, unknown>;
}

/**
 * Codes of warnings the gateway logs (field `code` of the log record): conditions that are allowed
 * but unsafe, so an operator can alert on them.
 */
export const GW_WARNINGS = Object.freeze({
  /** Bound to a non-loopback address without TLS: tokens and orders travel in clear text. */
  plaintextPublic: 'B4_GATEWAY_PLAINTEXT_PUBLIC',
} as const);

/** Base class of gateway exceptions (configuration and lifecycle problems, never protocol errors). */
export class GatewayError extends Bot4Error {}

/** The server could not bind its host/port (in use, permission, bad address). */
export class GatewayListenError extends GatewayError {
  static readonly code = 'B4_GATEWAY_LISTEN_FAILED';
  constructor(host: string, port: number) {
    super(GatewayListenError.code, `gateway: could not listen on ${host}:${port} (address in use, not permitted or not local)`, { host, port });
  }
}

/** `start()` called twice, or a method that needs a running server called on a stopped one. */
export class GatewayStateError extends GatewayError {
  static readonly code = 'B4_GATEWAY_STATE';
  constructor(message: string) {
    super(GatewayStateError.code, message);
  }
}

/** The native uWebSockets.js binary did not load and `requireNativeUws` is set. */
export class GatewayNativeError extends GatewayError {
  static readonly code = 'B4_GATEWAY_NATIVE_MISSING';
  constructor(detail: string) {
    super(GatewayNativeError.code, `gateway: the native uWebSockets.js binary did not load (${detail}); refusing the slow JS fallback`, { detail });
  }
}

/** A TLS certificate or key file named in the options could not be read. */
export class GatewayTlsError extends GatewayError {
  static readonly code = 'B4_GATEWAY_TLS';
  constructor(file: string, cause: unknown) {
    super(GatewayTlsError.code, `gateway.tls: cannot read ${JSON.stringify(file)}`, { file }, { cause });
  }
}

/** A feed frame could not be encoded (client-side helper given an out-of-range value). */
export class FeedEncodeError extends GatewayError {
  static readonly code = 'B4_GATEWAY_FEED_ENCODE';
  constructor(message: string) {
    super(FeedEncodeError.code, message);
  }
}
