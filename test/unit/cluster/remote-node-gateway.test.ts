// ClusterGateway (daemon/event-relay-cluster.ts) between two actor systems in this process over a
// real nats-server, with the engine and API reduced to what the gateway touches: the failure paths
// the two-daemon test (test/integration/cluster/gateway-cluster.test.ts) cannot provoke.
import assert from 'node:assert/strict';
import { ActorSystem } from '../../../actors/runtime/index.js';
import type { Engine } from '../../../actors/engine/engine.js';
import { LiveClock } from '../../../common/clock.js';
import { Bot4Error } from '../../../common/errors.js';
import { parseClusterOptions } from '../../../cluster/replication-options.js';
import { CLUSTER_GATEWAY_ADDRESS, ClusterGateway } from '../../../daemon/event-relay-cluster.js';
import type { EngineApi } from '../../../daemon/engine-api.js';
import type { CancelAllRequest, OrderRequest, RequestContext } from '../../../gateway/engine-port.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';

const ctx: RequestContext = { principal: 'ops', roles: ['admin'], connectionId: 1, requestId: 'r1' };
const req = (venue: string, clientOrderId = 'c-1'): OrderRequest => ({ venue, symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 1, reduceOnly: false, strategy: 'api', clientOrderId });

/** One node: an actor system, a fake engine running `venues`, a fake API recording what the gateway emits and serving routed requests with `serve`. */
function node(name: string, venues: string[], serve: (op: string, req: unknown, ctx: RequestContext) => Promise<unknown>) {
  const clock = new LiveClock();
  const system = new ActorSystem({ name });
  const emitted: { topic: string; data: Record<string, unknown> }[] = [];
  const engine = {
    system,
    clock,
    venues: new Map(venues.map((v) => [v, { breaker: { state: 'closed' } }])),
    venueStats: () => Object.fromEntries(venues.map((v) => [v, { state: 'running' }])),
  } as unknown as Engine;
  const api = {
    events: { exporter: undefined as ((t: string, d: Record<string, unknown>) => void) | undefined, emit: (topic: string, data: Record<string, unknown>) => void emitted.push({ topic, data }) },
    entry: {
      router: undefined,
      submitOrder: (r: unknown, c: RequestContext) => serve('submit', r, c),
      cancelOrder: (r: unknown, c: RequestContext) => serve('cancel', r, c),
      cancelAll: (r: unknown, c: RequestContext) => serve('cancel-all', r, c),
    },
    queries: {
      router: undefined,
      cluster: undefined as undefined | { node: string; remoteVenues(): Record<string, unknown>; stats(): Record<string, unknown> },
      orders: (f: unknown) => serve('orders', f, ctx),
    },
  };
  return { system, engine, api, emitted, asApi: api as unknown as EngineApi };
}

async function until(check: () => boolean, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('ClusterGateway: routing, export/import and failures (two actor systems, real nats-server)', function () {
  this.timeout(60_000);
  let server: NatsServerHandle;
  const gws: ClusterGateway[] = [];
  const systems: ActorSystem[] = [];
  const served: { op: string; req: unknown; ctx: RequestContext }[] = [];
  let a: ReturnType<typeof node>;
  let b: ReturnType<typeof node>;
  let gwA: ClusterGateway;

  before(async () => {
    server = await startNatsServer();
    a = node('node-a', ['sim-a'], () => Promise.reject(new Error('node-a serves nothing here')));
    b = node('node-b', ['sim-b', 'sim-d'], async (op, r, c) => {
      served.push({ op, req: r, ctx: c });
      const o = r as { clientOrderId?: string };
      if (o.clientOrderId === 'explode') throw new Bot4Error('B4_TEST_OWNER_FAILED', 'the owner failed');
      if (op === 'submit') return { accepted: true, orderId: 'api.x.1', clientOrderId: o.clientOrderId };
      if (op === 'cancel-all') return { count: 2 };
      if (op === 'orders') return [{ orderId: 'api.x.1', venue: (r as { venue: string }).venue }];
      return { canceled: true };
    });
    systems.push(a.system, b.system);
    const conn = { servers: [server.url], reconnectWaitMs: 50 };
    const opts = (o: unknown) => parseClusterOptions({ enabled: true, remote: o }).remote;
    gwA = await ClusterGateway.start(a.engine, a.asApi, opts({ enabled: true, node: 'node-a', announceMs: 100, askTimeoutMs: 1000, venues: { 'sim-c': 'node-c', 'sim-d': 'node-b' } }), conn);
    gws.push(gwA);
    gws.push(await ClusterGateway.start(b.engine, b.asApi, opts({ enabled: true, node: 'node-b', announceMs: 100 }), conn));
  });
  after(async () => {
    for (const g of gws) await g.close().catch(() => undefined);
    for (const s of systems) await s.shutdown().catch(() => undefined);
    await server?.dispose();
  });

  it('hooks the API: exporter, router, status', () => {
    assert.equal(typeof a.api.events.exporter, 'function');
    assert.equal(a.api.entry.router, gwA);
    assert.equal(a.api.queries.cluster?.node, 'node-a');
    assert.equal(a.api.queries.cluster?.stats().connection, 'connected');
  });

  it('learns the other node\'s venues from its announcements; the routing table wins; unknown venues have no owner', async () => {
    await until(() => gwA.ownerOf('sim-b') === 'node-b', 'sim-b announced by node-b');
    assert.equal(gwA.ownerOf('sim-d'), 'node-b');
    assert.equal(gwA.ownerOf('sim-c'), 'node-c', 'from the table, never heard of');
    assert.equal(gwA.ownerOf('sim-z'), undefined);
    const view = a.api.queries.cluster!.remoteVenues() as Record<string, { node: string; state: string; stale: boolean }>;
    assert.deepEqual({ node: view['sim-b']!.node, state: view['sim-b']!.state, stale: view['sim-b']!.stale }, { node: 'node-b', state: 'running', stale: false });
    assert.deepEqual({ node: view['sim-c']!.node, state: view['sim-c']!.state, stale: view['sim-c']!.stale }, { node: 'node-c', state: 'unknown', stale: true });
    // the first announcement is a status event on A
    assert.ok(a.emitted.some((e) => e.topic === 'status' && e.data.venue === 'sim-b' && e.data.node === 'node-b'));
  });

  it('exports local events to the other node with node added, never back to the sender, and remembers the order\'s node', async () => {
    const before = b.emitted.length;
    b.api.events.exporter!('orders', { type: 'order.update', orderId: 'api.x.7', apiClientOrderId: 'mine-7', venue: 'sim-b', status: 'accepted' });
    await until(() => a.emitted.some((e) => e.topic === 'orders' && e.data.orderId === 'api.x.7'), 'the order on A');
    const ev = a.emitted.find((e) => e.topic === 'orders' && e.data.orderId === 'api.x.7')!;
    assert.equal(ev.data.node, 'node-b');
    assert.equal(gwA.nodeOfOrder('api.x.7', undefined), 'node-b');
    assert.equal(gwA.nodeOfOrder(undefined, 'mine-7'), 'node-b');
    assert.equal(gwA.nodeOfOrder('api.other', 'other'), undefined);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b.emitted.slice(before).filter((e) => e.topic === 'orders').length, 0, 'no echo on B');
    assert.equal(a.emitted.filter((e) => e.topic === 'orders' && e.data.orderId === 'api.x.7').length, 1, 'once on A');
  });

  it('a routed submit runs on the owner (marked routed, principal names the origin) and returns its ack', async () => {
    const ack = await gwA.submit('node-b', req('sim-b'), ctx);
    assert.deepEqual(ack, { accepted: true, orderId: 'api.x.1', clientOrderId: 'c-1' });
    const s = served.at(-1)!;
    assert.equal(s.op, 'submit');
    assert.equal(s.ctx.principal, 'node-a:ops');
    assert.equal((s.req as OrderRequest).venue, 'sim-b');
  });

  it('the owner\'s failure is an error B4_REMOTE_FAILED naming its code, never a refusal', async () => {
    await assert.rejects(gwA.submit('node-b', req('sim-b', 'explode'), ctx), (e: unknown) => e instanceof Bot4Error && e.code === 'B4_REMOTE_FAILED' && /B4_TEST_OWNER_FAILED/.test(e.message));
  });

  it('a node that does not run is a refusal B4_REMOTE_NODE_UNKNOWN for submit and cancel, an error for cancel-all', async () => {
    const r = await gwA.submit('node-c', req('sim-c'), ctx);
    assert.equal(r.accepted, false);
    assert.equal(r.reason, 'B4_REMOTE_NODE_UNKNOWN');
    assert.equal(r.clientOrderId, 'c-1');
    const c = await gwA.cancel('node-c', { orderId: 'api.y.1' }, ctx);
    assert.deepEqual(c, { canceled: false, orderId: 'api.y.1', reason: 'B4_REMOTE_NODE_UNKNOWN' });
    const all: CancelAllRequest = { venue: 'sim-c' };
    await assert.rejects(gwA.cancelAll('node-c', all, ctx), (e: unknown) => e instanceof Bot4Error && e.code === 'B4_REMOTE_NODE_UNKNOWN');
    assert.deepEqual(await gwA.cancelAll('node-b', { venue: 'sim-b' }, ctx), { count: 2 });
    await assert.rejects(gwA.orders('node-c', { status: 'all', venue: 'sim-c', limit: 100 }), (e: unknown) => e instanceof Bot4Error && e.code === 'B4_REMOTE_NODE_UNKNOWN');
  });

  it('orders.get for another node\'s venue is answered by that node', async () => {
    assert.deepEqual(await gwA.orders('node-b', { status: 'all', venue: 'sim-b', limit: 100 }), [{ orderId: 'api.x.1', venue: 'sim-b' }]);
  });

  it('a malformed routed request is answered with an error, not dropped', async () => {
    const r = await a.system.ask<{ ok: boolean; code: string }>(`node-b/${CLUSTER_GATEWAY_ADDRESS}`, { type: 'gw.submit', payload: { req: 1 } }, { timeoutMs: 2000 });
    assert.deepEqual({ ok: r.ok, code: r.code }, { ok: false, code: 'B4_CODEC_MALFORMED' });
  });

  it('after close nothing is hooked, and a routed submit is refused without reaching NATS', async () => {
    const gw = gws.pop()!; // node-b's
    await gw.close();
    assert.equal(b.api.events.exporter, undefined);
    assert.equal(b.api.entry.router, undefined);
    assert.equal(b.api.queries.router, undefined);
    assert.equal(b.api.queries.cluster, undefined);
    await gwA.close();
    // the transport is detached: `node-b/…` is no address of this system (the order entry no longer routes at all)
    const r = await gwA.submit('node-b', req('sim-b'), ctx);
    assert.equal(r.accepted, false);
    assert.equal(r.reason, 'B4_ACTOR_NOT_FOUND');
  });
});
