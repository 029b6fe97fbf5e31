// Events across nodes after a NATS outage (docs/cluster.md "Events after a NATS outage"), with real
// processes: nats-server, one simulator with venues sim-a and sim-b, daemon A runs sim-a (node-a),
// daemon B runs sim-b (node-b). nats-server is stopped while B's own client trades sim-b (orders
// fill and one is canceled: B's venue connection does not need NATS); when it is back, A's client
// gets every one of those orders' final states, as B's (node-b), without asking: A sees the gap in
// B's event numbers (B's next announcement) and B replays what A missed.
import assert from 'node:assert/strict';
import { Simulator } from '../../../simulators/index.js';
import { TestClient, type GwMessage } from '../../fixtures/gateway/ws-client.js';
import { useClusterRig } from './rig.js';
import { simVenueEnv, type DaemonChild } from '../daemon/harness.js';

function yaml(sim: Simulator, natsUrl: string, node: string, venue: string): string {
  const v = sim.venues.find((x) => x.name === venue)!;
  return `venues:
  - { name: ${venue}, rest: ${v.rest}, ws: ${v.ws}, wsApi: ${v.wsApi} }
symbols: [BTC/USDT]
journal: { dir: journal, fsync: never }
strategies: []
risk: { strategies: { api: {} } }
shutdown: { cancelOpenOrders: false, timeoutMs: 20000 }
cluster:
  enabled: true
  nodeId: ${node}
  servers: [${natsUrl}]
  reconnectWaitMs: 50
  replication: { enabled: false }
  remote: { enabled: true, node: ${node}, announceMs: 200 }
`;
}

type Ack = { accepted: boolean; reason?: string; orderId?: string };
type Data = Record<string, unknown>;

describe('gateway across nodes: events after a NATS outage are replayed (real daemons, nats-server stopped and restarted)', function () {
  this.timeout(120_000);
  const rig = useClusterRig({ venues: 2, seed: 41, port: 0 });

  const daemon = (node: string, venue: string): Promise<{ d: DaemonChild; c: TestClient }> =>
    rig.daemon(yaml(rig.sim, rig.nats.url, node, venue), { env: simVenueEnv('sim-a', 'sim-b'), healthy: node, topics: ['orders', `md.ticker.${venue}.BTC/USDT`] });
  const submit = async (c: TestClient, args: Data): Promise<Ack> => {
    const r = await c.request('order.submit', { venue: 'sim-b', symbol: 'BTC/USDT', qtyLots: 20, type: 'limit', ...args });
    assert.equal(r.ok, true, JSON.stringify(r));
    const ack = r.result as Ack;
    assert.equal(ack.accepted, true, JSON.stringify(ack));
    return ack;
  };
  const final = (id: string, status: string, node?: string) => (m: GwMessage): boolean =>
    m.topic === 'orders' && (m.data as Data).orderId === id && (m.data as Data).status === status && (node === undefined || (m.data as Data).node === node);

  it('nats-server stopped while node-b fills and cancels orders; restarted: node-a\'s client gets every order\'s final state', async () => {
    const a = await daemon('node-a', 'sim-a');
    const b = await daemon('node-b', 'sim-b');
    const tick = (await b.c.waitFor((m) => m.topic === 'md.ticker.sim-b.BTC/USDT', 'a sim-b ticker', 20_000)).data as { bidTicks: number; askTicks: number };
    // contact: A has seen B's events before the outage
    const before = await submit(b.c, { side: 'buy', tif: 'IOC', priceTicks: Math.round(tick.askTicks * 1.02), clientOrderId: 'before-1' });
    await a.c.waitFor(final(before.orderId!, 'filled', 'node-b'), 'A sees B\'s order before the outage', 20_000);

    await rig.nats.stop();
    const filled: string[] = [];
    for (let i = 0; i < 5; i++) filled.push((await submit(b.c, { side: 'buy', tif: 'IOC', priceTicks: Math.round(tick.askTicks * 1.02), clientOrderId: `outage-${i}` })).orderId!);
    const rest = (await submit(b.c, { side: 'buy', priceTicks: Math.round(tick.bidTicks * 0.97), clientOrderId: 'outage-rest' })).orderId!;
    await b.c.waitFor(final(rest, 'accepted'), 'the resting order accepted', 20_000);
    assert.equal(((await b.c.request('order.cancel', { orderId: rest })).result as { canceled: boolean }).canceled, true);
    for (const id of filled) await b.c.waitFor(final(id, 'filled'), `${id} filled on B`, 20_000);
    await b.c.waitFor(final(rest, 'canceled'), 'the resting order canceled on B', 20_000);
    // none of it reached A while NATS was down
    assert.equal(a.c.messages.filter((m) => m.topic === 'orders' && [...filled, rest].includes((m.data as Data).orderId as string)).length, 0);

    await rig.nats.restart();
    for (const id of filled) await a.c.waitFor(final(id, 'filled', 'node-b'), `A gets ${id} filled after the outage`, 30_000);
    await a.c.waitFor(final(rest, 'canceled', 'node-b'), 'A gets the resting order canceled after the outage', 30_000);
    // each update once, in B's order: A saw exactly B's sequence of statuses for every order
    for (const id of [...filled, rest]) {
      const onB = b.c.messages.filter((m) => m.topic === 'orders' && (m.data as Data).orderId === id).map((m) => (m.data as Data).status);
      const onA = a.c.messages.filter((m) => m.topic === 'orders' && (m.data as Data).orderId === id).map((m) => (m.data as Data).status);
      assert.deepEqual(onA, onB, `order ${id}: A's updates are B's`);
    }
    const st = (await a.c.request('status.get', {})).result as { clusterGateway: { gaps: number; replayed: number; snapshots: number } };
    assert.ok(st.clusterGateway.gaps >= 1 && st.clusterGateway.replayed >= 6 && st.clusterGateway.snapshots === 0, JSON.stringify(st.clusterGateway));
  });
});
