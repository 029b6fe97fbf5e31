import { setup } from 'xstate';
import type { BalanceView, CancelAck, CancelAllAck, CancelAllRequest, CancelRequest, OrderAck, OrderFilter, OrderRequest, OrderView, PositionView, RequestContext } from '../gateway/engine-port.js';
import { logger } from '../common/log.js';
import type { Clock, TimerHandle } from '../common/clock.js';
import { ActorNotFoundError, MailboxFullError } from '../actors/runtime/errors.js';
import type { Envelope } from '../actors/runtime/envelope.js';
import { ActorSystem } from '../actors/runtime/actor-system.js';
import type { Engine } from '../actors/engine/engine.js';
import { Bot4Error } from '../common/errors.js';
import { RemoteDisconnectedError, RemoteFailedError, RemoteNodeUnknownError, RemotePayloadTooLargeError } from '../cluster/errors.js';
import { NatsRemoteTransport } from '../cluster/remote-transport.js';
import type { RemoteNodeOptions } from '../cluster/remote-node.js';
import type { EngineApi } from './engine-api.js';
import { engineHost, type ClusterGatewayHost } from './cluster-gateway-host.js';
import { ExportLog, ImportSequencer, type ReplayPage, type SequencedEvent } from './event-relay-resync.js';
import type { RemoteRouter } from './order-entry.js';

/**
 * The gateway across nodes (`cluster.remote`, docs/cluster.md "Gateway across nodes").
 *
 * Each daemon attaches a {@link NatsRemoteTransport} to its actor system as node `node` and runs
 * two actors, {@link CLUSTER_GATEWAY_ADDRESS} (routed requests; a full mailbox refuses) and
 * {@link CLUSTER_EVENTS_ADDRESS} (other nodes' events; a full mailbox drops the oldest):
 * - **exports**: every `orders`, `fills`, `status` (venue state) and `balances` event the event
 *   relay makes from this engine's own envelopes (`EventRelay.exporter`) is published, with
 *   `node` added, on the one topic `gw.<node>` (one subject per node: the other nodes see a node's
 *   events in the order it made them). Every `announceMs` the node also publishes its venues and
 *   their states (`gw.announce`), so a node that starts later knows them.
 * - **imports**: the events actor subscribes to `gw.*`; events of other nodes go to this node's `/ws`
 *   subscribers exactly like local ones (their data carries `node`); its own echo is ignored.
 *   Imported events are only emitted, never exported again: no loops, no duplicates.
 * - **routes**: {@link RemoteRouter} for the order entry and queries: `order.submit`,
 *   `order.cancel`, a venue-filtered `order.cancel-all` and a venue-filtered `orders.get` for a
 *   venue this engine does not run are asked of
 *   `<owner>/gateway.cluster`, which runs them through its own order entry (lifecycle, duplicate
 *   client order id, risk, journal) and answers with the ack. The owner is
 *   `cluster.remote.venues[venue]`, else the last node that announced the venue.
 * - **replays**: exported events are numbered per node and kept (`replayEvents`); a node that sees
 *   a gap asks for what it missed (`gw.replay`; daemon/event-relay-resync.ts), so a NATS outage
 *   loses no order's updates.
 * - **takeover daemons** (`cluster.lease.takeover`): {@link ClusterGateway.startDetached} runs on an
 *   actor system of its own that outlives the engines; a standby's port routes to the lease owner
 *   (daemon/failover-port.ts), each engine is {@link ClusterGateway.hook}ed while it runs.
 *
 * Failures of a routed request (the ack's `reason`, or a `/ws` error `GW_ENGINE_ERROR` whose
 * `details.engineCode` names the code):
 * - nothing was delivered (`B4_REMOTE_NODE_UNKNOWN`: no node answers, `B4_REMOTE_DISCONNECTED`:
 *   this node is not connected to NATS, `B4_ACTOR_NOT_FOUND`: the node runs no cluster gateway,
 *   `B4_MAILBOX_FULL`, `B4_REMOTE_PAYLOAD_TOO_LARGE`): `{accepted:false, reason:<code>}`;
 * - the outcome is unknown (`B4_REMOTE_OUTCOME_UNKNOWN`, `B4_ASK_TIMEOUT`) or the owner failed
 *   (`B4_REMOTE_FAILED`): an error reply, never a refusal — the order may exist; it shows on the
 *   `orders` stream, and a retry with the same `clientOrderId` is refused
 *   `DUPLICATE_CLIENT_ORDER_ID` by the owner if it does.
 */
export const CLUSTER_GATEWAY_ADDRESS = 'gateway.cluster';

/** The actor that receives other nodes' events (its own mailbox: a flood of events never drops a routed order). */
export const CLUSTER_EVENTS_ADDRESS = 'gateway.cluster-events';

/** Topic every node publishes its gateway events and announcements on. */
export const gatewayTopic = (node: string): string => `gw.${node}`;

/** Venue states kept per remote venue, for `status.remoteVenues` and routing. */
interface RemoteVenue {
  node: string;
  state: string;
  breaker?: string;
  seenMs: number;
}

/** Payload of a routed request. */
interface RoutedRequest {
  origin: string;
  ctx: RequestContext;
  req: unknown;
}

/** Answer of a routed request: the ack, or the owner's error. */
type RoutedReply<A> = { ok: true; ack: A } | { ok: false; code: string; message: string };

/** Refusals that mean nothing reached the owner's order entry: safe to report as a refusal. */
const NOT_DELIVERED: readonly string[] = [RemoteNodeUnknownError.code, RemoteDisconnectedError.code, ActorNotFoundError.code, MailboxFullError.code, RemotePayloadTooLargeError.code];

/** Orders in a replay snapshot (open ones, most recently closed ones): ~600 B each keeps the answer well under NATS `max_payload` (1 MB). */
const SNAPSHOT_OPEN = 400;
const SNAPSHOT_CLOSED = 200;

/** Orders of other nodes remembered for cancel routing (insertion order, oldest dropped). */
const MAX_REMOTE_ORDERS = 100_000;

/** Context of a query this node asks another node (no principal of a client: read-only). */
const QUERY_CTX: RequestContext = Object.freeze({ principal: 'query', roles: Object.freeze(['read'] as const), connectionId: 0, requestId: '' });

const machine = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'gateway-cluster' });

/** The gateway across nodes of one daemon (see the module comment). */
export class ClusterGateway implements RemoteRouter {
  readonly node: string;
  /** Venues other nodes run, by name. */
  private readonly remoteVenues = new Map<string, RemoteVenue>();
  /** Engine order id or `api:<clientOrderId>` → node, from other nodes' `orders` events. */
  private readonly remoteOrders = new Map<string, string>();
  private readonly log = logger.child({ component: 'cluster-gateway' });
  private timer: TimerHandle | undefined;
  private closed = false;
  /** The API whose events are exported and whose router this is (see {@link hook}). */
  private hooked: EngineApi | undefined;
  /** This node's exported events, numbered and kept for replays (daemon/event-relay-resync.ts). */
  private readonly out: ExportLog;
  /** Other nodes' events: applied once, in order, gaps filled by a replay. */
  private readonly in: ImportSequencer;
  /** Counters since start (status, tests). */
  readonly counters = { exported: 0, imported: 0, announced: 0, routedSubmits: 0, routedCancels: 0, served: 0, refusedUndelivered: 0 };

  private constructor(
    private readonly system: ActorSystem,
    private readonly host: ClusterGatewayHost,
    private readonly options: RemoteNodeOptions,
    readonly transport: NatsRemoteTransport,
    private readonly clock: Clock,
    /** The actor system this gateway made for itself (a takeover daemon's): shut down on close. */
    private readonly ownSystem: boolean,
  ) {
    this.node = options.node;
    this.out = new ExportLog(options.replayEvents);
    this.in = new ImportSequencer({
      apply: (node, ev) => this.imported(node, ev),
      applySnapshot: (node, orders) => this.snapshotImported(node, orders),
      fetch: (node, boot, from) => this.ask<ReplayPage>(node, 'gw.replay', { boot, from }, QUERY_CTX),
      failed: (node, err) => this.log.warn({ node, err: (err as Error)?.message ?? String(err) }, 'events of another node: replay failed; retried at its next announcement'),
    });
  }

  /**
   * Connects to NATS (`servers`), attaches the transport to the engine's actor system, spawns the
   * cluster gateway actor and hooks the event relay, order entry and status query. Throws
   * `B4_CLUSTER_CONNECT` when no NATS server answers.
   */
  static async start(engine: Engine, api: EngineApi, options: RemoteNodeOptions, conn: { servers: readonly string[]; reconnectWaitMs: number }): Promise<ClusterGateway> {
    const gw = await ClusterGateway.open(engine.system, engineHost(engine, api), options, conn, engine.clock, false);
    gw.hook(api);
    return gw;
  }

  /**
   * The gateway across nodes of a takeover daemon (`cluster.lease.takeover`): on an actor system of
   * its own, which outlives every engine this daemon starts and stops, so other nodes reach it
   * as a standby too. The daemon {@link hook}s each engine's API while it owns the lease.
   */
  static async startDetached(host: ClusterGatewayHost, options: RemoteNodeOptions, conn: { servers: readonly string[]; reconnectWaitMs: number }, clock: Clock): Promise<ClusterGateway> {
    const system = new ActorSystem({ clock });
    try {
      return await ClusterGateway.open(system, host, options, conn, clock, true);
    } catch (e) {
      await system.shutdown();
      throw e;
    }
  }

  private static async open(system: ActorSystem, host: ClusterGatewayHost, options: RemoteNodeOptions, conn: { servers: readonly string[]; reconnectWaitMs: number }, clock: Clock, ownSystem: boolean): Promise<ClusterGateway> {
    const node = options.node;
    const transport = await NatsRemoteTransport.start(system, {
      node,
      servers: [...conn.servers],
      reconnectTimeWaitMs: conn.reconnectWaitMs,
      exportTopics: [gatewayTopic(node)],
      importTopics: ['gw.*'],
    });
    const gw = new ClusterGateway(system, host, options, transport, clock, ownSystem);
    gw.attach();
    return gw;
  }

  private attach(): void {
    const sys = this.system;
    // routed requests: a full mailbox refuses (B4_MAILBOX_FULL reaches the origin as a refusal), never drops
    sys.spawn(CLUSTER_GATEWAY_ADDRESS, machine, { handle: (e) => this.handle(e), mailbox: { capacity: 4_096, policy: 'reject' } });
    // other nodes' events: past capacity the oldest goes, as in the local event relay
    sys.spawn(CLUSTER_EVENTS_ADDRESS, machine, { handle: (e) => this.handle(e), mailbox: { capacity: 65_536, policy: 'drop-oldest' } });
    sys.subscribe('gw.*', CLUSTER_EVENTS_ADDRESS);
    this.announce();
    this.log.info({ node: this.node, venues: this.options.venues, servers: this.transport.options.servers }, 'cluster gateway started');
  }

  /**
   * Exports `api`'s own events from now on, and routes its orders and queries for other nodes'
   * venues; its `status` shows the other nodes' venues. One API at a time (a takeover daemon hooks
   * each new engine's).
   */
  hook(api: EngineApi): void {
    this.unhook();
    this.hooked = api;
    api.events.exporter = (topic, data) => this.export(topic, data);
    api.entry.router = this;
    api.queries.router = this;
    api.queries.cluster = { node: this.node, remoteVenues: () => this.remoteVenueView(), stats: () => this.stats() };
  }

  /** Undoes {@link hook} (the engine stops). */
  unhook(): void {
    const api = this.hooked;
    if (api === undefined) return;
    this.hooked = undefined;
    api.events.exporter = undefined;
    api.entry.router = undefined;
    api.queries.router = undefined;
    api.queries.cluster = undefined;
  }

  /** Connection state and counters (`status.clusterGateway`). */
  stats(): Record<string, unknown> {
    return { connection: this.transport.state, inFlight: this.transport.inFlight, ...this.counters, exportSeq: this.out.seq, ...this.in.counters };
  }

  /** Unhooks from the API, stops announcing and closes the transport (requests in flight fail `B4_REMOTE_OUTCOME_UNKNOWN`). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.unhook();
    await this.transport.close();
    if (this.ownSystem) await this.system.shutdown();
  }

  // --- RemoteRouter --------------------------------------------------------------------------

  ownerOf(venue: string): string | undefined {
    return this.options.venues[venue] ?? this.remoteVenues.get(venue)?.node;
  }

  nodeOfOrder(orderId: string | undefined, clientOrderId: string | undefined): string | undefined {
    return (orderId === undefined ? undefined : this.remoteOrders.get(orderId)) ?? (clientOrderId === undefined ? undefined : this.remoteOrders.get(`api:${clientOrderId}`));
  }

  async submit(node: string, req: OrderRequest, ctx: RequestContext): Promise<OrderAck> {
    this.counters.routedSubmits++;
    const cid = req.clientOrderId === undefined ? {} : { clientOrderId: req.clientOrderId };
    try {
      return await this.ask<OrderAck>(node, 'gw.submit', req, ctx);
    } catch (e) {
      const refused = this.undelivered(e);
      if (refused === undefined) throw e;
      return { accepted: false, ...cid, reason: refused.code, message: `venue ${req.venue} is run by node ${node}: ${refused.message}` };
    }
  }

  async cancel(node: string, req: CancelRequest, ctx: RequestContext): Promise<CancelAck> {
    this.counters.routedCancels++;
    try {
      return await this.ask<CancelAck>(node, 'gw.cancel', req, ctx);
    } catch (e) {
      const refused = this.undelivered(e);
      if (refused === undefined) throw e;
      return { canceled: false, ...(req.orderId === undefined ? {} : { orderId: req.orderId }), reason: refused.code };
    }
  }

  cancelAll(node: string, req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck> {
    this.counters.routedCancels++;
    // a count of 0 would hide that nothing was canceled: any failure is an error reply
    return this.ask<CancelAllAck>(node, 'gw.cancel-all', req, ctx);
  }

  orders(node: string, filter: OrderFilter): Promise<readonly OrderView[]> {
    // a query has no side effect: any failure is an error reply naming its code
    return this.ask<readonly OrderView[]>(node, 'gw.orders', filter, QUERY_CTX);
  }

  /** The positions of `node`'s journal (a takeover standby's `positions.get`, answered by the lease owner). */
  positions(node: string): Promise<readonly PositionView[]> {
    return this.ask<readonly PositionView[]>(node, 'gw.positions', {}, QUERY_CTX);
  }

  /** The balances of `node`'s journal (a takeover standby's `balances.get`). */
  balances(node: string): Promise<readonly BalanceView[]> {
    return this.ask<readonly BalanceView[]>(node, 'gw.balances', {}, QUERY_CTX);
  }

  private async ask<A>(node: string, type: string, req: unknown, ctx: RequestContext): Promise<A> {
    const payload: RoutedRequest = { origin: this.node, ctx: { principal: ctx.principal, roles: [...ctx.roles], connectionId: ctx.connectionId, requestId: ctx.requestId }, req };
    const r = await this.system.ask<RoutedReply<A>>(`${node}/${CLUSTER_GATEWAY_ADDRESS}`, { type, payload }, { timeoutMs: this.options.askTimeoutMs });
    if (r !== null && typeof r === 'object' && r.ok === true) return r.ack;
    const err = r as { code?: unknown; message?: unknown } | null;
    throw new RemoteFailedError(node, CLUSTER_GATEWAY_ADDRESS, String(err?.code ?? 'B4_REMOTE_FAILED'), String(err?.message ?? 'malformed answer'));
  }

  /** The error when it proves nothing reached the other node's order entry; undefined otherwise. */
  private undelivered(e: unknown): Bot4Error | undefined {
    if (!(e instanceof Bot4Error) || !NOT_DELIVERED.includes(e.code)) return undefined;
    this.counters.refusedUndelivered++;
    this.log.warn({ code: e.code, err: e.message }, 'routed request not delivered');
    return e;
  }

  // --- the actor -----------------------------------------------------------------------------

  private handle(e: Envelope): void {
    switch (e.type) {
      case 'gw.submit':
        return this.serve(e, (req, ctx) => this.host.serve.submit(req as OrderRequest, ctx));
      case 'gw.cancel':
        return this.serve(e, (req, ctx) => this.host.serve.cancel(req as CancelRequest, ctx));
      case 'gw.cancel-all':
        return this.serve(e, (req, ctx) => this.host.serve.cancelAll(req as CancelAllRequest, ctx));
      case 'gw.orders':
        return this.serve(e, (req) => this.host.serve.orders(req as OrderFilter));
      case 'gw.positions':
        return this.serve(e, () => this.host.serve.positions());
      case 'gw.balances':
        return this.serve(e, () => this.host.serve.balances());
      case 'gw.replay':
        return this.serve(e, (req) => this.replayPage(req as { boot?: unknown; from?: unknown }));
      case 'gw.event':
      case 'gw.announce': {
        const from = e.topic.startsWith('gw.') ? e.topic.slice(3) : '';
        if (from === '' || from === this.node) return; // our own publish (the connection is noEcho: defensive)
        if (e.type === 'gw.event') {
          const ev = e.payload as SequencedEvent;
          if (ev === null || typeof ev !== 'object' || typeof ev.seq !== 'number' || typeof ev.boot !== 'string') return;
          this.in.event(from, ev);
        } else {
          const a = e.payload as { venues: Record<string, { state: string; breaker?: string }>; boot?: unknown; seq?: unknown };
          this.announced(from, a);
          if (a !== null && typeof a === 'object' && typeof a.boot === 'string' && typeof a.seq === 'number') this.in.announced(from, a.boot, a.seq);
        }
        return;
      }
      default:
        this.log.warn({ type: e.type, from: e.from }, 'cluster gateway: unknown message type ignored');
    }
  }

  /** Runs a request routed here from another node and replies with its ack or its error (never silent). */
  private serve(e: Envelope, run: (req: unknown, ctx: RequestContext) => Promise<unknown>): void {
    this.counters.served++;
    const p = e.payload as RoutedRequest | undefined;
    const reply = (v: RoutedReply<unknown>): void => void this.system.reply(e, v);
    if (p === undefined || p === null || typeof p !== 'object' || p.req === null || typeof p.req !== 'object' || p.ctx === null || typeof p.ctx !== 'object') {
      reply({ ok: false, code: 'B4_CODEC_MALFORMED', message: `${e.type}: payload without req/ctx` });
      return;
    }
    const ctx: RequestContext = { principal: `${String(p.origin)}:${String(p.ctx.principal)}`, roles: Array.isArray(p.ctx.roles) ? p.ctx.roles : [], connectionId: p.ctx.connectionId, requestId: p.ctx.requestId };
    let out: Promise<unknown>;
    try {
      out = run(p.req, ctx);
    } catch (err) {
      out = Promise.reject(err);
    }
    out.then(
      (ack) => reply({ ok: true, ack }),
      (err: unknown) => reply({ ok: false, code: err instanceof Bot4Error ? err.code : 'B4_REMOTE_FAILED', message: err instanceof Error ? err.message : String(err) }),
    );
  }

  // --- export / import -----------------------------------------------------------------------

  private export(topic: string, data: Record<string, unknown>): void {
    this.counters.exported++;
    // numbered and kept even while NATS is down: a node that misses it asks for it (gw.replay)
    const ev = this.out.append(topic, { ...data, node: this.node });
    this.transport.publish(gatewayTopic(this.node), { type: 'gw.event', payload: ev, from: '', lane: 'data', key: '', correlationId: '', traceparent: '' });
  }

  private imported(node: string, ev: { topic: string; data: Record<string, unknown> }): void {
    if (ev === null || typeof ev !== 'object' || typeof ev.topic !== 'string' || ev.data === null || typeof ev.data !== 'object') return;
    const d = ev.data;
    // a venue this node runs now: its own events are the truth (another node's are late: an owner before a takeover)
    if (typeof d.venue === 'string' && this.host.runs(d.venue)) return;
    this.counters.imported++;
    if (ev.topic === 'orders') {
      if (typeof d.orderId === 'string') this.rememberOrder(d.orderId, node);
      if (typeof d.apiClientOrderId === 'string') this.rememberOrder(`api:${d.apiClientOrderId}`, node);
    } else if (ev.topic === 'status' && typeof d.venue === 'string' && typeof d.state === 'string') {
      const v = this.remoteVenues.get(d.venue);
      this.remoteVenues.set(d.venue, { node, state: d.state, ...(v?.breaker === undefined ? {} : { breaker: v.breaker }), seenMs: this.clock.epochMs() });
    }
    this.host.emit(ev.topic, { ...d, node });
  }

  private announced(node: string, a: { venues: Record<string, { state: string; breaker?: string }> }): void {
    if (a === null || typeof a !== 'object' || a.venues === null || typeof a.venues !== 'object') return;
    const now = this.clock.epochMs();
    for (const [venue, s] of Object.entries(a.venues)) {
      if (this.host.runs(venue) || s === null || typeof s !== 'object') continue;
      const before = this.remoteVenues.get(venue);
      this.remoteVenues.set(venue, { node, state: String(s.state), ...(s.breaker === undefined ? {} : { breaker: String(s.breaker) }), seenMs: now });
      // a venue first seen, or seen from another node or in another state: `status` subscribers hear it
      if (before === undefined || before.node !== node || before.state !== s.state) {
        this.host.emit('status', { type: 'venue.state', venue, state: String(s.state), previous: before?.state ?? 'unknown', reason: before === undefined ? 'announced' : before.node !== node ? `now run by node ${node}` : 'announced', node });
      }
    }
  }

  /** `gw.replay`: this node's events from `from` (a page), or a snapshot of its orders when they are no longer kept. */
  private async replayPage(req: { boot?: unknown; from?: unknown }): Promise<ReplayPage> {
    const from = typeof req.from === 'number' && Number.isInteger(req.from) ? req.from : 1;
    const page = this.out.replay(typeof req.boot === 'string' ? req.boot : '', from);
    if (page !== undefined) return { boot: this.out.boot, seq: this.out.seq, ...page };
    // the missed events are gone: every open order and the most recently closed ones, as they are now
    const seq = this.out.seq;
    const open = await this.host.serve.orders({ status: 'open', limit: SNAPSHOT_OPEN });
    const closed = await this.host.serve.orders({ status: 'closed', limit: SNAPSHOT_CLOSED });
    return { boot: this.out.boot, seq, snapshot: [...closed, ...open] as Record<string, unknown>[] };
  }

  /** Orders of another node as they are now (its replay answered with a snapshot): one `orders` event each, marked `resync: "snapshot"`. */
  private snapshotImported(node: string, orders: Record<string, unknown>[]): void {
    this.log.warn({ node, orders: orders.length }, 'events of another node: the missed ones are no longer kept there; applied a snapshot of its orders');
    for (const o of orders) {
      if (typeof o.venue === 'string' && this.host.runs(o.venue)) continue;
      if (typeof o.orderId === 'string') this.rememberOrder(o.orderId, node);
      this.host.emit('orders', { type: 'order.snapshot', ...o, node, resync: 'snapshot' });
    }
  }

  private rememberOrder(key: string, node: string): void {
    if (this.remoteOrders.has(key)) return;
    if (this.remoteOrders.size >= MAX_REMOTE_ORDERS) this.remoteOrders.delete(this.remoteOrders.keys().next().value!);
    this.remoteOrders.set(key, node);
  }

  private announce(): void {
    if (this.closed) return;
    const venues = this.host.venueStates();
    this.counters.announced++;
    this.transport.publish(gatewayTopic(this.node), { type: 'gw.announce', payload: { venues, boot: this.out.boot, seq: this.out.seq }, from: '', lane: 'data', key: '', correlationId: '', traceparent: '' });
    this.timer = this.clock.setTimer(this.options.announceMs, () => this.announce());
  }

  /** `status.remoteVenues`: every venue another node runs, with its node, state and how long ago it was heard of. */
  remoteVenueView(): Record<string, unknown> {
    const now = this.clock.epochMs();
    const out: Record<string, unknown> = {};
    for (const [venue, v] of this.remoteVenues) {
      const ageMs = now - v.seenMs;
      out[venue] = { node: v.node, state: v.state, ...(v.breaker === undefined ? {} : { breaker: v.breaker }), lastHeardMs: ageMs, stale: ageMs > 3 * this.options.announceMs };
    }
    // routed by config but never heard of
    for (const [venue, node] of Object.entries(this.options.venues)) if (!(venue in out) && !this.host.runs(venue)) out[venue] = { node, state: 'unknown', stale: true };
    return out;
  }
}
