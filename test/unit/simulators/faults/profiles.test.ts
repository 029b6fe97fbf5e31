import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { NetworkInvalidProfileError, NetworkUnknownProfileError } from '../../../../simulators/faults/errors.js';
import { NetworkModel } from '../../../../simulators/faults/network-model.js';
import { compileProfile, PROFILE_NAMES, PROFILES, resolveProfile, type ProfileName } from '../../../../simulators/faults/profiles.js';
import type { DistributionName } from '../../../../simulators/faults/distributions.js';
import { summarize, within } from './stats.js';

const N = 200_000; // ≥ 10⁵ samples per profile (issue 4)
const K = 5; // tolerance in standard errors

/** Delays and loss count of N messages on one link of a fresh model. */
function run(profile: ProfileName, distribution: DistributionName, lossModel: 'bernoulli' | 'gilbert-elliott' = 'bernoulli') {
  const net = new NetworkModel({ seed: 2024, clock: new SimulatedClock() });
  net.setProfile('sim-a', 'all', profile, { distribution, lossModel });
  const link = net.link('sim-a', 'rest', 'c1');
  const delays = new Float64Array(N);
  let lost = 0;
  for (let i = 0; i < N; i++) {
    const f = link.next();
    delays[i] = f.delayMs;
    if (f.drop) lost++;
  }
  return { delays, lossRate: lost / N, theory: link.profile()!.theory };
}

describe('network profiles (the Phase 1 review table)', () => {
  it('has the review figures', () => {
    const row = (n: ProfileName) => [PROFILES[n].baseMs, PROFILES[n].jitterMs, PROFILES[n].lossRate, PROFILES[n].burstDelayMs, PROFILES[n].burstProbability];
    assert.deepEqual(PROFILE_NAMES.map(row), [
      [1, 0.1, 0, 0, 0],
      [10, 2, 0.001, 0, 0],
      [50, 10, 0.01, 100, 0.05],
      [150, 50, 0.05, 500, 0.05],
      [1000, 500, 0.3, 5000, 0.05],
    ]);
    assert.ok(Object.isFrozen(PROFILES.good));
  });

  it('theory: mean = body mean + 5%·burst, σ² = body σ² + p(1−p)·burst², truncation included for normal', () => {
    const avg = compileProfile(PROFILES.average, {}).theory;
    within(avg.meanMs, 55 + 10 * 1.4867e-6, 1e-9, 'average mean (truncation at 0 adds σ·φ(5)/Φ(5))');
    within(avg.sdMs, Math.sqrt(100 + 0.05 * 0.95 * 100 ** 2), 1e-4, 'average σ');
    const out = compileProfile(PROFILES.outage, {}).theory;
    within(out.bodyMeanMs, 1027.62, 0.01, 'outage body mean shifted by truncation at 0');
    within(out.meanMs, 1027.62 + 250, 0.01, 'outage mean');
  });

  for (const name of PROFILE_NAMES) {
    it(`${name} (normal, Bernoulli): mean, σ and loss rate over ${N} messages within ${K} standard errors of theory`, () => {
      const { delays, lossRate, theory } = run(name, 'normal');
      const s = summarize(delays);
      within(s.mean, theory.meanMs, K * s.seMean, 'mean delay');
      within(s.sd, theory.sdMs, K * s.seSd, 'σ of delay');
      within(lossRate, theory.lossRate, K * Math.sqrt((theory.lossRate * (1 - theory.lossRate)) / N), 'loss rate');
      // The review's figures themselves, where truncation is negligible.
      if (name !== 'outage' && name !== 'poor') within(theory.bodyMeanMs, PROFILES[name].baseMs, 1e-4, 'base');
    });
  }

  for (const dist of ['lognormal', 'gamma'] as const) {
    for (const name of ['good', 'poor', 'outage'] as const) {
      it(`${name} (${dist} + Pareto tail, Gilbert-Elliott): mean and loss rate within ${K} SE of theory`, () => {
        const { delays, lossRate, theory } = run(name, dist, 'gilbert-elliott');
        const s = summarize(delays);
        // Tail α = 2.5: finite σ but infinite fourth moment, so only the mean is compared (SE from the exact σ).
        within(s.mean, theory.meanMs, K * (theory.sdMs / Math.sqrt(N)), 'mean delay');
        // Loss indicators are correlated: Var inflates by τ = (1 + λ)/(1 − λ) with λ = 1 − 1/b − L over 1 − L.
        const L = theory.lossRate;
        const b = theory.meanLossBurstLength;
        const lambda = (1 - 1 / b - L) / (1 - L);
        within(lossRate, L, K * Math.sqrt((L * (1 - L) * (1 + lambda)) / (1 - lambda) / N), 'loss rate');
      });
    }
  }

  describe('validation', () => {
    it('unknown names throw B4_NET_UNKNOWN_PROFILE naming the expectation and value', () => {
      assert.throws(
        () => resolveProfile('terrible' as ProfileName),
        (e: unknown) =>
          e instanceof NetworkUnknownProfileError &&
          e.code === 'B4_NET_UNKNOWN_PROFILE' &&
          e.message === 'network.profile: expected one of "perfect", "good", "average", "poor", "outage" or a profile object, got "terrible"',
      );
      assert.throws(() => resolveProfile({ from: 'nope' as ProfileName }), /network\.profile\.from: expected one of .* got "nope"/);
    });

    const cases: [unknown, string][] = [
      [{ baseMs: 10, jitterMs: 2, lossRate: 1.5 }, 'network.profile.lossRate: expected a value <= 1, got 1.5'],
      [{ baseMs: -1, jitterMs: 2, lossRate: 0 }, 'network.profile.baseMs: expected a value >= 0, got -1'],
      [{ baseMs: 10, lossRate: 0 }, 'network.profile.jitterMs: expected a number, got undefined'],
      [{ baseMs: 10, jitterMs: 2, lossRate: 0, tailAlpha: 1 }, 'network.profile.tailAlpha: expected a value > 1, got 1'],
      [{ baseMs: 10, jitterMs: 2, lossRate: 0, speed: 3 }, 'network.profile: expected no unknown keys (speed), got {"baseMs":10,"jitterMs":2,"lossRate":0,"speed":3}'],
      [{ from: 'good', lossBurstLength: 0 }, 'network.profile.lossBurstLength: expected a value >= 1, got 0'],
    ];
    for (const [input, message] of cases) {
      it(`custom profile ${JSON.stringify(input)} → ${message}`, () => {
        assert.throws(
          () => resolveProfile(input as never),
          (e: unknown) => e instanceof NetworkInvalidProfileError && e.code === 'B4_NET_INVALID_PROFILE' && e.message === message,
        );
      });
    }

    const optionCases: [unknown, string][] = [
      [{ ar1: 1 }, 'network.options.ar1: expected a value < 1, got 1'],
      [{ distribution: 'pareto' }, 'network.options.distribution: expected one of "normal", "lognormal", "gamma", got "pareto"'],
      [{ lossModel: 'markov' }, 'network.options.lossModel: expected one of "bernoulli", "gilbert-elliott", got "markov"'],
    ];
    for (const [input, message] of optionCases) {
      it(`options ${JSON.stringify(input)} → ${message}`, () => {
        assert.throws(
          () => compileProfile(PROFILES.good, input as never),
          (e: unknown) => e instanceof NetworkInvalidProfileError && e.message === message,
        );
      });
    }

    it('a skewed body with base 0 and a Gilbert-Elliott target out of reach are refused', () => {
      const zero = resolveProfile({ baseMs: 0, jitterMs: 1, lossRate: 0 });
      assert.throws(() => compileProfile(zero, { distribution: 'gamma' }), /network\.profile\.baseMs: expected a value > 0 for the gamma distribution when jitterMs > 0, got 0/);
      assert.doesNotThrow(() => compileProfile(zero, { distribution: 'normal' }));
      const lossy = resolveProfile({ from: 'good', lossRate: 1 });
      assert.throws(() => compileProfile(lossy, { lossModel: 'gilbert-elliott' }), /network\.profile\.lossRate: expected a value < 1, got 1/);
    });

    it('`from` overrides a built-in profile', () => {
      const p = resolveProfile({ from: 'good', lossRate: 0.02 });
      assert.equal(p.baseMs, 10);
      assert.equal(p.lossRate, 0.02);
      assert.equal(p.name, 'good*');
    });
  });
});
