/**
 * Start-up (issue 16): how long `npm start` (`node bin/bot4.js daemon`, default config: embedded
 * two-venue simulator, default strategies) takes to its ready line, what each phase costs, the
 * memory at that point, and how long `bot4 --help` takes; each against the same code run from the
 * TypeScript sources through tsx (the start path before the compiled build), measured in the same
 * run, interleaved. Also: importing all of ccxt against importing only ccxt.pro's binance class.
 *
 * Phases come from the daemon's own log lines (pino `time`, epoch ms, same clock as the spawn):
 * spawn → `native primitives` (node, bin/bot4.js's dist check, CLI and daemon modules, config) →
 * `embedded simulator started` → first venue `connecting` (engine start: its modules, journal
 * open/replay, actors) → last venue `syncing` (venue connect) → last venue `running` (markets,
 * balances, open orders, reconcile) → `gateway listening` → the ready line on stdout.
 *
 * Targets: ready line ≤ 1000 ms (median of 5 starts, quiet machine), `bot4 --help` ≤ 300 ms.
 * Run: npm run bench startup (BOT4_BENCH_STARTUP_N starts per variant, default 5;
 * BOT4_BENCH_STARTUP_SETTLE_S seconds after ready before the second RSS sample, default 3).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, table, writeSection } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const N = Number(process.env.BOT4_BENCH_STARTUP_N ?? 5);
const SETTLE_S = Number(process.env.BOT4_BENCH_STARTUP_SETTLE_S ?? 3);
const READY_TARGET_MS = 1000;
const HELP_TARGET_MS = 300;

/** How a variant starts bot4: node flags and entry. */
interface Variant {
  name: string;
  argv: string[];
}
const DIST: Variant = { name: 'compiled (dist/, `node bin/bot4.js`)', argv: [path.join(root, 'bin/bot4.js')] };
const TSX: Variant = { name: 'sources through tsx', argv: ['--import', import.meta.resolve('tsx'), path.join(here, 'fixtures/bot4-tsx.ts')] };

const PHASES = ['node + dist check + CLI/daemon modules + config', 'embedded simulator start', 'engine start (modules, journal open/replay, actors)', 'venue connect', 'venue sync (markets, balances, orders)', 'gateway listen', 'ready line'] as const;

interface Start {
  readyMs: number;
  /** CPU time (user + system) the daemon process used up to its ready line: less sensitive to a loaded machine than wall time. */
  cpuMs: number;
  rssReadyMb: number;
  rssSettledMb: number;
  phases: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, ms (from /proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function vmRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function startDaemon(v: Variant): Promise<Start> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bot4-bench-startup-'));
  const cfg = path.join(dir, 'bot4.json');
  writeFileSync(cfg, JSON.stringify({ auth: { tokenFile: path.join(dir, 'admin-token') } }));
  const t0 = Date.now();
  const child = spawn(process.execPath, [...v.argv, 'daemon', '--config', cfg, '--port', '0', '--journal', path.join(dir, 'journal')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BOT4_LOG_LEVEL: 'info' } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const tReady = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no ready line within 120 s: ${err.slice(-2000)}`)), 120_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('bot4 daemon ready ')) {
          clearTimeout(timer);
          resolve(Date.now());
        }
      });
      void exited.then(() => reject(new Error(`daemon exited before ready: ${err.slice(-2000)}`)));
    });
    const cpuMs = cpuMsOf(child.pid!);
    const rssReadyMb = vmRssMb(child.pid!);
    await sleep(SETTLE_S * 1000);
    const rssSettledMb = vmRssMb(child.pid!);
    const lines = err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { time: number; msg?: string; component?: string; to?: string });
    const first = (p: (l: (typeof lines)[number]) => boolean): number => lines.find(p)?.time ?? NaN;
    const last = (p: (l: (typeof lines)[number]) => boolean): number => lines.filter(p).at(-1)?.time ?? NaN;
    const marks = [
      t0,
      first((l) => (l.msg ?? '').startsWith('native primitives')),
      first((l) => l.msg === 'embedded simulator started'),
      first((l) => l.component === 'venue' && l.to === 'connecting'),
      last((l) => l.component === 'venue' && l.to === 'syncing' && l.time < tReady),
      last((l) => l.component === 'venue' && l.to === 'running' && l.time < tReady),
      first((l) => l.msg === 'gateway listening'),
      tReady,
    ];
    return { readyMs: tReady - t0, cpuMs, rssReadyMb, rssSettledMb, phases: marks.slice(1).map((m, i) => m - marks[i]!) };
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall time (ms) of a command run to completion. */
function wall(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-1000)}`);
  return performance.now() - t;
}

/** Import time (ms) and RSS (MB) of one module in a fresh process. */
function importCost(url: string): { ms: number; rssMb: number } {
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(JSON.stringify({ ms: performance.now() - t, rssMb: process.memoryUsage().rss / 2 ** 20 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`import ${url}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ms: number; rssMb: number };
}

const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

async function main(): Promise<void> {
  const load0 = os.loadavg()[0]!;
  // dist/ fresh before anything is timed (the check itself is part of every start below)
  wall([DIST.argv[0]!, '--version']);
  const starts = new Map<Variant, Start[]>([
    [DIST, []],
    [TSX, []],
  ]);
  for (let i = 0; i < N; i++) {
    for (const v of [DIST, TSX]) {
      const s = await startDaemon(v);
      starts.get(v)!.push(s);
      console.log(`${v.name}: ready ${s.readyMs} ms (${s.cpuMs} ms CPU), RSS ${fmt(s.rssReadyMb)} MB at ready, ${fmt(s.rssSettledMb)} MB ${SETTLE_S} s later; phases ${s.phases.map((p) => fmt(p)).join(' / ')} ms`);
    }
  }
  const help = new Map<Variant, number[]>([
    [DIST, []],
    [TSX, []],
  ]);
  const nodeOnly: number[] = [];
  for (let i = 0; i < N; i++) {
    for (const v of [DIST, TSX]) help.get(v)!.push(wall([...v.argv, '--help']));
    nodeOnly.push(wall(['-e', '']));
  }
  const ccxtRoot = path.resolve(path.dirname(createRequireResolve('ccxt')), '..');
  const full: { ms: number; rssMb: number }[] = [];
  const deep: { ms: number; rssMb: number }[] = [];
  const bare: { ms: number; rssMb: number }[] = [];
  for (let i = 0; i < N; i++) {
    full.push(importCost('ccxt'));
    deep.push(importCost(pathToFileURL(path.join(ccxtRoot, 'js/src/pro/binance.js')).href));
    bare.push(importCost('node:os'));
  }
  // the pieces before the daemon's first log line, and the engine's modules, each timed in a fresh process
  const probes: Record<string, number>[] = [];
  for (let i = 0; i < N; i++) {
    const r = spawnSync(process.execPath, [path.join(here, 'fixtures/startup-probe.mjs')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`startup-probe: ${r.stderr}`);
    probes.push(JSON.parse(r.stdout) as Record<string, number>);
  }
  const load1 = os.loadavg()[0]!;

  const med = (v: Variant, f: (s: Start) => number): number => median(starts.get(v)!.map(f));
  const dReady = med(DIST, (s) => s.readyMs);
  const tReady = med(TSX, (s) => s.readyMs);
  const dHelp = median(help.get(DIST)!);
  const tHelp = median(help.get(TSX)!);
  const rows = [
    ['`npm start` → ready line (ms)', fmt(dReady), fmt(tReady), `${fmt(tReady / dReady, 2)}×`, `≤ ${READY_TARGET_MS}: ${dReady <= READY_TARGET_MS ? 'met' : 'not met'}`],
    ['CPU time of the daemon process to its ready line (ms)', fmt(med(DIST, (s) => s.cpuMs)), fmt(med(TSX, (s) => s.cpuMs)), `${fmt(med(TSX, (s) => s.cpuMs) / med(DIST, (s) => s.cpuMs), 2)}×`, ''],
    ['RSS at the ready line (MB)', fmt(med(DIST, (s) => s.rssReadyMb)), fmt(med(TSX, (s) => s.rssReadyMb)), '', ''],
    [`RSS ${SETTLE_S} s after ready (MB)`, fmt(med(DIST, (s) => s.rssSettledMb)), fmt(med(TSX, (s) => s.rssSettledMb)), '', ''],
    ['`bot4 --help` (ms)', fmt(dHelp), fmt(tHelp), `${fmt(tHelp / dHelp, 2)}×`, `≤ ${HELP_TARGET_MS}: ${dHelp <= HELP_TARGET_MS ? 'met' : 'not met'}`],
    ['`node -e ""` (ms, the floor)', fmt(median(nodeOnly)), '', '', ''],
  ];
  const phaseRows = PHASES.map((p, i) => [p, fmt(med(DIST, (s) => s.phases[i]!)), fmt(med(TSX, (s) => s.phases[i]!))]);
  const probe = (k: string): string => fmt(median(probes.map((p) => p[k]!)), 1);
  const probeRows = [
    ['import bin/build-js.mjs (the stale check)', probe('buildJsImport')],
    ['check dist/ against the sources (one stat per input)', probe('distCheck')],
    ['import dist/cli.js (commander, the command table)', probe('cliImport')],
    ["import the daemon command's modules (config schema: zod, yaml, ...)", probe('daemonModules')],
    ['parse and validate the default config', probe('config')],
    ['import everything else (dist/index.js: engine, simulator, gateway, ccxt binance, native)', probe('engineModules')],
  ];
  const mb = (xs: { rssMb: number }[]): number => median(xs.map((x) => x.rssMb));
  const ms = (xs: { ms: number }[]): number => median(xs.map((x) => x.ms));
  const ccxtRows = [
    ["`import 'ccxt'` (every exchange, before)", fmt(ms(full)), fmt(mb(full) - mb(bare))],
    ['`ccxt/js/src/pro/binance.js` (what bot4 imports now)', fmt(ms(deep)), fmt(mb(deep) - mb(bare))],
  ];
  const md = [
    `Default \`npm start\` workload (embedded two-venue simulator, default strategies), ${N} starts per variant, interleaved, each in a fresh folder with a fresh journal; medians. The peer runs the same sources through tsx (the start path before the compiled build; it already has the lazy CLI and ccxt by class, so the gap to the original start path is larger than shown: see the ccxt table). Load average (1 min) ${load0.toFixed(2)} at the start and ${load1.toFixed(2)} at the end of the run (2 shared cores: other work was running unless both are near 0).`,
    '',
    table(['', 'compiled', 'tsx sources', 'ratio', 'target'], rows),
    '',
    'Where the time goes (median ms per phase, from the daemon\'s own log lines; see bench/startup.bench.ts):',
    '',
    table(['phase', 'compiled', 'tsx sources'], phaseRows),
    '',
    'Inside the first and third phases (bench/fixtures/startup-probe.mjs, plain node on dist/, one fresh process per run, median ms):',
    '',
    table(['piece', 'ms'], probeRows),
    '',
    'ccxt, imported in a fresh process (median; RSS above a bare `node` that imported `node:os`):',
    '',
    table(['import', 'ms', 'RSS MB'], ccxtRows),
  ].join('\n');
  console.log(md);
  writeSection('startup', 'Start-up: compiled build, lazy CLI, ccxt by class', md);
}

function createRequireResolve(id: string): string {
  return spawnSync(process.execPath, ['-p', `require.resolve(${JSON.stringify(id)})`], { cwd: root, encoding: 'utf8' }).stdout.trim();
}

await main();
