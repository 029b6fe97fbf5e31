/**
 * `npm run bench cluster-hop`: remote actors over NATS against the in-process hop, same run.
 *
 * Node A is this process, node B a child process (bench/fixtures/cluster-node.ts), both on one
 * real nats-server on loopback (test/fixtures/nats). Per repetition, for the in-process hop (one
 * ActorSystem) and the cross-node hop (node A → NATS → node B):
 *
 * 1. send throughput: N `order.submit`-shaped messages with `trySend` into a counting sink (in
 *    process: mailbox 65,536, the producer yields when it is full; cross-node: every send is
 *    acknowledged by node B, at most WINDOW unacknowledged), timed until the sink counted all N;
 *    plus cross-node `publish` on an exported topic (no acknowledgement).
 * 2. ask latency: open loop at RATE asks/s for SECONDS, each measured from its intended send time
 *    to the reply (HDR, no coordinated omission), to an `echo` actor in process and on node B.
 *
 * Env: BENCH_CLUSTER_N (default 100000), BENCH_CLUSTER_WINDOW (8192), BENCH_CLUSTER_RATE (2000),
 * BENCH_CLUSTER_SECONDS (5), BENCH_CLUSTER_REPS (3). Writes its section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { setup } from 'xstate';
import { ActorSystem, SendStatus } from '../actors/runtime/index.js';
import { NatsRemoteTransport } from '../cluster/index.js';
import { startNatsServer } from '../test/fixtures/nats/nats-server.js';
import { firstLine, fmtNs, median, table, writeSection } from './report.js';

const N = Number(process.env.BENCH_CLUSTER_N ?? 100_000);
const WINDOW = Number(process.env.BENCH_CLUSTER_WINDOW ?? 8192);
const RATE = Number(process.env.BENCH_CLUSTER_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 5);
const REPS = Number(process.env.BENCH_CLUSTER_REPS ?? 3);
const here = path.dirname(fileURLToPath(import.meta.url));
const idle = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'idle' });
const payload = { intent: { strategy: 'mm-btc', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 6_543_210, qtyLots: 17 }, intentKey: 'k-1' };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

const server = await startNatsServer();
const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/cluster-node.ts'), server.url], { stdio: ['pipe', 'pipe', 'inherit'] });
try {
  await firstLine(child, 'cluster node-b');
  const local = new ActorSystem({ name: 'local' });
  let localCount = 0;
  local.spawn('sink', idle, { handle: () => void localCount++ });
  local.spawn('echo', idle, { handle: (e, ctx) => ctx.reply(e, e.payload) });
  const a = new ActorSystem({ name: 'node-a' });
  const transport = await NatsRemoteTransport.start(a, { node: 'node-a', servers: server.url, exportTopics: ['bench.>'], sendTimeoutMs: 60_000 });
  const remoteCount = (): Promise<number> => a.ask<number>('node-b/sink', { type: 'sink.count' }, { timeoutMs: 30_000 });

  const localSend = async (): Promise<number> => {
    localCount = 0;
    const t0 = process.hrtime.bigint();
    let sent = 0;
    while (sent < N) {
      const r = local.trySend('sink', { type: 'order.submit', payload });
      if (r === SendStatus.Sent) sent++;
      else await tick();
      if ((sent & 1023) === 0) await tick();
    }
    while (localCount < N) await tick();
    return N / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const remoteSend = async (kind: 'send' | 'publish'): Promise<number> => {
    const base = await remoteCount();
    const t0 = process.hrtime.bigint();
    for (let sent = 0; sent < N; ) {
      if (kind === 'send' && transport.inFlight >= WINDOW) {
        await tick();
        continue;
      }
      if (kind === 'send') a.trySend('node-b/sink', { type: 'order.submit', payload });
      else a.publish('bench.orders', { type: 'order.submit', payload });
      sent++;
      if ((sent & 1023) === 0) await tick();
    }
    for (let i = 0; ; i++) {
      const c = (await remoteCount()) - base;
      if (c >= N) break;
      if (i > 100_000) throw new Error(`node-b counted ${c} of ${N}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return N / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const askLatency = async (sys: ActorSystem, to: string): Promise<{ h: hdr.Histogram; errors: number }> => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
    let errors = 0;
    let done = 0;
    const total = Math.round(RATE * SECONDS);
    const intervalNs = 1e9 / RATE;
    const start = Number(process.hrtime.bigint());
    let issued = 0;
    while (issued < total) {
      const now = Number(process.hrtime.bigint());
      while (issued < total && start + issued * intervalNs <= now) {
        const intended = start + issued * intervalNs;
        issued++;
        sys.ask(to, { type: 'echo', payload }, { timeoutMs: 30_000 }).then(
          () => {
            h.recordValue(Math.max(1, Number(process.hrtime.bigint()) - intended));
            done++;
          },
          () => {
            errors++;
            done++;
          },
        );
      }
      await tick();
    }
    while (done < total) await tick();
    return { h, errors };
  };

  // warm-up (JIT, NATS subscriptions, node B)
  await a.ask('node-b/echo', { type: 'echo', payload }, { timeoutMs: 10_000 });
  for (let i = 0; i < 2000; i++) await a.ask('node-b/echo', { type: 'echo', payload });
  for (let i = 0; i < 2000; i++) await local.ask('echo', { type: 'echo', payload });
  await askLatency(local, 'echo');
  await askLatency(a, 'node-b/echo');

  const thr = { local: [] as number[], remote: [] as number[], publish: [] as number[] };
  const lat: Record<'local' | 'remote', { h: hdr.Histogram; errors: number }[]> = { local: [], remote: [] };
  const load0 = loadavg();
  for (let rep = 0; rep < REPS; rep++) {
    thr.local.push(await localSend());
    thr.remote.push(await remoteSend('send'));
    thr.publish.push(await remoteSend('publish'));
    lat.local.push(await askLatency(local, 'echo'));
    lat.remote.push(await askLatency(a, 'node-b/echo'));
    console.log(`rep ${rep + 1}/${REPS}: in-process ${thr.local.at(-1)!.toFixed(0)}/s, cross-node send ${thr.remote.at(-1)!.toFixed(0)}/s, publish ${thr.publish.at(-1)!.toFixed(0)}/s; ask p50 local ${fmtNs(lat.local.at(-1)!.h.getValueAtPercentile(50))} remote ${fmtNs(lat.remote.at(-1)!.h.getValueAtPercentile(50))}`);
  }
  const load1 = loadavg();
  const merged = (k: 'local' | 'remote'): { h: hdr.Histogram; errors: number } => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
    let errors = 0;
    for (const r of lat[k]) {
      h.add(r.h);
      errors += r.errors;
    }
    return { h, errors };
  };
  const L = merged('local');
  const R = merged('remote');
  const fmtRate = (x: number): string => `${Math.round(x).toLocaleString('en')}/s`;
  const perRun = (k: 'local' | 'remote', p: number): string => lat[k].map((r) => fmtNs(r.h.getValueAtPercentile(p))).join(', ');
  const row = (name: string, k: 'local' | 'remote', m: { h: hdr.Histogram; errors: number }): string[] => [name, fmtNs(m.h.getValueAtPercentile(50)), fmtNs(m.h.getValueAtPercentile(99)), fmtNs(m.h.getValueAtPercentile(99.9)), fmtNs(m.h.maxValue), String(m.h.totalCount), String(m.errors), perRun(k, 50), perRun(k, 99)];
  const md = [
    `Cross-node hop (node A → core NATS on loopback → node B in another process; \`cluster/remote-transport.ts\`) against the in-process hop (same ActorSystem), same run, ${REPS} repetitions, medians. Load average ${load0} at the start, ${load1} at the end (2 shared cores; other helpers' builds and tests were running).`,
    '',
    table(
      ['hop', 'throughput (median)', 'runs', 'vs in-process'],
      [
        ['in-process `trySend` → sink', fmtRate(median(thr.local)), thr.local.map((x) => Math.round(x)).join(', '), '1×'],
        [`cross-node \`trySend('node-b/sink')\` (acknowledged, window ${WINDOW})`, fmtRate(median(thr.remote)), thr.remote.map((x) => Math.round(x)).join(', '), `${(median(thr.remote) / median(thr.local)).toFixed(3)}×`],
        ['cross-node `publish` (exported topic, no ack)', fmtRate(median(thr.publish)), thr.publish.map((x) => Math.round(x)).join(', '), `${(median(thr.publish) / median(thr.local)).toFixed(3)}×`],
      ],
    ),
    '',
    `${N.toLocaleString('en')} \`order.submit\`-shaped messages per run, timed until the receiving sink counted all of them. Ask latency: open loop at ${RATE.toLocaleString('en')} asks/s for ${SECONDS} s per run, from each ask's intended send time to its reply (HDR, all runs merged):`,
    '',
    table(['ask', 'p50', 'p99', 'p99.9', 'max', 'samples', 'errors', 'p50 per run', 'p99 per run'], [row('in-process `ask(\'echo\')`', 'local', L), row('cross-node `ask(\'node-b/echo\')`', 'remote', R)]),
    '',
    'On a shared, loaded machine the merged percentiles are dominated by CPU starvation of the whole process (both hops alike); the per-run columns show it: compare the two hops within the least loaded run.',
    '',
    `Reproduce: \`npm run bench cluster-hop\` (env BENCH_CLUSTER_N, _WINDOW, _RATE, _SECONDS, _REPS).`,
  ].join('\n');
  console.log(md);
  writeSection('cluster-hop', 'Cluster: cross-node actor hop over NATS vs in process', md);
  await transport.close();
  await a.shutdown();
  await local.shutdown();
} finally {
  child.stdin?.end();
  await new Promise<void>((r) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => { clearTimeout(hard); r(); });
  });
  await server.dispose();
}
