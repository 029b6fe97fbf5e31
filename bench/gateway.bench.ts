/**
 * Gateway benchmark (issue "Gateway and daemon"). The server runs in its own process
 * (bench/fixtures/gateway-server.ts), the load generator here, so each gets one of the two cores.
 * Two servers, same run, same load: `uWS` = the real {@link GatewayServer} on the in-memory engine
 * double; `ws` = the peer, the same decoder, protocol functions and double on the `ws` package
 * (HTTP on node:http).
 *
 * - HTTP: autocannon against /health and /metrics (req/s, 2xx only; ms latency as autocannon has it).
 * - /feed ingest: a raw-TCP WebSocket client (bench/fixtures/gateway-raw-ws.ts) writes pre-encoded
 *   masked frames in ~256 KB batches as fast as the socket takes them; the rate is counted on the
 *   SERVER (the double's publishMarketData calls) over a steady window. Binary 1 record per frame
 *   (one WebSocket message = one record: the target), binary 16 records per frame, JSON 1 per frame;
 *   plus, binary 1 per frame, the transport floors: bare uWS and ws servers whose handler only counts.
 *   Targets: ≥ 1M binary messages/s ingested on uWS and ≥ 1.5× the ws peer. Reported: median of
 *   FEED_RUNS runs, their spread, per-run paired ratios and server CPU ns per record. Written to its
 *   own BENCHMARKS.md section (gateway-feed); the other parts to `gateway`.
 * - Fan-out: 100 raw subscribers on one topic, engine events pushed at fixed rates inside the server
 *   process (open loop); delivered msgs/s and lag from each event's intended emit time to its
 *   arrival at a subscriber (HDR).
 * - WS order submission: open loop at fixed rates on one connection; latency from the intended
 *   send time to the reply (HDR). `ping` on the gateway is the transport floor.
 * Bench limits are raised (BENCH_LIMITS in the fixture): the defaults (1000 msg/s, 64 in flight per
 * connection) would measure the per-client protection, not the gateway.
 * - If `daemon` is among the parts: the same open loop against the real daemon (whole path).
 * Env: BOT4_BENCH_GATEWAY_PARTS (http,feed,fanout,orders,daemon), _RUNS, _FEED_S, _FEED_RUNS,
 * _FEED_FORMATS (bin1,bin16,json1), _FEED_FLOOR (0 = skip the empty-handler floor rows), _CPU_PROF
 * (a directory: V8 CPU profiles of the server children), _FANOUT_RATES, _ORDER_RATES, _DAEMON_RATES.
 * Run: npm run bench gateway
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { feedEncoder } from '../gateway/feed-codec.js';
import { TOKENS } from '../test/fixtures/gateway/ws-client.js';
import { Opcode, RawWs, intField, maskedFrame, maskedHeaderBytes, patchMasked, writeMaskedFrame } from './fixtures/gateway-raw-ws.js';
import { median, table, writeSection, firstLine } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const PARTS = (env.BOT4_BENCH_GATEWAY_PARTS ?? 'http,feed,fanout,orders,daemon').split(',');
const RUNS = Number(env.BOT4_BENCH_GATEWAY_RUNS ?? 3);
const FEED_S = Number(env.BOT4_BENCH_GATEWAY_FEED_S ?? 2);
// /feed rows are short and noisy on a shared machine: more runs than the other parts, median + spread
const FEED_RUNS = Number(env.BOT4_BENCH_GATEWAY_FEED_RUNS ?? 7);
// also measure bare uWS / ws servers whose /feed handler only counts (the transport floor), binary 1/frame
const FEED_FLOOR = env.BOT4_BENCH_GATEWAY_FEED_FLOOR !== '0';
const HTTP_S = Number(env.BOT4_BENCH_GATEWAY_HTTP_S ?? 3);
const FANOUT_RATES = (env.BOT4_BENCH_GATEWAY_FANOUT_RATES ?? '500,2000').split(',').map(Number);
const FANOUT_S = Number(env.BOT4_BENCH_GATEWAY_FANOUT_S ?? 4);
const SUBSCRIBERS = 100;
const ORDER_RATES = (env.BOT4_BENCH_GATEWAY_ORDER_RATES ?? '1000,5000,20000').split(',').map(Number);
const ORDER_S = Number(env.BOT4_BENCH_GATEWAY_ORDER_S ?? 3);
const DAEMON_RATES = (env.BOT4_BENCH_GATEWAY_DAEMON_RATES ?? '100,500').split(',').map(Number);
const FEED_TARGET = 1_000_000;
const TOPIC = 'md.ticker.sim-a.BTC/USDT';

type Mode = 'uws' | 'ws' | 'uws-bare' | 'ws-bare';
const LABEL: Record<Mode, string> = { uws: 'uWS gateway', ws: 'ws peer', 'uws-bare': 'uWS floor (empty handler)', 'ws-bare': 'ws floor (empty handler)' };

/** The part of autocannon 9's API used here (the package ships no types). */
interface AcResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  duration: number;
  latency: { p50: number; p99: number; max: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: { url: string; connections: number; pipelining: number; duration: number }) => Promise<AcResult>;

const hr = (): number => Number(process.hrtime.bigint());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const newHist = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
const us = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`);
const rate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M/s` : `${(x / 1e3).toFixed(1)}k/s`);
const lat = (h: hdr.Histogram): string => `${us(h.getValueAtPercentile(50))} / ${us(h.getValueAtPercentile(99))} / ${us(h.getValueAtPercentile(99.9))} / ${us(h.maxValue)}`;

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Server {
  mode: Mode;
  port: number;
  child: ChildProcess;
  rpc<T>(msg: Record<string, unknown>): Promise<T>;
}

// BOT4_BENCH_GATEWAY_CPU_PROF=<dir>: each server child writes a V8 CPU profile there when it exits
const CPU_PROF = env.BOT4_BENCH_GATEWAY_CPU_PROF;

async function startServer(mode: Mode): Promise<Server> {
  const flags = CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF, mode)}`];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', path.join(here, 'fixtures/gateway-server.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...env, BOT4_LOG_LEVEL: 'error' },
  });
  const line = await firstLine(child, `gateway-server ${mode}`);
  const port = (JSON.parse(line) as { port: number }).port;
  let chain: Promise<unknown> = Promise.resolve();
  const rpc = <T>(msg: Record<string, unknown>): Promise<T> => {
    const p = chain.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`rpc ${String(msg.cmd)} timed out`)), 120_000);
          child.once('message', (m) => {
            clearTimeout(t);
            resolve(m as T);
          });
          child.send(msg);
        }),
    );
    chain = p.catch(() => undefined);
    return p;
  };
  return { mode, port, child, rpc };
}

/** Asks the child to exit (so a CPU profile gets written), then kills it if it has not within 5 s. */
async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  if (s.child.connected) s.child.send({ cmd: 'exit' });
  const t = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

interface Stats {
  mdCount: number;
  orders: number;
  sendDrops: number;
  eventsPublished: number;
  maxBufferedSeen: number;
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function httpPart(servers: Server[], md: string[]): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const p of ['/health', '/metrics']) {
    const by: Record<string, { rps: number[]; p50: number[]; p99: number[]; n: number; bad: number }> = {};
    for (let r = 0; r < RUNS; r++) {
      for (const s of servers) {
        const res = await autocannon({ url: `http://127.0.0.1:${s.port}${p}`, connections: 50, pipelining: 1, duration: HTTP_S });
        const b = (by[s.mode] ??= { rps: [], p50: [], p99: [], n: 0, bad: 0 });
        b.rps.push(res['2xx'] / res.duration);
        b.p50.push(res.latency.p50);
        b.p99.push(res.latency.p99);
        b.n += res['2xx'];
        b.bad += res.non2xx + res.errors;
      }
    }
    const u = median(by.uws!.rps);
    for (const s of servers) {
      const b = by[s.mode]!;
      const m = median(b.rps);
      rows.push([`GET ${p}`, LABEL[s.mode], rate(m), `${median(b.p50)} / ${median(b.p99)} ms`, b.n, b.bad, s.mode === 'uws' ? '' : `uWS ${(u / m).toFixed(2)}×`]);
    }
  }
  md.push('### HTTP (autocannon 9, 50 connections, no pipelining)', '', table(['request', 'server', 'median 2xx req/s', 'p50 / p99 latency (median of runs)', '2xx responses', 'non-2xx + errors', 'ratio'], rows), '');
  md.push(`${RUNS} runs of ${HTTP_S} s per row, servers alternating. autocannon's latency is in whole milliseconds (RECIPES); the uWS /metrics body is the gateway's families plus the double's.`, '');
}

// ---------------------------------------------------------------------------------------------
// /feed ingest

type FeedFormat = { key: string; name: string; binary: boolean; perFrame: number };
const ALL_FORMATS: FeedFormat[] = [
  { key: 'bin1', name: 'binary, 1 record/frame', binary: true, perFrame: 1 },
  { key: 'bin16', name: 'binary, 16 records/frame', binary: true, perFrame: 16 },
  { key: 'json1', name: 'JSON, 1 record/frame', binary: false, perFrame: 1 },
];
const FEED_FORMATS = (env.BOT4_BENCH_GATEWAY_FEED_FORMATS ?? 'bin1,bin16,json1').split(',');
const FORMATS = ALL_FORMATS.filter((f) => FEED_FORMATS.includes(f.key));

/** A pre-encoded batch of masked frames and where each record's sequence number sits. */
interface Batch {
  buf: Buffer;
  /** Per record: payload start (of its frame) and offset of its seq within that payload. */
  payloadStart: Int32Array;
  seqAt: Int32Array;
  frames: number;
  busy: boolean;
}

const JSON_SEQ0 = 1_000_000_000_000; // 13 digits for the whole run: patched in place

function recordPayload(f: FeedFormat): { payload: Buffer; seqAt: number[] } {
  if (f.binary) {
    const payload = Buffer.alloc(56 * f.perFrame);
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const seqAt: number[] = [];
    for (let r = 0; r < f.perFrame; r++) {
      feedEncoder.ticker(dv, r * 56, 1, 1, 1, 1_700_000_000_000_000, 6_000_000, 12, 6_000_100, 7);
      seqAt.push(r * 56 + 8);
    }
    return { payload, seqAt };
  }
  const rec = `{"v":1,"type":"ticker","venue":"bench","symbol":"BTC/USDT","seq":${JSON_SEQ0},"tsUs":1700000000000000,"bidPx":6000000,"bidQty":12,"askPx":6000100,"askQty":7}`;
  const text = f.perFrame === 1 ? rec : `[${Array.from({ length: f.perFrame }, () => rec).join(',')}]`;
  const payload = Buffer.from(text, 'utf8');
  const seqAt: number[] = [];
  for (let i = payload.indexOf('"seq":'); i >= 0; i = payload.indexOf('"seq":', i + 1)) seqAt.push(i + 6);
  return { payload, seqAt };
}

function makeBatch(f: FeedFormat): Batch {
  const { payload, seqAt } = recordPayload(f);
  const frameBytes = maskedHeaderBytes(payload.length) + payload.length;
  const frames = Math.max(1, Math.floor((256 * 1024) / frameBytes));
  const buf = Buffer.allocUnsafe(frames * frameBytes);
  const ps = new Int32Array(frames * f.perFrame);
  const sa = new Int32Array(frames * f.perFrame);
  for (let i = 0; i < frames; i++) {
    const start = writeMaskedFrame(buf, i * frameBytes, f.binary ? Opcode.binary : Opcode.text, payload);
    for (let r = 0; r < f.perFrame; r++) {
      ps[i * f.perFrame + r] = start;
      sa[i * f.perFrame + r] = seqAt[r]!;
    }
  }
  return { buf, payloadStart: ps, seqAt: sa, frames, busy: false };
}

/** Rewrites every record's seq in `b` with the next numbers after `seq`; returns the last one used. */
function patchBatch(b: Batch, binary: boolean, seq: number): number {
  const bytes = new Uint8Array(binary ? 8 : 13);
  const n = b.seqAt.length;
  for (let i = 0; i < n; i++) {
    seq++;
    if (binary) {
      bytes[0] = seq & 0xff;
      bytes[1] = (seq >>> 8) & 0xff;
      bytes[2] = (seq >>> 16) & 0xff;
      bytes[3] = (seq >>> 24) & 0xff;
      const hi = Math.floor(seq / 4294967296);
      bytes[4] = hi & 0xff;
      bytes[5] = (hi >>> 8) & 0xff;
      bytes[6] = 0;
      bytes[7] = 0;
    } else {
      let v = JSON_SEQ0 + seq;
      for (let k = 12; k >= 0; k--) {
        bytes[k] = 48 + (v % 10);
        v = Math.floor(v / 10);
      }
    }
    patchMasked(b.buf, b.payloadStart[i]!, b.seqAt[i]!, bytes);
  }
  return seq;
}

interface FeedRun {
  serverRate: number;
  clientRate: number;
  drainWaitFrac: number;
  serverCpu: number;
  notices: number;
}

/** Connects a producer, announces, writes as fast as the socket takes for warm-up + window; counts on the server. */
async function feedRun(s: Server, f: FeedFormat, seconds: number): Promise<FeedRun> {
  const ws = await RawWs.connect(`ws://127.0.0.1:${s.port}/feed`, 5000, TOKENS.feed);
  let notices = 0;
  ws.onMessage = () => void notices++;
  if (f.binary) {
    const a = Buffer.alloc(200);
    const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
    let o = feedEncoder.announceVenue(dv, 0, 1, 'bench');
    o = feedEncoder.announceSymbol(dv, o, 1, 1, 'BTC/USDT');
    ws.write(maskedFrame(Opcode.binary, a.subarray(0, o)));
  }
  const pool = [makeBatch(f), makeBatch(f), makeBatch(f), makeBatch(f)];
  let seq = 0;
  let records = 0;
  let running = true;
  let drainNs = 0;
  let freed: (() => void) | null = null;
  const writer = (async (): Promise<void> => {
    const hardStop = hr() + (seconds + 10) * 1e9;
    while (running && hr() < hardStop && !ws.closed) {
      const b = pool.find((x) => !x.busy);
      if (b === undefined) {
        const t = hr();
        await new Promise<void>((r) => (freed = r));
        drainNs += hr() - t;
        continue;
      }
      seq = patchBatch(b, f.binary, seq);
      b.busy = true;
      records += b.seqAt.length;
      const ok = ws.write(b.buf, () => {
        b.busy = false;
        const r = freed;
        freed = null;
        r?.();
      });
      if (!ok) {
        const t = hr();
        await ws.drained();
        drainNs += hr() - t;
      }
    }
  })();
  await sleep(500); // warm-up: JIT, TCP windows
  const s0 = await s.rpc<Stats>({ cmd: 'stats' });
  const c0 = cpuSeconds(s.child.pid!);
  const windowStart = hr();
  const recordsAtWindow = records;
  const drain0 = drainNs;
  await sleep(seconds * 1000);
  const s1 = await s.rpc<Stats>({ cmd: 'stats' });
  const c1 = cpuSeconds(s.child.pid!);
  const dt = (hr() - windowStart) / 1e9;
  const sent = records - recordsAtWindow;
  const waited = (drainNs - drain0) / 1e9;
  running = false;
  await writer;
  ws.destroy();
  await sleep(200);
  return { serverRate: (s1.mdCount - s0.mdCount) / dt, clientRate: sent / dt, drainWaitFrac: waited / dt, serverCpu: (c1 - c0) / dt, notices };
}

/** "median (min–max, ±half-range as % of the median)" of per-run rates. */
function spread(xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const m = median(xs);
  return `${rate(lo)}–${rate(hi)} (±${(((hi - lo) / 2 / m) * 100).toFixed(0)} %)`;
}

/** Headline figures of the binary 1-record-per-message row (server CPU ns per record: the load-robust one). */
interface FeedHeadline {
  uwsRate: number;
  ratio: number;
  ns: Partial<Record<Mode, number>>;
}

async function feedPart(servers: Server[], md: string[]): Promise<FeedHeadline> {
  const rows: (string | number)[][] = [];
  const head: FeedHeadline = { uwsRate: 0, ratio: 0, ns: {} };
  const floors = FEED_FLOOR && FORMATS.some((f) => f.key === 'bin1') ? [await startServer('uws-bare'), await startServer('ws-bare')] : [];
  try {
    for (const f of FORMATS) {
      const set = f.key === 'bin1' ? [...servers, ...floors] : servers;
      const by: Partial<Record<Mode, FeedRun[]>> = {};
      // servers alternate within each run, so the load of the moment hits both sides of a pair
      for (let r = 0; r < FEED_RUNS; r++) for (const s of set) (by[s.mode] ??= []).push(await feedRun(s, f, FEED_S));
      const med = (m: Mode, k: keyof FeedRun): number => median(by[m]!.map((x) => x[k]));
      /** Per-run ratio a/b (same run, back to back), as "median (min–max)". */
      const paired = (a: Mode, b: Mode): { m: number; text: string } => {
        const rs = by[a]!.map((x, i) => x.serverRate / by[b]![i]!.serverRate);
        const m = median(rs);
        return { m, text: `${m.toFixed(2)}× (runs ${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}×)` };
      };
      const u = med('uws', 'serverRate');
      if (f.key === 'bin1') {
        head.uwsRate = u;
        head.ratio = paired('uws', 'ws').m;
        for (const s of set) head.ns[s.mode] = (med(s.mode, 'serverCpu') / med(s.mode, 'serverRate')) * 1e9;
      }
      for (const s of set) {
        const m = med(s.mode, 'serverRate');
        const runs = by[s.mode]!;
        const target = f.key === 'bin1' && s.mode === 'uws' ? `target ≥ 1M/s: ${m >= FEED_TARGET ? 'met' : 'NOT met'}` : '';
        const wsTarget = f.key === 'bin1' ? `; target ≥ 1.5×: ${paired('uws', 'ws').m >= 1.5 ? 'met' : 'NOT met'}` : '';
        const ratio = s.mode === 'ws' ? `uWS/ws ${paired('uws', 'ws').text}${wsTarget}` : s.mode === 'ws-bare' ? `uWS/ws floor ${paired('uws-bare', 'ws-bare').text}` : target;
        rows.push([
          f.name,
          LABEL[s.mode],
          rate(m),
          f.perFrame === 1 ? rate(m) : rate(m / f.perFrame),
          spread(runs.map((x) => x.serverRate)),
          `${((med(s.mode, 'serverCpu') / m) * 1e9).toFixed(0)} ns`,
          rate(med(s.mode, 'clientRate')),
          `${(med(s.mode, 'drainWaitFrac') * 100).toFixed(0)} %`,
          `${(med(s.mode, 'serverCpu') * 100).toFixed(0)} %`,
          runs.reduce((a, x) => a + x.notices, 0),
          ratio,
        ]);
      }
    }
  } finally {
    await Promise.all(floors.map(stopServer));
  }
  md.push(
    '### /feed ingest (raw-TCP producer, one connection, counted on the server)',
    '',
    table(['frames', 'server', 'median records/s ingested', 'median WS messages/s', 'spread of runs: min–max (±)', 'server CPU per record', 'producer sent records/s', 'producer waiting on socket', 'server CPU', 'error notices', 'ratio / target'], rows),
    '',
    `${FEED_RUNS} runs per row of ${FEED_S} s (after 0.5 s warm-up), servers alternating within each run; ingested = the engine double's publishMarketData calls over the window (the floor servers count messages). ` +
      'Ratios are per run (uWS and ws measured back to back), then the median. ' +
      '"Producer waiting on socket" is the share of the window the producer spent blocked on a full socket: near 100 % means the server was the bottleneck, near 0 % means the producer was. ' +
      'Server CPU is the server process\'s user+system time over the window (100 % = one core); per record it is that time divided by the records ingested, the figure least disturbed by other load. ' +
      'The floor rows are uWebSockets.js and `ws` servers whose /feed handler only counts (no auth, no decoding, no engine call): what each library costs per message before the gateway does anything. Ticker records, 56 bytes binary, ~150 bytes JSON.',
    '',
  );
  return head;
}

// ---------------------------------------------------------------------------------------------
// Fan-out

async function fanoutRun(s: Server, r: number): Promise<{ delivered: number; expected: number; rate: number; hist: hdr.Histogram; drops: number; emitted: number }> {
  const hist = newHist();
  const tKey = Buffer.from('"t":');
  const subs: RawWs[] = [];
  let delivered = 0;
  let lastAt = 0;
  let firstAt = 0;
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = await RawWs.connect(`ws://127.0.0.1:${s.port}/ws`, 5000, TOKENS.read);
    let subscribed: (() => void) | null = null;
    const ready = new Promise<void>((res) => (subscribed = res));
    ws.onMessage = (p) => {
      const t = intField(p, tKey);
      if (t < 0) {
        subscribed?.();
        return;
      }
      const now = hr();
      if (firstAt === 0) firstAt = now;
      lastAt = now;
      delivered++;
      hist.recordValue(Math.max(1, now - t));
    };
    ws.sendText(JSON.stringify({ v: 1, id: 1, op: 'subscribe', args: { topics: [TOPIC] } }));
    await ready;
    subs.push(ws);
  }
  const s0 = await s.rpc<Stats>({ cmd: 'stats' });
  const { emitted } = await s.rpc<{ emitted: number }>({ cmd: 'emit', rate: r, seconds: FANOUT_S, topic: TOPIC });
  const expected = emitted * SUBSCRIBERS;
  const until = hr() + 10e9;
  while (delivered < expected && hr() < until) await sleep(20);
  const s1 = await s.rpc<Stats>({ cmd: 'stats' });
  for (const w of subs) w.destroy();
  await sleep(200);
  return { delivered, expected, rate: delivered / ((lastAt - firstAt) / 1e9), hist, drops: s1.sendDrops - s0.sendDrops, emitted };
}

async function fanoutPart(servers: Server[], md: string[]): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const r of FANOUT_RATES) {
    const res: Record<string, Awaited<ReturnType<typeof fanoutRun>>> = {};
    for (const s of servers) res[s.mode] = await fanoutRun(s, r);
    for (const s of servers) {
      const x = res[s.mode]!;
      const p50Ratio = x.hist.getValueAtPercentile(50) / res.uws!.hist.getValueAtPercentile(50);
      rows.push([
        `${r}/s × ${SUBSCRIBERS}`,
        LABEL[s.mode],
        rate(x.rate),
        `${x.delivered} of ${x.expected}`,
        x.drops,
        lat(x.hist),
        x.hist.totalCount,
        s.mode === 'uws' ? '' : `p50 lag ${p50Ratio.toFixed(2)}× uWS's`,
      ]);
    }
  }
  md.push(
    `### Fan-out (${SUBSCRIBERS} raw subscribers on one topic)`,
    '',
    table(['events/s × subscribers', 'server', 'delivered msgs/s', 'delivered', 'send drops', 'lag p50 / p99 / p99.9 / max', 'samples', 'ratio'], rows),
    '',
    `Events are emitted inside the server process at a fixed rate for ${FANOUT_S} s (open loop); lag runs from each event's intended emit time to its arrival at a subscriber ` +
      '(all subscribers share one client process, so at high delivered rates the client\'s own queueing is part of the lag). Delivered msgs/s = deliveries over the span from the first to the last. ' +
      'uWS: `app.publish` once per event; ws peer: serialise once, `send` the same Buffer to each subscriber, dropping above 16 MiB buffered (uWS\'s maxBackpressure here).',
    '',
  );
}

// ---------------------------------------------------------------------------------------------
// Orders

async function ordersRun(s: Server | { port: number; path: string; token: string }, op: 'order.submit' | 'ping', r: number, seconds: number, args: Record<string, unknown>): Promise<{ hist: hdr.Histogram; sent: number; replies: number; errors: number; achieved: number; reasons: Map<string, number> }> {
  const url = 'path' in s ? `ws://127.0.0.1:${s.port}${s.path}` : `ws://127.0.0.1:${s.port}/ws`;
  const ws = await RawWs.connect(url, 5000, 'token' in s ? s.token : TOKENS.trade);
  const hist = newHist();
  const total = Math.round(r * seconds);
  const intended = new Float64Array(total + 1);
  const idKey = Buffer.from('"id":');
  const reasonKey = Buffer.from('"reason":"');
  const errKey = Buffer.from('"ok":false');
  const reasons = new Map<string, number>();
  let replies = 0;
  let errors = 0;
  let lastReply = 0;
  ws.onMessage = (p) => {
    const id = intField(p, idKey);
    if (id <= 0 || id > total) return;
    const now = hr();
    lastReply = now;
    replies++;
    hist.recordValue(Math.max(1, now - intended[id]!));
    if (p.indexOf(errKey) >= 0) errors++;
    const i = p.indexOf(reasonKey);
    if (i >= 0) {
      const k = p.subarray(i + reasonKey.length, p.indexOf(34, i + reasonKey.length)).toString();
      reasons.set(k, (reasons.get(k) ?? 0) + 1);
    }
  };
  const argsJson = JSON.stringify(args);
  const t0 = hr();
  let sent = 0;
  const hardStop = t0 + (seconds + 10) * 1e9;
  while (sent < total && hr() < hardStop) {
    const due = Math.min(total, Math.floor(((hr() - t0) * r) / 1e9) + 1);
    const frames: Buffer[] = [];
    while (sent < due) {
      sent++;
      intended[sent] = t0 + ((sent - 1) * 1e9) / r;
      frames.push(maskedFrame(Opcode.text, `{"v":1,"id":${sent},"op":"${op}","args":${op === 'ping' ? '{}' : argsJson}}`));
    }
    if (frames.length > 0) ws.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
    await new Promise((res) => setImmediate(res));
  }
  const until = hr() + 10e9;
  while (replies < sent && hr() < until) await sleep(5);
  ws.destroy();
  return { hist, sent, replies, errors, achieved: replies / ((lastReply - t0) / 1e9), reasons };
}

const ORDER_ARGS = { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 5_000_000, qtyLots: 20 };

async function ordersPart(servers: Server[], md: string[]): Promise<void> {
  const rows: (string | number)[][] = [];
  const uws = servers.find((s) => s.mode === 'uws')!;
  const peer = servers.find((s) => s.mode === 'ws')!;
  // warm-up (JIT, zod schemas) on every path, not recorded
  for (const s of servers) for (const op of ['order.submit', 'ping'] as const) await ordersRun(s, op, 2000, 1, ORDER_ARGS);
  for (const r of ORDER_RATES) {
    const cases: [string, Server, 'order.submit' | 'ping'][] = [
      ['uWS gateway, order.submit', uws, 'order.submit'],
      ['ws peer, order.submit', peer, 'order.submit'],
      ['uWS gateway, ping (transport floor)', uws, 'ping'],
    ];
    const res: Awaited<ReturnType<typeof ordersRun>>[] = [];
    for (const [, s, op] of cases) {
      await s.rpc({ cmd: 'reset' });
      res.push(await ordersRun(s, op, r, ORDER_S, ORDER_ARGS));
    }
    const base = res[0]!.hist.getValueAtPercentile(50);
    cases.forEach(([name], i) => {
      const x = res[i]!;
      rows.push([`${r}/s`, name, `${x.replies} of ${x.sent}`, x.errors, rate(x.achieved), lat(x.hist), x.hist.totalCount, i === 0 ? '' : `p50 ${(x.hist.getValueAtPercentile(50) / base).toFixed(2)}× uWS order.submit`]);
    });
  }
  md.push(
    '### WS API order submission (engine double: gateway cost only)',
    '',
    table(['offered rate', 'path', 'replies', 'error replies', 'achieved replies/s', 'latency p50 / p99 / p99.9 / max', 'samples', 'ratio'], rows),
    '',
    `One raw-TCP connection, open loop for ${ORDER_S} s per row; latency from each request's intended send time to its reply. The double accepts every order at once, so this is the gateway's share ` +
      '(frame, JSON, envelope and zod validation, role check, the port call, the reply).',
    '',
  );
}

/** Best bid of sim-a BTC/USDT in ticks, from the daemon's own md topic. */
async function firstBid(port: number, token: string): Promise<number> {
  const ws = await RawWs.connect(`ws://127.0.0.1:${port}/ws`, 5000, token);
  const key = Buffer.from('"bidTicks":');
  try {
    return await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no md.ticker.sim-a.BTC/USDT event within 30 s')), 30_000);
      ws.onMessage = (p) => {
        const v = intField(p, key);
        if (v > 0) {
          clearTimeout(t);
          resolve(v);
        }
      };
      ws.sendText(JSON.stringify({ v: 1, id: 1, op: 'subscribe', args: { topics: ['md.ticker.sim-a.BTC/USDT'] } }));
    });
  } finally {
    ws.destroy();
  }
}

/** The whole path: the real daemon (default config, embedded simulator), orders through risk, journal and venue. */
async function daemonOrdersPart(md: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot4-bench-gw-daemon-'));
  const cfg = path.join(dir, 'bot4.json');
  writeFileSync(cfg, JSON.stringify({ auth: { tokenFile: path.join(dir, 'admin-token') } }));
  const child = spawn(process.execPath, [path.join(here, '../bin/bot4.js'), 'daemon', '--config', cfg, '--port', '0', '--journal', path.join(dir, 'journal')], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...env, BOT4_LOG_LEVEL: 'error' },
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error('daemon: no ready line in 120 s')), 120_000);
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const i = buf.indexOf('\n');
        if (i >= 0) {
          clearTimeout(t);
          resolve(buf.slice(0, i));
        }
      });
      child.once('exit', (c) => reject(new Error(`daemon exited ${c}`)));
    });
    const port = Number(/api=ws:\/\/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const token = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    const target = { port, path: '/ws', token };
    const rows: (string | number)[][] = [];
    // a resting buy 2 % under the venue's best bid: inside the risk price band (±5 %), never filled at once
    const bid = await firstBid(port, token);
    const priceTicks = Math.max(1, Math.floor(bid * 0.98));
    await ordersRun(target, 'ping', 200, 1, {});
    for (const r of DAEMON_RATES) {
      for (const op of ['order.submit', 'ping'] as const) {
        const x = await ordersRun(target, op, r, ORDER_S, { ...ORDER_ARGS, priceTicks, strategy: 'api' });
        const reasons = [...x.reasons].map(([k, v]) => `${k} ${v}`).join(', ') || '-';
        const denied = [...x.reasons.values()].reduce((a, b) => a + b, 0);
        rows.push([`${r}/s`, op, `${x.replies} of ${x.sent}`, x.errors, op === 'ping' ? '' : x.replies - x.errors - denied, op === 'ping' ? '' : reasons, lat(x.hist), x.hist.totalCount]);
      }
    }
    md.push(
      '### WS API order submission through the real daemon (whole path)',
      '',
      table(['offered rate', 'op', 'replies', 'error replies', 'accepted', 'denied (reason count)', 'latency p50 / p99 / p99.9 / max', 'samples'], rows),
      '',
      `\`bot4 daemon\` with its default config (embedded simulator, both strategies running) on one connection with the generated admin token, open loop for ${ORDER_S} s per row; ` +
        `buy limits for 20 lots of sim-a BTC/USDT at ${priceTicks} ticks (2 % under the best bid seen at start, ${bid}). ` +
        'The reply comes once the risk actor has decided (accepted into the pipeline or denied), so this is gateway + adapter + risk; ' +
        'rates stay under the default per-connection limit of 1000 msg/s. The default risk limits (open orders, order rate) deny most of a sustained stream: denials are replies too and are timed the same way.',
      '',
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 3000));
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const servers = [await startServer('uws'), await startServer('ws')];
  const md: string[] = [];
  const feedMd: string[] = [];
  const load0 = os.loadavg()[0]!;
  let head: FeedHeadline | null = null;
  try {
    if (PARTS.includes('feed')) head = await feedPart(servers, feedMd);
    if (PARTS.includes('http')) await httpPart(servers, md);
    if (PARTS.includes('fanout')) await fanoutPart(servers, md);
    if (PARTS.includes('orders')) await ordersPart(servers, md);
  } finally {
    await Promise.all(servers.map(stopServer));
  }
  if (PARTS.includes('daemon')) await daemonOrdersPart(md);
  const setup = 'Servers in a child process, load generator in this one (2 shared cores: one each, while other work on the machine allows). Peer: `ws` 8 with the same decoder, protocol code and engine double.';
  if (head !== null) {
    // its own section, so `BOT4_BENCH_GATEWAY_PARTS=feed npm run bench gateway` rewrites only this
    const ns = head.ns;
    const perCore = (m: Mode): string => (ns[m] === undefined ? '?' : rate(1e9 / ns[m]!));
    const nsText = (m: Mode): string => (ns[m] === undefined ? '?' : `${ns[m]!.toFixed(0)} ns`);
    const summary = [
      `- /feed binary ingest on uWS, 1 record per WebSocket message: **${rate(head.uwsRate)}** (target ≥ 1M/s: ${head.uwsRate >= FEED_TARGET ? 'met' : 'NOT met'}), ` +
        `**${head.ratio.toFixed(2)}×** the \`ws\` peer with the same decoder (median of per-run ratios; target ≥ 1.5×: ${head.ratio >= 1.5 ? 'met' : 'NOT met'}).`,
      `- Server CPU per record (user+system time / records; least disturbed by other load): uWS gateway ${nsText('uws')} (${perCore('uws')} per core), ws peer ${nsText('ws')} (${perCore('ws')} per core)` +
        (ns.uws !== undefined && ns.ws !== undefined ? `: uWS/ws **${(ns.ws / ns.uws).toFixed(2)}×** per CPU` : '') +
        (ns['uws-bare'] !== undefined && ns['ws-bare'] !== undefined
          ? `. Transport floors (empty handler): uWS ${nsText('uws-bare')}, ws ${nsText('ws-bare')} = ${(ns['ws-bare'] / ns['uws-bare']).toFixed(2)}×: the most a decoder shared by both can make of the ratio.`
          : '.'),
      `- Machine load (1-min load average, 2 cores): ${load0.toFixed(1)} at start, ${os.loadavg()[0]!.toFixed(1)} at end.`,
    ];
    const feedText = [...summary, '', setup, '', ...feedMd].join('\n');
    console.log(feedText);
    writeSection('gateway-feed', 'Gateway: /feed ingest (uWS vs ws)', feedText);
  }
  if (md.length > 0) {
    const text = [setup, '', ...md].join('\n');
    console.log(text);
    writeSection('gateway', 'Gateway: HTTP, fan-out, WS orders (uWS vs ws)', text);
  }
}

await main();
