import assert from 'node:assert/strict';
import { ConfigError, InvalidArgumentError } from '../../../common/errors.js';
import { SeededRandom } from '../../../common/random.js';
import { correlationMatrixTs } from '../../../native/correlation.js';
import { CorrelationInputError, NativeUnavailableError } from '../../../native/errors.js';
import { RollingCorrelation, type RollingCorrelationOptions } from '../../../native/rolling-correlation.js';

const nativeExpected = process.env.BOT4_NATIVE !== '0';
const IMPLS = nativeExpected ? (['ts', 'native'] as const) : (['ts'] as const);

/** A RollingCorrelation plus the plain history it should equal, recomputed from scratch on demand. */
class Checked {
  readonly rc: RollingCorrelation;
  private readonly history: Float64Array[] = [];
  constructor(
    readonly series: number,
    readonly window: number,
    options?: RollingCorrelationOptions,
  ) {
    this.rc = new RollingCorrelation(series, window, options);
  }
  push(sample: Float64Array): void {
    this.rc.push(sample);
    this.history.push(Float64Array.from(sample));
    if (this.history.length > this.window) this.history.shift();
  }
  /** Full two-pass recompute of the window's samples. */
  expected(): Float64Array {
    const cnt = this.history.length;
    const data = new Float64Array(this.series * cnt);
    for (let k = 0; k < cnt; k++) for (let i = 0; i < this.series; i++) data[i * cnt + k] = this.history[k]![i]!;
    return correlationMatrixTs(data, this.series, cnt);
  }
  maxDiff(): number {
    const a = this.rc.matrix();
    const e = this.expected();
    let d = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(e[i]!) !== Number.isNaN(a[i]!)) return Number.POSITIVE_INFINITY;
      if (!Number.isNaN(e[i]!)) d = Math.max(d, Math.abs(a[i]! - e[i]!));
    }
    return d;
  }
}

/** Correlated price-like samples: a shared factor, per-series loadings and levels. */
function sampler(seed: number, series: number, level = 100): (out: Float64Array) => Float64Array {
  const rnd = new SeededRandom(seed);
  return (out) => {
    const f = rnd.normal();
    for (let i = 0; i < series; i++) out[i] = level * (i + 1) + (i % 2 ? -1 : 1) * (i / series) * f + rnd.normal();
    return out;
  };
}

function close(actual: Float64Array, expected: number[]): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-12, `[${i}]: expected ${e}, got ${actual[i]}`));
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('RollingCorrelation', () => {
  for (const implementation of IMPLS) {
    describe(`${implementation} update`, () => {
      it('matches a full recompute while filling, when full and after wrapping (several shapes)', () => {
        for (const [series, window] of [
          [2, 2],
          [3, 7],
          [5, 50],
          [17, 33],
          [50, 100],
        ] as const) {
          const c = new Checked(series, window, { implementation });
          const next = sampler(series * 1000 + window, series);
          const s = new Float64Array(series);
          for (let p = 1; p <= 3 * window + 5; p++) {
            c.push(next(s));
            assert.equal(c.rc.count, Math.min(p, window));
            if (p >= 2) assert.ok(c.maxDiff() <= 1e-12, `${series}×${window} after ${p} pushes: ${c.maxDiff()}`);
          }
        }
      });

      it('exposes series, window, count; all NaN with fewer than 2 samples; reset empties it', () => {
        const rc = new RollingCorrelation(3, 4, { implementation });
        assert.equal(rc.implementation, implementation);
        assert.equal(rc.series, 3);
        assert.equal(rc.window, 4);
        assert.equal(rc.count, 0);
        assert.ok(rc.matrix().every(Number.isNaN));
        rc.push(new Float64Array([1, 2, 3]));
        assert.equal(rc.count, 1);
        assert.ok(rc.matrix().every(Number.isNaN));
        rc.push(new Float64Array([2, 4, 1]));
        close(rc.matrix(), [1, 1, -1, 1, 1, -1, -1, -1, 1]);
        rc.reset();
        assert.equal(rc.count, 0);
        assert.ok(rc.matrix().every(Number.isNaN));
        rc.push(new Float64Array([5, 5, 5]));
        rc.push(new Float64Array([6, 4, 5]));
        const m = rc.matrix();
        close(m.subarray(0, 2), [1, -1]);
        assert.ok(Number.isNaN(m[2]!) && Number.isNaN(m[8]!), 'series 2 is constant since the reset');
      });

      it('fills and returns `out`', () => {
        const rc = new RollingCorrelation(2, 3, { implementation });
        rc.push(new Float64Array([1, 3]));
        rc.push(new Float64Array([2, 1]));
        const out = new Float64Array(4).fill(7);
        assert.equal(rc.matrix(out), out);
        close(out, [1, -1, -1, 1]);
      });

      it('zero variance: NaN row and column while a series is flat across the whole window, and back after', () => {
        const c = new Checked(3, 5, { resyncEvery: 0, implementation });
        const rnd = new SeededRandom(4);
        const s = new Float64Array(3);
        for (let p = 0; p < 40; p++) {
          // series 1 varies for 10 pushes, is flat (0.1, inexact in binary) for 20, then varies again
          s[0] = rnd.normal();
          s[1] = p >= 10 && p < 30 ? 0.1 : rnd.normal() * 1e3;
          s[2] = rnd.normal();
          c.push(s);
          if (p === 0) continue;
          const m = c.rc.matrix();
          const flat = p >= 14 && p < 30;
          for (let i = 0; i < 3; i++) {
            for (let j = 0; j < 3; j++) {
              const v = m[i * 3 + j]!;
              if (flat && (i === 1 || j === 1)) assert.ok(Number.isNaN(v), `push ${p}: (${i},${j}) = ${v}`);
              else assert.ok(Number.isFinite(v), `push ${p}: (${i},${j}) = ${v}`);
            }
          }
          assert.ok(c.maxDiff() <= 1e-9, `push ${p}: ${c.maxDiff()}`);
        }
      });

      it('a huge spike leaving the window does not wreck later results (cancellation guard, no periodic resync)', () => {
        const c = new Checked(4, 50, { resyncEvery: 0, implementation });
        const next = sampler(77, 4, 1);
        const s = new Float64Array(4);
        for (let p = 0; p < 300; p++) {
          next(s);
          if (p === 60) s[2] = 3.3e7;
          c.push(s);
        }
        assert.ok(c.maxDiff() <= 1e-9, `after the spike left: ${c.maxDiff()}`);
      });

      it('drift over 10⁶ pushes stays within 1e-9 of a full recompute (5 series × window 50, no periodic resync)', function () {
        this.timeout(60_000);
        const series = 5;
        const window = 50;
        const rc = new RollingCorrelation(series, window, { resyncEvery: 0, implementation });
        const rnd = new SeededRandom(2026);
        const ring = new Float64Array(series * window); // own copy of the window, series-major
        const s = new Float64Array(series);
        const level = new Float64Array(series).fill(30_000);
        let worst = 0;
        for (let p = 0; p < 1_000_000; p++) {
          const f = rnd.normal();
          for (let i = 0; i < series; i++) {
            // mean-reverting prices near 30 000 with a common factor: the hard case for raw sums
            level[i] = 30_000 + 0.999 * (level[i]! - 30_000) + (i % 2 ? -0.5 : 0.8) * f + rnd.normal();
            s[i] = level[i]!;
            ring[i * window + (p % window)] = s[i]!;
          }
          rc.push(s);
          if ((p + 1) % 100_000 === 0) {
            const exact = correlationMatrixTs(ring, series, window); // order of samples does not matter
            const m = rc.matrix();
            for (let i = 0; i < m.length; i++) worst = Math.max(worst, Math.abs(m[i]! - exact[i]!));
            assert.ok(worst <= 1e-9, `after ${p + 1} pushes: max |diff| ${worst}`);
          }
        }
        assert.equal(rc.count, window);
      });

      it('periodic resync (resyncEvery: 7) keeps results equal to a full recompute', () => {
        const c = new Checked(6, 20, { resyncEvery: 7, implementation });
        const next = sampler(8, 6, 1e4);
        const s = new Float64Array(6);
        for (let p = 0; p < 200; p++) {
          c.push(next(s));
          if (p >= 1) assert.ok(c.maxDiff() <= 1e-10, `push ${p}: ${c.maxDiff()}`);
        }
        c.rc.resync();
        assert.ok(c.maxDiff() <= 1e-12);
      });

      describe('errors', () => {
        it('constructor: typed errors for bad sizes and options', () => {
          assert.equal(code(() => new RollingCorrelation(1, 10)), 'B4_CORR_TOO_FEW_SERIES');
          assert.equal(code(() => new RollingCorrelation(3, 1)), 'B4_CORR_TOO_FEW_SAMPLES');
          assert.throws(() => new RollingCorrelation(2.5, 10), InvalidArgumentError);
          assert.throws(() => new RollingCorrelation(3, Number.POSITIVE_INFINITY), InvalidArgumentError);
          assert.throws(
            () => new RollingCorrelation(3, 10, { resyncEvery: -1 }),
            (e: unknown) => e instanceof ConfigError && e.message === 'rollingCorrelation.resyncEvery: expected a value >= 0, got -1',
          );
          assert.throws(() => new RollingCorrelation(3, 10, { bogus: 1 } as unknown as RollingCorrelationOptions), ConfigError);
        });

        it('push: length mismatch and non-finite samples throw and leave the state unchanged', () => {
          const c = new Checked(3, 4, { implementation });
          c.push(new Float64Array([1, 2, 3]));
          c.push(new Float64Array([2, 1, 5]));
          c.push(new Float64Array([4, 0, 1]));
          const before = c.rc.matrix();
          assert.equal(code(() => c.rc.push(new Float64Array([1, 2]))), 'B4_CORR_LENGTH_MISMATCH');
          for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
            assert.throws(
              () => c.rc.push(new Float64Array([1, bad, 3])),
              (e: unknown) => e instanceof CorrelationInputError && e.code === 'B4_CORR_NON_FINITE' && e.details?.series === 1,
            );
          }
          assert.equal(c.rc.count, 3);
          assert.deepEqual(c.rc.matrix(), before);
          c.push(new Float64Array([0, 3, 2]));
          assert.ok(c.maxDiff() <= 1e-12);
        });

        it('matrix: wrong out length → B4_CORR_OUT_LENGTH', () => {
          const rc = new RollingCorrelation(3, 4, { implementation });
          assert.equal(code(() => rc.matrix(new Float64Array(8))), 'B4_CORR_OUT_LENGTH');
        });
      });
    });
  }

  it('native and TS updates give bit-identical matrices', function () {
    if (!nativeExpected) this.skip();
    const a = new RollingCorrelation(13, 40, { implementation: 'native' });
    const b = new RollingCorrelation(13, 40, { implementation: 'ts' });
    assert.equal(a.implementation, 'native');
    const next = sampler(99, 13, 3e4);
    const s = new Float64Array(13);
    for (let p = 0; p < 500; p++) {
      next(s);
      a.push(s);
      b.push(s);
      if (p % 37 === 0) assert.deepEqual(a.matrix(), b.matrix(), `push ${p}`);
    }
  });

  it("implementation 'auto' is native unless BOT4_NATIVE=0; 'native' without the addon throws", () => {
    assert.equal(new RollingCorrelation(2, 2).implementation, nativeExpected ? 'native' : 'ts');
    if (!nativeExpected) assert.throws(() => new RollingCorrelation(2, 2, { implementation: 'native' }), NativeUnavailableError);
    assert.throws(() => new RollingCorrelation(2, 2, { implementation: 'gpu' as 'ts' }), ConfigError);
  });
});
