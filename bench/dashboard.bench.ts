/**
 * "Keeps up": the dashboard page in headless Chromium under a steady stream of engine events.
 *
 * A real GatewayServer (uWebSockets.js) on the in-memory engine double serves the page and pushes
 * events from this process at a fixed rate (open loop: the number due is computed from the start
 * time, so a late tick catches up): order updates (each order submitted → accepted → filled or
 * canceled), fills, positions, risk denials, venue/breaker changes, and one `actors.latency` per
 * second for 20 actors. The page is logged in as admin and subscribed to every topic.
 *
 * Measured through the DevTools protocol on the page's renderer: main-thread busy share per window
 * = Δ`Performance.getMetrics` TaskDuration / Δ wall time, and JSHeapUsedSize after a forced GC
 * (`HeapProfiler.collectGarbage`) per window: the retained heap, what a leak would move. The peer,
 * in the same run, is the same page connected but idle (0 events/s).
 *
 * Knobs: BOT4_BENCH_DASHBOARD_SECONDS (load duration, default 30; the issue's goal is 600),
 * BOT4_BENCH_DASHBOARD_RATE (events/s, default 2000), BOT4_BENCH_DASHBOARD_IDLE_SECONDS (peer,
 * default 10), BOT4_BENCH_DASHBOARD_WINDOW (seconds per sample, default 5), BOT4_CHROMIUM.
 * Run: npm run bench dashboard
 */
import os from 'node:os';
import { pino } from 'pino';
import type { CDPSession, Page } from 'puppeteer-core';
import { GatewayServer } from '../gateway/server.js';
import type { EngineStatus } from '../gateway/engine-port.js';
import { EnginePortDouble } from '../test/fixtures/gateway/engine-port-double.js';
import { TOKENS, TOKEN_CONFIG } from '../test/fixtures/gateway/ws-client.js';
import { launchChromium, login } from '../test/integration/dashboard/browser.js';
import { median, table, writeSection } from './report.js';

const num = (name: string, def: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return v;
};
const SECONDS = num('BOT4_BENCH_DASHBOARD_SECONDS', 30);
const RATE = num('BOT4_BENCH_DASHBOARD_RATE', 2000);
const IDLE_SECONDS = num('BOT4_BENCH_DASHBOARD_IDLE_SECONDS', 10);
const WINDOW_S = num('BOT4_BENCH_DASHBOARD_WINDOW', 5);
const BUSY_GOAL = 0.5;

/** The engine double, with a status that carries venues, strategies and mailboxes like the daemon's. */
class BenchPort extends EnginePortDouble {
  override async status(): Promise<EngineStatus> {
    const mailboxes: Record<string, number> = {};
    for (let k = 0; k < 20; k++) mailboxes[`actor-${k}`] = (k * 7) % 13;
    return {
      state: 'running',
      killSwitch: 'ACTIVE',
      venues: { 'sim-a': { state: 'running', breaker: 'closed', submitted: 1, accepted: 1, rejected: 0 }, 'sim-b': { state: 'running', breaker: 'closed', submitted: 1, accepted: 1, rejected: 0 } },
      strategies: [{ id: 'mm-btc', mode: 'hosted', lifecycle: 'running' }],
      mailboxes,
    };
  }
}

/** Event number `n` of the stream (deterministic mix). */
function event(n: number): [string, unknown] {
  const k = n % 20;
  const order = Math.floor(n / 20) * 3 + (k % 3);
  const venue = order % 2 === 0 ? 'sim-a' : 'sim-b';
  const base = { orderId: `mm-btc.bench.${order.toString(36)}`, strategy: order % 5 === 0 ? 'api' : 'mm-btc', venue, symbol: 'BTC/USDT', side: order % 2 === 0 ? 'buy' : 'sell', priceTicks: 6_000_000 + (order % 997), qtyLots: 20, tNs: n };
  if (k < 12) {
    const state = k < 3 ? 'submitted' : k < 6 ? 'accepted' : k < 9 ? 'filled' : 'canceled';
    return ['orders', { type: 'order.update', ...base, status: state, state, filledLots: state === 'filled' ? 20 : 0 }];
  }
  if (k < 15) return ['fills', { type: 'order.fill', ...base, lots: 20 }];
  if (k < 17) return ['positions', { venue, symbol: 'BTC/USDT', qtyLots: (n % 400) - 200, cost: '12.5', realizedPnl: `${(n % 1000) / 100}` }];
  if (k < 19) return ['risk.denials', { type: 'order.denied', source: 'risk', code: 'RISK_NOTIONAL_MAX', detail: `notional over max (${n})`, intent: { strategy: 'mm-btc', side: 'buy', symbol: 'BTC/USDT' }, tNs: n }];
  return n % 40 === 19 ? ['breakers', { name: venue, state: 'closed', previous: 'closed', reason: 'bench' }] : ['status', { type: 'venue.state', venue, state: 'running', previous: 'running', reason: 'bench', tNs: n }];
}

function latency(n: number): unknown {
  const actors: Record<string, unknown> = {};
  for (let k = 0; k < 20; k++) actors[`actor-${k}`] = { envelopes: 1000 * n + k, meanHandleUs: 5 + ((n + k) % 7), maxWaitUs: 50 + k };
  return { actors };
}

interface Sample {
  phase: 'idle' | 'load';
  t: number;
  busy: number;
  heapMb: number;
  sent: number;
  received: number;
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const r = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(r.metrics.map((m) => [m.name, m.value]));
}

async function received(page: Page): Promise<number> {
  return Number(await page.evaluate(`document.getElementById('ev-rate').dataset.total`));
}

async function main(): Promise<void> {
  const port = new BenchPort();
  const gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, requireNativeUws: true }, { logger: pino({ level: 'silent' }) });
  const addr = await gw.start();
  const browser = await launchChromium();
  const samples: Sample[] = [];
  let sent = 0;
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`http://127.0.0.1:${addr.port}/`, { waitUntil: 'load' });
    await login(page, TOKENS.admin);
    await page.waitForFunction(`document.querySelectorAll('#venues tr[data-venue]').length === 2`, { timeout: 10_000 });
    const cdp = await page.createCDPSession();
    await cdp.send('Performance.enable');

    let emitting = false;
    let t0 = 0;
    let latencyN = 0;
    const timer = setInterval(() => {
      if (!emitting) return;
      const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
      while (sent < due) {
        const [topic, data] = event(sent++);
        port.emit(topic, data);
      }
      const sec = Math.floor((performance.now() - t0) / 1000);
      while (latencyN < sec) port.emit('actors.latency', latency(latencyN++));
    }, 5);

    const run = async (phase: 'idle' | 'load', seconds: number): Promise<void> => {
      const windows = Math.max(1, Math.round(seconds / WINDOW_S));
      for (let w = 0; w < windows; w++) {
        const a = await metrics(cdp);
        await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
        const b = await metrics(cdp);
        await cdp.send('HeapProfiler.collectGarbage');
        const heap = (await metrics(cdp)).JSHeapUsedSize! / 2 ** 20;
        const s: Sample = { phase, t: w * WINDOW_S + WINDOW_S, busy: (b.TaskDuration! - a.TaskDuration!) / (b.Timestamp! - a.Timestamp!), heapMb: heap, sent: sent + latencyN, received: await received(page) };
        samples.push(s);
        console.log(`${phase} t=${s.t}s busy=${(s.busy * 100).toFixed(1)}% heap=${heap.toFixed(1)}MB sent=${sent} received=${s.received}`);
      }
    };
    await run('idle', IDLE_SECONDS);
    t0 = performance.now();
    emitting = true;
    await run('load', SECONDS);
    emitting = false;
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 1500));
    const finalReceived = await received(page);
    await page.screenshot({ path: 'bench/out/dashboard-bench.png', fullPage: false }).catch(() => undefined);
    report(samples, sent + latencyN, finalReceived, problems, gw.stats().sendDrops);
  } finally {
    await browser.close();
    await gw.stop();
  }
}

function report(samples: Sample[], sent: number, got: number, problems: string[], sendDrops: number): void {
  const idle = samples.filter((s) => s.phase === 'idle');
  const load = samples.filter((s) => s.phase === 'load');
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const busyMed = median(load.map((s) => s.busy));
  const busyMax = Math.max(...load.map((s) => s.busy));
  const sortedBusy = load.map((s) => s.busy).sort((x, y) => x - y);
  const busyP90 = sortedBusy[Math.min(sortedBusy.length - 1, Math.floor(sortedBusy.length * 0.9))]!;
  const over = load.filter((s) => s.busy > BUSY_GOAL).length;
  // long runs: one row per minute in the table (every window is printed to stdout)
  const every = load.length > 24 ? Math.max(1, Math.round(60 / WINDOW_S)) : 1;
  const shown = [...idle, ...load.filter((_, i) => (i + 1) % every === 0 || i === load.length - 1)];
  const idleMed = median(idle.map((s) => s.busy));
  const heaps = load.map((s) => s.heapMb);
  // growth after the first window (the page fills its rings in the first seconds)
  const after = heaps.slice(1);
  const growth = after.length >= 2 ? after[after.length - 1]! - after[0]! : 0;
  const load1 = os.loadavg()[0]!.toFixed(2);
  const md = [
    `Headless Chromium (Debian \`chromium\`, puppeteer-core) on the dashboard served by a real GatewayServer (uWebSockets.js, engine double), logged in as admin, subscribed to every topic. ` +
      `Events pushed at ${RATE}/s (open loop) for ${SECONDS} s: order updates (60 %), fills (15 %), positions (10 %), risk denials (10 %), venue/breaker changes (5 %), plus one \`actors.latency\` per second (20 actors). ` +
      `Peer (same run): the same page connected and idle for ${IDLE_SECONDS} s. Windows of ${WINDOW_S} s; busy = ΔTaskDuration / Δtime of the page's renderer main thread (DevTools \`Performance.getMetrics\`), heap = JSHeapUsedSize after a forced GC at the end of each window. ` +
      `Shared 2-core machine, load average ${load1} at the end; the event generator runs in the same process as the gateway.`,
    '',
    table(
      ['figure', 'idle page (peer)', `${RATE} events/s`, 'goal'],
      [
        ['main-thread busy, median of windows', pct(idleMed), pct(busyMed), `≤ 50 %: ${busyMed <= BUSY_GOAL ? 'met' : 'NOT met'}`],
        ['main-thread busy, 90th percentile of windows', pct(idleMed), pct(busyP90), `≤ 50 %: ${busyP90 <= BUSY_GOAL ? 'met' : 'NOT met'}`],
        ['main-thread busy, worst window', pct(Math.max(...idle.map((s) => s.busy))), pct(busyMax), `≤ 50 %: ${busyMax <= BUSY_GOAL ? 'met' : `NOT met (${over} of ${load.length} windows over)`}`],
        ['JS heap after GC, first → last window (MB)', `${idle[0]!.heapMb.toFixed(1)} → ${idle[idle.length - 1]!.heapMb.toFixed(1)}`, `${heaps[0]!.toFixed(1)} → ${heaps[heaps.length - 1]!.toFixed(1)} (max ${Math.max(...heaps).toFixed(1)})`, `bounded: growth after the first window ${growth.toFixed(2)} MB`],
        ['busy ratio load / idle', '1', (busyMed / Math.max(idleMed, 1e-6)).toFixed(1), ''],
      ],
    ),
    '',
    `- Events sent ${sent} (with the \`actors.latency\` ones), received by the page ${got} (${((got / Math.max(sent, 1)) * 100).toFixed(1)} %; gateway send drops ${sendDrops}). Page errors: ${problems.length}.`,
    `- The page bounds its data: 1 000 orders in the blotter (closed ones evicted first, the newest 100 matching rows drawn), 600 points per chart (one per second: the chart rings fill over the first 10 minutes, then stay flat), 50 denials; tables redraw at most 2.5×/s and only when changed, charts 1×/s.`,
    '',
    every > 1 ? `Every ${every * WINDOW_S} s of the ${load.length} windows:` : 'Every window:',
    '',
    table(['phase', 't (s)', 'busy', 'heap after GC (MB)', 'sent', 'received'], shown.map((s) => [s.phase, s.t, pct(s.busy), s.heapMb.toFixed(1), s.sent, s.received])),
  ].join('\n');
  console.log(md);
  writeSection('dashboard', 'Dashboard: the page at 2,000 events/s (headless Chromium)', md);
}

await main();
