import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { LiveClock } from '../../../common/clock.js';
import { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import type { Instrument } from '../../../actors/orders/instrument.js';
import { DEMO_API_KEY, DEMO_API_SECRET } from '../../../simulators/simulator.js';
import { TOKENS, TestClient, type GwMessage } from '../../fixtures/gateway/ws-client.js';
import { QUIET_YAML, runCli, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

interface Ticker {
  bidTicks: number;
  askTicks: number;
}
interface OrderEvent {
  orderId: string;
  status: string;
  filledLots: number;
}

const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });

async function instrumentsOf(d: DaemonChild): Promise<Instrument[]> {
  const out: Instrument[] = [];
  for (const venue of ['sim-a', 'sim-b']) {
    const a = new BinanceAdapter({ venue, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: d.urls[`${venue}.rest`]!, timeoutMs: 2000, clock: new LiveClock() });
    const all = await a.loadInstruments();
    out.push(...all.filter((i) => i.symbol === 'BTC/USDT' || i.symbol === 'ETH/USDT'));
  }
  return out;
}

describe('daemon end to end (child process, embedded simulator, real gateway)', function () {
  this.timeout(120_000);
  let d: DaemonChild;

  before(async () => {
    d = await startDaemon(QUIET_YAML);
  });
  after(async () => {
    if (d !== undefined) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('prints one ready line with every URL; /health turns ready', async () => {
    for (const k of ['api', 'feed', 'health', 'metrics', 'sim.control', 'sim-a.rest', 'sim-a.control', 'sim-b.rest', 'sim-b.control']) assert.ok(d.urls[k] !== undefined && d.urls[k] !== '', `ready line lacks ${k}`);
    assert.match(d.urls.api!, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    assert.notEqual(new URL(d.urls.api!).port, '8080');
    await until(async () => (await fetch(d.urls.health!)).status === 200, 30_000, '/health 200');
    const h = (await (await fetch(d.urls.health!)).json()) as { ready: boolean; checks: Record<string, boolean> };
    assert.deepEqual(h.checks, { venuesSynced: true, journalOpen: true, 'venue.sim-a': true, 'venue.sim-b': true });
    const metrics = await (await fetch(d.urls.metrics!)).text();
    assert.match(metrics, /^bot4_actor_mailbox_depth\{actor="risk"\} \d+$/m);
    assert.match(metrics, /^bot4_engine_breaker_state\{breaker="sim-a",state="closed"\} 1$/m);
  });

  it('refuses unauthenticated and wrong-role requests, and unknown tokens at the upgrade', async () => {
    await assert.rejects(TestClient.connect(d.urls.api!, auth('not-a-valid-token-at-all')), /HTTP 401/);
    const anon = await TestClient.connect(d.urls.api!);
    const order = { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 100, qtyLots: 20 };
    assert.equal((await anon.request('order.submit', order)).error?.code, 'GW_UNAUTHENTICATED');
    assert.equal((await anon.request('status.get')).error?.code, 'GW_UNAUTHENTICATED');
    assert.equal((await anon.request('authenticate', { token: 'wrong-token-0123456789' })).error?.code, 'GW_AUTH_FAILED');
    const reader = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
    assert.equal((await reader.request('order.submit', order)).error?.code, 'GW_FORBIDDEN');
    assert.equal((await reader.request('status.get')).ok, true);
    const trader = await TestClient.connect(d.urls.api!, auth(TOKENS.trade));
    assert.equal((await trader.request('killSwitch.set', { state: 'HALTED' })).error?.code, 'GW_FORBIDDEN');
    assert.equal((await trader.request('strategy.stop', { id: 'x' })).error?.code, 'GW_FORBIDDEN');
    const status = (await reader.request('status.get')).result as { killSwitch: string; openOrders: number };
    assert.deepEqual([status.killSwitch, status.openOrders], ['ACTIVE', 0], 'nothing reached the engine');
    for (const c of [anon, reader, trader]) c.close();
  });

  it('submits through risk, fills a marketable order, HALTED cancels open orders; SIGTERM exits 0 with the journal flushed and replayable', async () => {
    const admin = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
    const watcher = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
    assert.equal((await watcher.request('subscribe', { topics: ['orders', 'fills', 'killswitch', 'md.ticker.sim-a.BTC/USDT'] })).ok, true);
    const tick = await watcher.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a sim-a BTC ticker', 15_000);
    const t = tick.data as Ticker;
    assert.ok(t.bidTicks > 0 && t.askTicks > t.bidTicks);

    // a marketable limit IOC: priced through the ask
    const take = await admin.request('order.submit', { clientOrderId: 'take-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: t.askTicks + 2000, qtyLots: 20 });
    assert.equal(take.ok, true, JSON.stringify(take));
    const ack = take.result as { accepted: boolean; orderId: string; clientOrderId: string };
    assert.equal(ack.accepted, true, JSON.stringify(ack));
    assert.equal(ack.clientOrderId, 'take-1');
    assert.match(ack.orderId, /^api\./);
    await watcher.waitFor((m) => m.topic === 'fills' && (m.data as { orderId: string }).orderId === ack.orderId, 'its fill', 15_000);
    await watcher.waitFor((m) => m.topic === 'orders' && (m.data as OrderEvent).orderId === ack.orderId && (m.data as OrderEvent).status === 'filled', 'filled', 15_000);
    const dup = (await admin.request('order.submit', { clientOrderId: 'take-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: t.bidTicks, qtyLots: 20 })).result as { accepted: boolean; reason: string };
    assert.deepEqual([dup.accepted, dup.reason], [false, 'DUPLICATE_CLIENT_ORDER_ID']);
    const fills = watcher.messages.filter((m) => m.topic === 'fills' && (m.data as { orderId: string }).orderId === ack.orderId).map((m) => m.data as { lots: number; priceTicks: number });
    const row = ((await admin.request('orders.get', { status: 'all', limit: 1000 })).result as { orderId: string; status: string; filledLots: number; cumTickLots: string; avgPriceTicks: number }[]).find((o) => o.orderId === ack.orderId)!;
    assert.deepEqual([row.status, row.filledLots], ['filled', 20]);
    assert.equal(row.cumTickLots, fills.reduce((a, f) => a + BigInt(f.priceTicks) * BigInt(f.lots), 0n).toString(), 'cumTickLots is the exact sum of the fills');
    assert.equal(row.avgPriceTicks, Number(row.cumTickLots) / 20);
    const pos = (await admin.request('positions.get')).result as { venue: string; symbol: string; qtyLots: number }[];
    assert.equal(pos.find((p) => p.venue === 'sim-a' && p.symbol === 'BTC/USDT')!.qtyLots, 20);

    // resting orders on both venues, then HALTED: every one canceled, new ones denied
    const rest: string[] = [];
    for (const venue of ['sim-a', 'sim-b']) {
      const r = (await admin.request('order.submit', { venue, symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(t.bidTicks * 0.98), qtyLots: 20 })).result as { accepted: boolean; orderId: string };
      assert.equal(r.accepted, true, JSON.stringify(r));
      rest.push(r.orderId);
    }
    await until(() => rest.every((id) => watcher.messages.some((m) => m.topic === 'orders' && (m.data as OrderEvent).orderId === id && (m.data as OrderEvent).status === 'accepted')), 15_000, 'both accepted');
    const open = (await admin.request('orders.get', { status: 'open' })).result as { orderId: string }[];
    assert.deepEqual(open.map((o) => o.orderId).sort(), [...rest].sort());
    const ks = await admin.request('killSwitch.set', { state: 'HALTED' });
    assert.deepEqual(ks.result, { state: 'HALTED', previous: 'ACTIVE' });
    await watcher.waitFor((m) => m.topic === 'killswitch' && (m.data as { state: string }).state === 'HALTED', 'killswitch event');
    await until(() => rest.every((id) => watcher.messages.some((m) => m.topic === 'orders' && (m.data as OrderEvent).orderId === id && (m.data as OrderEvent).status === 'canceled')), 15_000, 'both canceled');
    assert.deepEqual((await admin.request('orders.get', { status: 'open' })).result, []);
    const denied = (await admin.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: t.bidTicks, qtyLots: 20 })).result as { accepted: boolean; reason: string };
    assert.deepEqual([denied.accepted, denied.reason], [false, 'RISK_HALTED']);
    assert.deepEqual((await admin.request('killSwitch.set', { state: 'ACTIVE' })).result, { state: 'ACTIVE', previous: 'HALTED' });

    // one more resting order, left open: the shutdown cancels it
    const last = (await admin.request('order.submit', { venue: 'sim-b', symbol: 'BTC/USDT', side: 'sell', type: 'limit', priceTicks: Math.round(t.askTicks * 1.02), qtyLots: 20 })).result as { accepted: boolean; orderId: string };
    assert.equal(last.accepted, true, JSON.stringify(last));
    await until(() => watcher.messages.some((m) => m.topic === 'orders' && (m.data as OrderEvent).orderId === last.orderId && m.data !== undefined && (m.data as OrderEvent).status === 'accepted'), 15_000, 'last accepted');
    const seen = ((await admin.request('orders.get', { status: 'all', limit: 1000 })).result as { orderId: string }[]).map((o) => o.orderId);
    const instruments = await instrumentsOf(d);

    const code = await stopDaemon(d);
    assert.equal(code, 0, `exit code; stderr:\n${d.stderr().slice(-2000)}`);
    await watcher.closed();
    assert.equal(watcher.closeCode, 1001, 'sockets closed as "going away" after the engine stopped');
    // the last state each order reached, as pushed to the subscriber up to the close
    const lastState = new Map<string, OrderEvent>();
    for (const m of watcher.messages as GwMessage[]) if (m.topic === 'orders') lastState.set((m.data as OrderEvent).orderId, m.data as OrderEvent);
    assert.equal(lastState.get(last.orderId)?.status, 'canceled', 'shutdown canceled the open order');

    const decimals = Object.fromEntries([...new Set(instruments.flatMap((i) => [i.base, i.quote]))].map((a) => [a, 8]));
    const j = await OrderJournal.open({ dir: path.join(d.dir, 'journal'), fsync: 'never' }, { clock: new LiveClock(), instruments, portfolio: { assetDecimals: decimals }, markInFlightUnknown: false });
    try {
      const replayed = [...j.orders.values()];
      assert.deepEqual(replayed.map((o) => o.clientOrderId).sort(), [...new Set([...seen, ...lastState.keys()])].sort(), 'every order the API reported is in the journal, and nothing else');
      for (const o of replayed) {
        const ev = lastState.get(o.clientOrderId);
        if (ev === undefined) continue;
        assert.deepEqual([o.state, o.filledLots], [ev.status, ev.filledLots], `order ${o.clientOrderId}: replay vs last event`);
      }
      assert.equal([...j.orders.openOrders()].length, 0);
      assert.equal(j.orders.get(ack.orderId)!.state, 'filled');
      assert.equal(j.portfolio.position('sim-a', 'BTC/USDT').qtyLots, 20n);
    } finally {
      await j.close();
    }
    admin.close();
  });

  it('the CLI reads a stopped daemon as unreachable (exit 2, B4_CLI_CONNECT)', async () => {
    await stopDaemon(d);
    const r = await runCli(['status', '--url', d.urls.api!, '--token', TOKENS.read, '--timeout', '2000']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^bot4: B4_CLI_CONNECT: cannot reach the daemon/m);
  });
});
