import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { counterMachine } from '../../unit/actors/runtime/helpers.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

/**
 * Order-entry health and market-data health are separate (issue 13): the whole engine (risk with
 * its stale-data check on, the venue actor on the shipped breaker and probe defaults) against the
 * simulator through real ccxt. A REST-only outage must not stop the streams, so the quotes are
 * fresh when order entry comes back and the first order after the heal is not denied
 * `RISK_STALE_DATA`.
 */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Quotes older than this are stale for the risk check (shorter than the outage below). */
const MAX_QUOTE_AGE_MS = 1000;

describe('venue recovery: streams outlive a REST outage (engine, simulator, real ccxt, shipped defaults)', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let engine: Engine;
  let dir: string;
  let tickers = 0;
  let n = 0;

  const intent = (): OrderIntent => ({ strategy: 't', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 1_000_000 + n++, qtyLots: 100 });
  const control = async (method: string, p: string, body?: unknown): Promise<void> => {
    const r = await fetch(`${sim.controlUrl}${p}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    assert.equal(r.status, 200, `${method} ${p}: ${await r.text()}`);
  };

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 13, port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-recovery-'));
    engine = await Engine.start({
      journal: { dir, fsync: 'never' },
      // No breaker or actor options: what ships.
      venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: 1000 })),
      symbols: ['BTC/USDT'],
      risk: { strategies: { t: {} }, checks: { staleData: true, priceBand: false, correlation: false }, defaults: { instrument: { maxQuoteAgeMs: MAX_QUOTE_AGE_MS } } },
    });
    engine.system.spawn('probe.tickers', counterMachine, { handle: (e) => void (e.type === 'md.ticker' && tickers++) });
    engine.system.subscribe('md.ticker.sim-a.>', 'probe.tickers');
    await waitFor(() => engine.venuesSynced, 15_000, 'venues synced');
    await waitFor(() => tickers > 0, 15_000, 'a first ticker');
  });
  after(async () => {
    await engine?.stop();
    await sim?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('REST-only outage: tickers keep arriving on md.ticker while order entry is down; after the heal the first order is accepted, never denied RISK_STALE_DATA', async () => {
    const actor = engine.venues.get('sim-a')!.actor;
    const first = await engine.submit(intent());
    assert.equal(first.accepted, true, `an order passes before the outage: ${JSON.stringify(first)}`);
    await control('POST', '/venues/sim-a/outage', { mode: 'refuse', scope: 'rest' });
    // Orders find the outage (refused connections → unknown → the breaker opens → order entry down).
    for (let i = 0; i < 500 && actor.state !== 'disconnected'; i++) {
      void engine.submit(intent());
      await sleep(20);
    }
    assert.equal(actor.state, 'disconnected', 'order entry is down');
    const atDown = tickers;
    const downAtMs = performance.now();
    // The outage lasts longer than the quote age, so a quote from before it would be stale at the heal.
    await waitFor(() => tickers >= atDown + 3 && performance.now() - downAtMs > MAX_QUOTE_AGE_MS + 500, 15_000, () => `tickers while order entry is down (${tickers - atDown}) for longer than the quote age`);
    assert.equal(actor.state, 'disconnected', 'still down while the outage lasts');
    const beforeHeal = tickers;
    await waitFor(() => tickers > beforeHeal, 15_000, 'tickers still arriving just before the heal');
    await control('DELETE', '/venues/sim-a/outage?scope=rest');
    const reasons: string[] = [];
    let accepted: string | undefined;
    for (let i = 0; i < 1000 && accepted === undefined; i++) {
      const a = await engine.submit(intent());
      if (a.accepted) {
        const id = a.clientOrderId!;
        await waitFor(() => engine.journal.orders.get(id)?.state !== 'submitted', 10_000, 'the venue answered');
        if (engine.journal.orders.get(id)?.state === 'accepted') accepted = id;
      } else reasons.push(String(a.reason));
      if (accepted === undefined) await sleep(10);
    }
    assert.ok(accepted !== undefined, `an order accepted after the heal (denials: ${[...new Set(reasons)].join(', ')})`);
    assert.ok(!reasons.includes('RISK_STALE_DATA'), `no stale-data denial after the heal: ${reasons.join(', ')}`);
    assert.ok(reasons.every((r) => r === 'VENUE_UNAVAILABLE' || r === 'VENUE_SYNCING'), `only order-entry denials while it reconnects: ${[...new Set(reasons)].join(', ')}`);
  });
});
