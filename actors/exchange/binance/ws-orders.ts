/**
 * Binance adapter, order entry over the venue's WebSocket API (`/ws-api/v3`): `order.place` and
 * `order.cancel` on ONE persistent connection, pipelined (every request carries an integer id; a
 * pending map pairs each reply with its request, replies may arrive in any order), each request
 * signed per request like Binance's WebSocket API wants (HMAC-SHA256 over the parameters sorted by
 * name, `k=v` joined by `&`, hex), with exact decimal strings.
 *
 * Why not ccxt here: ccxt signs with its own JavaScript HMAC-SHA256 (noble-hashes) and builds the
 * request through several layers of generic code. Measured on this machine (loaded, 2 shared
 * cores; `bench/fixtures/sign-cost.ts` under `node --cpu-prof`, one `order.place` payload):
 * ccxt's `hmac(…, sha256, 'hex')` 13–22 µs per order and its whole REST `sign()` 17–28 µs, against
 * 3.1–3.2 µs for {@link signWsParams} (payload built and signed by `node:crypto` `createHmac` with a
 * prepared `KeyObject`, native OpenSSL; now `common/hmac.ts`: two one-shot `crypto.hash` calls
 * with the pads prepared once, no `Hmac` object per order). The profile's top self time is noble-hashes' sha256
 * `process` (16.5 %), then its `createView`, ccxt's rfc3986 encoding and UTF-8 `encode`; the
 * node:crypto signer is 1.5 %. At 15k orders/s ccxt's signing alone would take 20–40 % of a core.
 *
 * Outcomes, the same {@link FailureKind}s as REST (`client.ts` `classify`), so the venue actor
 * treats a WS reply exactly like a REST one:
 * - a reply with `status: 200` → the order's JSON (the same shape as REST's, parsed by the same code);
 * - an error reply → its Binance code decides: -1022/-2014/-2015 or HTTP 401 `auth`, -2010
 *   "Duplicate order" `duplicate`, -2011/-2013 `not-found`, 418/429 and -1003/-1015 `throttled`,
 *   -1001/-1007 and 5xx `unknown`, any other 4xx `rejected`;
 * - a request written to the socket that gets no reply within the request timeout, or whose
 *   connection closes before the reply → `unknown` (exactly like a REST timeout): the reconciler
 *   resolves it by client order id. Such a request is NEVER sent again (over WS or REST): only a
 *   request that was not written at all (the connection is not open) falls back to REST, by the
 *   caller ({@link BinanceWsOrders.send} returns `undefined` for it).
 *
 * Per request this file allocates the frame string, one pending record and the caller's promise;
 * timeouts are found by one sweep timer (not a timer per request), and the frames written in one
 * event-loop turn leave in one `writev` (the socket is corked until the turn's check phase).
 */
import WebSocket from 'ws';
import type { Clock, TimerHandle } from '../../../common/clock.js';
import { HmacSha256 } from '../../../common/hmac.js';
import { SpanKind, spanSink, type SpanAttributes } from '../../../common/span-sink.js';
import type { FailureKind } from '../adapter.js';
import { VenueCallError } from '../errors.js';
import type { Raw } from './client.js';

/** What the WebSocket order entry needs. */
export interface WsOrdersOptions {
  venue: string;
  /** WebSocket API URL (`wss://ws-api.binance.com:443/ws-api/v3`, or a simulator's `…/ws-api/v3`). */
  url: string;
  apiKey: string;
  secret: string;
  /** A request unanswered after this long (ms) has an unknown outcome. */
  timeoutMs: number;
  clock: Clock;
  /** `recvWindow` sent with every request (ms; Binance's default is 5000). */
  recvWindowMs?: number;
  /** Ceiling of the reconnect delay (ms); the delay starts at 50 ms and doubles. */
  reconnectCapMs?: number;
}

/** One request waiting for its reply. */
interface Pending {
  resolve: (r: Raw) => void;
  reject: (e: VenueCallError) => void;
  deadlineNs: number;
  method: string;
}

/** The failure kind of a WebSocket API error reply (`status`, Binance `code`, `msg`); mirrors `classify` for REST. */
export function wsFailureKind(status: number, code: number, msg: string): FailureKind {
  if (status === 401 || code === -1022 || code === -2014 || code === -2015) return 'auth';
  if (code === -2010 && /duplicate/i.test(msg)) return 'duplicate';
  if (code === -2011 || code === -2013) return 'not-found';
  if (status === 429 || status === 418 || code === -1003 || code === -1015) return 'throttled';
  if (code === -1001 || code === -1007 || status >= 500) return 'unknown';
  return 'rejected';
}

/** Lowercase hex HMAC-SHA256 of the sorted `k=v&…` payload of `params` (all but `signature`). */
export function signWsParams(key: HmacSha256, params: Record<string, string>): string {
  const names = Object.keys(params).sort();
  let payload = '';
  for (let i = 0; i < names.length; i++) {
    const k = names[i]!;
    if (k === 'signature') continue;
    payload += payload.length === 0 ? `${k}=${params[k]!}` : `&${k}=${params[k]!}`;
  }
  return key.hex(payload);
}

/** Order entry over one persistent WebSocket API connection (see the file header). */
export class BinanceWsOrders {
  private readonly key: HmacSha256;
  private readonly pending = new Map<number, Pending>();
  private ws: WebSocket | undefined;
  private nextId = 1;
  private running = false;
  private reconnectTimer: TimerHandle | undefined;
  private sweepTimer: TimerHandle | undefined;
  private reconnectMs = 50;
  private corked = false;
  private readonly recvWindow: string;
  private readonly reconnectCapMs: number;
  private readonly timeoutNs: number;
  /** Requests written to the socket / answered / ended `unknown` (timeout or disconnect): for tests and /metrics. */
  readonly figures = { sent: 0, answered: 0, unknown: 0, connects: 0 };

  constructor(private readonly o: WsOrdersOptions) {
    this.key = new HmacSha256(o.secret);
    this.recvWindow = String(o.recvWindowMs ?? 10_000);
    this.reconnectCapMs = o.reconnectCapMs ?? 1000;
    this.timeoutNs = o.timeoutMs * 1e6;
  }

  /** True while the connection is open: a request sent now is written to the socket. */
  get up(): boolean {
    return this.ws !== undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Requests awaiting their reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Opens the connection (and keeps it open, reconnecting after a close) until {@link close}. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /** Closes the connection for good; every pending request ends `unknown`. */
  close(): void {
    this.running = false;
    if (this.reconnectTimer !== undefined) this.o.clock.clearTimer(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
    this.failAll('connection closed by bot4');
  }

  /**
   * Signs and writes one request; resolves with its `result`. Returns `undefined` when the
   * connection is not open (nothing was written: the caller may use REST instead). Once written,
   * the request ends in its reply or in an `unknown` {@link VenueCallError}, never in a resend.
   */
  send(method: string, params: Record<string, string>): Promise<Raw> | undefined {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return undefined;
    params.apiKey = this.o.apiKey;
    params.recvWindow = this.recvWindow;
    params.timestamp = String(this.o.clock.epochMs());
    params.signature = signWsParams(this.key, params);
    const id = this.nextId++;
    const frame = `{"id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
    this.cork(ws);
    ws.send(frame);
    this.figures.sent++;
    const p = new Promise<Raw>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadlineNs: this.o.clock.nowNs() + this.timeoutNs, method });
    });
    this.armSweep();
    return p;
  }

  /**
   * {@link send} for one order, traced like the REST path's `traced`: with tracing on and
   * `traceparent` sampled, the request is a CLIENT span named after the method (`order.place`,
   * `order.cancel`; RPC semantic conventions: `rpc.system` `binance.ws-api`, `rpc.method`,
   * `server.address`/`server.port`, plus `bot4.venue` and `bot4.order.client_id`), child of
   * `traceparent` (the venue actor's span), and the signed `traceparent` parameter carries the
   * CLIENT span's context, so the simulator's SERVER span is its child. Unsampled or tracing
   * off: the parameter is `traceparent` itself (none when ''), and no span is made. The span ends
   * with the reply; an error reply or an unknown outcome ends it with status ERROR and
   * `error.type` (the {@link VenueCallError} kind). `undefined`: not written (as {@link send}).
   */
  sendTraced(method: string, params: Record<string, string>, traceparent: string, attributes?: SpanAttributes): Promise<Raw> | undefined {
    if (!this.up) return undefined;
    const sink = traceparent === '' ? undefined : spanSink('engine');
    const span = sink?.start(method, SpanKind.CLIENT, traceparent, attributes);
    if (span === undefined || !span.recording) return this.send(method, traceparent === '' ? params : { ...params, traceparent: span?.traceparent ?? traceparent });
    const url = new URL(this.o.url);
    span.setAttribute('rpc.system', 'binance.ws-api');
    span.setAttribute('rpc.method', method);
    span.setAttribute('server.address', url.hostname);
    span.setAttribute('server.port', Number(url.port || (url.protocol === 'wss:' ? 443 : 80)));
    span.setAttribute('bot4.venue', this.o.venue);
    const id = params.newClientOrderId ?? params.origClientOrderId;
    if (id !== undefined) span.setAttribute('bot4.order.client_id', id);
    const p = this.send(method, { ...params, traceparent: span.traceparent });
    if (p === undefined) {
      span.end('not sent: connection closed');
      return undefined;
    }
    return p.then(
      (r) => {
        span.end();
        return r;
      },
      (e: unknown) => {
        if (e instanceof VenueCallError) span.setAttribute('error.type', e.kind);
        span.end(e instanceof Error ? e.message : String(e));
        throw e;
      },
    );
  }

  /**
   * Frames written in this event-loop turn leave together in one `writev`: the socket is corked at
   * the first frame and uncorked in the turn's check phase (`setImmediate`, after the poll phase).
   * On loopback a socket write costs tens of µs of kernel time on this machine (the profile's
   * `writev`); one per order was a quarter of the engine's CPU at 3k orders/s.
   */
  private cork(ws: WebSocket): void {
    if (this.corked) return;
    const sock = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (sock === undefined) return;
    this.corked = true;
    sock.cork();
    setImmediate(this.uncork, sock);
  }

  private readonly uncork = (sock: { uncork(): void }): void => {
    this.corked = false;
    sock.uncork();
  };

  private connect(): void {
    if (!this.running) return;
    const ws = new WebSocket(this.o.url, { perMessageDeflate: false, handshakeTimeout: Math.max(1000, this.o.timeoutMs) });
    this.ws = ws;
    ws.on('open', () => {
      this.reconnectMs = 50;
      this.figures.connects++;
    });
    ws.on('message', (data: WebSocket.RawData) => this.onMessage(data));
    ws.on('error', () => undefined); // a 'close' always follows; the pending requests end there
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.failAll('connection closed before the reply');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer !== undefined) return;
    const delay = this.reconnectMs;
    this.reconnectMs = Math.min(this.reconnectCapMs, this.reconnectMs * 2);
    this.reconnectTimer = this.o.clock.setTimer(delay, () => {
      this.reconnectTimer = undefined;
      this.connect();
    });
  }

  private onMessage(data: WebSocket.RawData): void {
    let m: { id?: unknown; status?: unknown; result?: unknown; error?: { code?: unknown; msg?: unknown } };
    try {
      m = JSON.parse(data.toString()) as typeof m;
    } catch {
      return; // not a reply of ours (nothing pending can be matched to it)
    }
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (p === undefined) return; // a reply after its timeout: the reconciler owns that order now
    this.pending.delete(m.id);
    this.figures.answered++;
    const status = typeof m.status === 'number' ? m.status : 0;
    if (status === 200) {
      p.resolve((m.result ?? {}) as Raw);
      return;
    }
    const code = typeof m.error?.code === 'number' ? m.error.code : 0;
    const msg = typeof m.error?.msg === 'string' ? m.error.msg : '';
    p.reject(new VenueCallError(this.o.venue, wsFailureKind(status, code, msg), `ws-api ${p.method} ${status} {"code":${code},"msg":${JSON.stringify(msg)}}`, undefined));
  }

  private failAll(why: string): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      this.figures.unknown++;
      p.reject(new VenueCallError(this.o.venue, 'unknown', `ws-api ${p.method}: ${why} (outcome unknown)`, undefined));
    }
  }

  /**
   * One sweep timer while requests are pending: those past their deadline end `unknown`. The
   * timer only schedules the sweep; the sweep itself runs in the same loop turn's check phase
   * (`setImmediate`), after the poll phase has read whatever replies already reached the socket:
   * an event loop that lagged behind (a busy engine) must not declare unknown a request whose
   * reply is waiting in the kernel's buffer.
   */
  private armSweep(): void {
    if (this.sweepTimer !== undefined) return;
    const every = Math.max(5, Math.min(100, Math.floor(this.o.timeoutMs / 4)));
    this.sweepTimer = this.o.clock.setTimer(every, () => {
      setImmediate(() => {
        this.sweepTimer = undefined;
        this.sweep();
        if (this.pending.size > 0) this.armSweep();
      });
    });
  }

  private sweep(): void {
    const now = this.o.clock.nowNs();
    for (const [id, p] of this.pending) {
      if (p.deadlineNs > now) break; // insertion order is deadline order (one timeout for all)
      this.pending.delete(id);
      this.figures.unknown++;
      p.reject(new VenueCallError(this.o.venue, 'unknown', `ws-api ${p.method}: no reply within ${this.o.timeoutMs} ms (outcome unknown)`, undefined));
    }
  }
}
