/**
 * Actor runtime benchmark (`node --import tsx --expose-gc bench/actors.bench.ts`, or `npm run bench actors`).
 *
 * 1. One-hop throughput, same run, interleaved repetitions (median):
 *    - plain queue: a preallocated array ring, push then drain (the floor any mailbox pays);
 *    - raw XState: `actor.send()` of one event per message to a machine that counts (what
 *      per-message XState delivery would cost);
 *    - runtime: `system.send()` into a bounded mailbox, drained in batches, one XState `batch`
 *      event per batch plus the per-message handler (XState in the path);
 *    - runtime + tracing: the same with the OpenTelemetry adapter at its default sampling,
 *      exporting to a real OTLP receiver started here (tracing overhead).
 * 2. Hop latency at a fixed open-loop offered rate (100k msg/s) for a bounded time, measured from
 *    each message's intended send time (no coordinated omission), HDR histogram.
 */
import * as hdr from 'hdr-histogram-js';
import { assign, createActor, setup } from 'xstate';
import { LiveClock } from '../common/clock.js';
import { ActorSystem, ActorTracing, TRACING_DEFAULTS, type Envelope } from '../actors/runtime/index.js';
import { OtlpReceiver } from '../test/fixtures/otlp/otlp-receiver.js';
import { countGc, fmtNs, median, table, writeSection } from './report.js';

process.env.BOT4_LOG_LEVEL ??= 'warn';

const N_QUEUE = 2_000_000;
const N_RUNTIME = 1_000_000;
const N_XSTATE = 100_000;
const CHUNK = 8192;
const REPS = 5;
const RATE = 100_000;
const LATENCY_SECONDS = 3;

const machine = setup({
  types: { context: {} as { n: number }, events: {} as { type: 'batch'; count: number } | { type: 'msg' } },
}).createMachine({
  context: { n: 0 },
  on: {
    batch: { actions: assign({ n: ({ context, event }) => context.n + event.count }) },
    msg: { actions: assign({ n: ({ context }) => context.n + 1 }) },
  },
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** msg/s of a preallocated ring: push CHUNK, drain CHUNK. */
function plainQueue(): number {
  const size = 1 << 14;
  const mask = size - 1;
  const ring = new Array<{ type: string; payload: number } | undefined>(size).fill(undefined);
  let head = 0;
  let tail = 0;
  let sum = 0;
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N_QUEUE; sent += CHUNK) {
    for (let i = 0; i < CHUNK; i++) ring[tail++ & mask] = { type: 'm', payload: i };
    while (head !== tail) {
      const m = ring[head & mask]!;
      ring[head++ & mask] = undefined;
      sum += m.payload;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  if (sum < 0) console.log(sum);
  return (N_QUEUE / ns) * 1e9;
}

/** msg/s of one XState `actor.send` per message. */
function rawXState(): number {
  const a = createActor(machine);
  a.start();
  const ev = { type: 'msg' as const };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N_XSTATE; i++) a.send(ev);
  const ns = Number(process.hrtime.bigint() - t0);
  if (a.getSnapshot().context.n !== N_XSTATE) throw new Error('raw xstate lost events');
  a.stop();
  return (N_XSTATE / ns) * 1e9;
}

/** msg/s through the runtime: send in chunks, let the pump drain each chunk. */
async function runtime(name: string): Promise<number> {
  const sys = new ActorSystem({ clock: new LiveClock(), name });
  let handled = 0;
  const ref = sys.spawn('bench.sink', machine, { handle: () => void handled++ });
  await ref.started;
  const msg = { type: 'md.tick', payload: 1 };
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N_RUNTIME; sent += CHUNK) {
    for (let i = 0; i < CHUNK; i++) sys.send('bench.sink', msg);
    while (handled < sent + CHUNK) await tick();
  }
  const ns = Number(process.hrtime.bigint() - t0);
  if (ref.machine.getSnapshot().context.n !== handled) throw new Error('machine did not see every envelope');
  await sys.shutdown();
  return (handled / ns) * 1e9;
}

/** Open-loop latency at RATE msg/s for LATENCY_SECONDS, from intended send time. */
async function latency(seconds: number): Promise<{ h: hdr.Histogram; sent: number; late: number }> {
  const clock = new LiveClock();
  const sys = new ActorSystem({ clock, name: 'bench-latency' });
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  sys.spawn('bench.sink', machine, {
    handle: (e: Envelope) => {
      h.recordValue(Math.max(0, Math.round(clock.nowNs() - (e.payload as number))));
    },
  });
  const intervalNs = 1e9 / RATE;
  const total = Math.round(RATE * seconds);
  const start = clock.nowNs() + 1e6;
  let sent = 0;
  let maxBurst = 0;
  while (sent < total) {
    const now = clock.nowNs();
    let burst = 0;
    // Send everything whose intended time has come; the payload is the intended time, so a
    // stalled producer shows up as latency instead of being hidden (coordinated omission).
    while (sent < total && start + sent * intervalNs <= now) {
      sys.send('bench.sink', { type: 'md.tick', payload: start + sent * intervalNs });
      sent++;
      burst++;
    }
    if (burst > maxBurst) maxBurst = burst;
    await tick();
  }
  while (h.totalCount < total) await tick();
  await sys.shutdown();
  return { h, sent, late: maxBurst };
}

async function main(): Promise<void> {
  const receiver = await OtlpReceiver.start();
  const q: number[] = [];
  const x: number[] = [];
  const r: number[] = [];
  const t: number[] = [];
  let tracedSpans = 0;
  // Warm-up (JIT) of every variant, not measured.
  plainQueue();
  rawXState();
  await runtime('bench-warm');
  for (let rep = 0; rep < REPS; rep++) {
    q.push(plainQueue());
    x.push(rawXState());
    r.push(await runtime('bench-plain'));
    const tracing = new ActorTracing({ endpoint: receiver.url, system: 'bench-traced' });
    t.push(await runtime('bench-traced'));
    const report = await tracing.shutdown();
    tracedSpans += report.spansExported;
    console.log(`rep ${rep + 1}/${REPS}: queue ${(q.at(-1)! / 1e6).toFixed(2)}M/s, xstate ${(x.at(-1)! / 1e6).toFixed(3)}M/s, runtime ${(r.at(-1)! / 1e6).toFixed(2)}M/s, traced ${(t.at(-1)! / 1e6).toFixed(2)}M/s`);
  }
  let gcRate = 0;
  const gcRuntime = await countGc(async () => {
    gcRate = await runtime('bench-gc');
  });
  await receiver.close();
  console.log('latency: open loop at', RATE, 'msg/s for', LATENCY_SECONDS, 's ...');
  // Settle the heap first so a major GC left over from the throughput runs does not land here.
  (globalThis as { gc?: () => void }).gc?.();
  await latency(0.5); // warm-up, discarded
  (globalThis as { gc?: () => void }).gc?.();
  const lat = await latency(LATENCY_SECONDS);

  const mq = median(q);
  const mx = median(x);
  const mr = median(r);
  const mt = median(t);
  const overhead = 1 - mt / mr;
  const h = lat.h;
  const md = [
    `One hop = \`system.send()\` from outside into one actor's bounded mailbox, drained by the pump in batches of 128: one XState \`batch\` event per batch, then the per-message handler. ${REPS} interleaved repetitions, medians; runtime ${N_RUNTIME.toLocaleString('en')} messages per repetition in chunks of ${CHUNK}.`,
    '',
    table(
      ['variant', 'median msg/s', 'vs runtime'],
      [
        ['plain array queue (floor)', `${(mq / 1e6).toFixed(2)}M`, `${(mq / mr).toFixed(2)}×`],
        ['raw XState `actor.send` per message', `${(mx / 1e6).toFixed(3)}M`, `${(mx / mr).toFixed(3)}×`],
        ['**runtime (XState in the path)**', `**${(mr / 1e6).toFixed(2)}M**`, '1.00×'],
        [`runtime + tracing (sampling ${TRACING_DEFAULTS.samplingRatio}, OTLP to a local receiver)`, `${(mt / 1e6).toFixed(2)}M`, `${(mt / mr).toFixed(3)}×`],
      ],
    ),
    '',
    `- Target ≥ 1M msg/s: **${mr >= 1e6 ? 'met' : 'not met'}** (${(mr / 1e6).toFixed(2)}M msg/s; ${(mr / mx).toFixed(0)}× per-message XState).`,
    `- Tracing overhead at the default sampling: **${(overhead * 100).toFixed(1)}%** throughput loss (target ≤ 5%: ${overhead <= 0.05 ? 'met' : 'not met'}); ${tracedSpans} spans exported over the traced repetitions. Histograms are always on while the adapter is installed.`,
    `- GC events during one runtime repetition (${N_RUNTIME.toLocaleString('en')} messages, ${(gcRate / 1e6).toFixed(2)}M msg/s): ${gcRuntime} (one envelope object per message, young-generation only).`,
    '',
    `Hop latency, open loop at ${RATE.toLocaleString('en')} msg/s offered for ${LATENCY_SECONDS} s, measured from each message's intended send time to the start of its handler (HDR, ${h.totalCount.toLocaleString('en')} samples; largest producer burst ${lat.late} messages):`,
    '',
    table(
      ['p50', 'p99', 'p99.9', 'max', 'samples'],
      [[fmtNs(h.getValueAtPercentile(50)), fmtNs(h.getValueAtPercentile(99)), fmtNs(h.getValueAtPercentile(99.9)), fmtNs(h.maxValue), h.totalCount]],
    ),
    '',
    `- Target p99 ≤ 50 µs: **${h.getValueAtPercentile(99) <= 50_000 ? 'met' : 'not met'}**.`,
  ].join('\n');
  console.log(md);
  writeSection('actors', 'Actor runtime: one-hop throughput, hop latency, tracing overhead', md);
}

await main();
