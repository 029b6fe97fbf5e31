// The gateway across nodes with real daemons: nats-server, one simulator with venues sim-a and
// sim-b, daemon A runs sim-a (node-a), daemon B runs sim-b (node-b), both with cluster.remote on.
// A /ws client on A trades sim-b through A: the order is routed to node-b (its order entry, risk
// and journal), the ack comes back, and A's client sees its order.update/fill events; B's client
// sees the same order. Orders for a venue whose node is not running get B4_REMOTE_NODE_UNKNOWN.
import assert from 'node:assert/strict';
import { Simulator } from '../../../simulators/index.js';
import { TestClient, type GwMessage } from '../../fixtures/gateway/ws-client.js';
import { useClusterRig } from './rig.js';
import { simVenueEnv, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

/** Daemon config: one venue of the shared simulator; `routes`: the explicit routing table (B has none: it learns sim-a from A's announcements). */
function yaml(sim: Simulator, natsUrl: string, node: string, venue: string, routes: string): string {
  const v = sim.venues.find((x) => x.name === venue)!;
  return `venues:
  - { name: ${venue}, rest: ${v.rest}, ws: ${v.ws}, wsApi: ${v.wsApi} }
symbols: [BTC/USDT]
journal: { dir: journal, fsync: always }
strategies: []
risk: { strategies: { api: {} } }
shutdown: { cancelOpenOrders: false, timeoutMs: 20000 }
cluster:
  enabled: true
  nodeId: ${node}
  servers: [${natsUrl}]
  reconnectWaitMs: 50
  replication: { enabled: false }
  remote: { enabled: true, node: ${node}, announceMs: 200${routes} }
`;
}

type Ack = { accepted: boolean; reason?: string; message?: string; clientOrderId?: string; orderId?: string };
type Data = Record<string, unknown>;

describe('gateway across nodes: two real daemons on nats-server (cluster.remote)', function () {
  this.timeout(180_000);
  const rig = useClusterRig({ venues: 2, seed: 29, port: 0 });

  const daemon = (node: string, venue: string, routes: string): Promise<{ d: DaemonChild; c: TestClient }> =>
    rig.daemon(yaml(rig.sim, rig.nats.url, node, venue, routes), { env: simVenueEnv('sim-a', 'sim-b'), healthy: node, topics: ['orders', 'fills', 'status', `md.ticker.${venue}.BTC/USDT`] });
  const order = (venue: string, side: 'buy' | 'sell', priceTicks: number, clientOrderId: string) => ({ venue, symbol: 'BTC/USDT', side, type: 'limit', priceTicks, qtyLots: 20, clientOrderId });
  const submit = async (c: TestClient, args: object): Promise<Ack> => {
    const r = await c.request('order.submit', args);
    assert.equal(r.ok, true, `order.submit answered without error: ${JSON.stringify(r.error)}`);
    return r.result as Ack;
  };
  const isOrder = (id: string, status?: string) => (m: GwMessage): boolean => m.topic === 'orders' && (m.data as Data).orderId === id && (status === undefined || (m.data as Data).status === status);

  it('routes orders for another node\'s venue to it, shows its events on both nodes, and refuses B4_REMOTE_NODE_UNKNOWN when the node is not running', async () => {
    const a = await daemon('node-a', 'sim-a', ', askTimeoutMs: 1500, venues: { sim-b: node-b, sim-c: node-c }');
    const b = await daemon('node-b', 'sim-b', '');
    const tick = (await b.c.waitFor((m) => m.topic === 'md.ticker.sim-b.BTC/USDT', 'a sim-b ticker', 20_000)).data as { bidTicks: number; askTicks: number };

    // A knows sim-b and its node from B's announcements
    await until(async () => {
      const r = await a.c.request('status.get');
      assert.ok(r.ok, JSON.stringify(r.error));
      const st = r.result as { node?: string; remoteVenues?: Record<string, { node: string; stale: boolean }> };
      return st.node === 'node-a' && st.remoteVenues?.['sim-b']?.node === 'node-b' && st.remoteVenues['sim-b'].stale === false;
    }, 20_000, 'A status lists sim-b on node-b');

    // 1. a marketable buy for sim-b through A: acked by node-b, filled; A's client sees it all
    const ack = await submit(a.c, order('sim-b', 'buy', Math.round(tick.askTicks * 1.02), 'x-fill-1'));
    assert.equal(ack.accepted, true, JSON.stringify(ack));
    assert.equal(ack.clientOrderId, 'x-fill-1');
    const id = ack.orderId!;
    assert.ok(typeof id === 'string' && id.startsWith('api.'), `engine id of node-b: ${id}`);
    const seenOnA = (await a.c.waitFor(isOrder(id), `order ${id} on A's orders stream`, 20_000)).data as Data;
    assert.equal(seenOnA.node, 'node-b');
    assert.equal(seenOnA.venue, 'sim-b');
    assert.equal(seenOnA.apiClientOrderId, 'x-fill-1', 'the owner fills in the API client id');
    const fill = (await a.c.waitFor((m) => m.topic === 'fills' && (m.data as Data).orderId === id, `a fill of ${id} on A`, 30_000)).data as Data;
    assert.equal(fill.node, 'node-b');
    // B's own client sees the same order (a local order there)
    const seenOnB = (await b.c.waitFor(isOrder(id), `order ${id} on B's orders stream`, 20_000)).data as Data;
    assert.equal(seenOnB.node, undefined, 'local events carry no node');
    // no loops, no duplicates: A sees exactly B's sequence of updates, and B never gets its own events back
    await b.c.waitFor((m) => m.topic === 'fills' && (m.data as Data).orderId === id, `the fill of ${id} on B`, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const statusesOnA = a.c.messages.filter(isOrder(id)).map((m) => (m.data as Data).status as string);
    assert.deepEqual(statusesOnA, b.c.messages.filter(isOrder(id)).map((m) => (m.data as Data).status as string), 'A sees the updates B sees, in the same order');
    assert.ok(b.c.messages.filter((m) => (m.topic === 'orders' || m.topic === 'fills') && (m.data as Data).orderId === id).every((m) => (m.data as Data).node === undefined), 'no echo of its own events on B');
    // B's journal holds it: its orders query answers for it
    const onB = (await b.c.request('orders.get', { status: 'all' })).result as { orderId: string; clientOrderId?: string }[];
    assert.ok(onB.some((o) => o.orderId === id && o.clientOrderId === 'x-fill-1'), `node-b's journal has ${id}`);
    // A's journal does not: the order is node-b's
    const onA = (await a.c.request('orders.get', { status: 'all' })).result as { orderId: string }[];
    assert.ok(!onA.some((o) => o.orderId === id));
    // ... but orders.get for sim-b through A is answered by node-b
    const viaA = await a.c.request('orders.get', { status: 'all', venue: 'sim-b' });
    assert.equal(viaA.ok, true, JSON.stringify(viaA.error));
    assert.ok((viaA.result as { orderId: string; clientOrderId?: string }[]).some((o) => o.orderId === id && o.clientOrderId === 'x-fill-1'), `orders.get venue sim-b through A lists ${id}`);

    // 2. the owner's duplicate check applies to routed orders
    const dup = await submit(a.c, order('sim-b', 'buy', Math.round(tick.askTicks * 1.02), 'x-fill-1'));
    assert.equal(dup.accepted, false);
    assert.equal(dup.reason, 'DUPLICATE_CLIENT_ORDER_ID');
    assert.equal(dup.orderId, id);

    // 3. a resting order for sim-b through A, canceled through A by its clientOrderId (routed: A's journal does not hold it)
    const rest = await submit(a.c, order('sim-b', 'buy', Math.round(tick.bidTicks * 0.97), 'x-rest-1'));
    assert.equal(rest.accepted, true, JSON.stringify(rest));
    await a.c.waitFor(isOrder(rest.orderId!, 'accepted'), `${rest.orderId} accepted (seen on A)`, 20_000);
    const cancel = await a.c.request('order.cancel', { clientOrderId: 'x-rest-1' });
    assert.equal(cancel.ok, true, JSON.stringify(cancel.error));
    assert.deepEqual({ canceled: (cancel.result as Data).canceled, orderId: (cancel.result as Data).orderId }, { canceled: true, orderId: rest.orderId });
    await a.c.waitFor(isOrder(rest.orderId!, 'canceled'), `${rest.orderId} canceled (seen on A)`, 20_000);

    // 4. the other way round, without a routing table: B learned sim-a from A's announcements
    const tickA = (await a.c.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a sim-a ticker', 20_000)).data as { bidTicks: number };
    const fromB = await submit(b.c, order('sim-a', 'buy', Math.round(tickA.bidTicks * 0.97), 'y-rest-1'));
    assert.equal(fromB.accepted, true, JSON.stringify(fromB));
    assert.equal(((await b.c.waitFor(isOrder(fromB.orderId!), `${fromB.orderId} on B`, 20_000)).data as Data).node, 'node-a');

    // 5. a venue routed to a node that is not running: typed refusal, nothing silently lost
    const none = await submit(a.c, order('sim-c', 'buy', 100, 'x-none-1'));
    assert.equal(none.accepted, false);
    assert.equal(none.reason, 'B4_REMOTE_NODE_UNKNOWN', JSON.stringify(none));
    assert.match(none.message ?? '', /node-c/);

    // 6. the owner freezes (SIGSTOP): the routed order's outcome is unknown, an error reply (never a refusal);
    //    once it runs again the order shows on A's stream, and a retry with the same clientOrderId is refused as a duplicate
    b.d.proc.kill('SIGSTOP');
    try {
      const frozen = await a.c.request('order.submit', order('sim-b', 'buy', Math.round(tick.bidTicks * 0.97), 'x-frozen-1'));
      assert.equal(frozen.ok, false, JSON.stringify(frozen.result));
      assert.equal(frozen.error?.code, 'GW_ENGINE_ERROR');
      assert.equal(frozen.error?.details?.engineCode, 'B4_ASK_TIMEOUT', JSON.stringify(frozen.error));
    } finally {
      b.d.proc.kill('SIGCONT');
    }
    const late = (await a.c.waitFor((m) => m.topic === 'orders' && (m.data as Data).apiClientOrderId === 'x-frozen-1', 'the frozen order on A once B runs again', 20_000)).data as Data;
    // resolved by client order id from A: node-b's journal has it
    const q = (await a.c.request('orders.get', { status: 'all', venue: 'sim-b' })).result as { orderId: string; clientOrderId?: string }[];
    assert.equal(q.find((o) => o.clientOrderId === 'x-frozen-1')?.orderId, late.orderId);
    const retry = await submit(a.c, order('sim-b', 'buy', Math.round(tick.bidTicks * 0.97), 'x-frozen-1'));
    assert.equal(retry.reason, 'DUPLICATE_CLIENT_ORDER_ID');
    assert.equal(retry.orderId, late.orderId);

    // 7. the owner dies: orders for its venue are refused B4_REMOTE_NODE_UNKNOWN (bounded wait while NATS notices the dead connection)
    b.d.proc.kill('SIGKILL');
    await b.d.exited;
    let last: Ack | undefined;
    for (let i = 0; i < 50; i++) {
      last = await submit(a.c, order('sim-b', 'buy', Math.round(tick.bidTicks * 0.97), `x-down-${i}`));
      if (last.reason === 'B4_REMOTE_NODE_UNKNOWN') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last?.accepted, false);
    assert.equal(last?.reason, 'B4_REMOTE_NODE_UNKNOWN', JSON.stringify(last));
    // and a cancel routed to it too
    const c2 = await a.c.request('order.cancel', { venue: 'sim-b', orderId: id });
    assert.equal((c2.result as Data).canceled, false);
    assert.equal((c2.result as Data).reason, 'B4_REMOTE_NODE_UNKNOWN');

    // 8. A is cut from NATS: nothing is sent, B4_REMOTE_DISCONNECTED
    await rig.nats.stop();
    for (let i = 0; i < 50; i++) {
      last = await submit(a.c, order('sim-b', 'buy', Math.round(tick.bidTicks * 0.97), `x-cut-${i}`));
      if (last.reason === 'B4_REMOTE_DISCONNECTED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last?.accepted, false);
    assert.equal(last?.reason, 'B4_REMOTE_DISCONNECTED', JSON.stringify(last));

    // a graceful stop with the cluster gateway on (and NATS gone) exits cleanly
    assert.equal(await stopDaemon(a.d), 0, a.d.stderr().slice(-2000));
  });
});
