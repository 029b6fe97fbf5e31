// Automatic takeover (cluster.lease.takeover) with real processes: two `bot4 daemon`s on one venue
// account (the standalone simulator), one nats-server. The standby is up but trades nothing (its
// /health is 503 with `lease.owner: false`, its /ws answers, its orders are refused LEASE_STALE);
// SIGKILL the owner and the standby rebuilds the account's journal from the shared stream, starts
// its engine, reconciles, and trades (strategy and API orders). The ledger check on the new owner's
// journal against the venue finds 0 lost, duplicate or phantom orders.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { LiveClock } from '../../../common/clock.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { DEMO_API_KEY, Simulator } from '../../../simulators/index.js';
import { type TestClient } from '../../fixtures/gateway/ws-client.js';
import { venueInstruments } from '../../fixtures/exchange/harness.js';
import { useClusterRig } from './rig.js';
import { simVenueEnv, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

const clock = new LiveClock();

function yaml(sim: Simulator, natsUrl: string, node: string): string {
  const v = sim.venues[0]!;
  return `venues:
  - { name: sim-a, rest: ${v.rest}, ws: ${v.ws}, wsApi: ${v.wsApi} }
symbols: [BTC/USDT]
journal: { dir: journal, fsync: always }
strategies:
  - { id: gen, kind: constant-rate, instruments: [sim-a:BTC/USDT], params: { ratePerSec: 5, qtyLots: 100, offsetTicks: 300, tickMs: 20 } }
risk:
  strategies: { api: {}, gen: {} }
  checks: { staleData: false, correlation: false }
shutdown: { cancelOpenOrders: false, timeoutMs: 20000 }
cluster:
  enabled: true
  nodeId: ${node}
  servers: [${natsUrl}]
  reconnectWaitMs: 50
  replication: { stream: ACCT_SIM_A, subject: acct.sim-a.log, ack: sync, retryMs: 50 }
  lease: { enabled: true, takeover: true, key: acct-sim-a, ttlMs: 1500, renewMs: 300, marginMs: 500 }
`;
}

type SubmitResult = { accepted: boolean; reason?: string; message?: string; clientOrderId?: string; orderId?: string };
type Health = { status: number; body: { ready: boolean; checks: Record<string, boolean> } };

async function health(d: DaemonChild): Promise<Health> {
  const r = await fetch(d.urls.health!);
  return { status: r.status, body: (await r.json()) as Health['body'] };
}

describe('automatic takeover: a standby daemon rebuilds from the account stream and trades (real daemons, nats-server, simulator)', function () {
  this.timeout(240_000);
  const rig = useClusterRig({ venues: 1, seed: 29, port: 0 });

  const daemon = (node: string): Promise<{ d: DaemonChild; c: TestClient }> => rig.daemon(yaml(rig.sim, rig.nats.url, node), { env: simVenueEnv('sim-a') });
  async function bid(c: TestClient): Promise<number> {
    assert.equal((await c.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT'] })).ok, true);
    return ((await c.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a ticker', 20_000)).data as { bidTicks: number }).bidTicks;
  }
  const submit = async (c: TestClient, px: number): Promise<SubmitResult> =>
    (await c.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(px * 0.97), qtyLots: 20 })).result as SubmitResult;
  const venueOrders = (): number => rig.sim.ledger('sim-a', userAccount(DEMO_API_KEY)).orders.length;
  const stderrTail = (d: DaemonChild): string => d.stderr().split('\n').filter((l) => !l.includes('api order')).join('\n').slice(-4000);

  it('standby trades nothing; SIGKILL the owner: the standby takes over, trades, and the ledger check finds 0 lost/duplicate/phantom', async () => {
    const a = await daemon('a');
    await until(async () => (await health(a.d)).status === 200, 60_000, 'a (first daemon) owns the account: /health 200').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${stderrTail(a.d)}`);
    });
    const aBid = await bid(a.c);
    const first = await submit(a.c, aBid);
    assert.equal(first.accepted, true, JSON.stringify(first));
    await until(() => venueOrders() >= 5, 30_000, 'the owner\'s strategy trades');

    const b = await daemon('b');
    // The standby is up: /health answers not ready with the lease check, /ws answers, orders are refused.
    const h = await health(b.d);
    assert.equal(h.status, 503);
    assert.equal(h.body.checks['lease.owner'], false, JSON.stringify(h.body));
    const st = (await b.c.request('status.get', {})).result as { state: string; standby?: boolean; leaseOwner?: string };
    assert.equal(st.standby, true, JSON.stringify(st));
    assert.equal(st.state, 'standby');
    const refused = await submit(b.c, aBid);
    assert.equal(refused.accepted, false);
    assert.equal(refused.reason, 'LEASE_STALE');
    // Still trading through the owner only.
    const before = venueOrders();
    await until(() => venueOrders() >= before + 3, 30_000, 'the owner keeps trading while b is standby');
    assert.equal((await submit(a.c, aBid)).accepted, true, 'the owner still takes API orders');

    a.d.proc.kill('SIGKILL');
    await a.d.exited;
    const killedAt = venueOrders();
    await until(async () => (await health(b.d)).status === 200, 60_000, 'b took over: /health 200').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${stderrTail(b.d)}`);
    });
    const bBid = await bid(b.c);
    let taken: SubmitResult | undefined;
    for (let i = 0; i < 100 && taken?.accepted !== true; i++) {
      taken = await submit(b.c, bBid);
      if (taken.accepted !== true) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(taken?.accepted, true, `an API order through the new owner: ${JSON.stringify(taken)}`);
    await until(() => venueOrders() >= killedAt + 5, 30_000, 'the new owner\'s strategy trades');
    // The new owner sees the old owner's orders (rebuilt from the stream).
    const orders = (await b.c.request('orders.get', { status: 'all', limit: 1000 })).result as { clientOrderId?: string; orderId: string }[];
    const firstId = first.clientOrderId ?? first.orderId;
    assert.ok(orders.some((o) => o.clientOrderId === firstId || o.orderId === firstId), `the old owner's first order ${firstId} is in the new owner's state`);

    // Settle as the chaos runner does: strategy stopped, every open order canceled, until the new
    // owner has nothing open, submitted or unknown (the old owner's in-flight orders are resolved by
    // client order id); then a graceful stop and the ledger check on b's journal (its last term's directory).
    assert.equal(((await b.c.request('strategy.stop', { id: 'gen' })).result as { ok: boolean }).ok, true);
    let open: { status: string; clientOrderId?: string }[] = [];
    for (let i = 0; i < 150; i++) {
      if (i % 10 === 0) await b.c.request('order.cancelAll', {});
      open = (await b.c.request('orders.get', { status: 'open', limit: 1000 })).result as typeof open;
      if (open.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(open.map((o) => `${o.clientOrderId}:${o.status}`), [], 'the new owner settles: nothing open or unknown');
    const bDir = b.d.dir;
    assert.equal(await stopDaemon(b.d), 0);
    const root = path.join(bDir, 'journal');
    const terms = readdirSync(root).filter((n) => n.startsWith('term-')).sort();
    assert.ok(terms.length >= 1, `b rebuilt a term directory: ${readdirSync(root).join(',')}`);
    const instruments = await venueInstruments(rig.sim, clock, ['BTC/USDT']);
    const j = await OrderJournal.open({ dir: path.join(root, terms.at(-1)!), fsync: 'never' }, { clock, instruments, markInFlightUnknown: false, portfolio: { assetDecimals: Object.fromEntries(instruments.flatMap((i) => [[i.base, 8], [i.quote, 8]])) } });
    try {
      const account = userAccount(DEMO_API_KEY);
      const report = checkLedger({ orders: j.orders, portfolio: j.portfolio }, [{ venue: 'sim-a', ledger: rig.sim.ledger('sim-a', account), account }], { instruments });
      const c = report.counts;
      assert.ok(c.orders > 10, `orders checked: ${c.orders}`);
      assert.deepEqual({ lost: c.lost, duplicate: c.duplicate, phantom: c.phantom }, { lost: 0, duplicate: 0, phantom: 0 }, JSON.stringify(report.anomalies.slice(0, 5)));
      assert.equal(report.ok, true, JSON.stringify(report.anomalies.slice(0, 5)));
    } finally {
      await j.close();
    }
  });
});
