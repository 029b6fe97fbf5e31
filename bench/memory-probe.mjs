/**
 * Preloaded into the daemon by bench/memory.bench.ts and bench/daemon-rss.bench.ts (`node
 * --expose-gc --import <this file> bin/bot4.js daemon ...`). Plain JavaScript on purpose: the
 * measured process runs the compiled dist/ as users run it, with no tsx loader in it (a TypeScript
 * probe would pull tsx into the process it measures). Every BOT4_MEM_PROBE_MS (default 10 000) it
 * forces a full GC and sends the bench, over the IPC channel, `process.memoryUsage()` before and
 * after it; on a `{ snapshot: path }` message it writes a V8 heap snapshot there (after a full GC)
 * and answers `{ probe: 'snapshot', path }`. Inert without an IPC channel; never keeps the daemon
 * alive.
 */
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const every = Number(process.env.BOT4_MEM_PROBE_MS ?? 10_000);
const gc = globalThis.gc;
if (process.send !== undefined) {
  const timer = setInterval(() => {
    const before = process.memoryUsage();
    gc?.();
    const after = process.memoryUsage();
    // V8's compiled code (bytecode lives in old space; optimised machine code here): JIT warm-up
    let code = 0;
    for (const sp of getHeapSpaceStatistics()) if (sp.space_name === 'code_space' || sp.space_name === 'code_large_object_space') code += sp.space_used_size;
    process.send?.({
      probe: 'mem',
      atMs: Date.now(),
      rss: before.rss,
      heapUsed: before.heapUsed,
      heapUsedAfterGc: after.heapUsed,
      codeAfterGc: code,
      heapTotal: after.heapTotal,
      external: after.external,
      arrayBuffers: after.arrayBuffers,
      tsx: process.execArgv.join(' ').includes('tsx') || (process.env.NODE_OPTIONS ?? '').includes('tsx'),
      forcedGc: gc !== undefined,
    });
  }, every);
  timer.unref();
  process.on('message', (m) => {
    if (typeof m?.snapshot !== 'string') return;
    gc?.();
    const p = writeHeapSnapshot(m.snapshot);
    process.send?.({ probe: 'snapshot', path: p });
  });
  process.channel?.unref();
}
