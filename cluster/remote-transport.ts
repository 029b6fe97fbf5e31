import { createInbox, headers, type Msg, type MsgHdrs, type Subscription } from '@nats-io/transport-node';
import type { ActorSystem } from '../actors/runtime/actor-system.js';
import { ActorNotFoundError, ActorStoppedError, AskTimeoutError, MailboxFullError, SystemShutdownError } from '../actors/runtime/errors.js';
import type { Lane } from '../actors/runtime/envelope.js';
import type { RemoteInbound, RemoteMessage, RemotePort } from '../actors/runtime/remote.js';
import { topicMatches } from '../actors/runtime/topics.js';
import { Bot4Error } from '../common/errors.js';
import { decode, encode } from './codec.js';
import { CodecMalformedError, RemoteDisconnectedError, RemoteFailedError, RemoteNodeUnknownError, RemoteOutcomeUnknownError, RemotePayloadTooLargeError } from './errors.js';
import { NatsConnectionHandle, type ConnectionState } from './nats-connection.js';
import { parseRemoteOptions, type RemoteOptions, type ResolvedRemoteOptions } from './remote-options.js';

/**
 * Remote actors over core NATS: the {@link RemotePort} of an {@link ActorSystem}.
 *
 * Subjects (prefix `bot4` by default):
 * - `<prefix>.node.<node>`: sends and asks to actors of `<node>`, as NATS requests. The receiving
 *   node enqueues into the real mailbox (its overflow policy applies there) and answers with the
 *   outcome: ok, or the runtime's typed error (`B4_MAILBOX_FULL`, `B4_ACTOR_NOT_FOUND`, ...), which
 *   the sender rebuilds as the same class. An ask is answered once the actor replied.
 * - `<prefix>.topic.<topic>`: publishes of exported topics; nodes subscribe to their imported
 *   patterns and deliver to their local subscribers.
 *
 * Every request carries the W3C `traceparent` of the sender's context in a NATS header; the
 * receiving envelope gets it, so the receiver's handling span (actors/runtime/tracing) is a child
 * of the sender's and one trace spans both nodes.
 *
 * Replies come back on one inbox subscription per node (`_INBOX.<id>.<request>`), matched here,
 * so every pending request is visible: when the connection drops they all fail at once with
 * `B4_REMOTE_OUTCOME_UNKNOWN` (never left to hang or to time out silently), and while it is down
 * new sends and asks fail with `B4_REMOTE_DISCONNECTED` (nothing was sent).
 */
export class NatsRemoteTransport implements RemotePort {
  readonly node: string;
  readonly options: ResolvedRemoteOptions;
  private readonly inbound: RemoteInbound;
  private readonly pending = new Map<string, Pending>();
  private readonly inbox: string;
  private readonly nodeSubjectPrefix: string;
  private readonly topicPrefix: string;
  private readonly exportCache = new Map<string, boolean>();
  private readonly routes: ReadonlyMap<string, string>;
  private readonly subs: Subscription[] = [];
  private nextId = 0;
  private readonly counters = { sent: 0, asked: 0, published: 0, publishDropped: 0, received: 0, receivedPublishes: 0, failed: 0, malformed: 0 };

  private constructor(
    private readonly system: ActorSystem,
    private readonly conn: NatsConnectionHandle,
    options: ResolvedRemoteOptions,
  ) {
    this.options = options;
    this.node = options.node;
    this.nodeSubjectPrefix = `${options.subjectPrefix}.node.`;
    this.topicPrefix = `${options.subjectPrefix}.topic.`;
    this.inbox = createInbox();
    this.routes = new Map(Object.entries(options.routes));
    this.inbound = system.attachRemote(this);
    const nc = conn.nc;
    this.subs.push(nc.subscribe(`${this.inbox}.*`, { callback: (_e, m) => this.onReply(m) }));
    this.subs.push(nc.subscribe(this.nodeSubjectPrefix + this.node, { callback: (_e, m) => this.onRequest(m) }));
    for (const p of options.importTopics) this.subs.push(nc.subscribe(this.topicPrefix + p, { callback: (_e, m) => this.onPublish(m) }));
    conn.onState((s) => this.onState(s));
  }

  /**
   * Connects to NATS, attaches to `system` and starts serving this node's subjects. Throws
   * `ConfigError` for bad options, `B4_CLUSTER_CONNECT` when no server answers.
   */
  static async start(system: ActorSystem, options: RemoteOptions): Promise<NatsRemoteTransport> {
    const o = parseRemoteOptions(options);
    const conn = await NatsConnectionHandle.open({ servers: o.servers, name: `bot4-${o.node}`, reconnectTimeWaitMs: o.reconnectTimeWaitMs, maxReconnectAttempts: o.maxReconnectAttempts });
    const t = new NatsRemoteTransport(system, conn, o);
    // The subscriptions are registered with the server before anyone is told the node is up.
    await conn.nc.flush();
    return t;
  }

  /** Connection state right now. */
  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Requests (sends and asks) waiting for the other node's answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Counters since start. */
  stats(): Readonly<typeof this.counters> & { inFlight: number } {
    return { ...this.counters, inFlight: this.pending.size };
  }

  /** Detaches from the system, fails what is in flight (`B4_REMOTE_OUTCOME_UNKNOWN`, reason `closed`), drains and closes. */
  async close(): Promise<void> {
    this.system.detachRemote();
    this.failAll('closed');
    await this.conn.close();
  }

  // ---------------------------------------------------------------------------------------------
  // RemotePort

  send(node: string, address: string, m: RemoteMessage): Promise<void> {
    this.counters.sent++;
    return this.request('send', node, address, m, this.options.sendTimeoutMs) as Promise<void>;
  }

  ask(node: string, address: string, m: RemoteMessage, timeoutMs: number): Promise<unknown> {
    this.counters.asked++;
    return this.request('ask', node, address, m, timeoutMs);
  }

  routeOf(address: string): string | undefined {
    return this.routes.size === 0 ? undefined : this.routes.get(address);
  }

  publish(topic: string, m: RemoteMessage): void {
    if (!this.exported(topic)) return;
    if (this.conn.state !== 'connected') {
      this.counters.publishDropped++;
      return;
    }
    let body: Uint8Array;
    try {
      body = encode({ t: m.type, p: m.payload, f: m.from, l: m.lane, k: m.key, c: m.correlationId });
    } catch {
      this.counters.failed++;
      return;
    }
    if (body.length > (this.conn.nc.info?.max_payload ?? Infinity)) {
      this.counters.failed++;
      return;
    }
    this.counters.published++;
    this.conn.nc.publish(this.topicPrefix + topic, body, m.traceparent === '' ? undefined : { headers: traceHeaders(m.traceparent) });
  }

  // ---------------------------------------------------------------------------------------------
  // Outgoing requests

  private request(op: 'send' | 'ask', node: string, address: string, m: RemoteMessage, timeoutMs: number): Promise<unknown> {
    const state = this.conn.state;
    if (state !== 'connected') return Promise.reject(new RemoteDisconnectedError(node, address, state));
    let body: Uint8Array;
    try {
      body = encode({ o: op === 'send' ? 's' : 'a', to: address, t: m.type, p: m.payload, f: m.from, l: m.lane, k: m.key, c: m.correlationId, ms: timeoutMs });
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const max = this.conn.nc.info?.max_payload ?? Infinity;
    if (body.length > max) return Promise.reject(new RemotePayloadTooLargeError(`${op} ${node}/${address} "${m.type}"`, body.length, max));
    const id = (this.nextId++).toString(36);
    const subject = this.nodeSubjectPrefix + node;
    return new Promise<unknown>((resolve, reject) => {
      const clock = this.system.clock;
      const timer = clock.setTimer(timeoutMs, () => {
        if (!this.pending.delete(id)) return;
        reject(op === 'ask' ? new AskTimeoutError(`${node}/${address}`, m.type, timeoutMs) : new RemoteOutcomeUnknownError(node, address, m.type, 'ack-timeout', m.correlationId));
      });
      this.pending.set(id, { op, node, address, subject, type: m.type, correlationId: m.correlationId, resolve, reject, timer });
      try {
        this.conn.nc.publish(subject, body, { reply: `${this.inbox}.${id}`, headers: m.traceparent === '' ? undefined : traceHeaders(m.traceparent) });
      } catch {
        // The connection closed between the state check and the publish: nothing was sent.
        this.pending.delete(id);
        clock.clearTimer(timer);
        reject(new RemoteDisconnectedError(node, address, 'closed'));
      }
    });
  }

  private onReply(msg: Msg): void {
    const id = msg.subject.slice(this.inbox.length + 1);
    const p = this.pending.get(id);
    if (p === undefined) return; // timed out or failed at a disconnect already
    this.pending.delete(id);
    this.system.clock.clearTimer(p.timer);
    if (msg.headers?.code === 503) {
      p.reject(new RemoteNodeUnknownError(p.node, p.address, p.subject));
      return;
    }
    let r: WireReply;
    try {
      r = decode(msg.data) as WireReply;
    } catch (e) {
      this.counters.malformed++;
      p.reject(e as Error);
      return;
    }
    if (r !== null && typeof r === 'object' && r.ok === true) p.resolve(r.p);
    else if (r !== null && typeof r === 'object' && r.e !== undefined) p.reject(errorFromWire(p.node, p.address, p.type, r.e));
    else {
      this.counters.malformed++;
      p.reject(new CodecMalformedError('reply is neither ok nor an error'));
    }
  }

  private onState(s: ConnectionState): void {
    if (s !== 'connected') this.failAll(s === 'closed' ? 'closed' : 'disconnected');
  }

  /** Fails every request in flight: their answers may never come (the reply subject died with the socket). */
  private failAll(reason: 'disconnected' | 'closed'): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      this.system.clock.clearTimer(p.timer);
      this.counters.failed++;
      p.reject(new RemoteOutcomeUnknownError(p.node, p.address, p.type, reason, p.correlationId));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming

  private onRequest(msg: Msg): void {
    this.counters.received++;
    let req: WireRequest;
    try {
      req = decode(msg.data) as WireRequest;
      if (req === null || typeof req !== 'object' || typeof req.to !== 'string' || typeof req.t !== 'string') throw new CodecMalformedError('request without to/type');
    } catch (e) {
      this.counters.malformed++;
      respond(msg, errorReply(e));
      return;
    }
    const m = fromWire(req, traceparentOf(msg.headers));
    if (req.o === 's') {
      try {
        this.inbound.deliver(req.to, m);
        respond(msg, OK);
      } catch (e) {
        respond(msg, errorReply(e));
      }
      return;
    }
    const timeoutMs = typeof req.ms === 'number' && req.ms > 0 ? req.ms : this.options.sendTimeoutMs;
    this.inbound.ask(req.to, m, timeoutMs).then(
      (payload) => {
        let body: Uint8Array;
        try {
          body = encode({ ok: true, p: payload });
          const max = this.conn.nc.info?.max_payload ?? Infinity;
          if (body.length > max) body = errorReply(new RemotePayloadTooLargeError(`reply of ${this.node}/${req.to} to "${req.t}"`, body.length, max));
        } catch (e) {
          body = errorReply(e);
        }
        respond(msg, body);
      },
      (e: unknown) => respond(msg, errorReply(e)),
    );
  }

  private onPublish(msg: Msg): void {
    this.counters.receivedPublishes++;
    let w: WireRequest;
    try {
      w = decode(msg.data) as WireRequest;
    } catch {
      this.counters.malformed++;
      return;
    }
    this.inbound.publish(msg.subject.slice(this.topicPrefix.length), fromWire(w, traceparentOf(msg.headers)));
  }

  private exported(topic: string): boolean {
    const pats = this.options.exportTopics;
    if (pats.length === 0) return false;
    let v = this.exportCache.get(topic);
    if (v === undefined) {
      v = pats.some((p) => topicMatches(p, topic));
      if (this.exportCache.size > 10_000) this.exportCache.clear();
      this.exportCache.set(topic, v);
    }
    return v;
  }
}

interface Pending {
  op: 'send' | 'ask';
  node: string;
  address: string;
  subject: string;
  type: string;
  correlationId: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<ActorSystem['clock']['setTimer']>;
}

/** A request or publish on the wire (short keys: this is per message). */
interface WireRequest {
  o?: 's' | 'a';
  to: string;
  t: string;
  p: unknown;
  f?: string;
  l?: Lane;
  k?: string;
  c?: string;
  ms?: number;
}

interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

type WireReply = { ok: true; p?: unknown; e?: undefined } | { ok?: undefined; e: WireError };

const OK = encode({ ok: true });

function fromWire(w: WireRequest, traceparent: string): RemoteMessage {
  return { type: w.t, payload: w.p, from: typeof w.f === 'string' ? w.f : '', lane: w.l === 'control' ? 'control' : 'data', key: typeof w.k === 'string' ? w.k : '', correlationId: typeof w.c === 'string' ? w.c : '', traceparent };
}

function traceHeaders(tp: string): MsgHdrs {
  const h = headers();
  h.set('traceparent', tp);
  return h;
}

function traceparentOf(h: MsgHdrs | undefined): string {
  return h?.get('traceparent') ?? '';
}

function respond(msg: Msg, body: Uint8Array): void {
  try {
    msg.respond(body);
  } catch {
    // The connection closed while the reply was being made: the sender fails it as outcome unknown.
  }
}

function errorReply(e: unknown): Uint8Array {
  const err: WireError =
    e instanceof Bot4Error
      ? { code: e.code, message: e.message, details: e.details === undefined ? undefined : { ...e.details } }
      : { code: 'B4_REMOTE_FAILED', message: e instanceof Error ? e.message : String(e) };
  try {
    return encode({ e: err });
  } catch {
    return encode({ e: { code: err.code, message: err.message } });
  }
}

/** Rebuilds the runtime's typed error from the other node's answer (addresses node-qualified). */
function errorFromWire(node: string, address: string, type: string, e: WireError): Error {
  const at = `${node}/${address}`;
  const d = e.details ?? {};
  switch (e.code) {
    case MailboxFullError.code:
      return new MailboxFullError(at, d.lane === 'control' ? 'control' : 'data', typeof d.capacity === 'number' ? d.capacity : 0);
    case ActorNotFoundError.code:
      return new ActorNotFoundError(at);
    case ActorStoppedError.code:
      return new ActorStoppedError(at, typeof d.lifecycle === 'string' ? d.lifecycle : 'stopped');
    case AskTimeoutError.code:
      return new AskTimeoutError(at, type, typeof d.timeoutMs === 'number' ? d.timeoutMs : 0);
    case SystemShutdownError.code:
      return new SystemShutdownError(`reach ${at} (node ${node} is shutting down)`);
    default:
      return new RemoteFailedError(node, address, String(e.code), String(e.message));
  }
}
