/**
 * Network-fault model throughput: ns per `Link.next()` (one message's fate) for each profile and
 * latency body, against the floor of the review's model measured in the same run (one seeded normal
 * plus two uniforms per message, no model around it), and GC events during the timed loops (the hot
 * path must not allocate).
 *
 * Run: node --import tsx --expose-gc bench/network-model.bench.ts
 */
import { SimulatedClock } from '../common/clock.js';
import { SeededRandom } from '../common/random.js';
import { NetworkModel } from '../simulators/faults/network-model.js';
import { PROFILE_NAMES, type ProfileOptionsInput } from '../simulators/faults/profiles.js';
import { countGc, median, table, writeSection } from './report.js';

const MESSAGES = 200_000;
const RUNS = 5;

let sink = 0;

function timeRuns(fn: () => void): number[] {
  const out: number[] = [];
  fn(); // warm-up
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t0) / MESSAGES);
  }
  return out;
}

/** The peer: what the review's i.i.d. model minimally costs (normal draw, burst and loss uniforms). */
function floorLoop(): () => void {
  const rng = new SeededRandom(1);
  return () => {
    // A local accumulator: storing doubles into a module-level `let` allocates a HeapNumber each time.
    let acc = 0;
    for (let i = 0; i < MESSAGES; i++) {
      let d = 50 + 10 * rng.normal();
      if (rng.next() < 0.05) d += 100;
      if (rng.next() < 0.01) d = -1;
      acc += d;
    }
    sink += acc;
  };
}

function modelLoop(profile: (typeof PROFILE_NAMES)[number], options: ProfileOptionsInput): () => void {
  const net = new NetworkModel({ seed: 42, clock: new SimulatedClock() });
  net.setProfile('bench', 'all', profile, options);
  const link = net.link('bench', 'stream', 'c');
  return () => {
    let acc = 0;
    for (let i = 0; i < MESSAGES; i++) {
      const f = link.next(200);
      acc += f.drop ? 0 : f.delayMs;
    }
    sink += acc;
  };
}

const variants: [string, ProfileOptionsInput][] = [
  ['normal, Bernoulli (review)', {}],
  ['lognormal+tail, AR(1) 0.6, GE', { distribution: 'lognormal', ar1: 0.6, lossModel: 'gilbert-elliott' }],
  ['gamma+tail (Marsaglia–Tsang), GE', { distribution: 'gamma', lossModel: 'gilbert-elliott' }],
  ['gamma+tail, AR(1) 0.6 (copula table), GE', { distribution: 'gamma', ar1: 0.6, lossModel: 'gilbert-elliott' }],
];

async function main(): Promise<void> {
  const fl = floorLoop();
  const floor = median(timeRuns(fl));
  const floorGc = await countGc(() => {
    for (let r = 0; r < RUNS; r++) fl();
  });
  console.log(`floor (seeded normal + 2 uniforms): ${floor.toFixed(1)} ns/message, GC ${floorGc}`);
  const rows: (string | number)[][] = [];
  for (const p of PROFILE_NAMES) {
    for (const [label, opts] of variants) {
      const loop = modelLoop(p, opts);
      const ns = median(timeRuns(loop));
      const gc = await countGc(() => {
        for (let r = 0; r < RUNS; r++) loop();
      });
      rows.push([p, label, ns.toFixed(1), (1e3 / ns).toFixed(2), (ns / floor).toFixed(2), gc]);
      console.log(`${p.padEnd(8)} ${label.padEnd(42)} ${ns.toFixed(1).padStart(7)} ns/msg  ${(1e3 / ns).toFixed(2).padStart(6)} M msg/s  ${(ns / floor).toFixed(2)}× floor  GC ${gc}`);
    }
  }
  writeSection(
    'network-model',
    'Network-fault model: cost of one message fate',
    [
      `\`Link.next(200)\` on one link, ${MESSAGES.toLocaleString('en-US')} messages per run, median of ${RUNS} runs. Peer: the review's i.i.d. model`,
      `at its floor (one seeded normal and two uniforms per message, no model around it), measured in the same run: **${floor.toFixed(1)} ns/message** (GC ${floorGc}).`,
      'GC = garbage-collection events during the timed loops (0 means the hot path does not allocate).',
      '',
      table(['profile', 'body / loss', 'ns/message', 'M messages/s', '× floor', 'GC'], rows),
      '',
      'Command: `node --import tsx --expose-gc bench/network-model.bench.ts`.',
    ].join('\n'),
  );
  if (sink === 42) console.log('');
}

await main();
