import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import { SeededRandom } from '../../../common/random.js';
import { TOPIC_ACTOR_FAULTED } from '../../../actors/runtime/index.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { counterMachine } from '../../unit/actors/runtime/helpers.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

describe('random kills of venue and strategy actors while orders flow', function () {
  this.timeout(120_000);

  it('24 kills (supervised restarts rebuild from the journal and reconcile): the ledger check passes', async () => {
    const sim = await Simulator.start({ venues: 2, seed: 31, port: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-kills-'));
    let engine: Engine | undefined;
    try {
      engine = await Engine.start({
        journal: { dir, fsync: 'never' },
        venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: 1000, actor: { probeBaseMs: 20, probeCapMs: 200, reconcileEveryMs: 300 } })),
        symbols: ['BTC/USDT'],
        supervision: { maxRestarts: 1000, withinMs: 10_000, backoffMs: 20, maxBackoffMs: 100 },
        risk: {
          strategies: { gen: {}, mm: {} },
          checks: { staleData: false, correlation: false },
          defaults: { instrument: { maxOpenOrders: 10_000 }, venue: { maxOpenOrders: 10_000, rate: { perSecond: 1000, burst: 1000 } }, strategy: { rate: { perSecond: 1000, burst: 1000 } } },
          portfolio: { maxOpenOrders: 10_000 },
        },
      });
      const e = engine;
      const faulted: string[] = [];
      e.system.spawn('probe.faults', counterMachine, { handle: (m) => void faulted.push(JSON.stringify(m.payload)) });
      e.system.subscribe(TOPIC_ACTOR_FAULTED, 'probe.faults');
      await waitFor(() => e.venuesSynced, 15_000, 'venues synced');
      await e.addStrategy({ id: 'gen', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT', 'sim-b:BTC/USDT'], params: { ratePerSec: 30, qtyLots: 100, offsetTicks: 300, tickMs: 5 } });
      await e.addStrategy({ id: 'mm', kind: 'market-maker', instruments: ['sim-a:BTC/USDT'], params: {} });
      const targets = ['exchange.sim-a', 'exchange.sim-b', 'strategy.gen', 'strategy.mm'];
      const rnd = new SeededRandom(9);
      const kills: Record<string, number> = {};
      for (let k = 0; k < 24; k++) {
        // Kill at a random point of the flow: after 5..24 more journal records, not after a fixed sleep.
        const at = e.journal.nextSequence + 5 + rnd.int(20);
        await waitFor(() => e.journal.nextSequence >= at, 15_000, () => `journal at ${at} (is ${e.journal.nextSequence})`);
        const t = targets[rnd.int(targets.length)]!;
        kills[t] = (kills[t] ?? 0) + 1;
        e.system.injectFault(t, new Error(`kill ${k} of ${t}`));
      }
      const restartsNow = (): number => e.system.allStats().filter((s) => targets.includes(s.address)).reduce((n, s) => n + s.restarts, 0);
      // Each kill restarts its actor after a backoff (20..100 ms): wait for the last ones, bounded.
      await waitFor(() => restartsNow() >= 24, 10_000, () => `24 restarts (have ${restartsNow()})`);
      const restarts = restartsNow();
      // Heal: stop the strategies, let the venue actors resync, cancel what is open, settle.
      for (const h of e.strategies.values()) h.stop();
      await waitFor(() => e.venuesSynced, 20_000, 'venues running after the kills');
      const open = (): number => [...e.journal.orders.openOrders()].length;
      await waitFor(
        () => {
          if (open() > 0) e.cancelAll('heal');
          return open() === 0;
        },
        30_000,
        () => `every order settled (${[...e.journal.orders.openOrders()].map((o) => `${o.clientOrderId}:${o.state}`).join(' ')})`,
      );
      assert.deepEqual(faulted, [], 'no actor exceeded its restart intensity');
      assert.equal(restarts, 24, `every kill restarted an actor (${JSON.stringify(kills)})`);
      assert.ok([...e.journal.orders.values()].length > 30, 'orders flowed during the kills');
      const report = checkLedger(
        { orders: e.journal.orders, portfolio: e.journal.portfolio },
        sim.venues.map((v) => ({ venue: v.name, ledger: sim.ledger(v.name, userAccount(DEMO_API_KEY)), account: userAccount(DEMO_API_KEY) })),
        { instruments: e.instruments },
      );
      const detail = report.anomalies.map((a) => {
        const o = a.clientOrderId === null ? undefined : e.journal.orders.get(a.clientOrderId);
        return `${a.kind} ${a.clientOrderId}: ${a.detail} | engine ${o?.state} filled ${o?.filledLots} history ${JSON.stringify(o?.history.map((x) => `${x.event}:${x.to}`))}`;
      });
      assert.deepEqual(detail, []);
    } finally {
      await engine?.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
