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
import { statSync } from 'node:fs';
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
