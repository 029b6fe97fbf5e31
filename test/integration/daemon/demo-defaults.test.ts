import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { DAEMON_DEFAULTS } from '../../../daemon/config.js';
import { DEMO_API_KEY, DEMO_API_SECRET } from '../../../simulators/simulator.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { BOT4, ROOT, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

/*
 * The demo's strategies (the daemon defaults: mm-btc on sim-a, pairs-btc on sim-a and sim-b) spend
 * their share of each venue's order budget; a user's API order (strategy `api`) is still accepted
 * on either venue, because `apiShare` of every order window is kept for it. The venues are an
 * external `bot4 sim` so the test can give them a small budget the strategies surely spend
 * (3 orders per 10 s, 2 of them kept for the API); everything else is the demo as `npm start`
 * runs it.
 */

/** At most this long for the market maker to get MIN_DECIDED quotes decided by the venue (env `BOT4_TEST_DEMO_MS`). */
const RUN_MS = Number(process.env.BOT4_TEST_DEMO_MS ?? 120_000);
/** Quotes the venue must have decided (accepted, filled, cancelled, rejected…) before the share is taken. */
const MIN_DECIDED = 60;

const auth = { headers: { authorization: `Bearer ${TOKENS.admin}` } };

async function metric(d: DaemonChild, name: string, labels: string): Promise<number> {
  const text = await (await fetch(d.urls.metrics!)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function yaml(urls: Map<string, string>): string {
  const venue = (name: string): string => `  - name: ${name}
    rest: ${urls.get(`${name}.rest`)}
    ws: ${urls.get(`${name}.ws`)}
    wsApi: ${urls.get(`${name}.wsApi`)}
    limits: { ordersPer10s: 3, headroom: 1, apiShare: 0.67 }`;
  return `# the demo defaults on two external simulator venues with a small order budget
venues:
${venue('sim-a')}
${venue('sim-b')}
symbols: [BTC/USDT]
journal:
  dir: journal
  fsync: never
strategies: ${JSON.stringify(DAEMON_DEFAULTS.strategies)}
risk: ${JSON.stringify(DAEMON_DEFAULTS.risk)}
shutdown:
  cancelOpenOrders: false
  timeoutMs: 20000
`;
}

describe('demo defaults: API orders have their own share of the venue budget', function () {
  this.timeout(240_000);
  let sim: ChildProcess | undefined;
  let d: DaemonChild | undefined;
  let client: TestClient | undefined;

  after(async () => {
    client?.close();
    if (d !== undefined) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
    if (sim !== undefined && sim.exitCode === null && sim.signalCode === null) sim.kill('SIGKILL');
  });

  it('with the demo strategies spending their budget, an API order is accepted on either venue (a market order without priceTicks too)', async () => {
    sim = spawn(process.execPath, [BOT4, 'sim', '--venues', '2', '--profile', 'none', '--port', '0', '--seed', '5'], { cwd: ROOT, env: { ...process.env, BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let simOut = '';
    sim.stdout!.on('data', (b: Buffer) => (simOut += b.toString()));
    await until(() => simOut.includes('\n') || sim!.exitCode !== null, 60_000, 'sim ready');
    const line = simOut.split('\n').find((l) => l.startsWith('bot4 sim ready '))!;
    assert.ok(line !== undefined, simOut);
    const urls = new Map(line.split(' ').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]));
    const env = { BOT4_VENUE_SIM_A_API_KEY: DEMO_API_KEY, BOT4_VENUE_SIM_A_API_SECRET: DEMO_API_SECRET, BOT4_VENUE_SIM_B_API_KEY: DEMO_API_KEY, BOT4_VENUE_SIM_B_API_SECRET: DEMO_API_SECRET };
    d = await startDaemon(yaml(urls), { env });
    await until(async () => (await fetch(d!.urls.health!)).status === 200, 60_000, '/health 200');

    // The strategies have spent their share (1 of 3 per 10 s) on both venues: their orders are denied.
    for (const venue of ['sim-a', 'sim-b']) {
      await until(async () => (await metric(d!, 'bot4_engine_denials_total', `source="venue:${venue}",code="VENUE_RATE_LIMITED"`)) > 0, 120_000, `a strategy order denied VENUE_RATE_LIMITED on ${venue}`);
    }

    client = await TestClient.connect(d.urls.api!, auth);
    assert.equal((await client.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT', 'md.ticker.sim-b.BTC/USDT'] })).ok, true);
    for (const venue of ['sim-a', 'sim-b']) {
      const tick = (await client.waitFor((m) => m.topic === `md.ticker.${venue}.BTC/USDT`, `a ${venue} ticker`, 20_000)).data as { bidTicks: number };
      const order = { venue, symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(tick.bidTicks * 0.97), qtyLots: 20 };
      const ack = (await client.request('order.submit', order)).result as { accepted: boolean; reason?: string; message?: string };
      assert.equal(ack.accepted, true, `${venue}: ${JSON.stringify(ack)}`);
    }
    // A market order without priceTicks: risk takes the last mid as its reference; it goes out.
    const market = (await client.request('order.submit', { venue: 'sim-b', symbol: 'BTC/USDT', side: 'buy', type: 'market', tif: 'IOC', qtyLots: 20 })).result as { accepted: boolean; orderId?: string };
    assert.equal(market.accepted, true, JSON.stringify(market));
    const placed = (await client.request('orders.get', { status: 'all', strategy: 'api', limit: 10 })).result as { orderId: string; type: string; priceTicks: number }[];
    const m = placed.find((o) => o.orderId === market.orderId);
    assert.ok(m !== undefined && m.type === 'market' && m.priceTicks > 0, `the market order carries the mid it was checked at: ${JSON.stringify(m)}`);
  });

  it(`the market maker's post-only quotes: the venue rejects under 2 % of them (demo on the embedded simulator, the first ${MIN_DECIDED} decided quotes)`, async () => {
    const demo = await startDaemon('# the demo defaults (npm start), journal without fsync\njournal:\n  dir: journal\n  fsync: never\n');
    try {
      await until(async () => (await fetch(demo.urls.health!)).status === 200, 60_000, '/health 200');
      const c = await TestClient.connect(demo.urls.api!, auth);
      try {
        // Until the market maker has had enough quotes decided by the venue (bounded), not a fixed sleep.
        const t0 = Date.now();
        let orders: { status: string; type: string }[] = [];
        let decided: { status: string; type: string }[] = [];
        while (Date.now() - t0 < RUN_MS) {
          orders = (await c.request('orders.get', { status: 'all', strategy: 'mm-btc', limit: 1000 })).result as { status: string; type: string }[];
          decided = orders.filter((o) => o.status !== 'initialized' && o.status !== 'submitted' && o.status !== 'unknown');
          if (decided.length >= MIN_DECIDED) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        const rejected = decided.filter((o) => o.status === 'rejected').length;
        const share = decided.length === 0 ? 1 : rejected / decided.length;
        console.log(`      market maker: ${rejected} of ${decided.length} orders rejected by the venue (${(share * 100).toFixed(2)} %) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        assert.ok(decided.length >= MIN_DECIDED, `the market maker quoted (${decided.length} orders decided)`);
        assert.ok(orders.every((o) => o.type === 'limit-maker'), 'post-only quotes');
        assert.ok(share < 0.02, `rejected share ${(share * 100).toFixed(2)} % (${rejected} of ${decided.length})`);
      } finally {
        c.close();
      }
    } finally {
      await stopDaemon(demo);
      rmSync(demo.dir, { recursive: true, force: true });
    }
  });
});
