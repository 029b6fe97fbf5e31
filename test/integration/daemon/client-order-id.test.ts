import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { DEMO_API_KEY, DEMO_API_SECRET } from '../../../simulators/simulator.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { BOT4, ROOT, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

/*
 * API client order ids survive a daemon crash. The venue is a separate `bot4 sim` process, so it
 * (and the resting order) outlives the daemon like a real exchange would; the daemon is killed
 * with SIGKILL and restarted on the same journal. The caller retries with the same
 * `clientOrderId`: refused as a duplicate naming the original order, cancel by `clientOrderId`
 * works, and `orders.get` still shows the caller's id.
 */

interface OrderView {
  orderId: string;
  clientOrderId?: string;
  status: string;
}

const auth = { headers: { authorization: `Bearer ${TOKENS.admin}` } };

function yaml(urls: Map<string, string>): string {
  return `# daemon on an external simulator venue
venues:
  - name: sim-a
    rest: ${urls.get('sim-a.rest')}
    ws: ${urls.get('sim-a.ws')}
    wsApi: ${urls.get('sim-a.wsApi')}
symbols: [BTC/USDT]
journal:
  dir: journal
  fsync: always
strategies: []
risk:
  strategies:
    api: {}
shutdown:
  cancelOpenOrders: false
  timeoutMs: 20000
`;
}

describe('API clientOrderId across a daemon crash (SIGKILL, same journal, external venue)', function () {
  this.timeout(240_000);
  let sim: ChildProcess | undefined;
  let d: DaemonChild | undefined;
  let dir = '';

  after(async () => {
    if (d !== undefined) await stopDaemon(d);
    if (sim !== undefined && sim.exitCode === null && sim.signalCode === null) sim.kill('SIGKILL');
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('a retried id is refused with the original order id, cancel by clientOrderId works, orders.get keeps the id', async () => {
    sim = spawn(process.execPath, [BOT4, 'sim', '--venues', '1', '--profile', 'none', '--port', '0', '--seed', '11'], { cwd: ROOT, env: { ...process.env, BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let simOut = '';
    sim.stdout!.on('data', (b: Buffer) => (simOut += b.toString()));
    await until(() => simOut.includes('\n') || sim!.exitCode !== null, 60_000, 'sim ready');
    const line = simOut.split('\n').find((l) => l.startsWith('bot4 sim ready '))!;
    const urls = new Map(line.split(' ').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]));
    const venueEnv = { BOT4_VENUE_SIM_A_API_KEY: DEMO_API_KEY, BOT4_VENUE_SIM_A_API_SECRET: DEMO_API_SECRET };

    d = await startDaemon(yaml(urls), { env: venueEnv });
    dir = d.dir;
    await until(async () => (await fetch(d!.urls.health!)).status === 200, 60_000, '/health 200');
    let admin = await TestClient.connect(d.urls.api!, auth);
    assert.equal((await admin.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT'] })).ok, true);
    const tick = (await admin.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a ticker', 20_000)).data as { bidTicks: number };
    const order = { clientOrderId: 'intent-7', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(tick.bidTicks * 0.97), qtyLots: 20 };
    const first = (await admin.request('order.submit', order)).result as { accepted: boolean; orderId: string; clientOrderId: string };
    assert.equal(first.accepted, true, JSON.stringify(first));
    const openOnes = async (c: TestClient): Promise<OrderView[]> => (await c.request('orders.get', { status: 'open' })).result as OrderView[];
    await until(async () => (await openOnes(admin)).some((o) => o.orderId === first.orderId && o.status === 'accepted'), 20_000, 'the order accepted by the venue');
    admin.close();

    // crash: nothing flushed by a shutdown, the journal is what it is
    d.proc.kill('SIGKILL');
    assert.equal(await d.exited, 'SIGKILL');
    d = await startDaemon(yaml(urls), { env: venueEnv, dir });
    await until(async () => (await fetch(d!.urls.health!)).status === 200, 60_000, '/health 200 after the restart');
    admin = await TestClient.connect(d.urls.api!, auth);

    const view = (await openOnes(admin)).find((o) => o.orderId === first.orderId);
    assert.ok(view !== undefined, 'the order is still open after the restart');
    assert.equal(view.clientOrderId, 'intent-7', 'orders.get keeps the caller id');

    const retry = (await admin.request('order.submit', order)).result as { accepted: boolean; reason: string; orderId: string; clientOrderId: string };
    assert.deepEqual([retry.accepted, retry.reason, retry.orderId, retry.clientOrderId], [false, 'DUPLICATE_CLIENT_ORDER_ID', first.orderId, 'intent-7']);
    assert.equal((await openOnes(admin)).length, 1, 'one live order for one intent');

    assert.deepEqual((await admin.request('order.cancel', { clientOrderId: 'never-used' })).result, { canceled: false, reason: 'UNKNOWN_ORDER' });
    const cancel = (await admin.request('order.cancel', { clientOrderId: 'intent-7' })).result as { canceled: boolean; orderId: string };
    assert.deepEqual(cancel, { canceled: true, orderId: first.orderId });
    await until(async () => (await openOnes(admin)).length === 0, 20_000, 'the order canceled at the venue');
    const all = (await admin.request('orders.get', { status: 'all' })).result as OrderView[];
    assert.deepEqual(
      all.filter((o) => o.clientOrderId === 'intent-7').map((o) => [o.orderId, o.status]),
      [[first.orderId, 'canceled']],
    );
    // still remembered once closed: the same id is refused again
    const again = (await admin.request('order.submit', order)).result as { accepted: boolean; reason: string; orderId: string };
    assert.deepEqual([again.accepted, again.reason, again.orderId], [false, 'DUPLICATE_CLIENT_ORDER_ID', first.orderId]);
    admin.close();
  });
});
