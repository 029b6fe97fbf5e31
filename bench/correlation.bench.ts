import { spawnSync } from 'node:child_process';
import { SeededRandom } from '../common/random.js';
import { correlationMatrixNative, correlationMatrixTs } from '../native/correlation.js';
import { nativeSimdInfo } from '../native/loader.js';
import { nativeInfo } from '../native/native-info.js';
import { RollingCorrelation } from '../native/rolling-correlation.js';
import { countGc, fmtNs, median, table, writeSection } from './report.js';

/**
 * Correlation benchmark: a 50 series × 1000 samples Pearson matrix on the native AVX2 (or NEON)
 * kernel, the scalar C twin, the pure-TS twin, and numpy.corrcoef with one OpenBLAS thread,
 * measured in the same run on the same data; plus RollingCorrelation.push for 50 series.
 * Targets (the Phase 1 review goals): ≤ 100 µs median and ≥ 1.3× numpy; push ≤ 5 µs median.
 *
 * Run: node --import tsx --expose-gc bench/correlation.bench.ts
 */

const SERIES = 50;
const WINDOW = 1000;
const TARGET_NS = 100_000;
const TARGET_RATIO = 1.3;
const PUSH_TARGET_NS = 5_000;

function makeData(series: number, window: number, seed: number): Float64Array {
  const rnd = new SeededRandom(seed);
  const data = new Float64Array(series * window);
  for (let k = 0; k < window; k++) {
    const f = rnd.normal();
    for (let i = 0; i < series; i++) data[i * window + k] = 30_000 + 100 * i + (i / series) * f + rnd.normal();
  }
  return data;
}

/** Median ns per call over `reps` timed calls after `warm` untimed ones, bounded by `maxMs`. */
function timeIt(fn: () => void, reps: number, warm: number, maxMs: number): { median: number; n: number } {
  for (let i = 0; i < warm; i++) fn();
  const ts: number[] = [];
  const deadline = process.hrtime.bigint() + BigInt(maxMs) * 1_000_000n;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    const t1 = process.hrtime.bigint();
    ts.push(Number(t1 - t0));
    if (t1 > deadline) break;
  }
  return { median: median(ts), n: ts.length };
}

/** numpy.corrcoef on the same bytes, timed inside python (one OpenBLAS thread). */
function numpyBench(data: Float64Array, reps: number): { median: number; n: number; maxDiff: number } | { skipped: string } {
  const script = `
import sys, json, time
try:
    import numpy as np
except Exception as e:
    print(json.dumps({"skipped": "numpy not importable: %s" % e})); sys.exit(0)
raw = sys.stdin.buffer.read()
x = np.frombuffer(raw, dtype="<f8").reshape(${SERIES}, ${WINDOW}).copy()
for _ in range(50): np.corrcoef(x)
ts = []
deadline = time.perf_counter_ns() + 20_000_000_000
for _ in range(${reps}):
    t0 = time.perf_counter_ns(); c = np.corrcoef(x); t1 = time.perf_counter_ns()
    ts.append(t1 - t0)
    if t1 > deadline: break
ts.sort()
n = len(ts)
med = ts[n // 2] if n % 2 else (ts[n // 2 - 1] + ts[n // 2]) / 2
sys.stdout.write(json.dumps({"median": med, "n": n, "numpy": np.__version__, "matrix": c.ravel().tolist()}))
`;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', ['-c', script], {
    input: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.error) return { skipped: `python3 not runnable: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `python3 exited ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  const out = JSON.parse(r.stdout) as { skipped?: string; median: number; n: number; matrix: number[] };
  if (out.skipped) return { skipped: out.skipped };
  const ours = correlationMatrixTs(data, SERIES, WINDOW);
  let maxDiff = 0;
  out.matrix.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - ours[i]!))));
  return { median: out.median, n: out.n, maxDiff };
}

async function main(): Promise<void> {
  const info = nativeInfo();
  console.log(`native: ${JSON.stringify(info)}`);
  const data = makeData(SERIES, WINDOW, 1);
  const out = new Float64Array(SERIES * SERIES);

  const rows: { name: string; median: number; n: number }[] = [];
  if (info.loaded) {
    // The explicit 'simd' selector runs the best kernel the CPU has, even under BOT4_SIMD=0.
    const simdName = `native SIMD (${nativeSimdInfo()?.available ?? 'n/a'})`;
    rows.push({ name: simdName, ...timeIt(() => correlationMatrixNative(data, SERIES, WINDOW, out, 'simd'), 3000, 200, 15_000) });
    rows.push({ name: 'native scalar C', ...timeIt(() => correlationMatrixNative(data, SERIES, WINDOW, out, 'scalar'), 500, 20, 15_000) });
  }
  rows.push({ name: 'TypeScript twin', ...timeIt(() => correlationMatrixTs(data, SERIES, WINDOW, out), 200, 10, 15_000) });
  const np = numpyBench(data, 2000);
  const npMedian = 'median' in np ? np.median : undefined;
  if ('median' in np) rows.push({ name: 'numpy.corrcoef (1 OpenBLAS thread)', median: np.median, n: np.n });

  const best = rows[0]!;
  const pass = (ok: boolean): string => (ok ? 'pass' : 'FAIL');
  const mainTable = table(
    ['implementation', 'median', 'samples', 'vs numpy'],
    rows.map((r) => [r.name, fmtNs(r.median), r.n, npMedian !== undefined ? `${(npMedian / r.median).toFixed(2)}×` : 'n/a']),
  );

  // Smaller shapes on the live path, for orientation.
  const shapes = info.loaded
    ? [2, 10].map((s) => {
        const d = makeData(s, WINDOW, s);
        const o = new Float64Array(s * s);
        return [`${s} × ${WINDOW}`, fmtNs(timeIt(() => correlationMatrixNative(d, s, WINDOW, o, 'simd'), 5000, 500, 5_000).median)];
      })
    : [];

  // RollingCorrelation.push, 50 series, window 1000: median per push over batches of 64 pushes.
  const rc = new RollingCorrelation(SERIES, WINDOW);
  const rnd = new SeededRandom(2);
  const samples = Array.from({ length: 256 }, () => Float64Array.from({ length: SERIES }, (_, i) => 30_000 + 100 * i + rnd.normal()));
  for (let p = 0; p < WINDOW; p++) rc.push(samples[p % samples.length]!);
  const BATCH = 64;
  const perPush: number[] = [];
  let p = 0;
  const pushDeadline = process.hrtime.bigint() + 10_000_000_000n;
  for (let b = 0; b < 3000; b++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < BATCH; k++) rc.push(samples[p++ & 255]!);
    const t1 = process.hrtime.bigint();
    perPush.push(Number(t1 - t0) / BATCH);
    if (t1 > pushDeadline) break;
  }
  const pushMedian = median(perPush);
  // GC events over uninstrumented pushes (the timing loop above allocates BigInts itself).
  const GC_PUSHES = 200_000;
  const gcEvents = await countGc(() => {
    for (let k = 0; k < GC_PUSHES; k++) rc.push(samples[k & 255]!);
  });

  const targets = table(
    ['target', 'measured', 'result'],
    [
      [`50×1000 matrix ≤ ${fmtNs(TARGET_NS)} median`, fmtNs(best.median), pass(best.median <= TARGET_NS)],
      [
        `≥ ${TARGET_RATIO}× numpy.corrcoef (1 thread)`,
        npMedian !== undefined ? `${(npMedian / best.median).toFixed(2)}×` : 'numpy unavailable',
        npMedian !== undefined ? pass(npMedian / best.median >= TARGET_RATIO) : 'skipped',
      ],
      [`RollingCorrelation.push (50 series, ${rc.implementation}) ≤ ${fmtNs(PUSH_TARGET_NS)} median`, fmtNs(pushMedian), pass(pushMedian <= PUSH_TARGET_NS)],
    ],
  );

  const notes = [
    `Live path: \`${info.simd}\` (${info.reason ?? 'no reason given'}); loaded: ${info.loaded}.`,
    'maxDiff' in np
      ? `numpy.corrcoef agrees with the TS twin to ${np.maxDiff.toExponential(1)} (max |diff|).`
      : `numpy skipped: ${np.skipped}.`,
    `RollingCorrelation.push (${rc.implementation} O(series²) update): ${perPush.length} batches of ${BATCH} pushes, window ${WINDOW}; ${gcEvents} GC events over ${GC_PUSHES} further uninstrumented pushes.`,
  ];
  const md = [
    `Pearson matrix of ${SERIES} series × ${WINDOW} samples (price-like data near 30 000), same data for every implementation; numpy timed inside python with \`time.perf_counter_ns\` and \`OPENBLAS_NUM_THREADS=1\`.`,
    '',
    mainTable,
    '',
    shapes.length ? table(['shape (series × samples), native SIMD', 'median'], shapes) : '',
    '',
    targets,
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
  console.log(md);
  writeSection('correlation', 'Correlation matrix and rolling correlation', md);
}

await main();
