import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

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
