import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../../../common/errors.js';
import { SeededRandom } from '../../../common/random.js';
import {
  correlationMatrix,
  correlationMatrixNative,
  correlationMatrixTs,
  nativeCorrelationLoaded,
  setSimdEnabled,
} from '../../../native/correlation.js';
import { CorrelationInputError, NativeUnavailableError } from '../../../native/errors.js';
import { nativeBinding, nativeSimdInfo } from '../../../native/loader.js';
import { nativeInfo } from '../../../native/native-info.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const nativeExpected = process.env.BOT4_NATIVE !== '0';

type Impl = (data: Float64Array, series: number, window: number, out?: Float64Array) => Float64Array;
const impls: [string, Impl][] = [
  ['ts', correlationMatrixTs],
  ['auto', correlationMatrix],
  ...(nativeExpected
    ? ([
        ['native simd', (d, s, w, o) => correlationMatrixNative(d, s, w, o, 'simd')],
        ['native scalar', (d, s, w, o) => correlationMatrixNative(d, s, w, o, 'scalar')],
      ] as [string, Impl][])
    : []),
];

function randomData(rnd: SeededRandom, series: number, window: number): Float64Array {
  // A common factor plus noise and per-series offsets, so correlations span (-1, 1).
  const data = new Float64Array(series * window);
  for (let k = 0; k < window; k++) {
    const f = rnd.normal();
    for (let i = 0; i < series; i++) data[i * window + k] = (i % 3 === 0 ? -1 : 1) * (i / series) * f + rnd.normal() + 100 * i;
  }
  return data;
}

function assertClose(actual: Float64Array, expected: ArrayLike<number | null>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const a = actual[i]!;
    if (e === null || Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
    else assert.ok(Math.abs(a - e!) <= tol, `${what}[${i}]: expected ${e}, got ${a} (|diff| ${Math.abs(a - e!)})`);
  }
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('correlationMatrix', () => {
  it('runs the native kernels unless BOT4_NATIVE=0', () => {
    assert.equal(nativeCorrelationLoaded, nativeExpected);
    assert.equal(nativeInfo().loaded, nativeExpected);
  });

  describe('native SIMD, scalar C and TS agree to 1e-12', () => {
    const rnd = new SeededRandom(42);
    for (const series of [2, 3, 5, 17, 50]) {
      for (const window of [2, 3, 7, 1000]) {
        it(`${series} series × ${window} samples`, () => {
          const data = randomData(rnd, series, window);
          const ref = correlationMatrixTs(data, series, window);
          for (const [name, f] of impls) {
            const m = f(data, series, window);
            assertClose(m, ref, 1e-12, name);
            for (let i = 0; i < series; i++) {
              assert.equal(m[i * series + i], 1, `${name}: diagonal ${i}`);
              for (let j = 0; j < series; j++) assert.equal(m[i * series + j], m[j * series + i], `${name}: symmetry ${i},${j}`);
            }
          }
        });
      }
    }
    it('odd shapes around the tile and vector widths (series 2..13 × windows 4..13, 1023, 4096)', () => {
      for (let series = 2; series <= 13; series++) {
        for (const window of [4, 5, 6, 8, 9, 11, 13, 1023, 4096]) {
          const data = randomData(rnd, series, window);
          const ref = correlationMatrixTs(data, series, window);
          for (const [name, f] of impls) assertClose(f(data, series, window), ref, 1e-12, `${name} ${series}×${window}`);
        }
      }
    });
  });

  describe('matches numpy.corrcoef (test/fixtures/correlation-numpy.json)', () => {
    const fixture = JSON.parse(readFileSync(path.join(root, 'test/fixtures/correlation-numpy.json'), 'utf8')) as {
      cases: { name: string; series: number; window: number; data: number[]; expected: (number | null)[] }[];
    };
    it('has the fixture cases', () => assert.ok(fixture.cases.length >= 8));
    for (const c of fixture.cases) {
      it(c.name, () => {
        for (const [name, f] of impls) {
          assertClose(f(Float64Array.from(c.data), c.series, c.window), c.expected, 1e-12, `${name} ${c.name}`);
        }
      });
    }
  });

  describe('edge cases', () => {
    it('zero-variance series: NaN for all its pairs including the diagonal, others unaffected', () => {
      const series = 5;
      const window = 23;
      const data = randomData(new SeededRandom(3), series, window);
      data.fill(0.1, 2 * window, 3 * window); // 0.1 sums inexactly: the test is "all equal", not "Σ(x-x̄)² = 0"
      data.fill(-7, 4 * window, 5 * window);
      for (const [name, f] of impls) {
        const m = f(data, series, window);
        for (let i = 0; i < series; i++) {
          for (let j = 0; j < series; j++) {
            const v = m[i * series + j]!;
            if (i === 2 || j === 2 || i === 4 || j === 4) assert.ok(Number.isNaN(v), `${name}: (${i},${j}) = ${v}`);
            else assert.ok(Number.isFinite(v) && Math.abs(v) <= 1, `${name}: (${i},${j}) = ${v}`);
          }
        }
      }
    });

    it('constant data: the whole matrix is NaN (never 0 or ±Infinity)', () => {
      for (const [name, f] of impls) {
        const m = f(new Float64Array(3 * 1000).fill(42.5), 3, 1000);
        assert.ok(m.every((v) => Number.isNaN(v)), name);
      }
    });

    it('perfectly (anti-)correlated rows clamp inside [-1, 1]', () => {
      const window = 101;
      const data = new Float64Array(3 * window);
      for (let k = 0; k < window; k++) {
        const t = Math.sin(k * 0.37) * 1e-3 + 1e4;
        data[k] = t;
        data[window + k] = 3 * t - 5;
        data[2 * window + k] = -t / 7;
      }
      for (const [name, f] of impls) {
        const m = f(data, 3, window);
        for (const v of m) assert.ok(v >= -1 && v <= 1, `${name}: ${v}`);
        assertClose(m, [1, 1, -1, 1, 1, -1, -1, -1, 1], 1e-9, name);
      }
    });

    it('fills and returns `out` when given, overwriting what was there', () => {
      const data = randomData(new SeededRandom(9), 4, 50);
      const ref = correlationMatrixTs(data, 4, 50);
      for (const [name, f] of impls) {
        const out = new Float64Array(16).fill(Number.POSITIVE_INFINITY);
        assert.equal(f(data, 4, 50, out), out, name);
        assertClose(out, ref, 1e-12, name);
        assert.equal(f(randomData(new SeededRandom(10), 4, 50), 4, 50, out), out, `${name} reuse`);
        assertClose(out, correlationMatrixTs(randomData(new SeededRandom(10), 4, 50), 4, 50), 1e-12, `${name} reuse`);
      }
    });

    it('`out` may be `data` itself when series === window (input is copied before output is written)', () => {
      const src = randomData(new SeededRandom(12), 6, 6);
      const ref = correlationMatrixTs(src, 6, 6);
      for (const [name, f] of impls) {
        const buf = Float64Array.from(src);
        assertClose(f(buf, 6, 6, buf), ref, 1e-12, name);
      }
    });

    it('does not modify its input', () => {
      const data = randomData(new SeededRandom(11), 6, 40);
      const copy = Float64Array.from(data);
      for (const [, f] of impls) f(data, 6, 40);
      assert.deepEqual(data, copy);
    });
  });

  describe('errors (every path)', () => {
    for (const [name, f] of impls) {
      it(`${name}: typed errors with stable codes`, () => {
        const d = new Float64Array(12);
        for (let i = 0; i < 12; i++) d[i] = i * i;
        assert.equal(code(() => f(d, 1, 12)), 'B4_CORR_TOO_FEW_SERIES');
        assert.equal(code(() => f(d, 12, 1)), 'B4_CORR_TOO_FEW_SAMPLES');
        assert.equal(code(() => f(d, 0, 0)), 'B4_CORR_TOO_FEW_SERIES');
        assert.equal(code(() => f(d, 2, 5)), 'B4_CORR_LENGTH_MISMATCH');
        assert.equal(code(() => f(d, 3, 4, new Float64Array(8))), 'B4_CORR_OUT_LENGTH');
        assert.equal(code(() => f(d, 2.5, 4)), 'B4_INVALID_ARGUMENT');
        assert.equal(code(() => f(d, 3, Number.NaN)), 'B4_INVALID_ARGUMENT');
        assert.equal(code(() => f([1, 2, 3, 4] as unknown as Float64Array, 2, 2)), 'B4_INVALID_ARGUMENT');
        assert.equal(code(() => f(d, 3, 4, new Float32Array(9) as unknown as Float64Array)), 'B4_INVALID_ARGUMENT');
        assert.throws(() => f(d, 1, 12), (e: unknown) => e instanceof CorrelationInputError && /series: expected >= 2, got 1/.test(e.message));
        assert.throws(() => f(d, 2.5, 4), InvalidArgumentError);
      });

      it(`${name}: non-finite samples anywhere (vector body and scalar tail) → B4_CORR_NON_FINITE`, () => {
        for (const window of [9, 1003]) {
          for (const at of [0, 5, window - 1, 2 * window + 8, 3 * window - 1]) {
            for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
              const data = randomData(new SeededRandom(at), 3, window);
              data[at] = bad;
              let err: unknown;
              try {
                f(data, 3, window);
              } catch (e) {
                err = e;
              }
              assert.ok(err instanceof CorrelationInputError, `${name} window ${window} at ${at} ${bad}`);
              assert.equal(err.code, 'B4_CORR_NON_FINITE');
              assert.deepEqual(err.details, { series: Math.floor(at / window), sample: at % window });
            }
          }
        }
        // finite values that overflow the sum are not "non-finite input"
        const big = new Float64Array([1e308, 1e308, -1e308, 1, 2, 3]);
        assert.notEqual(code(() => f(big, 2, 3)), 'B4_CORR_NON_FINITE');
      });
    }
  });

  describe('native path selection', () => {
    before(function () {
      if (!nativeExpected) this.skip();
    });
    after(() => {
      if (nativeExpected) setSimdEnabled(process.env.BOT4_SIMD !== '0');
    });

    it('setSimdEnabled(false) switches correlationMatrix to the scalar C path and back', () => {
      assert.equal(setSimdEnabled(false), 'scalar');
      assert.equal(nativeInfo().simd, 'scalar');
      const data = randomData(new SeededRandom(5), 9, 77);
      const scalar = correlationMatrix(data, 9, 77);
      const back = setSimdEnabled(true);
      assert.ok(['avx2', 'neon', 'scalar'].includes(back));
      assert.equal(nativeInfo().simd, back);
      assertClose(correlationMatrix(data, 9, 77), scalar, 1e-12, 'simd vs scalar');
    });
  });

  it('the C entry points check their own arguments (status codes, no crash)', function () {
    if (!nativeExpected) this.skip();
    const b = nativeBinding as unknown as {
      correlation(...args: unknown[]): number;
      rollingBind(...args: unknown[]): unknown;
    };
    const d = new Float64Array(12);
    for (let i = 0; i < 12; i++) d[i] = Math.sqrt(i);
    const o = new Float64Array(9);
    assert.equal(b.correlation(d, 3, 4, o, 0), 0);
    assert.equal(b.correlation(d, 3, 4, o, 2), 0);
    assert.equal(b.correlation(d, 3, 4, o), 6, 'missing kernel argument');
    assert.equal(b.correlation([1, 2], 3, 4, o, 0), 6, 'array instead of Float64Array');
    assert.equal(b.correlation(new Float32Array(12), 3, 4, o, 0), 6, 'Float32Array');
    assert.equal(b.correlation(d, '3', 4, o, 0), 6, 'string size');
    assert.equal(b.correlation(d, 1, 12, new Float64Array(1), 0), 2);
    assert.equal(b.correlation(d, 12, 1, o, 0), 3);
    assert.equal(b.correlation(d, 2, 4, new Float64Array(4), 0), 1);
    assert.equal(b.correlation(d, 2 ** 40, 4, o, 0), 1, 'huge series');
    assert.equal(b.correlation(d, 3, 4, new Float64Array(8), 0), 5);
    d[7] = Number.NaN;
    assert.equal(b.correlation(d, 3, 4, o, 1), 4);
    assert.equal(b.correlation(d, 3, 4, o, 2), 4);
    assert.equal(typeof b.rollingBind(new Float64Array(9), new Float64Array(12), 3), 'function');
    assert.equal(b.rollingBind(new Float64Array(9), new Float64Array(11), 3), 1);
    assert.equal(b.rollingBind(new Float64Array(8), new Float64Array(12), 3), 1);
    assert.equal(b.rollingBind(new Float64Array(1), new Float64Array(4), 1), 2);
    assert.equal(b.rollingBind({}, new Float64Array(12), 3), 6);
    assert.equal(b.rollingBind(new Float64Array(9)), 6);
  });

  describe('BOT4_NATIVE=0 and BOT4_SIMD=0 (child processes)', () => {
    const child = path.join(root, 'test/fixtures/correlation-child.ts');
    type ChildResult = { info: { loaded: boolean; simd: string; reason?: string }; matrix: number[]; nativeCall: string; simdSwitch: string; stderr: string };
    function run(env: Record<string, string>): ChildResult {
      const r = spawnSync(process.execPath, ['--import', 'tsx', child], {
        cwd: root,
        env: { ...process.env, BOT4_NATIVE: '', BOT4_SIMD: '', BOT4_LOG_LEVEL: 'info', ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stderr);
      return { ...(JSON.parse(r.stdout) as Omit<ChildResult, 'stderr'>), stderr: r.stderr };
    }
    // The same input as correlation-child.ts computes.
    const rnd = new SeededRandom(7);
    const data = new Float64Array(7 * 33);
    for (let i = 0; i < data.length; i++) data[i] = rnd.normal() + (i % 33) * 0.01 * (i % 3);
    const ref = correlationMatrixTs(data, 7, 33);

    it('BOT4_NATIVE=0: TS twin, nativeInfo says why, nothing printed', () => {
      const r = run({ BOT4_NATIVE: '0' });
      assert.equal(r.info.loaded, false);
      assert.equal(r.info.simd, 'ts');
      assert.match(r.info.reason ?? '', /BOT4_NATIVE=0/);
      assertClose(Float64Array.from(r.matrix), ref, 1e-12, 'ts child');
      assert.equal(r.stderr.split('\n').filter((l) => l.includes('bot4 native')).length, 0, r.stderr);
    });

    it('BOT4_NATIVE=0: correlationMatrixNative throws NativeUnavailableError, setSimdEnabled reports "ts"', () => {
      const r = run({ BOT4_NATIVE: '0' });
      assert.equal(r.nativeCall, `NativeUnavailableError:${NativeUnavailableError.code}`);
      assert.equal(r.simdSwitch, 'ts');
    });

    it('BOT4_SIMD=0: native scalar C path, nativeInfo says why', function () {
      if (!nativeExpected) this.skip();
      const r = run({ BOT4_SIMD: '0' });
      assert.deepEqual(r.info, { loaded: true, simd: 'scalar', reason: 'BOT4_SIMD=0 forces the scalar C path' });
      assertClose(Float64Array.from(r.matrix), ref, 1e-12, 'scalar child');
      assert.equal(r.stderr.split('\n').filter((l) => l.includes('bot4 native')).length, 0, r.stderr);
    });

    it('default environment: native SIMD path when the CPU has it', function () {
      if (!nativeExpected) this.skip();
      const r = run({});
      assert.equal(r.info.loaded, true);
      const available = nativeSimdInfo()!.available;
      assert.equal(r.info.simd, available === 'none' ? 'scalar' : available);
      assertClose(Float64Array.from(r.matrix), ref, 1e-12, 'default child');
    });
  });
});
