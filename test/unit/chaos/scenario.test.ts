import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { ChaosScenarioError } from '../../../chaos/errors.js';
import { builtinScenarios, EXPECT_DEFAULTS, loadScenario, parseDuration, parseScenario } from '../../../chaos/scenario.js';

const base = (): Record<string, unknown> => ({
  seed: 1,
  duration: '20s',
  venues: { count: 2 },
  strategies: [{ id: 'gen', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] }],
  timeline: [{ at: '2s', do: 'outage', venue: 'sim-a', mode: 'refuse', for: '1s' }],
});

/** Parses `doc` expecting a ConfigError; returns its message. */
function rejects(doc: unknown, ci = false): string {
  try {
    parseScenario(doc, { ci });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'B4_CONFIG_INVALID');
    return e.message;
  }
  assert.fail('the scenario was accepted');
}

describe('chaos scenario validation', () => {
  it('accepts a minimal scenario and fills the defaults', () => {
    const s = parseScenario(base(), { name: 'x' });
    assert.equal(s.duration, 20_000);
    assert.equal(s.timeline[0]!.at, 2000);
    assert.deepEqual(s.expect, { ...EXPECT_DEFAULTS });
    assert.equal(s.venues.profile, 'none');
    assert.equal(s.name, 'x');
  });

  it('parses durations', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration(7), 7);
  });

  it('names the field, what was expected and what arrived', () => {
    const cases: [(d: Record<string, unknown>) => void, RegExp][] = [
      [(d) => delete d.duration, /^duration: expected .*, got undefined$/],
      [(d) => (d.duration = '20 sec'), /^duration: .*got "20 sec"$/],
      [(d) => (d.seed = 1.5), /^seed: expected an integer, got 1.5$/],
      [(d) => ((d.timeline as Record<string, unknown>[])[0]!.venue = 'sim-z'), /^timeline\.0\.venue: expected one of sim-a, sim-b or random, got "sim-z"$/],
      [(d) => ((d.timeline as Record<string, unknown>[])[0]!.mode = 'explode'), /^timeline\.0\.mode: expected one of "refuse", .*got "explode"$/],
      [(d) => ((d.timeline as Record<string, unknown>[])[0]!.at = '30s'), /^timeline\.0\.at: expected a time whose last occurrence .* ends by duration 20000ms, it ends at 31000ms, got 30000$/],
      [(d) => (d.timeline = [{ at: 1000, do: 'outage', venue: 'sim-a', mode: 'slow' }]), /^timeline\.0\.bytesPerSec: expected an integer >= 1 for mode slow, got undefined$/],
      [(d) => (d.timeline = [{ at: 1000, do: 'kill-actor', target: 'strategy.gen' }]), /^timeline\.0\.target: expected a venue actor address \(exchange\.sim-a, exchange\.sim-b\), got "strategy\.gen"$/],
      [(d) => (d.timeline = [{ at: 1000, count: 3, do: 'kill-engine' }]), /^timeline\.0\.every: expected a duration when count > 1 with a fixed at, got undefined$/],
      [(d) => (d.strategies = [{ id: 'gen', kind: 'constant-rate', instruments: ['sim-c:BTC/USDT'] }]), /^strategies\.0\.instruments\.0: expected an instrument on sim-a, sim-b, got "sim-c:BTC\/USDT"$/],
      [(d) => (d.expect = { lost: -1 }), /^expect\.lost: expected a value >= 0, got -1$/],
      [(d) => (d.expect = { lots: 0 }), /^expect: expected no unknown keys \(lots\)/],
    ];
    for (const [mutate, re] of cases) {
      const d = base();
      mutate(d);
      assert.match(rejects(d), re);
    }
  });

  it('an unknown action names the do field', () => {
    const d = base();
    d.timeline = [{ at: 1000, do: 'explode' }];
    assert.match(rejects(d), /^timeline\.0\.do: /);
  });

  it('validates the ci: variant with ci. in front of the field', () => {
    const d = { ...base(), ci: { duration: '2s' } };
    const s = parseScenario(d, { ci: false });
    assert.equal(s.duration, 20_000);
    assert.match(rejects(d, true), /^ci\.timeline\.0\.at: .*ends by duration 2000ms/);
    const ok = parseScenario({ ...base(), ci: { duration: '5s', timeline: [] } }, { ci: true });
    assert.equal(ok.duration, 5000);
    assert.equal(ok.ci, true);
  });

  it('every built-in and its CI variant validate, and every built-in has a CI variant shorter than itself', () => {
    const names = builtinScenarios();
    for (const n of ['network-profiles', 'venue-outage', 'random-kills', 'process-crash', 'rate-limit-storm', 'covid-2020-03', 'luna-2022-05', 'ftx-2022-11', 'soak']) assert.ok(names.includes(n), n);
    let ciTotal = 0;
    for (const n of names) {
      const full = loadScenario(n);
      const ci = loadScenario(n, { ci: true });
      assert.equal(ci.ci, true, `${n} has a ci: block`);
      assert.ok(ci.duration < full.duration, n);
      assert.ok(full.description.length > 50, `${n} is documented`);
      ciTotal += ci.duration;
    }
    assert.ok(ciTotal <= 240_000, `CI variants together plan ${ciTotal} ms`);
  });

  it('an unknown scenario name is a ChaosScenarioError listing the built-ins', () => {
    assert.throws(() => loadScenario('no-such-scenario'), (e: unknown) => e instanceof ChaosScenarioError && e.code === 'B4_CHAOS_SCENARIO' && /venue-outage/.test(e.message));
  });
});
