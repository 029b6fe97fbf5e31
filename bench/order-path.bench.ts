/**
 * The engine's internal order path, in process (`npm run bench order-path`).
 *
 * A real engine (`Engine.start`: actor system, risk actor with the risk engine, venue actor with its
 * router, breaker and reconciler, the order journal in a temp dir with fsync `interval`) whose one
 * venue is the in-process paper venue of `bench/fixtures/paper-venue.ts`. Orders are driven the
 * way a strategy emits them: a strategy actor (`spawnStrategy`) hosts the bench's strategy, and
 * the open-loop producer calls that strategy's `ctx.submit` (the host's code: intent checks, the
 * `order.submit` envelope to the risk actor) at each order's intended time. Path: strategy host →
 * mailbox → risk actor (check, projection) → mailbox → venue actor (state, budget, breaker,
 * journal append; the order leaves once its record is written) → `placeOrder`.
 *
 * 1. Latency, open loop at 1k, 5k, 10k orders/s (`BOT4_BENCH_PATH_RATES`), each for
 *    `BOT4_BENCH_PATH_SECONDS` s, HDR histograms from each order's intended time, for both paper
 *    venue variants: `handoff` (the order reaches the adapter), `wire` (signed `order.place` frame
 *    written on a real loopback WebSocket) and `wire-batched` (the same, one `writev` per turn). Beside each: the machine floor, the same
 *    open-loop scheduler at the same rate doing nothing but recording (intended → now).
 * 2. Burst: as many orders as the path takes for `BOT4_BENCH_PATH_BURST_SECONDS` s (default 10)
 *    into the `handoff` venue, at most `BOT4_BENCH_PATH_WINDOW` in flight; every order's outcome is
 *    counted (acknowledged by the venue, or denied with a code): dropped = offered − both. RSS and
 *    heap before, peak and after (memory stays bounded: the paper venue keeps ≤ 10k resting), and
 *    the process's CPU time (user + system) per acknowledged order in the window: the figure that
 *    stays comparable on a loaded machine (1e6 / it = the rate one core would carry).
 * 3. `BOT4_BENCH_PATH_PROFILE=<file.cpuprofile>` (default in the temp dir; `off` skips it): V8 CPU profile (the same profiler as
 *    `node --cpu-prof`, started through `node:inspector` around a 10k/s run of `BOT4_BENCH_PATH_PROFILE_VARIANT`, default `wire`, only); turn
 *    it into the per-µs table with `npx tsx bench/profile-table.ts <file> --orders N`.
 *    `BOT4_BENCH_PATH_ONLY=latency|burst|profile` runs one part.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { Engine } from '../actors/engine/engine.js';
import type { Instrument } from '../actors/orders/instrument.js';
import type { OrderIntent } from '../actors/orders/intent.js';
import { spawnStrategy, type StrategyHandle } from '../actors/strategy/strategy-actor.js';
import type { StrategyContext } from '../actors/strategy/strategy.js';
import { CHANNELS, type StartedEvent } from '../actors/runtime/index.js';
import { LiveClock } from '../common/clock.js';
import { PaperVenue, type PaperVariant } from './fixtures/paper-venue.js';
import { fmtNs, table, writeSection } from './report.js';
import { heapTable, profileTable, type CpuProfile, type HeapProfile } from './profile-table.js';

process.env.BOT4_LOG_LEVEL ??= 'warn';

const RATES = (process.env.BOT4_BENCH_PATH_RATES ?? '1000,5000,10000').split(',').map(Number);
const SECONDS = Number(process.env.BOT4_BENCH_PATH_SECONDS ?? 5);
const BURST_SECONDS = Number(process.env.BOT4_BENCH_PATH_BURST_SECONDS ?? 10);
const WINDOW = Number(process.env.BOT4_BENCH_PATH_WINDOW ?? 4096);
const PROFILE = process.env.BOT4_BENCH_PATH_PROFILE === 'off' ? undefined : (process.env.BOT4_BENCH_PATH_PROFILE ?? path.join(tmpdir(), 'bot4-order-path.cpuprofile'));
const PROFILE_SECONDS = Number(process.env.BOT4_BENCH_PATH_PROFILE_SECONDS ?? 5);
const ONLY = process.env.BOT4_BENCH_PATH_ONLY;
const PROFILE_VARIANT = (process.env.BOT4_BENCH_PATH_PROFILE_VARIANT ?? 'wire') as PaperVariant;
const VARIANTS = (process.env.BOT4_BENCH_PATH_VARIANTS ?? 'handoff,wire,wire-batched').split(',') as PaperVariant[];

const VENUE = 'paper';
const SYMBOL = 'BTC/USDT';
const INSTRUMENT: Instrument = { venue: VENUE, symbol: SYMBOL, base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQtyLots: 1, maxQtyLots: 900_000_000, minNotional: '5' };
/**
 * Every order gets a unique quantity QTY_LOTS + its index: the key from the venue's record back to
 * its intended time. Prices cycle over LEVELS ticks below BASE_TICKS, as a quoting strategy's do
 * (the risk engine's own-price levels hold a handful of prices, not one per order).
 */
const BASE_TICKS = 100_000;
const LEVELS = 64;
const QTY_LOTS = 1000;

const clock = new LiveClock();
const newHist = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;

/** The bench's strategy: it only counts what comes back; the producer calls its `ctx.submit`. */
class BenchStrategy {
  denied = 0;
  readonly deniedBy: Record<string, number> = {};
  onDenied(d: { code: string }): void {
    this.denied++;
    this.deniedBy[d.code] = (this.deniedBy[d.code] ?? 0) + 1;
  }
}

interface Rig {
  engine: Engine;
  venue: PaperVenue;
  strategy: BenchStrategy;
  handle: StrategyHandle;
  ctx: StrategyContext;
  dir: string;
  stop(): Promise<void>;
}

async function rig(variant: PaperVariant): Promise<Rig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot4-bench-path-'));
  const venue = new PaperVenue({ venue: VENUE, clock, instruments: [INSTRUMENT], variant, capacity: 4 << 20 });
  await venue.open();
  const engine = await Engine.start(
    {
      journal: { dir, fsync: 'interval' },
      venues: [{ name: VENUE, rest: 'http://127.0.0.1:9', apiKey: 'k', secret: 's', actor: { reconcileEveryMs: 0, balanceSync: true, streams: true, books: false } }],
      symbols: [SYMBOL],
      correlation: { enabled: false },
      risk: {
        strategies: { bench: {} },
        // No market data in this bench: the checks that need a quote are off; the rest run.
        checks: { staleData: false, priceBand: false, correlation: false, rate: false, position: false, exposure: false },
        defaults: { instrument: { maxOpenOrders: 1_000_000 }, venue: { maxOpenOrders: 1_000_000 } },
        portfolio: { maxOpenOrders: 1_000_000 },
      },
    },
    { clock, adapters: [venue] },
  );
  const deadline = Date.now() + 10_000;
  while (!engine.venuesSynced) {
    if (Date.now() > deadline) throw new Error(`paper venue never synced: ${engine.venues.get(VENUE)?.actor.state}`);
    await sleep(5);
  }
  const strategy = new BenchStrategy();
  const handle = spawnStrategy(engine.system, { id: 'bench', kind: 'bench', instruments: [`${VENUE}:${SYMBOL}`] }, strategy, { clock, instruments: engine.instruments });
  await handle.ref.started;
  return {
    engine,
    venue,
    strategy,
    handle,
    ctx: handle.context,
    dir,
    async stop() {
      handle.stop();
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The intent of order `i` (its quantity is unique). */
const intentOf = (i: number): Omit<OrderIntent, 'strategy'> => ({ venue: VENUE, symbol: SYMBOL, side: 'buy', type: 'limit', tif: 'GTC', priceTicks: BASE_TICKS - (i % LEVELS), qtyLots: QTY_LOTS + i });

/**
 * Open loop at `rate` for `seconds`: on every wake-up (setImmediate) every order whose intended
 * time has passed is emitted (`emit(i)`), so producer lateness counts against the order.
 * Returns the intended times (ns, by order index).
 */
async function openLoop(rate: number, seconds: number, emit: (i: number, intendedNs: number) => void): Promise<Float64Array> {
  const total = Math.round(rate * seconds);
  const intended = new Float64Array(total);
  const interval = 1e9 / rate;
  const start = clock.nowNs() + 1e6;
  for (let i = 0; i < total; i++) intended[i] = start + i * interval;
  let sent = 0;
  while (sent < total) {
    const now = clock.nowNs();
    while (sent < total && intended[sent]! <= now) {
      emit(sent, intended[sent]!);
      sent++;
    }
    await tick();
  }
  return intended;
}

/** The floor: the same open-loop scheduler recording intended → now instead of submitting. */
async function floor(rate: number, seconds: number): Promise<hdr.Histogram> {
  const h = newHist();
  await openLoop(rate, seconds, (_i, at) => h.recordValue(Math.max(1, Math.round(clock.nowNs() - at))));
  return h;
}

interface PathRun {
  variant: PaperVariant | 'handoff + hop probe';
  /** With the hop probe: intended → the risk actor / the venue actor starts handling the order. */
  atRisk?: hdr.Histogram;
  atVenue?: hdr.Histogram;
  rate: number;
  offered: number;
  reached: hdr.Histogram;
  handed: hdr.Histogram;
  floor: hdr.Histogram;
  acked: number;
  denied: number;
  deniedBy: Record<string, number>;
  /** Journal writes (group commits) during the run, to the drain: the system calls the orders' records took. */
  journalWrites: number;
}

/** One latency run on `r` at `rate`; order indices continue from `first` (unique prices per engine). */
async function pathRun(r: Rig, variant: PaperVariant, rate: number, seconds: number, first: number, probe = false): Promise<PathRun> {
  const fl = await floor(rate, Math.min(seconds, 2));
  // The hop probe: the runtime's per-envelope `started` diagnostics event (one subscriber, a clock
  // read per envelope) records when the risk actor and the venue actor start handling each order.
  const total = Math.round(rate * seconds);
  const riskNs = new Float64Array(total);
  const venueNs = new Float64Array(total);
  const onStarted = (m: unknown): void => {
    const ev = m as StartedEvent;
    if (ev.envelope.type !== 'order.submit') return;
    const i = (ev.envelope.payload as { intent: OrderIntent }).intent.qtyLots - QTY_LOTS - first;
    if (i < 0 || i >= total) return;
    if (ev.actor === 'risk') riskNs[i] = ev.startNs;
    else venueNs[i] = ev.startNs;
  };
  if (probe) diagnosticsChannel.subscribe(CHANNELS.started, onStarted);
  const p0 = r.venue.placed;
  const a0 = r.venue.acked;
  const d0 = r.strategy.denied;
  const w0 = r.engine.journal.writer.stats.writes;
  const intended = await openLoop(rate, seconds, (i) => r.ctx.submit(intentOf(first + i)));
  const offered = intended.length;
  const deadline = Date.now() + 30_000;
  while (r.venue.acked - a0 + r.strategy.denied - d0 < offered && Date.now() < deadline) await sleep(10);
  const journalWrites = r.engine.journal.writer.stats.writes - w0;
  const reached = newHist();
  const handed = newHist();
  for (let s = p0; s < r.venue.placed && s < r.venue.reachedNs.length; s++) {
    const i = r.venue.qtyOf[s]! - QTY_LOTS - first;
    if (i < 0 || i >= offered) continue;
    reached.recordValue(Math.max(1, Math.round(r.venue.reachedNs[s]! - intended[i]!)));
    handed.recordValue(Math.max(1, Math.round(r.venue.handedNs[s]! - intended[i]!)));
  }
  const deniedBy = { ...r.strategy.deniedBy };
  if (probe) {
    diagnosticsChannel.unsubscribe(CHANNELS.started, onStarted);
    const atRisk = newHist();
    const atVenue = newHist();
    for (let i = 0; i < offered; i++) {
      if (riskNs[i]! > 0) atRisk.recordValue(Math.max(1, Math.round(riskNs[i]! - intended[i]!)));
      if (venueNs[i]! > 0) atVenue.recordValue(Math.max(1, Math.round(venueNs[i]! - intended[i]!)));
    }
    return { variant: 'handoff + hop probe', atRisk, atVenue, rate, offered, reached, handed, floor: fl, acked: r.venue.acked - a0, denied: r.strategy.denied - d0, deniedBy, journalWrites };
  }
  return { variant, rate, offered, reached, handed, floor: fl, acked: r.venue.acked - a0, denied: r.strategy.denied - d0, deniedBy, journalWrites };
}

interface BurstRun {
  seconds: number;
  /** CPU time (user + system) of the process per order acknowledged in the window, µs. */
  cpuUsPerOrder: number;
  offered: number;
  acked: number;
  denied: number;
  deniedBy: Record<string, number>;
  dropped: number;
  engineAccepted: number;
  rate: number;
  perSecond: number[];
  mem: { rssBefore: number; heapBefore: number; rssPeak: number; heapPeak: number; rssAfter: number; heapAfter: number };
  expired: number;
}

/** Burst: keep `WINDOW` orders in flight for `seconds`, count every outcome. */
async function burst(seconds: number): Promise<BurstRun> {
  const r = await rig('handoff');
  // Warm up (JIT), then measure.
  let next = 0;
  const pump = async (untilNs: number, perSecond?: number[]): Promise<void> => {
    let lastSec = clock.nowNs();
    let lastAck = r.venue.acked;
    while (clock.nowNs() < untilNs) {
      const inflight = next - r.venue.acked - r.strategy.denied;
      const n = Math.min(4096, WINDOW - inflight);
      for (let k = 0; k < n; k++) r.ctx.submit(intentOf(next++));
      await tick();
      const now = clock.nowNs();
      if (perSecond !== undefined && now - lastSec >= 1e9) {
        perSecond.push(((r.venue.acked - lastAck) * 1e9) / (now - lastSec));
        lastSec = now;
        lastAck = r.venue.acked;
      }
    }
  };
  await pump(clock.nowNs() + 1e9);
  while (next - r.venue.acked - r.strategy.denied > 0) await sleep(5);
  global.gc?.();
  const m0 = process.memoryUsage();
  const mem = { rssBefore: m0.rss, heapBefore: m0.heapUsed, rssPeak: m0.rss, heapPeak: m0.heapUsed, rssAfter: 0, heapAfter: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    mem.rssPeak = Math.max(mem.rssPeak, m.rss);
    mem.heapPeak = Math.max(mem.heapPeak, m.heapUsed);
  }, 250);
  const first = next;
  const a0 = r.venue.acked;
  const d0 = r.strategy.denied;
  const acc0 = r.engine.venueStats()[VENUE]!.accepted;
  const t0 = clock.nowNs();
  const cpu0 = process.cpuUsage();
  const perSecond: number[] = [];
  await pump(t0 + seconds * 1e9, perSecond);
  const tEnd = clock.nowNs();
  const cpu1 = process.cpuUsage(cpu0);
  const ackedInWindow = r.venue.acked - a0;
  // Drain: every order offered gets its outcome.
  const deadline = Date.now() + 60_000;
  while (next - r.venue.acked - r.strategy.denied > 0 && Date.now() < deadline) await sleep(10);
  clearInterval(sampler);
  global.gc?.();
  const m1 = process.memoryUsage();
  mem.rssAfter = m1.rss;
  mem.heapAfter = m1.heapUsed;
  const offered = next - first;
  const acked = r.venue.acked - a0;
  const denied = r.strategy.denied - d0;
  const engineAccepted = r.engine.venueStats()[VENUE]!.accepted - acc0;
  const out: BurstRun = { seconds, cpuUsPerOrder: (cpu1.user + cpu1.system) / Math.max(1, ackedInWindow), offered, acked, denied, deniedBy: { ...r.strategy.deniedBy }, dropped: offered - acked - denied, engineAccepted, rate: (ackedInWindow * 1e9) / (tEnd - t0), perSecond, mem, expired: r.venue.expired };
  await r.stop();
  return out;
}

const pct = (h: hdr.Histogram): string => `${fmtNs(h.getValueAtPercentile(50))} / ${fmtNs(h.getValueAtPercentile(99))} / ${fmtNs(h.getValueAtPercentile(99.9))} / ${fmtNs(h.maxValue)} (${h.totalCount})`;

function cpuPressure(): string {
  try {
    return /avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'latin1'))![1]!;
  } catch {
    return 'n/a';
  }
}

async function profileRun(file: string): Promise<{ orders: number; seconds: number; cpuUs: number; heap: HeapProfile; heapOrders: number; plainCpuUsPerOrder: number }> {
  const r = await rig(PROFILE_VARIANT);
  // Warm up at the same rate, then profile the measured run only.
  await openLoop(10_000, 1, (i) => r.ctx.submit(intentOf(i)));
  await sleep(200);
  const session = new Session();
  session.connect();
  /** One open-loop window at 10k/s from order index `first`, waited out; returns orders acked and CPU µs. */
  const window = async (first: number): Promise<{ orders: number; cpuUs: number; seconds: number }> => {
    const a0 = r.venue.acked;
    const d0 = r.strategy.denied;
    const t0 = clock.nowNs();
    const c0 = process.cpuUsage();
    await openLoop(10_000, PROFILE_SECONDS, (i) => r.ctx.submit(intentOf(first + i)));
    while (r.venue.acked - a0 + r.strategy.denied - d0 < PROFILE_SECONDS * 10_000 && clock.nowNs() - t0 < (PROFILE_SECONDS + 30) * 1e9) await sleep(5);
    const c = process.cpuUsage(c0);
    return { orders: r.venue.acked - a0, cpuUs: c.user + c.system, seconds: (clock.nowNs() - t0) / 1e9 };
  };
  // The same window without the profiler first: the sampler's own CPU (the inspector's `dispatch`)
  // is in the profiled window's figure, not in this one.
  const plain = await window(10_000 + 2 * PROFILE_SECONDS * 10_000);
  await sleep(200);
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const cpu = await window(10_000);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  await sleep(200);
  // A second window for allocations (its own run, so sampling them does not distort the CPU
  // profile): every allocation, not only what survives — objects collected by GC stay in it.
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const mem = await window(10_000 + PROFILE_SECONDS * 10_000);
  const { profile: heap } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  await r.stop();
  return { orders: cpu.orders, seconds: cpu.seconds, cpuUs: cpu.cpuUs, heap: heap as unknown as HeapProfile, heapOrders: mem.orders, plainCpuUsPerOrder: plain.cpuUs / Math.max(1, plain.orders) };
}

async function main(): Promise<void> {
  const load = `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, CPU pressure avg10 ${cpuPressure()} %, ${cpus().length} cores`;
  console.log(load);
  const sections: string[] = [];
  const runs: PathRun[] = [];
  const probes: PathRun[] = [];
  if (ONLY === undefined || ONLY === 'latency') {
    for (const variant of VARIANTS) {
      const r = await rig(variant);
      // Warm-up (JIT, journal segment) at the lowest rate, not recorded.
      let first = 0;
      await openLoop(RATES[0]!, 1, (i) => r.ctx.submit(intentOf(i)));
      first += RATES[0]!;
      await sleep(200);
      for (const rate of RATES) {
        const run = await pathRun(r, variant, rate, SECONDS, first);
        first += run.offered;
        runs.push(run);
        console.log(variant, rate, 'floor', pct(run.floor), '| reached', pct(run.reached), '| handed', pct(run.handed), '| acked', run.acked, 'denied', run.denied, '| journal writes per order', (run.journalWrites / run.offered).toFixed(2));
        await sleep(300);
      }
      if (variant === 'handoff') {
        // At the lowest rate: the split is only informative while the path is not saturated.
        const rate = RATES[0]!;
        const run = await pathRun(r, variant, rate, SECONDS, first, true);
        probes.push(run);
        console.log('probe', rate, 'risk', pct(run.atRisk!), '| venue', pct(run.atVenue!), '| reached', pct(run.reached));
      }
      await r.stop();
    }
    const rows = runs.map((x) => [
      x.variant,
      x.rate,
      x.offered,
      x.acked,
      x.denied,
      pct(x.floor),
      pct(x.reached),
      x.variant.startsWith('wire') ? pct(x.handed) : '= reached',
    ]);
    const at10k = runs.filter((x) => x.rate === 10_000);
    const verdict = at10k.map((x) => {
      const h = x.variant.startsWith('wire') ? x.handed : x.reached;
      const p50 = h.getValueAtPercentile(50);
      const p99 = h.getValueAtPercentile(99);
      return `- \`${x.variant}\` at 10k/s: p50 ${fmtNs(p50)} (goal ≤ 20 µs: **${p50 <= 20_000 ? 'met' : 'NOT met'}**), p99 ${fmtNs(p99)} (goal ≤ 100 µs: **${p99 <= 100_000 ? 'met' : 'NOT met'}**); machine floor in the same run p50 ${fmtNs(x.floor.getValueAtPercentile(50))}, p99 ${fmtNs(x.floor.getValueAtPercentile(99))}.`;
    });
    sections.push(
      [
        'A real engine in process (`Engine.start`: risk actor and risk engine, venue actor with router, breaker and reconciler, order journal in a temp dir with fsync `interval`) whose venue is the paper venue of `bench/fixtures/paper-venue.ts`. Orders are driven through a strategy actor (`spawnStrategy`): at each intended time the producer calls the bench strategy\'s `ctx.submit`, the strategy host\'s own code (intent check, `order.submit` to the risk actor) that a strategy runs from `onTimer`/`onTicker`; the call happens outside a handler turn, so there is no extra producer → strategy hop. Risk checks on: open orders, balance, self-trade, venue availability, kill switch; off (no market data here): stale data, price band, correlation, rate, position, exposure.',
        '',
        `Open loop, HDR from each order's intended time, ${SECONDS} s per rate after a 1 s warm-up; latency p50 / p99 / p99.9 / max (samples). Floor = the same open-loop scheduler at the same rate recording intended → now and nothing else (event-loop and timer jitter of this machine right now), measured just before the run.`,
        '',
        table(['venue variant', 'orders/s', 'offered', 'acked NEW', 'denied', 'floor', 'intent → order reaches the adapter', 'intent → signed frame written to the socket'], rows),
        '',
        ...(probes.length === 0
          ? []
          : [
              `Where the latency accrues (\`handoff\` at ${probes[0]!.rate}/s once more, with the runtime's per-envelope \`started\` diagnostics event subscribed: it adds a clock read and an event per envelope, so this run is slightly slower than the one above):`,
              '',
              table(
                ['orders/s', 'floor', 'intent → risk actor starts handling (strategy host, 1 mailbox hop)', 'intent → venue actor starts handling (+ risk check, 2nd hop)', 'intent → order reaches the adapter (+ journal append awaited, router, breaker)'],
                probes.map((x) => [x.rate, pct(x.floor), pct(x.atRisk!), pct(x.atVenue!), pct(x.reached)]),
              ),
              '',
            ]),
        '- `handoff`: the path ends where the venue actor calls `ExchangeAdapter.placeOrder` (strategy host → risk actor → venue actor → journal append (fsync `interval`: the order leaves once its record is written to the kernel) → breaker → adapter). `wire`: the same, then the paper venue signs a Binance WS-API `order.place` (HMAC-SHA256 via `node:crypto`), renders the JSON frame and writes it on a loopback WebSocket (`ws` client) whose peer, a child process, acknowledges it NEW: one `writev` per order. `wire-batched`: the same frames, the socket corked for the rest of the event-loop turn, so the frames of a turn leave in one `writev` (time recorded after it).',
        ...verdict,
      ].join('\n'),
    );
  }
  if (ONLY === undefined || ONLY === 'burst') {
    const b = await burst(BURST_SECONDS);
    console.log('burst', JSON.stringify({ ...b, perSecond: b.perSecond.map((x) => Math.round(x)) }));
    sections.push(
      [
        `Burst into the \`handoff\` paper venue for ${b.seconds} s (journal on, fsync \`interval\`), at most ${WINDOW} orders in flight, after a 1 s warm-up:`,
        '',
        table(
          ['orders/s acknowledged (whole window)', 'per second (min / median / max)', 'CPU µs per order (process user+system / acked)', 'offered', 'acked NEW', 'denied', 'dropped', 'RSS before / peak / after', 'heap before / peak / after'],
          [
            [
              b.rate.toFixed(0),
              (() => {
                const s = [...b.perSecond].sort((x, y) => x - y);
                return s.length === 0 ? '–' : `${s[0]!.toFixed(0)} / ${s[s.length >> 1]!.toFixed(0)} / ${s[s.length - 1]!.toFixed(0)}`;
              })(),
              b.cpuUsPerOrder.toFixed(1),
              b.offered,
              b.acked,
              `${b.denied}${b.denied > 0 ? ` ${JSON.stringify(b.deniedBy)}` : ''}`,
              b.dropped,
              `${mb(b.mem.rssBefore)} / ${mb(b.mem.rssPeak)} / ${mb(b.mem.rssAfter)}`,
              `${mb(b.mem.heapBefore)} / ${mb(b.mem.heapPeak)} / ${mb(b.mem.heapAfter)}`,
            ],
          ],
        ),
        '',
        `- Every offered order has an outcome: acknowledged NEW by the venue or denied with a code (dropped = offered − acked − denied = ${b.dropped}); the venue actor counted ${b.engineAccepted} acceptances. The paper venue keeps ≤ 10k orders resting and cancels older ones through the user-data stream (${b.expired} cancelled), so open-order tables stay bounded. Goal ≥ 200k orders/s for 10 s with 0 dropped: **${b.rate >= 200_000 && b.dropped === 0 ? 'met' : 'NOT met'}**.`,
      ].join('\n'),
    );
  }
  if (PROFILE !== undefined && (ONLY === undefined || ONLY === 'profile')) {
    const p = await profileRun(PROFILE);
    console.log('profile', PROFILE, p);
    const t = profileTable(JSON.parse(readFileSync(PROFILE, 'utf8')) as CpuProfile, p.orders, p.cpuUs);
    console.log(t.markdown);
    sections.push(
      [
        `The engine thread spends ${p.plainCpuUsPerOrder.toFixed(0)} µs of CPU per order at 10k orders/s without the profiler (${(p.cpuUs / p.orders).toFixed(0)} µs in the profiled window below, the sampler's own work included), so one thread carries at most ≈ ${Math.round(1e6 / p.plainCpuUsPerOrder).toLocaleString('en')} orders/s; above that (or when other processes take the CPU) open-loop latency is queueing and grows with the run length.`,
        '',
        `Where one order's CPU time goes at 10k orders/s (\`${PROFILE_VARIANT}\` variant, ${p.orders} orders in ${p.seconds.toFixed(1)} s; V8 CPU profile, 50 µs sampling, self time grouped by source path with \`bench/profile-table.ts\`; µs per order (profile) = area self time / orders, wall time of the engine thread, which includes waiting for a CPU on this loaded machine; CPU µs per order = the area's share of the busy samples × the process's user+system CPU time (${(p.cpuUs / 1e3).toFixed(0)} ms) / orders). Reproduce: \`npx tsx bench/profile-table.ts ${path.basename(PROFILE)} --orders ${p.orders} --cpu-us ${p.cpuUs}\`:`,
        '',
        t.markdown,
        '',
        `Bytes allocated per order, by area (a second ${PROFILE_SECONDS} s window at 10k/s on the same engine, ${p.heapOrders} orders; V8 sampling heap profiler, 4 KiB interval, objects already collected by GC included; GC's share of the CPU above follows from this):`,
        '',
        heapTable(p.heap, p.heapOrders).markdown,
      ].join('\n'),
    );
  }
  if (ONLY === undefined || ONLY === 'latency') {
    writeSection('order-path', 'Internal order path (in process): latency, burst, where the time goes', [`Machine state at start: ${load}. Shared machine: figures are noisy.`, '', ...sections.flatMap((s) => [s, ''])].join('\n'));
  } else {
    for (const s of sections) console.log(s);
  }
}

await main();
process.exit(0);
