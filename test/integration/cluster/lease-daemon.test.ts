// Two `bot4 daemon` processes on one venue account with cluster.lease on: only the owner's orders
// pass, the standby's are denied LEASE_STALE; SIGKILL the owner and the standby takes over (its
// orders pass). The owner's replicated stream rebuilds into a fresh journal holding its order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { LiveClock } from '../../../common/clock.js';
import { rebuildJournalFromStream } from '../../../cluster/replicated-log-rebuild.js';
import { Simulator } from '../../../simulators/index.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { venueInstruments } from '../../fixtures/exchange/harness.js';
import { simVenueEnv, startDaemon, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

const auth = { headers: { authorization: `Bearer ${TOKENS.admin}` } };
const clock = new LiveClock();

function yaml(sim: Simulator, natsUrl: string, node: string): string {
  const v = sim.venues[0]!;
  return `venues:
  - { name: sim-a, rest: ${v.rest}, ws: ${v.ws}, wsApi: ${v.wsApi} }
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
  replication: { stream: ORDERS_${node.toUpperCase()}, subject: orders.${node}, retryMs: 50 }
  lease: { enabled: true, key: acct-sim-a, ttlMs: 1500, renewMs: 300, marginMs: 500 }
`;
}

type SubmitResult = { accepted: boolean; reason?: string; clientOrderId?: string; orderId?: string };

describe('two daemons, one venue account: the lease decides who sends (real daemons, nats-server, simulator)', function () {
  this.timeout(180_000);
  let sim: Simulator;
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const daemons: DaemonChild[] = [];
  const clients: TestClient[] = [];
  const dirs: string[] = [];

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 23, port: 0 });
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
  });
  after(async () => {
    for (const c of clients) c.ws.close();
    for (const d of daemons) await stopDaemon(d).catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await nats?.dispose();
    await sim?.stop();
    for (const d of [...dirs, ...daemons.map((x) => x.dir)]) rmSync(d, { recursive: true, force: true });
  });

  async function daemon(node: string): Promise<{ d: DaemonChild; c: TestClient; bid: number }> {
    const d = await startDaemon(yaml(sim, nats.url, node), { env: simVenueEnv('sim-a') });
    daemons.push(d);
    await until(async () => (await fetch(d.urls.health!)).status === 200, 60_000, `${node} /health 200`);
    const c = await TestClient.connect(d.urls.api!, auth);
    clients.push(c);
    assert.equal((await c.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT'] })).ok, true);
    const tick = (await c.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a ticker', 20_000)).data as { bidTicks: number };
    return { d, c, bid: tick.bidTicks };
  }
  const submit = async (c: TestClient, bid: number): Promise<SubmitResult> =>
    (await c.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(bid * 0.97), qtyLots: 20 })).result as SubmitResult;
  /** Submits until accepted (bounded); returns the accepted result and every refusal reason seen. */
  async function submitUntilAccepted(c: TestClient, bid: number, ms: number): Promise<{ ok: SubmitResult; refused: string[] }> {
    const refused: string[] = [];
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const r = await submit(c, bid);
      if (r.accepted) return { ok: r, refused };
      refused.push(`${r.reason ?? '?'}${refused.length === 0 ? ` (${(r as { message?: string }).message ?? ''})` : ''}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no order accepted within ${ms} ms: ${refused[0] ?? ''} … ${refused.slice(-3).join(', ')}; last: ${JSON.stringify(await submit(c, bid))}`);
  }

  it('owner sends, standby is denied LEASE_STALE; after SIGKILL of the owner the standby takes over; the owner\'s stream rebuilds its orders', async () => {
    const a = await daemon('a');
    const first = await submitUntilAccepted(a.c, a.bid, 20_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\ndaemon a stderr:\n${a.d.stderr().split('\n').filter((l) => !l.includes('api order')).join('\n').slice(-4000)}`);
    });
    assert.ok(first.refused.every((r) => r.startsWith('LEASE_STALE')), `only LEASE_STALE while acquiring: ${first.refused.join(',')}`);
    const aIds = [first.ok.orderId, first.ok.clientOrderId].filter((x): x is string => typeof x === 'string' && x !== '');
    assert.ok(aIds.length > 0, JSON.stringify(first.ok));

    const b = await daemon('b');
    for (let i = 0; i < 5; i++) {
      const r = await submit(b.c, b.bid);
      assert.equal(r.accepted, false, 'the standby never sends');
      assert.equal(r.reason, 'LEASE_STALE');
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal((await submit(a.c, a.bid)).accepted, true, 'the owner still sends');

    a.d.proc.kill('SIGKILL');
    await a.d.exited;
    const taken = await submitUntilAccepted(b.c, b.bid, 30_000);
    assert.ok(taken.refused.length > 0 && taken.refused.every((r) => r.startsWith('LEASE_STALE')), `refused LEASE_STALE until the takeover: ${taken.refused.join(',')}`);

    // The dead owner's log: everything up to its last acknowledged record is in its stream.
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-lease-rebuild-'));
    dirs.push(dir);
    await rebuildJournalFromStream(nc, 'ORDERS_A', dir);
    const instruments = await venueInstruments(sim, clock, ['BTC/USDT']);
    const j = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments, markInFlightUnknown: false });
    try {
      const orders = [...j.orders.values()];
      assert.ok(orders.some((o) => aIds.includes(o.clientOrderId)), `the owner's first order ${aIds.join('/')} is in its rebuilt journal (${orders.map((o) => o.clientOrderId).join(', ')})`);
      assert.ok(orders.filter((o) => o.intent.strategy === 'api').length >= 2, 'both orders the owner accepted');
    } finally {
      await j.close();
    }
  });
});
