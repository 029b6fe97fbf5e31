import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 'api', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_500_000, qtyLots: 100, ...over };
}

describe('engine: strategy → risk → venue actor → ccxt → simulator', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let engine: Engine;
  let dir: string;

  before(async () => {
    sim = await Simulator.start({ venues: 2, seed: 11, port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-engine-'));
    engine = await Engine.start({
      journal: { dir, fsync: 'never' },
      venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: 1000 })),
      symbols: ['BTC/USDT', 'ETH/USDT'],
      correlation: { sampleMs: 100, window: 50 },
      risk: { strategies: { api: {} }, checks: { staleData: false, priceBand: false } },
    });
    await waitFor(() => engine.venuesSynced, 15_000, 'venues synced');
  });
  after(async () => {
    await engine?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an approved order reaches the venue under its journal client id', async () => {
    const ack = await engine.submit(intent());
    assert.equal(ack.accepted, true, JSON.stringify(ack));
    await waitFor(() => engine.journal.orders.get(ack.clientOrderId!)?.state === 'accepted', 5000, 'accepted');
    assert.ok(sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.some((o) => o.clientOrderId === ack.clientOrderId));
  });

  it('the risk actor denies with a stable code and the order never leaves (unlisted strategy, max notional)', async () => {
    const before = sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.length;
    const a = await engine.submit(intent({ strategy: 'rogue' }));
    assert.deepEqual([a.accepted, a.reason], [false, 'RISK_STRATEGY_UNKNOWN']);
    const b = await engine.submit(intent({ qtyLots: 10_000_000 }));
    assert.equal(b.accepted, false);
    assert.match(String(b.reason), /^RISK_/);
    assert.equal(sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.length, before);
    assert.ok((engine.riskActor.stats().denied.RISK_STRATEGY_UNKNOWN ?? 0) >= 1);
  });

  it('tickers feed the risk engine: quote ages and a live correlation matrix of the symbols', async () => {
    const m = engine.risk.state.correlation;
    // Returns of a quiet book are often exactly 0 (a flat series has no correlation: NaN, used as 0),
    // so wait until both series have moved within the window.
    await waitFor(() => engine.riskActor.correlationSamples >= 3 && m[1] !== 0, 30_000, () => `a correlation from live tickers (${engine.riskActor.correlationSamples} samples)`);
    assert.equal(m.length, 4);
    assert.ok(Number.isFinite(m[1]!) && m[1]! >= -1 && m[1]! <= 1, `off-diagonal from the rolling matrix: ${m[1]}`);
    assert.notEqual(m[1], 0, 'no longer the identity placeholder');
  });

  it('HALTED cancels every open order on every venue and denies new ones', async () => {
    const a = await engine.submit(intent({ venue: 'sim-b', priceTicks: 2_400_000 }));
    assert.equal(a.accepted, true, JSON.stringify(a));
    await waitFor(() => engine.journal.orders.get(a.clientOrderId!)?.state === 'accepted', 5000, 'accepted on sim-b');
    engine.risk.killSwitch.halt('test');
    await waitFor(() => [...engine.journal.orders.openOrders()].length === 0, 10_000, 'all open orders canceled');
    const led = [...sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders, ...sim.ledger('sim-b', `user:${DEMO_API_KEY}`).orders];
    assert.ok(led.every((o) => o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED'));
    const d = await engine.submit(intent());
    assert.deepEqual([d.accepted, d.reason], [false, 'RISK_HALTED']);
    engine.risk.killSwitch.resume('test');
  });
});
