import assert from 'node:assert/strict';
import { SeededRandom } from '../../../../common/random.js';
import { createLatencyBody, sampleGamma, truncatedNormalMoments, type DistributionName } from '../../../../simulators/faults/distributions.js';
import { normalCdf } from '../../../../simulators/faults/special-functions.js';
import { fractionBelow, quantile, summarize, within } from './stats.js';

const N = 200_000;
const K = 5; // tolerance in standard errors

function draw(n: number, f: () => number): Float64Array {
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = f();
  return xs;
}

describe('network latency bodies', () => {
  it('truncatedNormalMoments: the truncation shifts the outage profile mean by +27.6 ms', () => {
    const m = truncatedNormalMoments(1000, 500);
    // a = −2, λ = φ(2)/Φ(2) = 0.0552478
    within(m.meanMs, 1000 + 500 * 0.05524786, 1e-3, 'mean');
    within(m.sdMs, 500 * Math.sqrt(1 - 2 * 0.05524786 - 0.05524786 ** 2), 1e-3, 'sd');
    const g = truncatedNormalMoments(10, 2);
    within(g.meanMs, 10, 1e-5, 'good profile mean barely moves');
    assert.deepEqual(truncatedNormalMoments(5, 0), { meanMs: 5, sdMs: 0 });
  });

  for (const dist of ['normal', 'lognormal', 'gamma'] as DistributionName[]) {
    for (const [mean, sd] of [
      [10, 2],
      [150, 50],
      [1000, 500],
    ] as const) {
      it(`${dist} body without tail (${mean} ± ${sd} ms): sample mean/σ match the exact moments (sample() and fromLatent())`, () => {
        const body = createLatencyBody(dist, { meanMs: mean, sdMs: sd, tailProbability: 0 });
        const th = body.moments();
        if (dist !== 'normal') {
          within(th.meanMs, mean, 1e-9 * mean, 'body mean is the profile base');
          within(th.sdMs, sd, 1e-9 * sd, 'body σ is the profile jitter');
        }
        const rng = new SeededRandom(`${dist}-${mean}`);
        for (const xs of [draw(N, () => body.sample(rng)), draw(N, () => body.fromLatent(rng.normal()))]) {
          const s = summarize(xs);
          within(s.mean, th.meanMs, K * s.seMean, `${dist} mean`);
          within(s.sd, th.sdMs, K * s.seSd, `${dist} σ`);
          for (let i = 0; i < xs.length; i++) assert.ok(xs[i]! >= 0);
        }
      });
    }
  }

  for (const dist of ['lognormal', 'gamma'] as DistributionName[]) {
    it(`${dist} body with a Pareto tail: CDF matches the quantile function at p = 0.5…0.999 and p99.9 is above the normal's`, () => {
      const params = { meanMs: 50, sdMs: 10, tailProbability: 0.01, tailAlpha: 2.5 };
      const body = createLatencyBody(dist, params);
      const normal = createLatencyBody('normal', params);
      const rng = new SeededRandom(`tail-${dist}`);
      const th = body.moments();
      for (const xs of [draw(N, () => body.sample(rng)), draw(N, () => body.fromLatent(rng.normal()))]) {
        for (const p of [0.5, 0.9, 0.99, 0.995, 0.999]) {
          // The empirical CDF at the exact quantile is binomial: SE √(p(1−p)/n).
          within(fractionBelow(xs, body.quantile(p)), p, K * Math.sqrt((p * (1 - p)) / N), `${dist} F(Q(${p}))`);
        }
        const s = summarize(xs);
        // The tail has finite variance (α > 2): the mean's SE uses the exact σ.
        within(s.mean, th.meanMs, K * (th.sdMs / Math.sqrt(N)), `${dist} mean with tail`);
        assert.ok(quantile(xs, 0.999) > 1.5 * normal.quantile(0.999), `${dist} p99.9 ${quantile(xs, 0.999)} vs normal ${normal.quantile(0.999)}`);
      }
      // Tail formula: P(X > x) = q·(x/x_q)^−α, so Q(0.999) = x_q·10^(1/α).
      within(body.quantile(0.999) / body.quantile(0.99), 10 ** (1 / 2.5), 1e-9, 'Pareto tail quantile ratio');
      assert.ok(th.meanMs > 50 && th.sdMs > 10, 'the tail adds to mean and σ');
    });
  }

  it('tail with α ≤ 2 reports an infinite σ', () => {
    const body = createLatencyBody('lognormal', { meanMs: 50, sdMs: 10, tailProbability: 0.01, tailAlpha: 1.5 });
    assert.equal(body.moments().sdMs, Infinity);
    assert.ok(Number.isFinite(body.moments().meanMs));
  });

  it('sampleGamma (Marsaglia–Tsang) has mean k and variance k, also for k < 1', () => {
    const rng = new SeededRandom(7);
    for (const k of [0.3, 1, 4, 100]) {
      const s = summarize(draw(N, () => sampleGamma(rng, k)));
      within(s.mean, k, K * s.seMean, `Gamma(${k}) mean`);
      within(s.sd, Math.sqrt(k), K * s.seSd, `Gamma(${k}) σ`);
    }
  });

  it('gamma fromLatent (copula table) reproduces the exact quantiles', () => {
    const body = createLatencyBody('gamma', { meanMs: 1, sdMs: 2, tailProbability: 0.01, tailAlpha: 3 }); // shape 0.25
    for (const z of [-6, -2, -0.5, 0, 1, 2, 2.3]) {
      const exact = body.quantile(normalCdf(z));
      within(body.fromLatent(z), exact, 1e-4 * exact, `F⁻¹(Φ(${z}))`);
    }
  });

  it('constant body when σ = 0, and invalid parameters are refused', () => {
    const c = createLatencyBody('gamma', { meanMs: 3, sdMs: 0 });
    assert.equal(c.sample(new SeededRandom(1)), 3);
    assert.deepEqual(c.moments(), { meanMs: 3, sdMs: 0 });
    assert.throws(() => createLatencyBody('normal', { meanMs: -1, sdMs: 1 }), RangeError);
    assert.throws(() => createLatencyBody('lognormal', { meanMs: 0, sdMs: 1 }), /meanMs > 0/);
    assert.throws(() => createLatencyBody('gamma', { meanMs: 1, sdMs: 1, tailProbability: 0.1, tailAlpha: 1 }), /tailAlpha > 1/);
  });
});
