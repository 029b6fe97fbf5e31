// Slightly over ~400 lines: the /ws session (auth, rate limit, in-flight bound, dispatch of every op
// to the engine port, replies) is one state machine per connection; the parser lives in protocol.ts.
import type { WebSocket } from 'uWebSockets.js';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { Bot4Error } from '../common/errors.js';
import { SpanKind, spanSink, type LiveSpan } from '../common/span-sink.js';
import type { EnginePort, RequestContext } from './engine-port.js';
import type { GwErrorBody } from './errors.js';
import type { ApiConnection } from './connection.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayOptions } from './options.js';
import { TokenAuthenticator, hasRole, type Principal } from './auth.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { ConnectionSlots } from './admission.js';
import { OPS, type OpArgs, type OpName, type RequestId, errorReply, isValidTopic, okReply, parseArgs, parseEnvelope } from './protocol.js';

/**
 * WebSocket close codes the gateway uses (documented in docs/ws-api.md and docs/security.md). The
 * 4xxx ones are application codes whose close reason is the `GW_*` code itself.
 */
export const CloseCode = Object.freeze({
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  /** `GW_AUTH_TIMEOUT`: not authenticated within `limits.authDeadlineMs`. */
  authTimeout: 4001,
  /** `GW_TOO_MANY_AUTH_FAILURES`: `limits.maxAuthFailures` failed or throttled authentications. */
  authFailures: 4002,
  /** `GW_ADMIN_SLOT`: a socket in a slot reserved for admins did not authenticate as admin. */
  adminSlot: 4003,
});

/** The session-security collaborators of {@link WsApi}, owned by the server. */
export interface AuthGuards {
  readonly throttle: AuthThrottle;
  readonly slots: ConnectionSlots;
}

/**
 * The `/ws` request/reply protocol: turns one text frame into exactly one reply (a result or a
 * typed error) and calls the {@link EnginePort}. Nothing reaches the port unless the envelope,
 * the version, the op, the role and the arguments all validated.
 */
export class WsApi {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly port: EnginePort,
    private readonly auth: TokenAuthenticator,
    private readonly options: GatewayOptions,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly guards: AuthGuards,
  ) {}

  /**
   * A socket opened: unless it authenticated as admin at the upgrade (or as anyone, in an ordinary
   * slot) it gets `limits.authDeadlineMs` to authenticate.
   */
  onOpen(ws: WebSocket<ApiConnection>): void {
    const c = ws.getUserData();
    if (c.principal === null || (c.reserved && !isAdmin(c.principal))) this.armDeadline(ws, c);
  }

  /** A socket closed (or the server is stopping): cancels its deadline. */
  onClose(c: ApiConnection): void {
    if (c.authDeadline !== null) this.clock.clearTimer(c.authDeadline);
    c.authDeadline = null;
  }

  private armDeadline(ws: WebSocket<ApiConnection>, c: ApiConnection): void {
    if (c.authDeadline !== null) return;
    c.authDeadline = this.clock.setTimer(this.options.limits.authDeadlineMs, () => {
      c.authDeadline = null;
      if (!c.open) return;
      if (c.principal === null) {
        this.metrics.authCloses.deadline++;
        this.metrics.error('GW_AUTH_TIMEOUT');
        ws.end(CloseCode.authTimeout, 'GW_AUTH_TIMEOUT');
      } else if (c.reserved && !isAdmin(c.principal)) {
        this.closeAdminSlot(ws);
      }
    });
  }

  private closeAdminSlot(ws: WebSocket<ApiConnection>): void {
    this.metrics.authCloses.adminSlot++;
    this.metrics.error('GW_ADMIN_SLOT');
    ws.end(CloseCode.adminSlot, 'GW_ADMIN_SLOT');
  }

  /** Handles one message on `/ws`. The ArrayBuffer is only read inside this call (uWS reuses it). */
  onMessage(ws: WebSocket<ApiConnection>, message: ArrayBuffer, isBinary: boolean): void {
    const conn = ws.getUserData();
    this.metrics.messagesInWs++;
    if (message.byteLength > this.options.limits.maxPayloadBytes) {
      this.metrics.oversizeCloses++;
      ws.end(CloseCode.tooBig, 'message too big');
      return;
    }
    if (!conn.bucket.take()) {
      this.rateLimited(ws, conn, isBinary ? null : this.peekId(message));
      return;
    }
    if (isBinary) {
      this.reply(ws, conn, null, { code: 'GW_BAD_FRAME', message: 'frame: expected a text (JSON) frame, got a binary frame' });
      return;
    }
    let text: string;
    try {
      // uWS already rejects invalid UTF-8 in text frames; decoding fatally keeps this safe if not
      text = this.decoder.decode(message);
    } catch {
      this.reply(ws, conn, null, { code: 'GW_BAD_FRAME', message: 'frame: expected UTF-8 text, got invalid UTF-8' });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.reply(ws, conn, null, { code: 'GW_BAD_JSON', message: `frame: expected JSON, got ${text.length > 40 ? `${JSON.stringify(text.slice(0, 37))}...` : JSON.stringify(text)}` });
      return;
    }
    const env = parseEnvelope(parsed);
    if (!env.ok) {
      this.reply(ws, conn, env.id, env.error);
      return;
    }
    const spec = OPS[env.op];
    if (spec.role !== null) {
      if (conn.principal === null) {
        this.reply(ws, conn, env.id, { code: 'GW_UNAUTHENTICATED', message: `${env.op}: authenticate first` });
        return;
      }
      if (!hasRole(conn.principal.roles, spec.role)) {
        this.reply(ws, conn, env.id, { code: 'GW_FORBIDDEN', message: `${env.op}: needs role ${spec.role}, token ${JSON.stringify(conn.principal.name)} has ${conn.principal.roles.join('+')}` });
        return;
      }
    }
    const args = parseArgs(env.op, env.args);
    if (!args.ok) {
      // a malformed authenticate is a failed one too: it must not leave an earlier role in place
      if (env.op === 'authenticate') this.authFailed(ws, conn, env.id, args.error);
      else this.reply(ws, conn, env.id, args.error);
      return;
    }
    this.dispatch(ws, conn, env.id, env.op, args.value);
  }

  /** Best-effort request id of a frame being refused, so even a refusal carries its id. */
  private peekId(message: ArrayBuffer): RequestId | null {
    try {
      return parseEnvelope(JSON.parse(this.decoder.decode(message))).id;
    } catch {
      return null;
    }
  }

  private rateLimited(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId | null): void {
    conn.strikes++;
    this.reply(ws, conn, id, { code: 'GW_RATE_LIMITED', message: `over ${this.options.limits.messagesPerSec} messages/s (burst ${this.options.limits.burst}); violation ${conn.strikes} of ${this.options.limits.maxRateStrikes}` });
    if (conn.strikes >= this.options.limits.maxRateStrikes) {
      this.metrics.rateLimitCloses++;
      ws.end(CloseCode.policy, 'rate limit exceeded');
    }
  }

  private dispatch(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId, op: OpName, args: unknown): void {
    switch (op) {
      case 'ping':
        this.ok(ws, conn, id, { pong: true, epochMs: this.clock.epochMs() });
        return;
      case 'authenticate':
        this.authenticate(ws, conn, id, (args as OpArgs<'authenticate'>).token);
        return;
      case 'subscribe':
        this.subscribe(ws, conn, id, (args as OpArgs<'subscribe'>).topics);
        return;
      case 'unsubscribe': {
        const removed: string[] = [];
        for (const t of (args as OpArgs<'unsubscribe'>).topics) {
          if (ws.unsubscribe(t)) {
            conn.subscriptions--;
            removed.push(t);
          }
        }
        this.ok(ws, conn, id, { unsubscribed: removed, subscriptions: conn.subscriptions });
        return;
      }
      default:
        this.engineCall(ws, conn, id, op, args);
    }
  }

  /**
   * `authenticate`: throttled per address (shared bucket) and per connection (exponential delay
   * after the second and later failures); an attempt inside either throttle is refused without looking at the
   * token. Any attempt that does not succeed leaves the connection unauthenticated (a failed
   * re-authenticate drops the earlier role and its subscriptions), and `limits.maxAuthFailures`
   * of them close it with 4002.
   */
  private authenticate(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId, token: string): void {
    const L = this.options.limits;
    const now = this.clock.nowNs();
    const wait = Math.max(this.guards.throttle.retryAfterMs(conn.ip), conn.authRetryAtNs > now ? Math.ceil((conn.authRetryAtNs - now) / 1e6) : 0);
    if (wait > 0) {
      this.metrics.authFailures.throttled++;
      this.authFailed(ws, conn, id, { code: 'GW_AUTH_THROTTLED', message: `authenticate: too many failed attempts; retry in ${wait} ms (the connection is now unauthenticated)`, details: { retryAfterMs: wait } });
      return;
    }
    const p = this.auth.authenticate(token);
    if (p === undefined) {
      this.metrics.authFailures.badToken++;
      this.guards.throttle.failure(conn.ip);
      // the first failure is free (a typo); after the k-th the next try waits delay × 2^(k-2)
      if (conn.authFailures >= 1) conn.authRetryAtNs = now + L.authFailureDelayMs * 2 ** Math.min(conn.authFailures - 1, 16) * 1e6;
      this.authFailed(ws, conn, id, { code: 'GW_AUTH_FAILED', message: 'authenticate: unknown token (the connection is now unauthenticated)' });
      return;
    }
    conn.principal = p;
    if (conn.reserved && !isAdmin(p)) {
      if (!this.guards.slots.tryUnreserve(conn.ip)) {
        conn.principal = null;
        this.reply(ws, conn, id, { code: 'GW_ADMIN_SLOT', message: `authenticate: this connection holds a slot reserved for admins and token ${JSON.stringify(p.name)} is not admin; every ordinary slot is taken` });
        this.closeAdminSlot(ws);
        return;
      }
      conn.reserved = false;
    }
    this.onClose(conn); // authenticated: the deadline no longer applies
    if (!hasRole(p.roles, 'read')) this.unsubscribeAll(ws, conn);
    this.ok(ws, conn, id, { name: p.name, roles: p.roles });
  }

  private authFailed(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId, error: GwErrorBody): void {
    conn.principal = null;
    this.unsubscribeAll(ws, conn);
    conn.authFailures++;
    this.reply(ws, conn, id, error);
    if (conn.authFailures >= this.options.limits.maxAuthFailures) {
      this.metrics.authCloses.failures++;
      this.metrics.error('GW_TOO_MANY_AUTH_FAILURES');
      this.onClose(conn);
      ws.end(CloseCode.authFailures, 'GW_TOO_MANY_AUTH_FAILURES');
      return;
    }
    this.armDeadline(ws, conn);
  }

  private subscribe(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId, topics: readonly string[]): void {
    let fresh = 0;
    const seen = new Set<string>();
    for (const [i, t] of topics.entries()) {
      if (!isValidTopic(t)) {
        this.reply(ws, conn, id, { code: 'GW_BAD_TOPIC', message: `args.topics.${i}: expected a known topic (orders, fills, positions, balances, breakers, risk.denials, actors.latency, killswitch, status, md.<ticker|trade|book>.<venue>.<symbol>), got ${JSON.stringify(t.slice(0, 80))}`, field: `args.topics.${i}` });
        return;
      }
      if (!seen.has(t) && !ws.isSubscribed(t)) fresh++;
      seen.add(t);
    }
    const max = this.options.limits.maxSubscriptions;
    if (conn.subscriptions + fresh > max) {
      this.reply(ws, conn, id, { code: 'GW_TOO_MANY_SUBSCRIPTIONS', message: `subscribe: expected at most ${max} subscriptions per connection, got ${conn.subscriptions + fresh}` });
      return;
    }
    for (const t of seen) {
      if (!ws.isSubscribed(t)) {
        ws.subscribe(t);
        conn.subscriptions++;
      }
    }
    this.ok(ws, conn, id, { subscribed: [...seen], subscriptions: conn.subscriptions });
  }

  private unsubscribeAll(ws: WebSocket<ApiConnection>, conn: ApiConnection): void {
    for (const t of ws.getTopics()) ws.unsubscribe(t);
    conn.subscriptions = 0;
  }

  private engineCall(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId, op: OpName, args: unknown): void {
    if (conn.inflight >= this.options.limits.maxInflight) {
      this.reply(ws, conn, id, { code: 'GW_TOO_MANY_INFLIGHT', message: `${op}: expected at most ${this.options.limits.maxInflight} requests in flight per connection` });
      return;
    }
    const ctx: RequestContext = { principal: conn.principal!.name, roles: conn.principal!.roles, connectionId: conn.id, requestId: id };
    // An order's trace starts here (tracing on): the root span of the request; the ask to the risk
    // actor is sent inside its context, so risk → venue → wire → fills join this trace.
    const sink = op === 'order.submit' ? spanSink('engine') : undefined;
    const span = sink === undefined ? undefined : submitSpan(sink.start('order.submit', SpanKind.SERVER, '', { 'rpc.system': 'bot4.ws', 'rpc.service': 'bot4.gateway', 'rpc.method': op, 'network.protocol.name': 'websocket' }), args);
    let promise: Promise<unknown>;
    try {
      promise = span === undefined ? this.call(op, args, ctx) : sink!.withContext(span.traceparent, () => this.call(op, args, ctx));
    } catch (e) {
      promise = Promise.reject(e);
    }
    if (span !== undefined && span.recording) endWith(span, promise);
    conn.inflight++;
    let done = false;
    const timeoutMs = this.options.limits.requestTimeoutMs;
    const timer: TimerHandle = this.clock.setTimer(timeoutMs, () => {
      if (done) return;
      done = true;
      conn.inflight--;
      this.replyLater(ws, conn, id, { code: 'GW_TIMEOUT', message: `${op}: the engine did not answer within ${timeoutMs} ms (the request may still take effect)` });
    });
    promise.then(
      (result) => {
        if (done) return;
        done = true;
        conn.inflight--;
        this.clock.clearTimer(timer);
        if (!conn.open) return;
        let text: string;
        try {
          text = okReply(id, result ?? null);
        } catch (e) {
          this.log.error({ err: e, op }, 'gateway: engine result is not serialisable');
          this.replyLater(ws, conn, id, { code: 'GW_INTERNAL', message: `${op}: internal error` });
          return;
        }
        this.sendLater(ws, conn, text);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        conn.inflight--;
        this.clock.clearTimer(timer);
        if (err instanceof Bot4Error) {
          this.replyLater(ws, conn, id, { code: 'GW_ENGINE_ERROR', message: `${op}: ${err.message}`, details: { engineCode: err.code } });
        } else {
          this.log.error({ err, op }, 'gateway: engine call failed');
          this.replyLater(ws, conn, id, { code: 'GW_INTERNAL', message: `${op}: internal error` });
        }
      },
    );
  }

  private call(op: OpName, args: unknown, ctx: RequestContext): Promise<unknown> {
    // (order.submit runs inside the request span's context when tracing is on: see engineCall)
    const p = this.port;
    switch (op) {
      case 'order.submit':
        return p.submitOrder(args as OpArgs<'order.submit'>, ctx);
      case 'order.cancel':
        return p.cancelOrder(args as OpArgs<'order.cancel'>, ctx);
      case 'order.cancelAll':
        return p.cancelAll(args as OpArgs<'order.cancelAll'>, ctx);
      case 'killSwitch.set':
        return p.setKillSwitch((args as OpArgs<'killSwitch.set'>).state, ctx);
      case 'status.get':
        return p.status();
      case 'orders.get':
        return p.orders(args as OpArgs<'orders.get'>);
      case 'positions.get':
        return p.positions();
      case 'balances.get':
        return p.balances();
      case 'breakers.get':
        return p.breakers();
      case 'riskLimits.get':
        return p.riskLimits();
      case 'instruments.get':
        return p.instruments(args as OpArgs<'instruments.get'>);
      case 'strategy.start':
        return p.startStrategy((args as OpArgs<'strategy.start'>).id, ctx);
      case 'strategy.stop':
        return p.stopStrategy((args as OpArgs<'strategy.stop'>).id, ctx);
      case 'venue.resume':
        return p.resumeVenue(args as OpArgs<'venue.resume'>, ctx);
      default:
        return Promise.reject(new Error(`gateway: op ${op} has no engine call`));
    }
  }

  private ok(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId, result: unknown): void {
    this.send(ws, conn, okReply(id, result));
  }

  /** Sends an error reply and counts it by code. */
  reply(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId | null, error: GwErrorBody): void {
    this.metrics.error(error.code);
    this.send(ws, conn, errorReply(id, error));
  }

  private replyLater(ws: WebSocket<ApiConnection>, conn: ApiConnection, id: RequestId, error: GwErrorBody): void {
    this.metrics.error(error.code);
    this.sendLater(ws, conn, errorReply(id, error));
  }

  /** Sends from outside a uWS callback (after an await): cork so headers and payload go in one write. */
  private sendLater(ws: WebSocket<ApiConnection>, conn: ApiConnection, text: string): void {
    if (!conn.open) return;
    ws.cork(() => this.send(ws, conn, text));
  }

  private send(ws: WebSocket<ApiConnection>, conn: ApiConnection, text: string): void {
    if (!conn.open) return;
    this.metrics.messagesOutWs++;
    // 2 = dropped: the socket is over maxBackpressure (slow consumer); never buffer beyond it
    if (ws.send(text, false) === 2) this.metrics.sendDrops++;
  }
}

function isAdmin(p: Principal): boolean {
  return hasRole(p.roles, 'admin');
}

/** The order's attributes on the gateway's request span. */
function submitSpan(span: LiveSpan, args: unknown): LiveSpan {
  if (!span.recording || args === null || typeof args !== 'object') return span;
  const a = args as Record<string, unknown>;
  for (const k of ['venue', 'symbol', 'side', 'strategy'] as const) if (typeof a[k] === 'string') span.setAttribute(`bot4.${k}`, a[k]);
  if (typeof a.clientOrderId === 'string') span.setAttribute('bot4.order.api_client_id', a.clientOrderId);
  return span;
}

/** Ends the request span with the engine's answer (the ack): the order's client id, accepted or the denial. */
function endWith(span: LiveSpan, promise: Promise<unknown>): void {
  promise.then(
    (r) => {
      const ack = (r ?? {}) as { accepted?: unknown; orderId?: unknown; reason?: unknown };
      if (typeof ack.orderId === 'string') span.setAttribute('bot4.order.client_id', ack.orderId);
      if (typeof ack.accepted === 'boolean') span.setAttribute('bot4.order.accepted', ack.accepted);
      if (typeof ack.reason === 'string') span.setAttribute('bot4.order.reason', ack.reason);
      span.end();
    },
    (err: unknown) => span.end(err instanceof Error ? err.message : String(err)),
  );
}
