/**
 * How bench/memory.bench.ts and bench/daemon-rss.bench.ts start the daemon they measure: the way
 * users run it (`node bin/bot4.js daemon` → the compiled dist/), never through tsx. The benches
 * themselves run under tsx (`npm run bench`), so the child's environment is cleaned of any tsx
 * loader in NODE_OPTIONS, dist/ is brought up to date first (so a rebuild is not part of the
 * measured start), and the probe preloaded into the child is plain JavaScript (memory-probe.mjs).
 *
 * The daemon gets the V8 flags `npm start` gives it (daemon/node-flags.ts); BOT4_BENCH_NODE_FLAGS
 * replaces them (space separated; `none`: Node's defaults), to measure what a flag does to RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS as SHIPPED_FLAGS } from '../daemon/node-flags.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/**
 * Node flags of the measured daemon: those `npm start` passes (daemon/node-flags.ts), or
 * BOT4_BENCH_NODE_FLAGS instead when set (space separated; `none` for Node's defaults).
 */
export const DAEMON_NODE_FLAGS: string[] =
  process.env.BOT4_BENCH_NODE_FLAGS === undefined ? [...SHIPPED_FLAGS] : process.env.BOT4_BENCH_NODE_FLAGS.split(/\s+/).filter((x) => x !== '' && x !== 'none');

/** The bench's environment without a tsx loader in NODE_OPTIONS. */
export function daemonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env.NODE_OPTIONS !== undefined) {
    env.NODE_OPTIONS = env.NODE_OPTIONS.split(/\s+/)
      .filter((x, i, a) => !x.includes('tsx') && !(x === '--import' && (a[i + 1] ?? '').includes('tsx')) && !(x === '--loader' && (a[i + 1] ?? '').includes('tsx')))
      .join(' ');
  }
  return env;
}

/** Rebuilds dist/ when it is stale (the daemon would rebuild it at start otherwise). */
export async function ensureDist(): Promise<void> {
  const build = (await import(path.join(root, 'bin/build-js.mjs'))) as { checkDist: () => { fresh: boolean; reason?: string }; buildDist: () => Promise<{ ms: number }> };
  const s = build.checkDist();
  if (!s.fresh) {
    const r = await build.buildDist();
    console.log(`dist/ was stale (${s.reason}): rebuilt in ${r.ms} ms`);
  }
  statSync(path.join(root, 'dist/cli.js'));
}

/** RSS split from /proc/<pid>/status: anonymous (heaps, malloc), file-backed (code, mapped files), shared memory. */
export function rssParts(status: string): { anonMb: number; fileMb: number; shmemMb: number } {
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { anonMb: kb('RssAnon'), fileMb: kb('RssFile'), shmemMb: kb('RssShmem') };
}

/** VmRSS of `pid` in MB, with its anonymous / file-backed split (from /proc/<pid>/status). */
export function vmRss(pid: number): { rssMb: number; anonMb: number; fileMb: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(st);
  const p = rssParts(st);
  return { rssMb: m === null ? NaN : Number(m[1]) / 1024, anonMb: p.anonMb, fileMb: p.fileMb };
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

/** A measured daemon child (see {@link startProbedDaemon}). */
export interface ProbedDaemon {
  child: ChildProcess;
  /** Its temporary folder (config, token, journal, log). */
  dir: string;
  logFile: string;
  /** The ready line it printed. */
  ready: string;
  /** Seconds from spawn to the ready line. */
  startupS: number;
  /** Exit code once it exited (-1: by a signal), else null. */
  exited(): number | null;
}

/**
 * Starts the compiled daemon with the default config (only the port, journal and token file moved
 * into a fresh temporary folder `<prefix>…`), the flags above, `--expose-gc` and the plain-JS probe
 * sampling every `everyS` seconds; resolves at its ready line (rejects after 120 s or on exit).
 * `extra`: node/V8 flags added after the daemon's own (a diagnostic run, e.g. `--no-opt`).
 */
export async function startProbedDaemon(prefix: string, everyS: number, extra: readonly string[] = []): Promise<ProbedDaemon> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const cfg = path.join(dir, 'bot4.json');
  writeFileSync(cfg, JSON.stringify({ auth: { tokenFile: path.join(dir, 'admin-token') } }));
  const logFile = path.join(dir, 'daemon.log');
  const child = spawn(
    process.execPath,
    [...DAEMON_NODE_FLAGS, ...extra, '--expose-gc', '--import', path.join(here, 'memory-probe.mjs'), path.join(root, 'bin/bot4.js'), 'daemon', '--config', cfg, '--port', '0', '--journal', path.join(dir, 'journal')],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...daemonEnv(), BOT4_LOG_LEVEL: 'warn', BOT4_MEM_PROBE_MS: String(everyS * 1000) } },
  );
  child.stderr!.pipe(createWriteStream(logFile));
  let exited: number | null = null;
  child.on('exit', (c) => (exited = c ?? -1));
  const t0 = Date.now();
  const ready = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('daemon: no ready line within 120 s')), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, i));
      }
    });
    child.once('exit', (c) => reject(new Error(`daemon exited ${c} before ready; log: ${logFile}`)));
  });
  return { child, dir, logFile, ready, startupS: (Date.now() - t0) / 1000, exited: () => exited };
}
