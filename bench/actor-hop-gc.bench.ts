/**
 * GC cost of the actor hop's per-message envelope (issue 16): `npm run bench actor-hop-gc`.
 *
 * Every `system.send()` builds one `Envelope` (11 fields) that lives until its handler has run: a
 * young-generation object per hop. Does pooling it matter? Same run, 10⁶ hops each (BOT4_BENCH_HOPS):
 * - runtime: `ActorSystem.send` into a bounded mailbox, drained by the pump, one handler per
 *   message (the real hop; LiveClock);
 * - envelope alone, allocated: the same ring of 8192 slots filled with a fresh envelope-shaped
 *   object per message and drained (what the envelope costs by itself);
 * - envelope alone, pooled: the same ring over preallocated envelopes rewritten in place (what a
 *   pool would leave).
 * Reported: GC events per 10⁶ hops, GC pause time (perf_hooks `gc` entries) and its share of the
 * run's wall time, and ns per hop. Median of BOT4_BENCH_HOP_REPS (default 5) repetitions, interleaved.
 */
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { assign, setup } from 'xstate';
import { LiveClock } from '../common/clock.js';
import { ActorSystem } from '../actors/runtime/index.js';
import { fmtNs, median, table, writeSection } from './report.js';

process.env.BOT4_LOG_LEVEL ??= 'warn';
const HOPS = Number(process.env.BOT4_BENCH_HOPS ?? 1_000_000);
const REPS = Number(process.env.BOT4_BENCH_HOP_REPS ?? 5);
const CHUNK = 8192;

const machine = setup({ types: { context: {} as { n: number }, events: {} as { type: 'batch'; count: number } } }).createMachine({
  context: { n: 0 },
  on: { batch: { actions: assign({ n: ({ context, event }) => context.n + event.count }) } },
});

interface Run {
  gcs: number;
  gcMs: number;
  wallMs: number;
}

/** Runs `fn`, counting GC events and their summed duration (entries arrive asynchronously). */
async function measure(fn: () => Promise<void> | void): Promise<Run> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 20));
  let gcs = 0;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs++;
      gcMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return { gcs, gcMs, wallMs };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function runtimeHops(): Promise<void> {
  const sys = new ActorSystem({ clock: new LiveClock(), name: 'hop-gc' });
  let handled = 0;
  const ref = sys.spawn('bench.sink', machine, { handle: () => void handled++ });
  await ref.started;
  const msg = { type: 'md.tick', payload: 1 };
  for (let sent = 0; sent < HOPS; sent += CHUNK) {
    for (let i = 0; i < CHUNK; i++) sys.send('bench.sink', msg);
    while (handled < sent + CHUNK) await tick();
  }
  if (handled < HOPS) throw new Error(`handled ${handled} of ${HOPS}`);
  await sys.shutdown();
}

interface Env {
  type: string;
  payload: unknown;
  from: string;
  to: string;
  correlationId: string;
  enqueuedAtNs: number;
  traceparent: string;
  topic: string;
  key: string;
  lane: 'control' | 'data';
  replyTo: string;
}

const clock = new LiveClock();
const ring = new Array<Env | undefined>(CHUNK).fill(undefined);

function envelopesAllocated(): void {
  let sum = 0;
  for (let sent = 0; sent < HOPS; sent += CHUNK) {
    for (let i = 0; i < CHUNK; i++) ring[i] = { type: 'md.tick', payload: 1, from: '', to: 'bench.sink', correlationId: '', enqueuedAtNs: clock.nowNs(), traceparent: '', topic: '', key: '', lane: 'data', replyTo: '' };
    for (let i = 0; i < CHUNK; i++) {
      sum += ring[i]!.enqueuedAtNs;
      ring[i] = undefined;
    }
  }
  if (sum < 0) console.log(sum);
}

const pool: Env[] = Array.from({ length: CHUNK }, () => ({ type: '', payload: 0, from: '', to: '', correlationId: '', enqueuedAtNs: 0, traceparent: '', topic: '', key: '', lane: 'data', replyTo: '' }));
function envelopesPooled(): void {
  let sum = 0;
  for (let sent = 0; sent < HOPS; sent += CHUNK) {
    for (let i = 0; i < CHUNK; i++) {
      const e = pool[i]!;
      e.type = 'md.tick';
      e.payload = 1;
      e.to = 'bench.sink';
      e.enqueuedAtNs = clock.nowNs();
      ring[i] = e;
    }
    for (let i = 0; i < CHUNK; i++) {
      sum += ring[i]!.enqueuedAtNs;
      ring[i] = undefined;
    }
  }
  if (sum < 0) console.log(sum);
}

async function main(): Promise<void> {
  // warm-up (JIT) of every variant
  await runtimeHops();
  envelopesAllocated();
  envelopesPooled();
  const runs: Record<'runtime' | 'alloc' | 'pooled', Run[]> = { runtime: [], alloc: [], pooled: [] };
  for (let r = 0; r < REPS; r++) {
    runs.runtime.push(await measure(runtimeHops));
    runs.alloc.push(await measure(envelopesAllocated));
    runs.pooled.push(await measure(envelopesPooled));
  }
  const per = HOPS / 1e6;
  const med = (xs: Run[], f: (r: Run) => number): number => median(xs.map(f));
  const row = (name: string, xs: Run[]): (string | number)[] => [
    name,
    (med(xs, (r) => r.gcs) / per).toFixed(0),
    `${(med(xs, (r) => r.gcMs) / per).toFixed(2)} ms`,
    `${((med(xs, (r) => r.gcMs / r.wallMs)) * 100).toFixed(2)} %`,
    fmtNs((med(xs, (r) => r.wallMs) * 1e6) / HOPS),
  ];
  const rt = runs.runtime;
  const envGcMs = med(runs.alloc, (r) => r.gcMs) - med(runs.pooled, (r) => r.gcMs);
  const hopMs = med(rt, (r) => r.wallMs);
  const md = [
    `${HOPS.toLocaleString('en')} hops per repetition, median of ${REPS} interleaved repetitions; GC counted and timed with a perf_hooks \`gc\` observer. Load while measuring: loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores shared with other work.`,
    '',
    table(['per 10⁶ hops', 'GC events', 'GC pause', 'GC share of wall time', 'wall time per hop'], [
      row('runtime: `system.send` → mailbox → pump → handler', rt),
      row('envelope alone, a fresh object per message', runs.alloc),
      row('envelope alone, pooled (rewritten in place)', runs.pooled),
    ]),
    '',
    `- What a pool would save: the envelope's own GC pause, ${envGcMs.toFixed(2)} ms per ${HOPS.toLocaleString('en')} hops (allocated − pooled), is ${((envGcMs / hopMs) * 100).toFixed(2)} % of the runtime hop's wall time (${hopMs.toFixed(0)} ms). Young-generation scavenges of envelopes that are already dead cost little; pooling would also make every envelope a mutable shared object whose lifetime the handler, \`forward\` and \`ask\` replies would have to respect. Decision: the envelope stays a fresh object per message unless this share grows past a few per cent.`,
  ].join('\n');
  console.log(md);
  writeSection('actor-hop-gc', 'Actor hop: GC events per 10⁶ hops (envelope pooling?)', md);
}

await main();
