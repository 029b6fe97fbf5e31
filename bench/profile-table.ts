/**
 * Turns a V8 `.cpuprofile` (from `node --cpu-prof`, or the inspector's `Profiler.stop`) into a
 * table of self time by area of the order path, reproducibly:
 *
 *   npx tsx bench/profile-table.ts <file.cpuprofile> [--orders N] [--cpu-us U]
 *
 * Each profile node is assigned an area from its own source URL (and function name for a few
 * built-ins); a node without a URL (a V8 builtin or a native binding such as `JSON.stringify`,
 * `writev`, the HMAC digest) takes its caller's area. Self time per node is the sum of the
 * sampling intervals (`timeDeltas`) of the samples that landed in it. With `--orders N` each area
 * is also given as µs per order (area self time / N).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Areas in table order; the first rule that matches a node names its area. */
export const AREAS: readonly { area: string; test: (url: string, fn: string) => boolean }[] = [
  { area: 'GC', test: (_u, f) => f === '(garbage collector)' },
  { area: 'idle (waiting for work)', test: (_u, f) => f === '(idle)' },
  { area: 'startup (module loading, compiling)', test: (u, f) => u.includes('internal/modules/') || u.includes('/node_modules/tsx/') || u.includes('internal/bootstrap') || f === 'compileSourceTextModule' },
  { area: 'signing (HMAC)', test: (u) => u.includes('internal/crypto/hash') },
  { area: 'framing (JSON frame, WebSocket frame)', test: (u, f) => (u.includes('paper-venue.ts') && (f === 'frame' || f === 'fmtUnits')) || u.includes('/ws/lib/sender') || u.includes('/ws/lib/buffer-util') },
  { area: 'socket (net, stream writes)', test: (u) => u.startsWith('node:net') || u.includes('internal/stream_base_commons') || u.includes('internal/streams/') || u.startsWith('node:stream') },
  { area: 'venue peer replies (ws receive, ack parse)', test: (u, f) => u.includes('/ws/lib/') || (u.includes('paper-venue.ts') && f === 'onAck') },
  { area: 'paper venue (the venue client stand-in: record, ack NEW)', test: (u) => u.includes('paper-venue.ts') },
  { area: 'journal', test: (u) => u.includes('/actors/journal/') || u.startsWith('node:fs') || u.includes('internal/fs/') },
  { area: 'risk', test: (u) => u.includes('/actors/risk/') || u.includes('/native/') },
  { area: 'venue actor / router', test: (u) => u.includes('/actors/exchange/') },
  { area: 'orders (state, store, portfolio)', test: (u) => u.includes('/actors/orders/') },
  { area: 'strategy host', test: (u) => u.includes('/actors/strategy/') },
  { area: 'mailbox / actor runtime', test: (u) => u.includes('/actors/runtime/') || u.includes('/node_modules/xstate/') || u.includes('/actors/messages.ts') },
  { area: 'logging', test: (u) => u.includes('/node_modules/pino') || u.includes('/common/log') },
  { area: 'bench harness (producer, recording)', test: (u) => u.includes('/bench/') || u.includes('hdr-histogram') || u.startsWith('node:inspector') },
  { area: 'event loop, timers, promises', test: (u) => u.includes('internal/timers') || u.includes('internal/process/task_queues') || u.startsWith('node:timers') || u.includes('internal/async_hooks') },
  { area: '(program: native, outside JS)', test: (_u, f) => f === '(program)' },
  { area: 'other', test: () => true },
];

export interface AreaRow {
  area: string;
  cpuUsPerOrder: number | undefined;
  selfUs: number;
  share: number;
  usPerOrder: number | undefined;
  top: string;
}

/**
 * Self time by area of `p` (µs), with the busiest function of each area. Profile time is wall
 * time of the sampled thread: on a loaded machine it includes time the thread waited for a CPU.
 * With `cpuUs` (the process's user + system CPU time over the profiled window) a column scales
 * each busy area to CPU µs per order (its share of the busy samples × cpuUs / orders).
 */
export function profileTable(p: CpuProfile, orders?: number, cpuUs?: number): { rows: AreaRow[]; totalUs: number; busyUs: number; markdown: string } {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const areaOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = areaOf.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const { url, functionName } = n.callFrame;
    let area: string | undefined;
    if (url === '' && !functionName.startsWith('(')) {
      const up = parent.get(id);
      area = up === undefined ? 'other' : resolve(up);
    } else {
      area = AREAS.find((a) => a.test(url, functionName))!.area;
    }
    areaOf.set(id, area);
    return area;
  };
  const selfById = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: the interval ending in sample i.
    const dt = p.timeDeltas[i] ?? 0;
    selfById.set(p.samples[i]!, (selfById.get(p.samples[i]!) ?? 0) + dt);
  }
  const area = new Map<string, number>();
  const fnTime = new Map<string, Map<string, number>>();
  let total = 0;
  for (const [id, us] of selfById) {
    const a = resolve(id);
    area.set(a, (area.get(a) ?? 0) + us);
    total += us;
    const cf = byId.get(id)!.callFrame;
    const name = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-1)[0] ?? ''}`.trim();
    const m = fnTime.get(a) ?? new Map<string, number>();
    m.set(name, (m.get(name) ?? 0) + us);
    fnTime.set(a, m);
  }
  const idle = area.get('idle (waiting for work)') ?? 0;
  const busy = total - idle;
  const rows: AreaRow[] = AREAS.filter((a) => area.has(a.area)).map((a) => {
    const us = area.get(a.area)!;
    const fns = [...(fnTime.get(a.area) ?? new Map<string, number>())].sort((x, y) => y[1] - x[1]).slice(0, 2);
    const cpu = cpuUs === undefined || orders === undefined || orders === 0 || a.area.startsWith('idle') ? undefined : ((us / busy) * cpuUs) / orders;
    return { area: a.area, cpuUsPerOrder: cpu, selfUs: us, share: us / total, usPerOrder: orders === undefined || orders === 0 ? undefined : us / orders, top: fns.map(([n, t]) => `${n} ${((100 * t) / us).toFixed(0)}%`).join(', ') };
  });
  const withCpu = cpuUs !== undefined && orders !== undefined;
  const header = ['area', 'self time', '% of profile', ...(orders === undefined ? [] : ['µs per order (profile)']), ...(withCpu ? ['CPU µs per order'] : []), 'busiest functions (share of the area)'];
  const line = (r: (string | number)[]): string => `| ${r.join(' | ')} |`;
  const md = [
    line(header),
    line(header.map(() => '---')),
    ...rows.map((r) => line([r.area, `${(r.selfUs / 1000).toFixed(1)} ms`, `${(100 * r.share).toFixed(1)} %`, ...(r.usPerOrder === undefined ? [] : [r.usPerOrder.toFixed(2)]), ...(withCpu ? [r.cpuUsPerOrder === undefined ? '–' : r.cpuUsPerOrder.toFixed(2)] : []), r.top])),
    line(['**busy (all but idle)**', `${(busy / 1000).toFixed(1)} ms`, `${((100 * busy) / total).toFixed(1)} %`, ...(orders === undefined ? [] : [`**${(busy / orders).toFixed(2)}**`]), ...(withCpu ? [`**${(cpuUs / orders).toFixed(2)}**`] : []), '']),
  ].join('\n');
  return { rows, totalUs: total, busyUs: busy, markdown: md };
}

/** A V8 sampling heap profile (`HeapProfiler.stopSampling`, or `node --heap-prof`). */
export interface HeapProfile {
  head: HeapNode;
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** Area of a call frame, or undefined for a frame without a URL (it takes its caller's). */
function areaOfFrame(cf: CallFrame): string | undefined {
  if (cf.url === '' && !cf.functionName.startsWith('(')) return undefined;
  return AREAS.find((a) => a.test(cf.url, cf.functionName))!.area;
}

/**
 * Bytes allocated by area from a sampling heap profile taken with objects collected by GC
 * included (`includeObjectsCollectedByMajorGC/MinorGC`), so it counts every allocation, not only
 * what is still alive; with `orders`, bytes per order.
 */
export function heapTable(p: HeapProfile, orders: number): { markdown: string; totalBytes: number } {
  const bytes = new Map<string, number>();
  const fns = new Map<string, Map<string, number>>();
  const walk = (n: HeapNode, inherited: string): void => {
    const area = areaOfFrame(n.callFrame) ?? inherited;
    if (n.selfSize > 0) {
      bytes.set(area, (bytes.get(area) ?? 0) + n.selfSize);
      const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-1)[0] ?? ''}`.trim();
      const m = fns.get(area) ?? new Map<string, number>();
      m.set(name, (m.get(name) ?? 0) + n.selfSize);
      fns.set(area, m);
    }
    for (const c of n.children) walk(c, area);
  };
  walk(p.head, 'other');
  let total = 0;
  for (const v of bytes.values()) total += v;
  const line = (r: (string | number)[]): string => `| ${r.join(' | ')} |`;
  const rows = AREAS.filter((a) => bytes.has(a.area)).map((a) => {
    const b = bytes.get(a.area)!;
    const top = [...fns.get(a.area)!].sort((x, y) => y[1] - x[1]).slice(0, 3);
    return line([a.area, `${(b / orders).toFixed(0)}`, `${((100 * b) / total).toFixed(1)} %`, top.map(([n, v]) => `${n} ${((100 * v) / b).toFixed(0)}%`).join(', ')]);
  });
  const header = ['area', 'bytes allocated per order', '% of allocation', 'where (share of the area)'];
  return { markdown: [line(header), line(header.map(() => '---')), ...rows, line(['**all**', `**${(total / orders).toFixed(0)}**`, '100 %', ''])].join('\n'), totalBytes: total };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: tsx bench/profile-table.ts <file.cpuprofile> [--orders N] [--cpu-us U]');
    process.exit(2);
  }
  const oi = process.argv.indexOf('--orders');
  const orders = oi > 0 ? Number(process.argv[oi + 1]) : undefined;
  const ci = process.argv.indexOf('--cpu-us');
  const cpuUs = ci > 0 ? Number(process.argv[ci + 1]) : undefined;
  if (cpuUs !== undefined && !(cpuUs > 0)) {
    console.error(`--cpu-us: expected a positive number, got ${process.argv[ci + 1]}`);
    process.exit(2);
  }
  if (orders !== undefined && !(orders > 0)) {
    console.error(`--orders: expected a positive number, got ${process.argv[oi + 1]}`);
    process.exit(2);
  }
  console.log(profileTable(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, orders, cpuUs).markdown);
}
