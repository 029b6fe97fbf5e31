import assert from 'node:assert/strict';
import { describeItem, describeRun } from '../../../chaos/describe-run.js';
import { builtinScenarios, loadScenario, parseScenario } from '../../../chaos/scenario.js';

describe('chaos/describe-run: what a variant actually ran', () => {
  it("the CI variant of covid-2020-03 lists its own two steps, not the full variant's four", () => {
    const ci = describeRun(loadScenario('covid-2020-03', { ci: true }));
    assert.match(ci, /^CI variant of covid-2020-03: 20\.0s of timeline, seed 2020, on 2 simulated venues \(network profile good\)\./);
    assert.match(ci, /Faults, in timeline order: \(1\) at 2 s: sim-a market crisis "covid" for 14 s; \(2\) at 8 s: sim-a market-data feed gap for 2 s\./);
    assert.doesNotMatch(ci, /poor/, 'the full variant degrades the network to poor; the CI variant does not');
    const full = describeRun(loadScenario('covid-2020-03'));
    assert.match(full, /^Full run of covid-2020-03: 50\.0s/);
    assert.match(full, /\(2\) at 18 s: sim-a network profile poor/);
    assert.match(full, /\(4\) at 30 s: sim-a network profile good/);
  });

  for (const name of builtinScenarios()) {
    it(`${name}: one numbered step per timeline item of the variant run (CI and full)`, () => {
      for (const ci of [true, false]) {
        const s = loadScenario(name, { ci });
        const d = describeRun(s);
        const steps = [...d.matchAll(/\((\d+)\) /g)].map((m) => Number(m[1]));
        assert.deepEqual(steps, s.timeline.map((_, i) => i + 1), `${name}${ci ? ' (ci)' : ''}: ${d}`);
        assert.ok(d.includes(s.strategies[0]!.id));
      }
    });
  }

  it('words every kind of step, with speed and seed as run', () => {
    const s = parseScenario(
      {
        duration: '30s',
        strategies: [{ id: 'cr', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] }],
        timeline: [
          { at: '1s', do: 'outage', venue: 'sim-a', mode: 'http-5xx', scope: 'rest', for: '2s' },
          { at: '4s', do: 'kill-engine', restartAfter: '500ms' },
          { at: { random: ['5s', '9s'] }, count: 2, do: 'kill-actor', target: { random: ['exchange.sim-a', 'exchange.sim-b'] } },
          { at: '10s', count: 3, every: '2s', do: 'rate-limit-storm', venue: 'random', ordersPer10s: 5, for: '1s' },
          { at: '20s', do: 'profile', venue: { random: ['sim-a', 'sim-b'] }, profile: 'poor' },
        ],
      },
      { name: 'mixed' },
    );
    const d = describeRun(s, { seed: 7, speed: 2 });
    assert.match(d, /^Full run of mixed: 30\.0s of timeline at speed 2 \(15\.0s of wall time\), seed 7, on 2 simulated venues \(network profile none\)\./);
    assert.equal(describeItem(s.timeline[0]!), 'at 1 s: sim-a outage http-5xx (rest only) for 2 s');
    assert.equal(describeItem(s.timeline[1]!), 'at 4 s: SIGKILL of the engine process, restarted 0.5 s later');
    assert.equal(describeItem(s.timeline[2]!), '2× at a random time in 5 s–9 s (each drawn anew): crash of actor one of exchange.sim-a/exchange.sim-b (its supervisor restarts it)');
    assert.equal(describeItem(s.timeline[3]!), '3× at 10 s, every 2 s: a random venue rate-limit storm (5 orders/10 s) for 1 s');
    assert.equal(describeItem(s.timeline[4]!), 'at 20 s: one of sim-a/sim-b network profile poor');
    assert.match(describeRun(parseScenario({ duration: '5s', strategies: [{ id: 'cr', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] }] })), /No faults: the timeline is empty\./);
  });
});
