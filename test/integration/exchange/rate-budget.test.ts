import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import type { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import type { WeightBudget } from '../../../actors/exchange/weight-budget.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator, type SimulatorOptions } from '../../../simulators/index.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

const intent = (i: number): OrderIntent => ({ strategy: 'api', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_000_000 + i, qtyLots: 100 });

/** A simulator of one venue and an engine trading it (`limits` in the engine's venue config, or none). */
async function withEngine(simOpts: SimulatorOptions, limits: Record<string, number> | undefined, body: (e: Engine, sim: Simulator) => Promise<void>): Promise<void> {
  const sim = await Simulator.start({ venues: 1, seed: 5, port: 0, participants: false, ...simOpts });
  const dir = mkdtempSync(path.join(tmpdir(), 'bot4-budget-'));
  let engine: Engine | undefined;
  try {
    engine = await Engine.start({
      journal: { dir, fsync: 'never' },
      venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, ...(limits === undefined ? {} : { limits }), actor: { reconcileEveryMs: 0, streams: false } })),
      symbols: ['BTC/USDT'],
      risk: { strategies: { api: {} }, checks: { staleData: false, correlation: false, priceBand: false, rate: false } },
    });
    const e = engine;
    await waitFor(() => e.venuesSynced, 15_000, 'venue synced');
    await body(e, sim);
  } finally {
    await engine?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const budgetOf = (e: Engine): WeightBudget => (e.venues.get('sim-a')!.adapter as BinanceAdapter).budget!;

describe("the engine's order budget comes from what the venue advertises", function () {
  this.timeout(60_000);

  it("with no limits in the config, a burst past the venue's advertised order limit is denied locally; the venue never answers 429", async () => {
    // The venue allows 10 orders per 10 s and bans after one 429; the engine is told nothing: it reads exchangeInfo.
    await withEngine({ rateLimits: { weightPerMinute: 400, ordersPer10s: 10, banAfter429: 1 } }, undefined, async (e, sim) => {
      const l = budgetOf(e).limits();
      assert.deepEqual([l.orders.source, l.orders.venueLimit, l.orders.limit], ['venue', 10, 8]);
      assert.deepEqual([l.weight.source, l.weight.venueLimit, l.weight.limit], ['venue', 400, 320]);
      const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => e.submit(intent(i))));
      assert.equal(acks.filter((a) => a.accepted).length, 8, 'headroom 0.8 of the advertised 10 orders per 10 s');
      const limited = acks.filter((a) => a.reason === 'VENUE_RATE_LIMITED');
      assert.equal(limited.length, 22);
      for (const a of acks.filter((x) => x.accepted)) await waitFor(() => e.journal.orders.get(a.clientOrderId!)?.state === 'accepted', 5000, 'accepted at the venue');
      assert.equal(e.venueStats()['sim-a']!.throttled, 0, 'no 429/418 from the venue');
      assert.equal(sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.length, 8, 'denied orders never left the process');
      assert.equal([...e.journal.orders.openOrders()].length, 8, 'denied orders were never journaled');
    });
  });

  it('a simulator started with high limits gives the engine a budget of those limits', async () => {
    await withEngine({ rateLimits: 'high' }, undefined, async (e) => {
      const l = budgetOf(e).limits();
      assert.deepEqual(
        [l.weight, l.orders, l.ordersLong],
        [
          { venueLimit: 6_000_000, windowMs: 60_000, limit: 4_800_000, source: 'venue' },
          { venueLimit: 1_000_000, windowMs: 10_000, limit: 800_000, source: 'venue' },
          { venueLimit: 1_000_000_000, windowMs: 86_400_000, limit: 800_000_000, source: 'venue' },
        ],
      );
      const acks = await Promise.all(Array.from({ length: 150 }, (_, i) => e.submit(intent(i))));
      assert.equal(acks.filter((a) => a.reason === 'VENUE_RATE_LIMITED').length, 0, "150 orders at once: past Binance's 100 per 10 s, far inside the budget");
    });
  });

  it('venues[].limits wins over the venue, field by field', async () => {
    await withEngine({ rateLimits: 'high' }, { ordersPer10s: 10, headroom: 0.5 }, async (e) => {
      const l = budgetOf(e).limits();
      assert.deepEqual(l.orders, { venueLimit: 10, windowMs: 10_000, limit: 5, source: 'config' });
      assert.deepEqual([l.weight.source, l.weight.limit], ['venue', 3_000_000]);
      const acks = await Promise.all(Array.from({ length: 12 }, (_, i) => e.submit(intent(i))));
      assert.equal(acks.filter((a) => a.accepted).length, 5);
      assert.equal(acks.filter((a) => a.reason === 'VENUE_RATE_LIMITED').length, 7);
    });
  });

  it('Simulator.start validates rateLimits naming the field', async () => {
    for (const bad of ['fast', true]) {
      await assert.rejects(Simulator.start({ venues: 1, port: 0, rateLimits: bad as never }), (e: Error & { code?: string }) => e.code === 'B4_CONFIG_INVALID' && /^simulator\.rateLimits: expected false, a preset \("off", "binance", "high"\) or an object of whole limits >= 0 .*, got /.test(e.message));
    }
    await assert.rejects(Simulator.start({ venues: 1, port: 0, rateLimits: { ordersPer10s: -1 } }), /^ConfigError: simulator\.rateLimits\.ordersPer10s: expected a value >= 0, got -1$/);
  });

  it('a simulator with rate limits off advertises none: the engine keeps Binance spot defaults', async () => {
    await withEngine({ rateLimits: 'off' }, undefined, async (e) => {
      const l = budgetOf(e).limits();
      assert.deepEqual([l.weight.source, l.orders.source, l.ordersLong.source], ['default', 'default', 'default']);
      assert.deepEqual([l.weight.limit, l.orders.limit, l.ordersLong.limit], [4800, 80, 160_000]);
    });
  });
});

describe('rate limits budgeted on our side: bot4 never earns a 429 on its own', function () {
  this.timeout(60_000);

  it('a burst past the venue order limit is denied VENUE_RATE_LIMITED locally; the venue never answers 429', async () => {
    // The venue allows 10 orders per 10 s (and bans after one 429): the engine is told the same limits.
    const sim = await Simulator.start({ venues: 1, seed: 5, port: 0, participants: false, rateLimits: { weightPerMinute: 400, ordersPer10s: 10, banAfter429: 1 } });
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-budget-'));
    let engine: Engine | undefined;
    try {
      engine = await Engine.start({
        journal: { dir, fsync: 'never' },
        venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, limits: { weightPerMinute: 400, ordersPer10s: 10, headroom: 0.8 }, actor: { reconcileEveryMs: 0, streams: false } })),
        symbols: ['BTC/USDT'],
        risk: { strategies: { api: {} }, checks: { staleData: false, correlation: false, priceBand: false, rate: false } },
      });
      const e = engine;
      await waitFor(() => e.venuesSynced, 15_000, 'venue synced');
      const intent = (i: number): OrderIntent => ({ strategy: 'api', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_000_000 + i, qtyLots: 100 });
      const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => e.submit(intent(i))));
      const accepted = acks.filter((a) => a.accepted);
      const limited = acks.filter((a) => a.reason === 'VENUE_RATE_LIMITED');
      assert.equal(accepted.length, 8, 'headroom 0.8 of 10 orders per 10 s');
      assert.equal(limited.length, 22);
      for (const a of accepted) await waitFor(() => e.journal.orders.get(a.clientOrderId!)?.state === 'accepted', 5000, 'accepted at the venue');
      const stats = e.venueStats()['sim-a']!;
      assert.equal(stats.throttled, 0, 'no 429/418 from the venue');
      assert.equal(stats.rejected, 0);
      assert.equal(e.venues.get('sim-a')!.actor.state, 'running');
      assert.equal(sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.length, 8, 'denied orders never left the process');
    } finally {
      await engine?.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
