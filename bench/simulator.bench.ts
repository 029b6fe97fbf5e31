import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { Accounts } from '../simulators/venue/accounts.js';
import { InstrumentRegistry } from '../simulators/venue/instruments.js';
import { Ledger } from '../simulators/venue/ledger.js';
import { MatchingEngine } from '../simulators/venue/matching-engine.js';
import { sign, wsApiPayload } from '../simulators/wire/auth.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../simulators/simulator.js';
import { fmtNs, median, table, writeSection } from './report.js';

/**
 * Simulator capacity on loopback (issue "exchange simulator"): signed `order.place` over the
 * WebSocket API and signed `POST /api/v3/order` over REST with keep-alive, so that in bot4's
 * own benchmarks the simulator is never the bottleneck. Targets (issue 13): WS-API ≥ 30k
 * orders/s and ≥ 0.5× the `ping` rate on the same connections in the same run; REST ≥ 10k/s.
 * Env: BOT4_BENCH_RUNS (3), BOT4_BENCH_RUN_S (3), BOT4_BENCH_NO_WRITE (leave BENCHMARKS.md alone),
 * BOT4_BENCH_CPU_PROF=<dir> (CPU profile of the simulator process).
 *
 * The simulator runs in a child process (this file with `--serve`): one venue, `rateLimits:
 * false`, `profile: 'none'`, `participants: false` (the book holds only the bench's orders, so
 * what is measured is the wire + auth + matching + ledger path, not the background crowd), default
 * fees (10/10 bps). Every order is signed like Binance with a fresh `timestamp` (default
 * recvWindow 5000 ms, checked by the venue); orders alternate BUY/SELL 0.001 BTC at 60000.00
 * LIMIT GTC on each connection, so about half rest and half fill against a resting one: both the
 * resting and the matching path are exercised and the book stays small.
 *
 * Peers measured in the same run, alternating with the subject: WS-API `ping` (same connections,
 * no signature, no engine) and REST `GET /api/v3/ping` (same client): the transport ceiling.
 * Server CPU per order comes from the child's /proc stat (utime + stime), so it does not depend
 * on the client keeping up. Run: node --import tsx --expose-gc bench/simulator.bench.ts
 */

/** The part of autocannon 9's API used here (the package ships no types). */
interface AcRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AcRequest) => AcRequest;
}
interface AcResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: { url: string; connections: number; pipelining: number; duration: number; requests: AcRequest[] }) => Promise<AcResult>;

/** Issue 13: WS-API order.place ≥ 30k/s and ≥ 0.5× ping on the same connections; REST ≥ 10k/s. */
const WS_TARGET = 30_000;
const WS_PING_RATIO = 0.5;
const REST_TARGET = 10_000;
const RUNS = Number(process.env.BOT4_BENCH_RUNS ?? 3);
const RUN_S = Number(process.env.BOT4_BENCH_RUN_S ?? 3);
const WS_CONNS = 4;
const WS_WINDOW = 64;
const REST_CONNS = 32;
const LAT_RATES = [1_000, 5_000];
const LAT_S = 3;

interface ServeInfo {
  pid: number;
  rest: string;
  wsApi: string;
}

// ---------------------------------------------------------------------------------------------
// Server side (child process)

async function serve(): Promise<void> {
  const sim = await Simulator.start({ venues: 1, profile: 'none', rateLimits: false, participants: false, port: 0, seed: 42 });
  const v = sim.venues[0]!;
  process.stdout.write(`${JSON.stringify({ pid: process.pid, rest: v.rest, wsApi: v.wsApi })}\n`);
  await new Promise((r) => process.once('SIGTERM', r));
  const snap = sim.ledger(v.name);
  const mem = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ reconciled: snap.reconciled, orders: snap.orders.length, entries: snap.entries.length, compactedOrders: snap.compacted.orders, compactedEntries: snap.compacted.entries, rssMiB: Math.round(mem.rss / 2 ** 20), heapMiB: Math.round(mem.heapUsed / 2 ** 20) })}\n`);
  await sim.stop();
}

// ---------------------------------------------------------------------------------------------
// Client side

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) used so far by process `pid`, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

let seq = 0;
const KEY_JSON = JSON.stringify(DEMO_API_KEY);
/**
 * A signed `order.place` frame with a fresh timestamp; sides alternate per connection. Written as
 * a template (the client is not what is measured, and on 2 shared cores its CPU is taken from the
 * server): byte for byte what `JSON.stringify` of the params object gives, signed over the
 * `wsApiPayload` of the same params (checked at start by {@link checkPlaceFrame}).
 */
function placeFrame(buy: boolean): string {
  const side = buy ? 'BUY' : 'SELL';
  const ts = Date.now();
  const payload = `apiKey=${DEMO_API_KEY}&price=60000.00&quantity=0.00100&side=${side}&symbol=BTCUSDT&timeInForce=GTC&timestamp=${ts}&type=LIMIT`;
  return `{"id":${++seq},"method":"order.place","params":{"apiKey":${KEY_JSON},"price":"60000.00","quantity":"0.00100","side":"${side}","symbol":"BTCUSDT","timeInForce":"GTC","timestamp":${ts},"type":"LIMIT","signature":"${sign(DEMO_API_SECRET, payload)}"}}`;
}
const pingFrame = (): string => `{"id":${++seq},"method":"ping"}`;

/** The template frame is the JSON.stringify frame a generic client would send, signed the same way. */
function checkPlaceFrame(): void {
  const f = JSON.parse(placeFrame(true)) as { id: number; method: string; params: Record<string, string | number> };
  const params = { ...f.params };
  delete params.signature;
  const again = { ...params, signature: sign(DEMO_API_SECRET, wsApiPayload(params)) };
  const want = JSON.stringify({ id: f.id, method: 'order.place', params: again });
  if (JSON.stringify(f) !== want) throw new Error(`bench frame differs from the generic client's: ${JSON.stringify(f)} vs ${want}`);
}

interface Tally {
  ok: number;
  failed: number;
  seconds: number;
  serverCpuS: number;
  clientCpuS: number;
  firstError: string | undefined;
}

const clientCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function openWs(url: string, n: number): Promise<WebSocket[]> {
  const socks = Array.from({ length: n }, () => new WebSocket(url, { perMessageDeflate: false }));
  await Promise.all(socks.map((s) => once(s, 'open')));
  return socks;
}

/** Closed-loop throughput: each connection keeps `WS_WINDOW` requests in flight for `seconds`. */
async function wsThroughput(socks: WebSocket[], method: 'order.place' | 'ping', seconds: number, serverPid: number): Promise<Tally> {
  const t: Tally = { ok: 0, failed: 0, seconds: 0, serverCpuS: 0, clientCpuS: 0, firstError: undefined };
  const cpu0 = cpuSeconds(serverPid);
  const c0 = clientCpu();
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    socks.map(
      (s) =>
        new Promise<void>((resolve, reject) => {
          let inFlight = 0;
          let buy = true;
          const send = (): void => {
            inFlight++;
            s.send(method === 'ping' ? pingFrame() : placeFrame((buy = !buy)));
          };
          const onMessage = (data: WebSocket.RawData): void => {
            inFlight--;
            // `"status":200` is at a fixed place right after the id; searched in the bytes, decoded only on failure.
            if ((data as Buffer).includes('"status":200')) t.ok++;
            else {
              t.failed++;
              t.firstError ??= data.toString().slice(0, 200);
            }
            if (performance.now() < until) send();
            else if (inFlight === 0) {
              s.off('message', onMessage);
              clearTimeout(guard);
              resolve();
            }
          };
          const guard = setTimeout(() => reject(new Error(`ws ${method}: ${inFlight} replies missing 10 s after the run`)), seconds * 1000 + 10_000);
          s.on('message', onMessage);
          for (let i = 0; i < WS_WINDOW; i++) send();
        }),
    ),
  );
  t.seconds = (performance.now() - t0) / 1000;
  t.serverCpuS = cpuSeconds(serverPid) - cpu0;
  t.clientCpuS = clientCpu() - c0;
  return t;
}

/** Keep-alive REST throughput with autocannon; each order request is signed with a fresh timestamp. */
async function restThroughput(rest: string, kind: 'order' | 'ping', seconds: number, serverPid: number): Promise<Tally> {
  let buy = false;
  const cpu0 = cpuSeconds(serverPid);
  const c0 = clientCpu();
  const t0 = performance.now();
  const request: AcRequest =
    kind === 'ping'
      ? { method: 'GET', path: '/api/v3/ping' }
      : {
          method: 'POST',
          path: '/api/v3/order',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-mbx-apikey': DEMO_API_KEY },
          setupRequest: (req) => {
            buy = !buy;
            const body = `symbol=BTCUSDT&side=${buy ? 'BUY' : 'SELL'}&type=LIMIT&timeInForce=GTC&quantity=0.00100&price=60000.00&timestamp=${Date.now()}`;
            return { ...req, body: `${body}&signature=${sign(DEMO_API_SECRET, body)}` };
          },
        };
  const url = new URL(rest);
  const r = await autocannon({ url: url.origin, connections: REST_CONNS, pipelining: 1, duration: seconds, requests: [request] });
  const failed = r.non2xx + r.errors + r.timeouts;
  return { ok: r['2xx'], failed, seconds: (performance.now() - t0) / 1000, serverCpuS: cpuSeconds(serverPid) - cpu0, clientCpuS: clientCpu() - c0, firstError: failed > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : undefined };
}

/**
 * Open-loop latency: `rate` signed order.place per second on one connection, each scheduled at
 * t0 + i/rate and timed from that intended send time to its reply (so a stalled server shows up
 * as the queue it causes, not hidden by a client that waits).
 */
async function wsLatency(url: string, rate: number, seconds: number): Promise<{ h: hdr.Histogram; sent: number; nonOk: number }> {
  const [s] = await openWs(url, 1);
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  const total = rate * seconds;
  const intended = new Float64Array(total + 1);
  const base = seq + 1;
  let sent = 0;
  let got = 0;
  let nonOk = 0;
  const t0 = performance.now() + 20;
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`latency: ${total - got} replies missing`)), seconds * 1000 + 15_000);
    s!.on('message', (data: WebSocket.RawData) => {
      const text = data.toString();
      const id = Number(/"id":(\d+)/.exec(text)![1]);
      h.recordValue(Math.max(1, Math.round((performance.now() - intended[id - base]!) * 1e6)));
      if (!text.includes('"status":200')) nonOk++;
      if (++got === total) {
        clearTimeout(guard);
        resolve();
      }
    });
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) / 1000) * rate) + 1);
      while (sent < due) {
        intended[sent] = t0 + (sent * 1000) / rate;
        sent++;
        s!.send(placeFrame(sent % 2 === 0));
      }
      if (sent < total) setImmediate(tick);
    };
    setTimeout(tick, 20);
  });
  s!.close();
  return { h, sent, nonOk };
}

/**
 * The matching engine alone, in this process, same order mix (alternating BUY/SELL 0.001 BTC at
 * 60000.00 LIMIT GTC, one account, default instruments and fees, a ledger recording everything):
 * the part of a request's cost that is the engine's, against which the wire's share shows.
 */
function engineOnly(seconds: number): Tally {
  let t = 1_700_000_000_000;
  const now = (): number => t++;
  const instruments = new InstrumentRegistry();
  const accounts = new Accounts();
  const ledger = new Ledger('bench', accounts, instruments, now);
  const engine = new MatchingEngine(instruments, accounts, ledger, { makerBps: 10, takerBps: 10 }, now);
  accounts.deposit('user:bench', 'USDT', 10n ** 14n);
  accounts.deposit('user:bench', 'BTC', 10n ** 12n);
  const c0 = clientCpu();
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let ok = 0;
  let failed = 0;
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++, n++) {
      const r = engine.place({ account: 'user:bench', symbol: 'BTCUSDT', side: n % 2 === 0 ? 'BUY' : 'SELL', type: 'LIMIT', timeInForce: 'GTC', priceTicks: 6_000_000, lots: 100, quoteOrderQty: 0n, clientOrderId: `b${n}` });
      if (r.ok) ok++;
      else failed++;
    }
  }
  const cpu = clientCpu() - c0;
  return { ok, failed, seconds: (performance.now() - t0) / 1000, serverCpuS: cpu, clientCpuS: 0, firstError: failed > 0 ? 'engine rejected orders' : undefined };
}

async function startServer(): Promise<{ child: ChildProcess; info: ServeInfo; lines: AsyncIterator<string> }> {
  // BOT4_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the simulator process (to find what a request costs).
  const prof = process.env.BOT4_BENCH_CPU_PROF;
  const flags = prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], { env: { ...process.env, BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true) throw new Error('simulator child exited before printing its URLs');
  return { child, info: JSON.parse(first.value) as ServeInfo, lines };
}

async function main(): Promise<void> {
  checkPlaceFrame();
  const { child, info, lines } = await startServer();
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  try {
    const socks = await openWs(info.wsApi, WS_CONNS);
    // warm-up (JIT on both sides), not reported
    await wsThroughput(socks, 'order.place', 1, info.pid);
    await restThroughput(info.rest, 'order', 1, info.pid);

    const engine: Tally[] = [];
    const wsPlace: Tally[] = [];
    const wsPing: Tally[] = [];
    const restPlace: Tally[] = [];
    const restPing: Tally[] = [];
    for (let i = 0; i < RUNS; i++) {
      engine.push(engineOnly(1));
      wsPing.push(await wsThroughput(socks, 'ping', RUN_S, info.pid));
      wsPlace.push(await wsThroughput(socks, 'order.place', RUN_S, info.pid));
      restPing.push(await restThroughput(info.rest, 'ping', RUN_S, info.pid));
      restPlace.push(await restThroughput(info.rest, 'order', RUN_S, info.pid));
      console.log(`run ${i + 1}/${RUNS} done`);
    }
    for (const s of socks) s.close();

    const rate = (t: Tally): number => t.ok / t.seconds;
    const cpuUs = (t: Tally): number => (t.serverCpuS / Math.max(1, t.ok + t.failed)) * 1e6;
    const clientUs = (t: Tally): number => (t.clientCpuS / Math.max(1, t.ok + t.failed)) * 1e6;
    const row = (name: string, client: string, ts: Tally[], peer: Tally[] | undefined, target: number | undefined, peerRatio?: number): void => {
      const m = median(ts.map(rate));
      const failed = ts.reduce((a, t) => a + t.failed, 0);
      const ok = ts.reduce((a, t) => a + t.ok, 0);
      rows.push([
        name,
        client,
        `${Math.round(m).toLocaleString('en-US')}/s`,
        ts.map((t) => Math.round(rate(t)).toLocaleString('en-US')).join(', '),
        `${median(ts.map(cpuUs)).toFixed(1)} µs`,
        `${Math.round(1e6 / median(ts.map(cpuUs))).toLocaleString('en-US')}/s`,
        ts.every((t) => t.clientCpuS === 0) ? '—' : `${median(ts.map(clientUs)).toFixed(1)} µs`,
        `${ok.toLocaleString('en-US')} ok / ${failed} failed`,
        (target === undefined ? '—' : `≥ ${target.toLocaleString('en-US')}/s: **${m >= target ? 'met' : 'NOT met'}** (${(m / target).toFixed(2)}×)`) +
          (peerRatio === undefined || peer === undefined ? '' : `; ≥ ${peerRatio}× of peer: **${m / median(peer.map(rate)) >= peerRatio ? 'met' : 'NOT met'}**`),
        peer === undefined ? 'peer' : `${(m / median(peer.map(rate))).toFixed(2)}× of peer`,
      ]);
      const err = ts.find((t) => t.firstError !== undefined)?.firstError;
      if (err !== undefined) notes.push(`${name}: first failure: \`${err}\``);
    };
    row('engine only: `MatchingEngine.place` in-process (peer)', 'direct call, 1 s runs', engine, undefined, undefined);
    row('WS-API `ping` (peer)', `ws, ${WS_CONNS} conns × ${WS_WINDOW} in flight`, wsPing, undefined, undefined);
    row('WS-API `order.place` (signed)', `ws, ${WS_CONNS} conns × ${WS_WINDOW} in flight`, wsPlace, wsPing, WS_TARGET, WS_PING_RATIO);
    rows.push(['└ same, vs engine only', '', '', '', `${(median(wsPlace.map(cpuUs)) / median(engine.map(cpuUs))).toFixed(1)}× the engine's CPU`, '', '', '', '', `${(median(wsPlace.map(rate)) / median(engine.map(rate))).toFixed(2)}× of engine only`]);
    row('REST `GET /ping` (peer)', `autocannon, ${REST_CONNS} keep-alive conns`, restPing, undefined, undefined);
    row('REST `POST /order` (signed)', `autocannon, ${REST_CONNS} keep-alive conns`, restPlace, restPing, REST_TARGET);
    rows.push(['└ same, vs engine only', '', '', '', `${(median(restPlace.map(cpuUs)) / median(engine.map(cpuUs))).toFixed(1)}× the engine's CPU`, '', '', '', '', `${(median(restPlace.map(rate)) / median(engine.map(rate))).toFixed(2)}× of engine only`]);

    const latRows: (string | number)[][] = [];
    for (const r of LAT_RATES) {
      const lat = await wsLatency(info.wsApi, r, LAT_S);
      const p = (q: number): string => fmtNs(lat.h.getValueAtPercentile(q));
      latRows.push([`${r.toLocaleString('en-US')}/s for ${LAT_S} s, 1 conn`, lat.h.totalCount, p(50), p(99), p(99.9), fmtNs(lat.h.maxValue), lat.nonOk]);
    }

    child.kill('SIGTERM');
    const last = await lines.next();
    const end = last.done === true ? undefined : (JSON.parse(last.value) as { reconciled: boolean; orders: number; entries: number; compactedOrders: number; compactedEntries: number; rssMiB: number; heapMiB: number });
    await once(child, 'exit');
    if (end !== undefined) {
      notes.push(
        `After the run the venue's ledger ${end.reconciled ? 'reconciled' : '**did NOT reconcile**'} (every asset: sum of balances incl. fees = deposits); it kept ${end.orders.toLocaleString('en-US')} client orders and ${end.entries.toLocaleString('en-US')} balance entries in full and had compacted ${end.compactedOrders.toLocaleString('en-US')} closed orders and ${end.compactedEntries.toLocaleString('en-US')} entries into running sums (the default retention, docs/simulator.md "Retention"), server RSS ${end.rssMiB} MiB (heap ${end.heapMiB} MiB, not after a GC). Memory with and without retention: section "Simulator memory: retention".`,
      );
    }

    const md = [
      'Simulator in its own process (1 venue, `rateLimits: false`, `profile: none`, `participants: false`, fees 10/10 bps), clients in the bench process, loopback, 2 shared cores. ' +
        `Throughput: median of ${RUNS} closed-loop runs of ${RUN_S} s, peer and subject alternating; "server CPU/request" is the child's user+system CPU time divided by the requests answered (for "engine only", the bench process's CPU per order); "server ceiling" = 1e6 / that, what one core of the simulator could serve if the client and the other tenants of the machine left it alone. "client CPU/request" is the bench process's own CPU time per request (signing, framing, parsing replies).`,
      '',
      table(['what', 'client', 'median', 'runs', 'server CPU/request', 'server ceiling (1 core)', 'client CPU/request', 'requests', 'target', 'vs peer'], rows),
      '',
      `Open-loop latency of signed WS-API \`order.place\`, from intended send time to reply (HDR histogram):`,
      '',
      table(['load', 'samples', 'p50', 'p99', 'p99.9', 'max', 'non-200'], latRows),
      '',
      `- Server CPU alone: a WS-API \`ping\` costs ${median(wsPing.map(cpuUs)).toFixed(1)} µs of simulator CPU and a signed \`order.place\` ${median(wsPlace.map(cpuUs)).toFixed(1)} µs, so with a core to itself the simulator would answer order.place at ${(median(wsPing.map(cpuUs)) / median(wsPlace.map(cpuUs))).toFixed(2)}× its ping rate; the measured ratio also carries the client's CPU (signing and framing each order: ${median(wsPlace.map(clientUs)).toFixed(1)} µs vs ${median(wsPing.map(clientUs)).toFixed(1)} µs per ping), which on 2 shared cores is taken from the same cores.`,
      ...notes.map((n) => `- ${n}`),
      '- Where a request\'s server time goes: `BOT4_BENCH_CPU_PROF=<dir> npm run bench simulator` writes a V8 CPU profile of the simulator process.',
    ].join('\n');
    console.log(md);
    if (process.env.BOT4_BENCH_NO_WRITE === undefined) writeSection('simulator', 'Exchange simulator capacity (WS-API and REST order entry)', md);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
