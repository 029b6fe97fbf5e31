import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine, type EngineConfigInput } from '../../../actors/engine/engine.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 'api', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_500_000, qtyLots: 100, ...over };
}

describe('engine: the kill switch survives restarts (journaled risk.state)', function () {
  this.timeout(90_000);
  let sim: Simulator;
  let dir: string;
  let engine: Engine | undefined;

  const config = (): EngineConfigInput => ({
    journal: { dir, fsync: 'always' },
    venues: sim.venues.slice(0, 1).map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: 1000 })),
    symbols: ['BTC/USDT'],
    correlation: { enabled: false },
    risk: { strategies: { api: {} }, checks: { staleData: false, priceBand: false } },
  });
  const start = async (): Promise<Engine> => {
    engine = await Engine.start(config());
    await waitFor(() => engine!.venuesSynced, 15_000, 'venues synced');
    return engine;
  };
  const restart = async (): Promise<Engine> => {
    await engine?.stop();
    engine = undefined;
    return start();
  };

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 17, port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-ks-'));
  });
  after(async () => {
    await engine?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a fresh journal starts ACTIVE and an order passes', async () => {
    const e = await start();
    assert.equal(e.risk.killSwitch.state, 'ACTIVE');
    assert.equal(e.journal.tradingState, undefined);
    const ack = await e.submit(intent());
    assert.equal(ack.accepted, true, JSON.stringify(ack));
  });

  it('HALTED → stop → start: comes back HALTED, orders are denied RISK_HALTED and never reach the venue', async () => {
    const r = await engine!.setTradingState('HALTED', 'test halt');
    assert.deepEqual(r, { state: 'HALTED', previous: 'ACTIVE' });
    assert.equal(engine!.journal.tradingState?.s, 'HALTED');
    const e = await restart();
    assert.equal(e.risk.killSwitch.state, 'HALTED');
    const before = sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.length;
    const ack = await e.submit(intent());
    assert.deepEqual([ack.accepted, ack.reason], [false, 'RISK_HALTED']);
    assert.equal(sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.length, before);
  });

  it('survives a snapshot that compacts the risk.state record away', async () => {
    await engine!.journal.snapshot();
    const e = await restart();
    assert.equal(e.risk.killSwitch.state, 'HALTED');
  });

  it('REDUCING survives a restart; only an explicit ACTIVE loosens it, and that survives too', async () => {
    await engine!.setTradingState('REDUCING', 'test reduce');
    let e = await restart();
    assert.equal(e.risk.killSwitch.state, 'REDUCING');
    const denied = await e.submit(intent());
    assert.deepEqual([denied.accepted, denied.reason], [false, 'RISK_REDUCING']);
    await e.setTradingState('ACTIVE', 'operator resumes');
    e = await restart();
    assert.equal(e.risk.killSwitch.state, 'ACTIVE');
    const ack = await e.submit(intent());
    assert.equal(ack.accepted, true, JSON.stringify(ack));
  });
});
