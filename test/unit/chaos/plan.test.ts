import assert from 'node:assert/strict';
import { Simulator } from '../../../simulators/simulator.js';
import { Injector } from '../../../chaos/injector.js';
import { planFaults, planHash } from '../../../chaos/plan.js';
import { networkEventsHash } from '../../../chaos/runner.js';
import { loadScenario, parseScenario } from '../../../chaos/scenario.js';
import type { FaultEvent } from '../../../simulators/wire/faults.js';

const doc = {
  seed: 5,
  duration: '60s',
  venues: { count: 2 },
  strategies: [{ id: 'gen', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] }],
  timeline: [
    { at: { random: ['1s', '50s'] }, count: 8, do: 'outage', venue: 'random', mode: 'http-5xx', scope: 'rest', for: '2s' },
    { at: { random: ['1s', '55s'] }, count: 5, do: 'kill-actor', target: { random: ['exchange.sim-a', 'exchange.sim-b'] } },
    { at: '3s', every: '10s', jitter: '4s', count: 5, do: 'feed-gap', venue: { random: ['sim-a', 'sim-b'] }, for: '1s' },
    { at: '30s', do: 'rate-limit-storm', venue: 'sim-b', ordersPer10s: 5, for: '5s' },
  ],
};

describe('chaos fault plan', () => {
  it('same seed and scenario: the same fault sequence and hash; another seed: another', () => {
    const s = parseScenario(doc);
    const a = planFaults(s);
    const b = planFaults(parseScenario(structuredClone(doc)));
    assert.deepEqual(a, b);
    assert.equal(planHash(a), planHash(b));
    const c = planFaults(s, 6);
    assert.notEqual(planHash(c), planHash(a));
    assert.notDeepEqual(c.map((f) => f.atMs), a.map((f) => f.atMs));
  });

  it('draws stay inside their bounds, ends follow starts, and the plan is time-ordered', () => {
    const p = planFaults(parseScenario(doc));
    // 8 outages + 8 ends, 5 kills, 5 gaps + 5 ends, storm + its end
    assert.equal(p.length, 33);
    for (let i = 1; i < p.length; i++) assert.ok(p[i]!.atMs >= p[i - 1]!.atMs);
    const outages = p.filter((f) => f.kind === 'outage' && f.mode === 'http-5xx');
    assert.equal(outages.length, 8);
    for (const o of outages) {
      assert.ok(o.atMs >= 1000 && o.atMs <= 50_000);
      assert.ok(['sim-a', 'sim-b'].includes(o.venue!));
    }
    const gaps = p.filter((f) => f.kind === 'outage' && f.scope === 'stream');
    gaps.forEach((g, k) => assert.ok(g.atMs >= 3000 + k * 10_000 && g.atMs <= 7000 + k * 10_000, `gap ${k} at ${g.atMs}`));
    const kills = p.filter((f) => f.kind === 'kill-actor');
    assert.ok(kills.every((k) => k.recovery === 'actor' && /^exchange\.sim-[ab]$/.test(k.target!)));
    // Every order-path heal carries a recovery sample; a feed gap's end does not (orders never stopped).
    assert.equal(p.filter((f) => f.kind === 'outage-end' && f.recovery === 'outage').length, 8);
    assert.equal(p.filter((f) => f.kind === 'outage-end' && f.scope === 'stream' && f.recovery !== undefined).length, 0);
    assert.equal(p.find((f) => f.kind === 'limits-end')!.atMs, 35_000);
  });

  it('the built-in process-crash plans 12 SIGKILLs in the full version and 3 in CI', () => {
    assert.equal(planFaults(loadScenario('process-crash')).filter((f) => f.kind === 'kill-engine').length, 12);
    assert.equal(planFaults(loadScenario('process-crash', { ci: true })).filter((f) => f.kind === 'kill-engine').length, 3);
    assert.equal(planFaults(loadScenario('random-kills')).filter((f) => f.kind === 'kill-actor').length, 50);
  });

  describe('the simulator network event log', function () {
    this.timeout(60_000);

    /** Applies the plan's network faults to a fresh simulator (no waiting) and hashes its control events. */
    async function networkHash(seed: number): Promise<string> {
      const s = parseScenario(doc);
      const sim = await Simulator.start({ venues: 2, seed, port: 0, participants: false, profile: 'good' });
      const events: FaultEvent[] = [...(sim.network.events?.() ?? [])];
      const off = sim.network.subscribe?.((e) => events.push(e));
      try {
        const inj = new Injector(sim.controlUrl, 'good', { ordersPer10s: 100, weightPerMinute: 6000, banAfter429: 5, banMs: 120_000, ordersPerDay: 200_000 });
        for (const f of planFaults(s, seed)) await inj.apply(f);
        await inj.healAll(['sim-a', 'sim-b']);
      } finally {
        off?.();
        await sim.stop();
      }
      return networkEventsHash(events.filter((e) => e.type !== 'link.open' && e.type !== 'message'));
    }

    it('same seed: the same network event-log hash; another seed: another', async () => {
      const a = await networkHash(5);
      const b = await networkHash(5);
      const c = await networkHash(6);
      assert.equal(a, b);
      assert.notEqual(a, c);
    });
  });
});
