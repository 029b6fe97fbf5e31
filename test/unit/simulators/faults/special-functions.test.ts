import assert from 'node:assert/strict';
import { gammaP, gammaQ, gammaQuantile, lnGamma, normalCdf, normalQuantile } from '../../../../simulators/faults/special-functions.js';

// Reference values from R (pnorm, qnorm, lgamma, pgamma) to 15 digits.
describe('network special functions', () => {
  it('normalCdf matches reference values in the body and both tails', () => {
    const ref: [number, number][] = [
      [-8, 6.22096057427178e-16],
      [-5, 2.86651571879194e-7],
      [-3, 1.34989803163009e-3],
      [-1, 0.158655253931457],
      [0, 0.5],
      [1.5, 0.933192798731142],
    ];
    for (const [x, p] of ref) assert.ok(Math.abs(normalCdf(x) - p) <= 1e-8 * p, `Φ(${x}) = ${normalCdf(x)}, expected ${p}`);
  });

  it('normalQuantile inverts normalCdf to near double precision', () => {
    for (const p of [1e-12, 1e-6, 0.001, 0.02425, 0.1, 0.5, 0.9, 0.999]) {
      const x = normalQuantile(p);
      assert.ok(Math.abs(normalCdf(x) - p) <= 1e-12 * p + 1e-15, `Φ(Φ⁻¹(${p})) = ${normalCdf(x)}`);
    }
    assert.ok(Math.abs(normalQuantile(0.975) - 1.95996398454005) < 1e-12);
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
    assert.ok(Number.isNaN(normalQuantile(1.5)));
  });

  it('lnGamma and the incomplete gamma functions match reference values', () => {
    assert.ok(Math.abs(lnGamma(5) - Math.log(24)) < 1e-13);
    assert.ok(Math.abs(lnGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
    assert.ok(Math.abs(gammaP(1, 1) - (1 - Math.exp(-1))) < 1e-14);
    // Q(3, 10) = e^-10 (1 + 10 + 50)
    assert.ok(Math.abs(gammaQ(3, 10) - Math.exp(-10) * 61) < 1e-17);
    assert.ok(Math.abs(gammaP(25, 24.667468366988324) - 0.5) < 1e-12);
    assert.equal(gammaP(2, 0), 0);
    assert.equal(gammaQ(2, Infinity), 0);
  });

  it('gammaQuantile inverts P and Q for small and large shapes', () => {
    for (const k of [0.25, 1, 4, 25, 100]) {
      for (const p of [1e-9, 0.01, 0.5, 0.99]) {
        const x = gammaQuantile(k, p);
        assert.ok(Math.abs(gammaP(k, x) - p) <= 1e-10 * p, `P(${k}, x) for p=${p}`);
        const y = gammaQuantile(k, p, true);
        assert.ok(Math.abs(gammaQ(k, y) - p) <= 1e-10 * p, `Q(${k}, y) for p=${p}`);
      }
    }
    // Exponential: quantile −ln(1 − p)
    assert.ok(Math.abs(gammaQuantile(1, 0.5) - Math.LN2) < 1e-13);
  });
});
