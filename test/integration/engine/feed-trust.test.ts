import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setup } from 'xstate';
import { Engine } from '../../../actors/engine/engine.js';
import { EngineApi } from '../../../daemon/engine-api.js';
import type { Ticker } from '../../../actors/messages.js';
import type { MarketDataMessage } from '../../../gateway/engine-port.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

const probeMachine = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'probe' });

function ticker(bidPx: number, askPx: number, seq: number): MarketDataMessage {
  return { kind: 'ticker', topic: 'md.ticker.sim-a.BTC/USDT', venue: 'sim-a', symbol: 'BTC/USDT', seq, exchTsUs: Date.now() * 1000, recvNs: 0, bidPx, bidQty: 5, askPx, askQty: 5, px: 0, qty: 0, side: '', level: 0 };
}

describe('engine: external feed records never steer trading unless the config trusts the producer (within a band)', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let engine: Engine;
  let adapter: EngineApi;
  let dir: string;
  /** Every ticker a strategy of sim-a BTC/USDT would see (same topic). */
  const seen: Ticker[] = [];
  const mdTotal = (outcome: string): number => adapter.metrics().find((f) => f.name === 'bot4_engine_md_total')!.samples.find((s) => s.labels?.outcome === outcome)!.value;

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 23, port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-feed-'));
    engine = await Engine.start({
      journal: { dir, fsync: 'never' },
      venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: 1000 })),
      symbols: ['BTC/USDT'],
      correlation: { enabled: false },
      risk: { strategies: { api: {} }, feeds: { trusted: { 'sim-a:BTC/USDT': ['oracle'] }, bandBps: 500 } },
    });
    adapter = new EngineApi(engine, { latencyEventMs: 0 });
    engine.system.spawn('probe.strategy-view', probeMachine, { handle: (e) => void (e.type === 'md.ticker' && seen.push(e.payload as Ticker)) });
    engine.system.subscribe('md.ticker.sim-a.BTC/USDT', 'probe.strategy-view');
    await waitFor(() => engine.venuesSynced, 15_000, 'venues synced');
    await waitFor(() => seen.length > 0 && engine.risk.state.refPrice[0]! > 0, 15_000, 'a venue ticker');
  });
  after(async () => {
    adapter?.detach();
    await engine?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The venue's mid as the risk engine holds it. */
  const ref = (): number => engine.risk.state.refPrice[0]!;

  it('a feed token publishing tickers 20% below the venue: risk reference and strategy data unchanged, counted untrusted', async () => {
    const mid = ref();
    const fake = Math.round(mid * 0.8);
    const before = mdTotal('untrusted');
    for (let k = 0; k < 90; k++) assert.equal(adapter.publishMarketData(ticker(fake - 1, fake + 1, k + 1), 'feeder'), true);
    assert.equal(mdTotal('untrusted'), before + 90);
    // Barrier instead of a sleep: a trusted in-band marker published after the fakes. Topic delivery
    // is ordered, so once the marker reached the strategy topic, any fake that had been let through
    // would have arrived before it.
    const marker = mid + 7;
    adapter.publishMarketData(ticker(marker - 1, marker + 1, 95), 'oracle');
    await waitFor(() => seen.some((t) => t.source === 'oracle' && t.bidTicks === marker - 1), 5000, 'the trusted marker reached the strategy topic');
    assert.ok(Math.abs(ref() - mid) * 100 < mid * 5, `risk reference ${ref()} moved away from the venue's ${mid}`);
    assert.equal(seen.filter((t) => t.bidTicks <= mid * 0.85).length, 0, 'a strategy saw the fake price');
    // no producer name at all (an engine-internal caller) is not trusted either
    adapter.publishMarketData(ticker(fake - 1, fake + 1, 96));
    assert.equal(mdTotal('untrusted'), before + 91);
  });

  it('a trusted producer 20% off is rejected as out of band (counter), within the band it reaches risk and strategies', async () => {
    await waitFor(() => seen.some((t) => t.source === undefined), 5000, 'the relay saw a venue ticker');
    const mid = ref();
    const outBefore = mdTotal('out-of-band');
    const pubBefore = mdTotal('published');
    const fake = Math.round(mid * 1.2);
    adapter.publishMarketData(ticker(fake - 1, fake + 1, 1000), 'oracle');
    assert.equal(mdTotal('out-of-band'), outBefore + 1);
    const near = Math.round(mid * 1.01);
    adapter.publishMarketData(ticker(near - 1, near + 1, 1001), 'oracle');
    assert.equal(mdTotal('published'), pubBefore + 1);
    // The in-band ticker is the barrier: published after the out-of-band one on the same ordered topic.
    await waitFor(() => seen.some((t) => t.source === 'oracle' && t.bidTicks === near - 1), 5000, 'the trusted ticker reached the strategy topic');
    assert.equal(seen.filter((t) => t.bidTicks >= mid * 1.15).length, 0, 'the out-of-band ticker reached a strategy');
  });
});
