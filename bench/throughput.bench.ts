/**
 * End-to-end order throughput: strategy-side `engine.submit` → risk actor → venue actor → journal
 * (fsync `interval`) → breaker → order entry over the venue's WebSocket API (`orderEntry: 'ws'`,
 * `actors/exchange/binance/ws-orders.ts`) → the simulator in its own process (`rate-limits high`
 * advertised in `exchangeInfo` and budgeted by the engine, no background participants, no network
 * model). This process is the engine's (one core); the simulator has its own.
 *
 * Peer, same run, same simulator process (its second venue, identical), same orders (limit IOC buys
 * far below an empty book: each expires at once, so neither side accumulates open orders), same
 * open-loop rate and the same unbounded in-flight concurrency: a bare ccxt client in a child
 * process — ccxt.pro `createOrderWs` and REST `createOrder` (`bench/fixtures/ccxt-peer.ts`).
 *
 * Per rate: acknowledged/s (venue replies received over the wall time until the last one), failed
 * (denied, rejected or unknown), and the HDR latency from each order's intended send time to its
 * venue reply; bot4's internal path (intended time → handed to the adapter) beside it. After the
 * runs: the ledger check (journal vs the venue's ledger) and a CPU profile of this engine process
 * at the top rate (top functions by self time).
 *
 * Env: BOT4_BENCH_TP_RATES (default "2000,5000,10000,15000"), BOT4_BENCH_TP_SECONDS (10; 60 for the
 * sustained figure, 600 for the 10-minute run), BOT4_BENCH_TP_PEER (`ws,rest`; `none` skips the
 * peer), BOT4_BENCH_TP_PROFILE_SECONDS (3; 0 skips the profile), BOT4_BENCH_TP_ORDER_ENTRY (`ws`),
 * BOT4_BENCH_TP_SIM_RETENTION (client orders the simulator keeps per venue, 100000; `off` keeps
 * every order as before issue 16), BOT4_BENCH_TP_SIM_PROFILE (`1`: CPU profile of the simulator
 * process over the whole run, summarised at the end). The simulator's RSS is reported after each run.
 * The 60 s and 10-minute runs: `BOT4_BENCH_TP_SECONDS=60` / `=600`, best with one rate
 * (`BOT4_BENCH_TP_RATES=12000 BOT4_BENCH_TP_SECONDS=600 BOT4_BENCH_TP_PEER=none`). For the ledger
 * check the bench keeps, per order handed over, a compact record of what the check reads
 * (`fixtures/order-records.ts`, ~50 bytes in typed-array columns, off the JS heap), not the order:
 * the engine's table keeps only the newest 10,000 closed orders. With the time columns (16 bytes per
 * order) that is ~0.5 GB for 7.2M orders (600 s at 12k/s); the simulator keeps
 * `BOT4_BENCH_TP_SIM_RETENTION` orders per venue and compacts the rest.
 * Run: npm run bench throughput
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { Engine } from '../actors/engine/engine.js';
import { parseEngineConfig, type EngineConfigInput } from '../actors/engine/engine-config.js';
import { DelegatingAdapter } from './fixtures/delegating-adapter.js';
import { BinanceAdapter } from '../actors/exchange/binance/binance-adapter.js';
import { VenueCallError } from '../actors/exchange/errors.js';
import { WeightBudget } from '../actors/exchange/weight-budget.js';
import type { OrderIntent } from '../actors/orders/intent.js';
import type { OrderStore } from '../actors/orders/order-store.js';
import { LiveClock } from '../common/clock.js';
import { DEMO_API_KEY, DEMO_API_SECRET, type VenueUrls } from '../simulators/index.js';
import { checkLedger, fetchLedger, userAccount, type LedgerEngineOrder } from '../chaos/ledger-check/ledger-check.js';
import { OrderRecords } from './fixtures/order-records.js';
import { summariseProfile, type CpuProfile } from './fixtures/cpu-profile-summary.js';
import { firstLine, fmtNs, table, writeSection } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RATES = (process.env.BOT4_BENCH_TP_RATES ?? '2000,5000,10000,15000').split(',').map(Number);
const SECONDS = Number(process.env.BOT4_BENCH_TP_SECONDS ?? 10);
const PEERS = (process.env.BOT4_BENCH_TP_PEER ?? 'ws,rest').split(',').filter((p): p is 'ws' | 'rest' => p === 'ws' || p === 'rest');
const PROFILE_S = Number(process.env.BOT4_BENCH_TP_PROFILE_SECONDS ?? 3);
const ORDER_ENTRY = process.env.BOT4_BENCH_TP_ORDER_ENTRY === 'rest' ? 'rest' : 'ws';
/** Client orders the simulator keeps per venue (its retention window); `off` keeps every order (the behaviour before issue 16). */
const SIM_RETENTION = process.env.BOT4_BENCH_TP_SIM_RETENTION ?? '100000';
/** Set: the simulator process runs under `--cpu-prof` and its profile is summarised at the end. */
const SIM_PROF = process.env.BOT4_BENCH_TP_SIM_PROFILE === '1';
const TIMEOUT_MS = 2000;
/** Prices are unique per order (1000.00 USDT and up, far below where anyone sells: the book is empty). */
const PRICE0 = 100_000;
/** Orders this run can place (warm-up, every rate, the profiled run): the size of the time arrays. */
const MAX_ORDERS = 1000 + Math.ceil(RATES.reduce((a, r) => a + r, 0) * SECONDS + Math.max(...RATES) * PROFILE_S);

const newHist = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface SimHandle {
  venues: VenueUrls[];
  control: string;
  /** The simulator's RSS now and its peak (VmHWM), MiB (Linux /proc; NaN elsewhere). */
  rss: () => { now: number; peak: number };
  stop: () => Promise<void>;
  /** Folder of the simulator's `--cpu-prof` output, when profiled. */
  profDir: string | undefined;
}

async function startSim(): Promise<SimHandle> {
  const profDir = SIM_PROF ? mkdtempSync(path.join(tmpdir(), 'bot4-bench-simprof-')) : undefined;
  const child = spawn(process.execPath, [...(profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]), '--import', 'tsx', path.join(here, 'fixtures/sim-process.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BOT4_LOG_LEVEL: 'error', BOT4_BENCH_SIM_VENUES: '2', BOT4_BENCH_SIM_RATE_LIMITS: 'high', BOT4_BENCH_SIM_RETENTION: SIM_RETENTION },
  });
  const j = JSON.parse(await firstLine(child, 'simulator')) as { venues: VenueUrls[]; control: string };
  const rss = (): { now: number; peak: number } => {
    try {
      const st = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? NaN) / 1024;
      return { now: kb('VmRSS'), peak: kb('VmHWM') };
    } catch {
      return { now: NaN, peak: NaN };
    }
  };
  return { venues: j.venues, control: j.control, rss, profDir, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

/** An adapter that records when each order is handed over and answered, indexed by its unique price. */
class Recording extends DelegatingAdapter<BinanceAdapter> {
  readonly handedAt = new Float64Array(MAX_ORDERS);
  readonly ackedAt = new Float64Array(MAX_ORDERS);
  failed = 0;
  /** Placement failures by kind (`venue unknown`, `venue rejected`, …). */
  readonly failures = new Map<string, number>();
  /**
   * Every order handed over, as a compact record of what the ledger check reads, taken once the
   * order is final: the order table keeps only the newest 10,000 closed orders, and every order of
   * this bench closes at once (IOC), so the ledger check reads these instead.
   */
  readonly records = new OrderRecords();
  /** The engine's order table (set once the engine is up). */
  table: OrderStore | undefined;
  constructor(inner: BinanceAdapter, private readonly clock: LiveClock) {
    super(inner);
  }
  override placeOrder(id: string, intent: OrderIntent, tp: string): ReturnType<BinanceAdapter['placeOrder']> {
    const k = intent.priceTicks - PRICE0;
    this.handedAt[k] = this.clock.nowNs();
    const o = this.table?.get(id);
    if (o !== undefined) this.records.track(o);
    return this.inner.placeOrder(id, intent, tp).then(
      (v) => {
        this.ackedAt[k] = this.clock.nowNs();
        return v;
      },
      (e: unknown) => {
        this.failed++;
        const k = `venue ${e instanceof VenueCallError ? e.kind : 'error'}`;
        this.failures.set(k, (this.failures.get(k) ?? 0) + 1);
        throw e;
      },
    );
  }
}

interface RunResult {
  who: string;
  rate: number;
  sent: number;
  ok: number;
  failed: number;
  ackRate: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
  /** Failures by cause. */
  errors: Record<string, number>;
  internal?: hdr.Histogram;
}

/** The bare ccxt client in its own process, against venue `v`. */
function runPeer(mode: 'ws' | 'rest', v: VenueUrls, rate: number, seconds: number, priceStart: number): Promise<RunResult & { nextPrice: number }> {
  const args = { mode, rest: v.rest, wsApi: v.wsApi, rate, seconds, priceStart, prefix: `peer${mode}${rate}x`, timeoutMs: TIMEOUT_MS };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/ccxt-peer.ts'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return firstLine(child, `ccxt peer (${mode})`).then((line) => {
    const j = JSON.parse(line) as RunResult & { nextPrice: number };
    return { ...j, who: `bare ccxt ${mode === 'ws' ? 'createOrderWs' : 'createOrder (REST)'}` };
  });
}

async function main(): Promise<void> {
  const clock = new LiveClock();
  const sim = await startSim();
  const [va, vb] = [sim.venues[0]!, sim.venues[1]!];
  const dir = mkdtempSync(path.join(tmpdir(), 'bot4-bench-tp-'));
  const cfg: EngineConfigInput = {
    journal: { dir, fsync: 'interval' },
    venues: [{ name: va.name, rest: va.rest, ws: va.ws, wsApi: va.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: TIMEOUT_MS, orderEntry: ORDER_ENTRY, actor: { reconcileEveryMs: 0, balanceSync: false, streams: false } }],
    symbols: ['BTC/USDT'],
    risk: {
      strategies: { bench: {} },
      checks: { staleData: false, correlation: false, priceBand: false, rate: false, balance: false, exposure: false, position: false },
      defaults: { instrument: { maxOpenOrders: 1_000_000 }, venue: { maxOpenOrders: 1_000_000 } },
      portfolio: { maxOpenOrders: 1_000_000 },
    },
  };
  const parsed = parseEngineConfig(cfg);
  const v0 = parsed.venues[0]!;
  // The adapter as Engine.boot builds it (budget from the venue's advertised limits), wrapped to record times.
  const inner = new BinanceAdapter({ venue: v0.name, apiKey: v0.apiKey, secret: v0.secret, rest: v0.rest, ws: va.ws, wsApi: va.wsApi, timeoutMs: v0.timeoutMs, orderEntry: v0.orderEntry, clock, budget: new WeightBudget(v0.limits, clock) });
  const adapter = new Recording(inner, clock);
  const engine = await Engine.start(parsed, { clock, adapters: [adapter] });
  adapter.table = engine.journal.orders;
  while (!engine.venuesSynced) await sleep(10);
  if (ORDER_ENTRY === 'ws') for (let i = 0; i < 500 && !inner.wsOrders!.up; i++) await sleep(10);
  let seq = 0;
  /** Denials (by reason) of the current run. */
  let denials = new Map<string, number>();
  const deny = (why: string): false => {
    denials.set(why, (denials.get(why) ?? 0) + 1);
    return false;
  };
  const submitOne = (): Promise<boolean> => {
    const intent: OrderIntent = { strategy: 'bench', venue: va.name, symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: PRICE0 + seq++, qtyLots: 1000 };
    return engine.submit(intent, { timeoutMs: 60_000 }).then(
      (a) => a.accepted || deny(`denied ${String(a.reason)}`),
      (e: unknown) => deny(`submit refused (${e instanceof Error ? ((e as { code?: string }).code ?? e.name) : 'error'})`),
    );
  };
  // Warm-up: 500 orders, not measured.
  await Promise.all(Array.from({ length: 500 }, () => submitOne()));

  /** One open-loop run of bot4 at `rate` for `seconds`. */
  const runBot4 = async (rate: number, seconds: number): Promise<RunResult> => {
    const internal = newHist();
    const roundTrip = newHist();
    const first = seq;
    const total = Math.round(rate * seconds);
    const intended = new Float64Array(total);
    let denied = 0;
    denials = new Map();
    adapter.failures.clear();
    const failed0 = adapter.failed;
    const t0 = clock.nowNs();
    // Submissions not settled yet: a count, not a promise per order (a 10-minute run offers millions).
    let outstanding = 0;
    const settled = (ok: boolean): void => {
      outstanding--;
      if (!ok) denied++;
    };
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((clock.nowNs() - t0) * rate) / 1e9));
      while (sent < due) {
        intended[sent] = t0 + (sent * 1e9) / rate;
        outstanding++;
        void submitOne().then(settled);
        sent++;
      }
      await new Promise((r) => setImmediate(r));
    }
    // Each submission settles by its own 60 s timeout at the latest.
    for (const end = Date.now() + 70_000; outstanding > 0 && Date.now() < end; ) await sleep(5);
    if (outstanding > 0) throw new Error(`${outstanding} submissions still unsettled 70 s after the last was offered`);
    // Every accepted submission is answered by the venue (or fails) before the request timeout.
    const deadline = Date.now() + TIMEOUT_MS * 3;
    const answered = (): number => {
      let n = 0;
      for (let i = 0; i < total; i++) if (adapter.ackedAt[first + i] !== 0) n++;
      return n;
    };
    let ok = answered();
    while (ok + (adapter.failed - failed0) + denied < total && Date.now() < deadline) {
      await sleep(20);
      ok = answered();
    }
    let last = t0;
    for (let i = 0; i < total; i++) {
      const k = first + i;
      const h = adapter.handedAt[k]!;
      const a = adapter.ackedAt[k]!;
      if (h !== 0) internal.recordValue(Math.max(1, Math.round(h - intended[i]!)));
      if (a !== 0) {
        roundTrip.recordValue(Math.max(1, Math.round(a - intended[i]!)));
        if (a > last) last = a;
      }
    }
    const wall = (last - t0) / 1e9;
    const errors = Object.fromEntries([...denials, ...adapter.failures]);
    const late = total - ok - denied - (adapter.failed - failed0);
    if (late > 0) errors['no reply by the end of the run'] = late;
    return { who: `bot4 (orderEntry ${ORDER_ENTRY})`, errors, rate, sent: total, ok, failed: total - ok, ackRate: ok / wall, p50: roundTrip.getValueAtPercentile(50), p99: roundTrip.getValueAtPercentile(99), p999: roundTrip.getValueAtPercentile(99.9), max: roundTrip.maxValue, count: roundTrip.totalCount, internal };
  };

  const results: RunResult[] = [];
  /** The simulator's RSS after each bot4 run. */
  const simRss: string[] = [];
  let peerPrice = PRICE0;
  for (const rate of RATES) {
    const r = await runBot4(rate, SECONDS);
    results.push(r);
    const m = sim.rss();
    simRss.push(`${rate}/s: ${m.now.toFixed(0)} MiB (peak ${m.peak.toFixed(0)})`);
    console.log(`${r.who} @${rate}/s: ${r.ackRate.toFixed(0)}/s acked, failed ${r.failed}, p50 ${fmtNs(r.p50)} p99 ${fmtNs(r.p99)} max ${fmtNs(r.max)}; internal p50 ${fmtNs(r.internal!.getValueAtPercentile(50))} p99 ${fmtNs(r.internal!.getValueAtPercentile(99))}; simulator RSS ${m.now.toFixed(0)} MiB (peak ${m.peak.toFixed(0)}); loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    await sleep(1000);
    for (const mode of PEERS) {
      const p = await runPeer(mode, vb, rate, SECONDS, peerPrice);
      peerPrice = p.nextPrice;
      results.push(p);
      console.log(`${p.who} @${rate}/s: ${p.ackRate.toFixed(0)}/s acked, failed ${p.failed}, p50 ${fmtNs(p.p50)} p99 ${fmtNs(p.p99)} max ${fmtNs(p.max)}`);
      await sleep(1000);
    }
  }

  // CPU profile of this (the engine's) process at the top rate.
  let profileRows: string[][] = [];
  let bound = '';
  let profiled: RunResult | undefined;
  if (PROFILE_S > 0) {
    const top = Math.max(...RATES);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    profiled = await runBot4(top, PROFILE_S);
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    session.disconnect();
    const all = summariseProfile(profile, 10_000);
    const share = (pred: (r: (typeof all)[number]) => boolean): number => all.filter(pred).reduce((a, r) => a + r.share, 0) * 100;
    const wsShare = share((r) => r.where.startsWith('ws-orders.ts'));
    const gc = share((r) => r.fn === '(garbage collector)');
    bound = [
      `- What bounds the rate in this profile: the top three functions by self time are ${all.slice(0, 3).map((r) => `\`${r.fn}\` (${(r.share * 100).toFixed(1)} %)`).join(', ')}; garbage collection ${gc.toFixed(1)} %. bot4's WebSocket order entry (\`ws-orders.ts\`: sign, frame, write, parse and pair replies) is ${wsShare.toFixed(1)} % of the engine's CPU.`,
    ]
      .filter((x) => x !== '')
      .join('\n');
    profileRows = all.slice(0, 20).map((r) => [r.fn.replace(/\|/g, '\\|'), r.where === '' ? '(native/VM)' : `\`${r.where.replace(/:1$/, '')}\``, `${(r.share * 100).toFixed(1)} %`, `${r.selfMs.toFixed(0)} ms`]);
  }

  // Settle and check the ledger: every order the engine knows is at the venue and vice versa.
  const deadline = Date.now() + 30_000;
  while ([...engine.journal.orders.openOrders()].some((o) => o.state === 'unknown' || o.state === 'submitted') && Date.now() < deadline) await sleep(100);
  adapter.records.flush();
  (globalThis as { gc?: () => void }).gc?.();
  const { rss: rssBeforeCheck, heapUsed: heapBeforeCheck } = process.memoryUsage();
  // The records, then the orders the table still holds (those never handed over: denied) in place of their records.
  const tableIds = new Set<string>();
  for (const o of engine.journal.orders.values()) tableIds.add(o.clientOrderId);
  const checked = {
    *[Symbol.iterator](): Generator<LedgerEngineOrder> {
      for (const r of adapter.records) if (!tableIds.has(r.clientOrderId)) yield r;
      yield* engine.journal.orders.values();
    },
  };
  const report = checkLedger({ orders: checked }, [{ venue: va.name, ledger: await fetchLedger(sim.control, va.name, userAccount(DEMO_API_KEY)), account: userAccount(DEMO_API_KEY) }], { instruments: engine.instruments });
  if (!report.ok) for (const a of report.anomalies.slice(0, 5)) console.log('anomaly', a.kind, a.detail);
  (globalThis as { gc?: () => void }).gc?.(); // `npm run bench` runs with --expose-gc
  const { rss: rssEnd, heapUsed } = process.memoryUsage();
  const mib = (b: number): string => (b / 2 ** 20).toFixed(0);
  const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const engineMem = `engine process RSS ${mib(rssBeforeCheck)} MiB after the runs and a full GC (heap used ${mib(heapBeforeCheck)} MiB), ${mib(rssEnd)} MiB after the ledger check and a full GC (heap used ${mib(heapUsed)} MiB), peak ${peak === undefined ? '?' : (Number(peak) / 1024).toFixed(0)} MiB; ${adapter.records.size} order records kept for it in ${mib(adapter.records.columnBytes)} MiB of columns (${OrderRecords.bytesPerOrder} B per order)`;
  console.log(engineMem);
  const wsFig = inner.wsOrders?.figures;
  await engine.stop();
  const simEnd = sim.rss();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  let simProfileRows: string[][] = [];
  if (sim.profDir !== undefined) {
    const f = readdirSync(sim.profDir).find((x) => x.endsWith('.cpuprofile'));
    if (f !== undefined) {
      const rows = summariseProfile(JSON.parse(readFileSync(path.join(sim.profDir, f), 'utf8')) as CpuProfile, 20);
      simProfileRows = rows.map((r) => [r.fn.replace(/\|/g, '\\|'), r.where === '' ? '(native/VM)' : `\`${r.where.replace(/:1$/, '')}\``, `${(r.share * 100).toFixed(1)} %`, `${r.selfMs.toFixed(0)} ms`]);
      for (const r of rows) console.log(`sim profile: ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.fn}  ${r.where}`);
    }
    rmSync(sim.profDir, { recursive: true, force: true });
  }

  const lat = (r: RunResult): string => `${fmtNs(r.p50)} / ${fmtNs(r.p99)} / ${fmtNs(r.p999)} / ${fmtNs(r.max)} (${r.count})`;
  const why = (r: RunResult): string => (r.failed === 0 ? '0' : `${r.failed} (${Object.entries(r.errors).map(([k, n]) => `${k} ${n}`).join(', ')})`);
  const rows = results.map((r) => [r.who, r.rate, r.sent, r.ackRate.toFixed(0), why(r), lat(r), r.internal === undefined ? '–' : `${fmtNs(r.internal.getValueAtPercentile(50))} / ${fmtNs(r.internal.getValueAtPercentile(99))} / ${fmtNs(r.internal.getValueAtPercentile(99.9))}`]);
  const ratios = RATES.map((rate) => {
    const b = results.find((r) => r.rate === rate && r.internal !== undefined)!;
    const cells: (string | number)[] = [rate];
    for (const mode of PEERS) {
      const p = results.find((r) => r.rate === rate && r.who.startsWith('bare') && r.who.includes(mode === 'ws' ? 'Ws' : 'REST'));
      cells.push(p === undefined || p.ackRate === 0 ? '–' : `${(b.ackRate / p.ackRate).toFixed(2)}× rate, p99 ${(b.p99 / p.p99).toFixed(2)}×`);
    }
    return cells;
  });
  // Sustained: 0 failed and the venue's replies kept pace with the offered rate (≥ 95 % of it).
  const clean = results.filter((r) => r.internal !== undefined && r.failed === 0 && r.ackRate >= 0.95 * r.rate);
  const best = clean.length === 0 ? undefined : clean.reduce((a, b) => (b.ackRate > a.ackRate ? b : a));
  const md = [
    `**Run: ${SECONDS} s per rate${SECONDS >= 600 ? ` (${SECONDS / 60}-minute run)` : ''}, offered ${RATES.join(', ')} orders/s, peer ${PEERS.length === 0 ? 'none' : PEERS.join(', ')}; bot4 latency samples ${results.filter((r) => r.internal !== undefined).map((r) => `${r.count} at ${r.rate}/s`).join(', ')} (every row's count in its latency column); ledger check ${report.ok ? 'ok' : 'FAILED'} over ${report.counts.orders} orders.** Command: \`BOT4_BENCH_TP_RATES=${RATES.join(',')} BOT4_BENCH_TP_SECONDS=${SECONDS} BOT4_BENCH_TP_PEER=${PEERS.length === 0 ? 'none' : PEERS.join(',')} npm run bench throughput\`.`,
    '',
    `Engine (this process) and simulator (its own process: 2 identical venues, \`rate-limits high\` advertised and budgeted by the engine, no participants, no network model) on loopback; ${SECONDS} s per rate, open loop. Orders: limit IOC buys far below an empty book (each expires at once: no open orders pile up on either side). bot4: \`engine.submit\` → risk actor → venue actor → journal (fsync \`interval\`) → breaker → \`orderEntry: '${ORDER_ENTRY}'\`. Peer, same run, the simulator's second venue: a bare ccxt client in its own process, same orders, same rate, same unbounded in-flight concurrency. Load while measuring: loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores shared with other work (figures are noisy).`,
    '',
    table(['client', 'offered orders/s', 'orders', 'acknowledged/s', 'failed (cause)', 'intended send → venue reply p50 / p99 / p99.9 / max (samples)', 'bot4 internal path p50 / p99 / p99.9'], rows),
    '',
    table(['offered orders/s', ...PEERS.map((m) => `bot4 ÷ bare ccxt ${m === 'ws' ? 'createOrderWs' : 'createOrder (REST)'}`)], ratios),
    '',
    `- Highest rate sustained (0 failed, replies ≥ 95 % of the offered rate): ${best === undefined ? 'none' : `${best.rate} orders/s offered (${best.ackRate.toFixed(0)}/s acknowledged, ${SECONDS} s)`} — goal ≥ 15,000/s for 60 s: **${best !== undefined && best.rate >= 15_000 && SECONDS >= 60 ? 'met' : 'NOT met'}** on this run. Above the sustained rate the clients queue: latency grows with the backlog, and past a queue bound orders fail (bot4: the risk actor's mailbox refuses with \`B4_MAILBOX_FULL\`; ccxt: request timeouts, or its WebSocket closed by the venue as a slow reader); the causes are in the table.`,
    `- Simulator memory (retention \`${SIM_RETENTION === 'off' ? 'off: every order kept' : `${SIM_RETENTION} client orders per venue`}\`): RSS after each bot4 run ${simRss.join(', ')}; at the end ${simEnd.now.toFixed(0)} MiB, peak ${simEnd.peak.toFixed(0)} MiB.`,
    `- Ledger check after the runs (bot4's journal vs the venue's ledger, over ${report.counts.orders} engine orders): ${report.ok ? 'ok' : 'FAILED'} — ${JSON.stringify(report.counts)}. Memory: ${engineMem}.${wsFig === undefined ? '' : ` WebSocket order entry: ${wsFig.sent} requests written, ${wsFig.answered} answered, ${wsFig.unknown} unknown, ${wsFig.connects} connect(s).`}`,
    '',
    ...(profileRows.length === 0
      ? []
      : [
          `CPU profile of the engine process at ${profiled!.rate} orders/s for ${PROFILE_S} s (${profiled!.ackRate.toFixed(0)}/s acknowledged, ${profiled!.failed} failed during the profile), top functions by self time:`,
          '',
          table(['function', 'where', 'self share', 'self time'], profileRows),
          '',
          bound,
        ]),
    ...(simProfileRows.length === 0 ? [] : ['', 'CPU profile of the simulator process over the whole run (`BOT4_BENCH_TP_SIM_PROFILE=1`), top functions by self time:', '', table(['function', 'where', 'self share', 'self time'], simProfileRows)]),
  ].join('\n');
  // the 10-minute run has a section of its own, so the 60 s run beside its peer stays in BENCHMARKS.md
  if (SECONDS >= 600) writeSection('throughput-long', `End-to-end order throughput: the ${SECONDS / 60}-minute run`, md);
  else writeSection('throughput', 'End-to-end order throughput vs a bare ccxt client', md);
}

await main();
process.exit(0);
