// The gateway across nodes on takeover daemons (cluster.remote + cluster.lease.takeover), with real
// processes: one nats-server, the standalone simulator, two `bot4 daemon`s contending for one venue
// account. A client on the STANDBY places orders that the lease owner journals and sends, and sees
// their orders and fills events; SIGKILL the owner: the client, still on the surviving daemon (now
// the owner), trades; the killed daemon restarts as a standby and its client's orders go to the new
// owner. The ledger check on the new owner's journal finds 0 lost, duplicate or phantom orders.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { LiveClock } from '../../../common/clock.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { DEMO_API_KEY, Simulator } from '../../../simulators/index.js';
import { TestClient, type GwMessage } from '../../fixtures/gateway/ws-client.js';
import { venueInstruments } from '../../fixtures/exchange/harness.js';
import { useClusterRig } from './rig.js';
import { simVenueEnv, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

const clock = new LiveClock();

/** No strategies: the API clients are the only traders, so every order is one the test placed. */
export function takeoverGatewayYaml(sim: Simulator, natsUrl: string, node: string): string {
  const v = sim.venues[0]!;
  return `venues:
  - { name: sim-a, rest: ${v.rest}, ws: ${v.ws}, wsApi: ${v.wsApi} }
symbols: [BTC/USDT]
journal: { dir: journal, fsync: never }
strategies: []
risk:
  strategies: { api: {} }
  checks: { staleData: false, correlation: false }
shutdown: { cancelOpenOrders: false, timeoutMs: 20000 }
cluster:
  enabled: true
  nodeId: ${node}
  servers: [${natsUrl}]
  reconnectWaitMs: 50
  replication: { stream: ACCT_SIM_A, subject: acct.sim-a.log, ack: sync, retryMs: 50 }
  lease: { enabled: true, takeover: true, key: acct-sim-a, ttlMs: 3000, renewMs: 300, marginMs: 500 }
  remote: { enabled: true, node: ${node}, announceMs: 200, askTimeoutMs: 1000 }
`;
}

type Ack = { accepted: boolean; reason?: string; message?: string; orderId?: string; clientOrderId?: string };
type OrderEvent = { orderId: string; status: string; node?: string; apiClientOrderId?: string };

const orderEvent = (m: GwMessage): OrderEvent | undefined => (m.topic === 'orders' ? (m.data as OrderEvent) : undefined);

describe('gateway across nodes on takeover daemons: a standby routes to the lease owner, and routing follows a takeover (real daemons, nats-server, simulator)', function () {
  this.timeout(120_000);
  const rig = useClusterRig({ venues: 1, seed: 31, port: 0 });

  const daemon = (node: string): Promise<{ d: DaemonChild; c: TestClient }> => rig.daemon(takeoverGatewayYaml(rig.sim, rig.nats.url, node), { env: simVenueEnv('sim-a'), topics: ['orders', 'fills', 'status'] });
  const healthy = async (d: DaemonChild): Promise<boolean> => (await fetch(d.urls.health!)).status === 200;
  const stderrTail = (d: DaemonChild): string => d.stderr().slice(-4000);
  /** The best ask in ticks, from the owner's own market data (a standby has none). */
  async function ask(owner: TestClient): Promise<number> {
    assert.equal((await owner.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT'] })).ok, true);
    return ((await owner.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a ticker', 20_000)).data as { askTicks: number }).askTicks;
  }
  /** An IOC buy through the ask (fills), placed by `c`; retried (bounded) while the answer is a refusal in `retryOn`. */
  async function buy(c: TestClient, askTicks: number, cid: string, retryOn: readonly string[] = []): Promise<{ ack: Ack; refusals: string[] }> {
    const refusals: string[] = [];
    for (let i = 0; i < 150; i++) {
      const r = await c.request('order.submit', { clientOrderId: `${cid}-${i}`, venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: askTicks + 2000, qtyLots: 20 });
      assert.equal(r.ok, true, `order.submit answered an error: ${JSON.stringify(r)}`);
      const ack = r.result as Ack;
      if (ack.accepted || !retryOn.includes(ack.reason ?? '')) return { ack, refusals };
      refusals.push(ack.reason!);
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no order accepted through ${cid}: ${refusals.slice(-5).join(',')}`);
  }
  const filled = (c: TestClient, orderId: string, node: string): Promise<GwMessage> =>
    c.waitFor((m) => orderEvent(m)?.orderId === orderId && orderEvent(m)?.status === 'filled' && orderEvent(m)?.node === node, `order ${orderId} filled, seen as node ${node}'s`, 20_000);

  it('standby client trades through the owner and sees its events; SIGKILL the owner: the survivor trades; a restarted standby routes to the new owner; ledger 0 lost/duplicate/phantom', async () => {
    const a = await daemon('a');
    await until(() => healthy(a.d), 60_000, 'a owns the account').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${stderrTail(a.d)}`);
    });
    const b = await daemon('b');
    await until(async () => ((await b.c.request('status.get', {})).result as { leaseOwner?: string }).leaseOwner === 'a', 30_000, 'the standby b knows the owner a');
    // the standby's status shows the owner's venue as announced by it
    await until(async () => ((await b.c.request('status.get', {})).result as { remoteVenues?: Record<string, { node: string }> }).remoteVenues?.['sim-a']?.node === 'a', 10_000, 'the standby lists sim-a as run by a');

    // 1. Through the standby: journaled and sent by the owner a; b's client sees the order and its fill as a's.
    const px = await ask(a.c);
    const viaB = (await buy(b.c, px, 'via-b')).ack;
    assert.equal(viaB.accepted, true, JSON.stringify(viaB));
    await filled(b.c, viaB.orderId!, 'a');
    await b.c.waitFor((m) => m.topic === 'fills' && (m.data as { node?: string }).node === 'a', 'a fill of node a on b', 20_000);
    // orders.get on the standby is answered by the owner
    const onB = (await b.c.request('orders.get', { status: 'all', limit: 100 })).result as { orderId: string }[];
    assert.ok(onB.some((o) => o.orderId === viaB.orderId), `orders.get on the standby lists the order: ${JSON.stringify(onB)}`);
    // positions and balances of the account, on the standby: the owner's journal answers
    const pos = async (c: TestClient): Promise<unknown> => (await c.request('positions.get', {})).result;
    const bal = async (c: TestClient): Promise<unknown> => (await c.request('balances.get', {})).result;
    const posB = (await pos(b.c)) as { venue: string; symbol: string; qtyLots: number }[];
    assert.ok(posB.some((p) => p.venue === 'sim-a' && p.symbol === 'BTC/USDT' && p.qtyLots > 0), `the standby shows the owner's position: ${JSON.stringify(posB)}`);
    assert.deepEqual(posB.map((p) => p.qtyLots), ((await pos(a.c)) as { qtyLots: number }[]).map((p) => p.qtyLots));
    // (the amounts may move between the two reads, as venue balance updates land: the assets are the owner's)
    const assets = async (c: TestClient): Promise<string[]> => ((await bal(c)) as { venue: string; asset: string }[]).map((x) => `${x.venue}:${x.asset}`);
    assert.deepEqual(await assets(b.c), ['sim-a:BTC', 'sim-a:USDT'], 'the standby shows the owner\'s balances');
    assert.deepEqual(await assets(a.c), ['sim-a:BTC', 'sim-a:USDT']);
    // a resting order placed and canceled through the standby
    const rest = (await b.c.request('order.submit', { clientOrderId: 'rest-b', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(px * 0.97), qtyLots: 20 })).result as Ack;
    assert.equal(rest.accepted, true, JSON.stringify(rest));
    await b.c.waitFor((m) => orderEvent(m)?.orderId === rest.orderId && orderEvent(m)?.status === 'accepted', 'the resting order accepted by the venue', 20_000);
    const cancel = await b.c.request('order.cancel', { orderId: rest.orderId, venue: 'sim-a' });
    assert.equal((cancel.result as { canceled: boolean }).canceled, true, JSON.stringify(cancel));
    await b.c.waitFor((m) => orderEvent(m)?.orderId === rest.orderId && orderEvent(m)?.status === 'canceled', 'the resting order canceled', 20_000);

    // The owner freezes (SIGSTOP, shorter than the lease's TTL): the routed order's outcome is
    // unknown, so the standby's client gets an error naming the code, never a refusal.
    a.d.proc.kill('SIGSTOP');
    try {
      const frozen = await b.c.request('order.submit', { clientOrderId: 'frozen', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: px + 2000, qtyLots: 20 });
      assert.equal(frozen.ok, false, JSON.stringify(frozen));
      assert.equal(frozen.error?.code, 'GW_ENGINE_ERROR');
      assert.equal(frozen.error?.details?.engineCode, 'B4_ASK_TIMEOUT', JSON.stringify(frozen.error));
    } finally {
      a.d.proc.kill('SIGCONT');
    }

    // 2. SIGKILL the owner. b's client keeps submitting: while the lease still names a the order is
    // refused as not delivered (no node a answers); once b owns the lease it is b's own order.
    a.d.proc.kill('SIGKILL');
    await a.d.exited;
    const { ack: afterKill, refusals } = await buy(b.c, px, 'after-kill', ['B4_REMOTE_NODE_UNKNOWN', 'LEASE_STALE', 'ENGINE_NOT_RUNNING', 'VENUE_NOT_READY']);
    assert.equal(afterKill.accepted, true, `b trades after the takeover: ${JSON.stringify(afterKill)} (refusals ${refusals.join(',')})`);
    // the first try went to the dead owner the lease still named: provably not delivered
    assert.equal(refusals[0], 'B4_REMOTE_NODE_UNKNOWN', refusals.join(','));
    await until(() => healthy(b.d), 30_000, 'b owns the account').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${stderrTail(b.d)}`);
    });

    // 3. a restarts as a standby: its client's order goes to the new owner b, and it sees the fill as b's.
    const a2 = await daemon('a');
    await until(async () => ((await a2.c.request('status.get', {})).result as { leaseOwner?: string }).leaseOwner === 'b', 30_000, 'the restarted standby a knows the owner b');
    const px2 = await ask(b.c);
    const viaA2 = (await buy(a2.c, px2, 'via-a2')).ack;
    assert.equal(viaA2.accepted, true, JSON.stringify(viaA2));
    await filled(a2.c, viaA2.orderId!, 'b');
    // b's own client sees it too (a local event: no node tag)
    await b.c.waitFor((m) => orderEvent(m)?.orderId === viaA2.orderId && orderEvent(m)?.status === 'filled', 'the order filled on the owner b', 20_000);

    // 4. Ledger: b's journal (its last term: a's records rebuilt from the stream + its own) against the venue.
    await until(async () => ((await b.c.request('orders.get', { status: 'open', limit: 100 })).result as unknown[]).length === 0, 20_000, 'nothing open on b');
    const bDir = b.d.dir;
    assert.equal(await stopDaemon(b.d), 0);
    const root = path.join(bDir, 'journal');
    const terms = readdirSync(root).filter((n) => n.startsWith('term-')).sort();
    const instruments = await venueInstruments(rig.sim, clock, ['BTC/USDT']);
    const j = await OrderJournal.open({ dir: path.join(root, terms.at(-1)!), fsync: 'never' }, { clock, instruments, markInFlightUnknown: false, portfolio: { assetDecimals: Object.fromEntries(instruments.flatMap((i) => [[i.base, 8], [i.quote, 8]])) } });
    try {
      const account = userAccount(DEMO_API_KEY);
      const report = checkLedger({ orders: j.orders, portfolio: j.portfolio }, [{ venue: 'sim-a', ledger: rig.sim.ledger('sim-a', account), account }], { instruments });
      const c = report.counts;
      assert.ok(c.orders >= 4, `orders checked: ${c.orders}`);
      assert.deepEqual({ lost: c.lost, duplicate: c.duplicate, phantom: c.phantom }, { lost: 0, duplicate: 0, phantom: 0 }, JSON.stringify(report.anomalies.slice(0, 5)));
      assert.equal(report.ok, true, JSON.stringify(report.anomalies.slice(0, 5)));
    } finally {
      await j.close();
    }
  });
});
