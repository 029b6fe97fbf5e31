/**
 * Daemon memory and heap slope under the default `npm start` workload (issue 16). Runs the real
 * daemon the way users run it (`node bin/bot4.js daemon` → the compiled dist/, no tsx in the
 * process; default config: embedded two-venue simulator, market maker and pairs strategies) as a
 * child on a free port with a fresh journal, with the plain-JS `bench/memory-probe.mjs` preloaded
 * (`--expose-gc`; see bench/memory-daemon.ts): every BOT4_BENCH_MEMORY_EVERY_S (default 10) the probe forces a full
 * GC and reports `process.memoryUsage()`; RSS is read from /proc/<pid>/status (VmRSS) outside.
 *
 * Two heap snapshots (after a full GC), at BOT4_BENCH_MEMORY_SNAP1_S (default 30: the stall of writing
 * a snapshot lands before the slope window) and ~10 s before
 * the end, are diffed by constructor (count and self size) and, for the groups that grew most, by
 * what retains their new objects (the holder's constructor and the edge name): the retainer.
 *
 * A second daemon with `--no-opt` (V8's optimising compiler off; not how bot4 runs) samples the same
 * workload beside it (BOT4_BENCH_MEMORY_NO_OPT=0 turns it off): its slope is what the heap does
 * without TurboFan's code, the diagnostic row of the table.
 *
 * Knobs: BOT4_BENCH_MEMORY_S (run length, default 600), BOT4_BENCH_MEMORY_EVERY_S,
 * BOT4_BENCH_MEMORY_SNAP1_S, BOT4_BENCH_MEMORY_SNAPSHOTS=1 (take the two snapshots; off by default: the
 * snapshot writer adds ~150 MB of RSS that stays, so its RSS figures are not the daemon's), BOT4_BENCH_MEMORY_KEEP=1
 * (keep the temporary directory with the snapshots and the daemon log).
 * Targets: RSS ≤ 150 MB (end and max); post-GC heap slope |…| < 0.1 MB/min after the first minute.
 * Run: npm run bench memory (10 minutes; BOT4_BENCH_MEMORY_S=240 for a short check)
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { table, writeSection } from './report.js';
import { DAEMON_NODE_FLAGS, ensureDist, slope, startProbedDaemon, vmRss, type ProbedDaemon } from './memory-daemon.js';
import { bytesPerClosedOrder } from './memory-closed-orders.js';

const DURATION_S = Number(process.env.BOT4_BENCH_MEMORY_S ?? 600);
const EVERY_S = Number(process.env.BOT4_BENCH_MEMORY_EVERY_S ?? 10);
const SNAP1_S = Number(process.env.BOT4_BENCH_MEMORY_SNAP1_S ?? 30);
// off by default: writing a heap snapshot grows the daemon's RSS by ~150 MB (the writer's malloc
// memory, not returned to the system), which would swamp the RSS figures of the same run
const SNAPSHOTS = process.env.BOT4_BENCH_MEMORY_SNAPSHOTS === '1';
const KEEP = process.env.BOT4_BENCH_MEMORY_KEEP === '1';
// on by default: a second daemon with V8's optimising compiler off (`--no-opt`), same workload, same
// run, shows how much of the slope is the JIT's code (0 turns it off)
const NO_OPT = process.env.BOT4_BENCH_MEMORY_NO_OPT !== '0';
const RSS_TARGET_MB = 150;
const SLOPE_TARGET = 0.1;
const WARMUP_S = 60;
const MB = 1024 * 1024;

interface Sample {
  t: number;
  rssMb: number;
  heapAfterGcMb?: number;
  /** V8 code space after the GC (optimised machine code). */
  codeMb?: number;
  externalMb?: number;
  anonMb?: number;
  fileMb?: number;
  checked?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- heap snapshot summary ------------------------------------------------------------------------

interface Snapshot {
  /** group key of each node ('Map', '(string)', 'closure foo', …) */
  key: string[];
  id: Int32Array | Float64Array;
  size: Float64Array;
  edgeFrom: Int32Array;
  edgeTo: Int32Array;
  edgeName: string[];
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function loadSnapshot(file: string): Snapshot {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const m = raw.snapshot.meta;
  const nf = m.node_fields.length;
  const ef = m.edge_fields.length;
  const fType = m.node_fields.indexOf('type');
  const fName = m.node_fields.indexOf('name');
  const fId = m.node_fields.indexOf('id');
  const fSize = m.node_fields.indexOf('self_size');
  const fEdges = m.node_fields.indexOf('edge_count');
  const eType = m.edge_fields.indexOf('type');
  const eName = m.edge_fields.indexOf('name_or_index');
  const eTo = m.edge_fields.indexOf('to_node');
  const types = m.node_types[0];
  const etypes = m.edge_types[0];
  const n = raw.nodes.length / nf;
  const key: string[] = new Array<string>(n);
  const id = new Float64Array(n);
  const size = new Float64Array(n);
  const edgeCount = raw.edges.length / ef;
  const edgeFrom = new Int32Array(edgeCount);
  const edgeTo = new Int32Array(edgeCount);
  const edgeName: string[] = new Array<string>(edgeCount);
  let e = 0;
  for (let i = 0; i < n; i++) {
    const b = i * nf;
    const t = types[raw.nodes[b + fType]!]!;
    const name = raw.strings[raw.nodes[b + fName]!]!;
    key[i] = t === 'object' || t === 'native' ? name : t === 'closure' ? `closure ${name || '(anonymous)'}` : `(${t})`;
    id[i] = raw.nodes[b + fId]!;
    size[i] = raw.nodes[b + fSize]!;
    const ec = raw.nodes[b + fEdges]!;
    for (let k = 0; k < ec; k++, e++) {
      const eb = e * ef;
      edgeFrom[e] = i;
      edgeTo[e] = raw.edges[eb + eTo]! / nf;
      const et = etypes[raw.edges[eb + eType]!]!;
      const nm = raw.edges[eb + eName]!;
      edgeName[e] = et === 'element' || et === 'hidden' ? `[${et}]` : et === 'weak' ? '[weak]' : String(raw.strings[nm] ?? nm);
    }
  }
  return { key, id, size, edgeFrom, edgeTo, edgeName };
}

interface Group {
  count: number;
  size: number;
}

function groups(s: Snapshot): Map<string, Group> {
  const g = new Map<string, Group>();
  for (let i = 0; i < s.key.length; i++) {
    const x = g.get(s.key[i]!) ?? { count: 0, size: 0 };
    x.count++;
    x.size += s.size[i]!;
    g.set(s.key[i]!, x);
  }
  return g;
}

/**
 * What both walks below need: which nodes of `b` are new (id not in `a`), each node's first strong
 * retaining edge, and an edge's `Holder.edge` label.
 */
function newNodes(a: Snapshot, b: Snapshot): { n: number; isNew: Uint8Array; firstRet: Int32Array; label: (e: number) => string } {
  const old = new Set<number>();
  for (let i = 0; i < a.id.length; i++) old.add(a.id[i]!);
  const n = b.key.length;
  const isNew = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (!old.has(b.id[i]!)) isNew[i] = 1;
  const firstRet = new Int32Array(n).fill(-1);
  for (let e = 0; e < b.edgeTo.length; e++) {
    const to = b.edgeTo[e]!;
    if (firstRet[to] === -1 && b.edgeName[e] !== '[weak]') firstRet[to] = e;
  }
  return { n, isNew, firstRet, label: (e) => `${b.key[b.edgeFrom[e]!]}.${b.edgeName[e]}` };
}

/**
 * For the nodes of `keys` that are new in `b` (id not in `a`): walks up from each through its first
 * strong retainer while the holder is new too, and counts where the chain enters the old heap:
 * `Holder.edge ← Holder's own holder.edge` → objects. That names what keeps accumulating them.
 */
function retainers(a: Snapshot, b: Snapshot, keys: Set<string>): Map<string, Map<string, number>> {
  const { n, isNew, firstRet, label } = newNodes(a, b);
  const out = new Map<string, Map<string, number>>();
  for (let i = 0; i < n; i++) {
    if (isNew[i] !== 1 || !keys.has(b.key[i]!)) continue;
    let x = i;
    let e = firstRet[x]!;
    for (let hops = 0; e >= 0 && isNew[b.edgeFrom[e]!] === 1 && hops < 50; hops++) {
      x = b.edgeFrom[e]!;
      e = firstRet[x]!;
    }
    if (e < 0) continue;
    const holder = b.edgeFrom[e]!;
    const up = firstRet[holder]!;
    const up2 = up >= 0 ? firstRet[b.edgeFrom[up]!]! : -1;
    const where = `${label(e)} ← ${up >= 0 ? label(up) : '(root)'} ← ${up2 >= 0 ? label(up2) : '(root)'}`;
    const m = out.get(b.key[i]!) ?? new Map<string, number>();
    m.set(where, (m.get(where) ?? 0) + 1);
    out.set(b.key[i]!, m);
  }
  return out;
}

/** Self size of every node new in `b`, summed by where its retainer chain enters the old heap (top `k`). */
function anchors(a: Snapshot, b: Snapshot, k: number): (string | number)[][] {
  const { n, isNew, firstRet, label } = newNodes(a, b);
  const by = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < n; i++) {
    if (isNew[i] !== 1) continue;
    let e = firstRet[i]!;
    for (let hops = 0; e >= 0 && isNew[b.edgeFrom[e]!] === 1 && hops < 100; hops++) e = firstRet[b.edgeFrom[e]!]!;
    let where = '(unreachable)';
    if (e >= 0) {
      const up = firstRet[b.edgeFrom[e]!]!;
      where = `${label(e)} ← ${up >= 0 ? label(up) : '(root)'}`;
    }
    const x = by.get(where) ?? { count: 0, size: 0 };
    x.count++;
    x.size += b.size[i]!;
    by.set(where, x);
  }
  return [...by].sort((p, q) => q[1].size - p[1].size).slice(0, k).map(([w, x]) => [`\`${w.slice(0, 150)}\``, x.count, (x.size / 1024).toFixed(1)]);
}

interface Diff {
  rows: (string | number)[][];
  retainerLines: string[];
  anchorRows: (string | number)[][];
}

function diffSnapshots(f1: string, f2: string): Diff {
  const a = loadSnapshot(f1);
  const b = loadSnapshot(f2);
  const ga = groups(a);
  const gb = groups(b);
  const all = new Set([...ga.keys(), ...gb.keys()]);
  const d = [...all].map((k) => {
    const x = ga.get(k) ?? { count: 0, size: 0 };
    const y = gb.get(k) ?? { count: 0, size: 0 };
    return { k, dc: y.count - x.count, ds: y.size - x.size, c2: y.count, s2: y.size };
  });
  d.sort((p, q) => q.ds - p.ds);
  const top = d.slice(0, 15);
  const rows = top.map((x) => [`\`${x.k.slice(0, 60)}\``, x.dc, (x.ds / 1024).toFixed(1), x.c2, (x.s2 / 1024).toFixed(1)]);
  const rk = new Set(top.slice(0, 6).filter((x) => x.ds > 0).map((x) => x.k));
  const ret = retainers(a, b, rk);
  const retainerLines: string[] = [];
  for (const k of rk) {
    const m = ret.get(k);
    if (m === undefined) continue;
    const best = [...m].sort((p, q) => q[1] - p[1]).slice(0, 4);
    retainerLines.push(`- new \`${k.slice(0, 60)}\` enter the old heap at: ${best.map(([h, c]) => `\`${h.slice(0, 160)}\` ×${c}`).join(', ')}`);
  }
  return { rows, retainerLines, anchorRows: anchors(a, b, 15) };
}

interface SampledRun {
  samples: Sample[];
  snaps: { t: number; file: string }[];
  ranS: number;
  diedEarly: boolean;
  tsxSeen: boolean;
}

/** Samples one probed daemon every EVERY_S for DURATION_S (heap snapshots on the way when asked), then stops it. */
async function sampleDaemon(d: ProbedDaemon, snapshots: boolean, tag: string): Promise<SampledRun> {
  const { child, dir, ready } = d;
  const metricsUrl = /metrics=(\S+)/.exec(ready)?.[1];
  let lastProbe: { heapUsedAfterGc: number; codeAfterGc?: number; external: number; tsx: boolean } | undefined;
  let tsxSeen = false;
  let snapDone: ((p: string) => void) | undefined;
  child.on('message', (m: { probe?: string; heapUsedAfterGc: number; codeAfterGc?: number; external: number; tsx: boolean; path?: string }) => {
    if (m.probe === 'mem') {
      lastProbe = m;
      if (m.tsx) tsxSeen = true;
    }
    if (m.probe === 'snapshot' && snapDone !== undefined) snapDone(m.path!);
  });
  const snapshot = async (name: string): Promise<string> => {
    const p = path.join(dir, name);
    const done = new Promise<string>((r) => (snapDone = r));
    child.send({ snapshot: p });
    return done;
  };
  const snap2S = Math.max(SNAP1_S + EVERY_S, DURATION_S - 10);
  const snaps: { t: number; file: string }[] = [];
  const samples: Sample[] = [];
  const tStart = Date.now();
  for (let k = 0; ; k++) {
    const due = tStart + k * EVERY_S * 1000;
    if (due - tStart > DURATION_S * 1000 || d.exited() !== null) break;
    await sleep(Math.max(0, due - Date.now()));
    if (d.exited() !== null) break;
    const t = (Date.now() - tStart) / 1000;
    const s: Sample = { t, ...vmRss(child.pid!) };
    if (lastProbe !== undefined) {
      s.heapAfterGcMb = lastProbe.heapUsedAfterGc / MB;
      if (lastProbe.codeAfterGc !== undefined) s.codeMb = lastProbe.codeAfterGc / MB;
      s.externalMb = lastProbe.external / MB;
    }
    if (metricsUrl !== undefined) {
      try {
        const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
        const mm = /^bot4_engine_orders_checked_total (\d+)/m.exec(text);
        if (mm !== null) s.checked = Number(mm[1]);
      } catch {
        // counted as a missing figure
      }
    }
    samples.push(s);
    console.log(`${tag}t=${t.toFixed(0)} s rss=${s.rssMb.toFixed(1)} MB (anon ${s.anonMb!.toFixed(1)} file ${s.fileMb!.toFixed(1)}) heapAfterGc=${s.heapAfterGcMb?.toFixed(2) ?? '-'} MB code=${s.codeMb?.toFixed(2) ?? '-'} MB external=${s.externalMb?.toFixed(1) ?? '-'} MB checked=${s.checked ?? '-'}`);
    if (snapshots && ((snaps.length === 0 && t >= SNAP1_S) || (snaps.length === 1 && t >= snap2S))) {
      snaps.push({ t, file: await snapshot(`heap-${snaps.length + 1}.heapsnapshot`) });
      console.log(`heap snapshot ${snaps.length} at t=${t.toFixed(0)} s`);
    }
  }
  const ranS = (Date.now() - tStart) / 1000;
  const diedEarly = d.exited() !== null;
  child.kill('SIGTERM');
  for (let i = 0; i < 300 && d.exited() === null; i++) await sleep(100);
  return { samples, snaps, ranS, diedEarly, tsxSeen };
}

/** Post-GC heap slope (MB/min) after WARMUP_S. */
function heapSlopeOf(samples: Sample[]): number {
  const late = samples.filter((s) => s.heapAfterGcMb !== undefined && s.t >= WARMUP_S);
  return slope(late.map((s) => s.t / 60), late.map((s) => s.heapAfterGcMb!));
}

// --- run -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const only = process.env.BOT4_BENCH_MEMORY_DIFF;
  if (only !== undefined) {
    // diff two kept snapshots only: BOT4_BENCH_MEMORY_DIFF=<dir of a BOT4_BENCH_MEMORY_KEEP=1 run>
    const d = diffSnapshots(path.join(only, 'heap-1.heapsnapshot'), path.join(only, 'heap-2.heapsnapshot'));
    console.log([table(['constructor / type', 'Δ count', 'Δ self size (KiB)', 'count at 2nd', 'self size at 2nd (KiB)'], d.rows), '', ...d.retainerLines, '', table(['new objects enter the old heap at (holder.edge ← its holder.edge)', 'objects', 'self size (KiB)'], d.anchorRows)].join('\n'));
    return;
  }
  await ensureDist();
  // the diagnostic daemon (same workload, V8's optimising compiler off) runs beside the measured one
  const diag = NO_OPT ? await startProbedDaemon('bot4-bench-memory-noopt-', EVERY_S, ['--no-opt']) : undefined;
  const d = await startProbedDaemon('bot4-bench-memory-', EVERY_S);
  const { child, dir, startupS } = d;
  try {
    console.log(`daemon ready in ${startupS.toFixed(1)} s (pid ${child.pid}); sampling every ${EVERY_S} s for ${DURATION_S} s${diag !== undefined ? `; diagnostic daemon with --no-opt: pid ${diag.child.pid}` : ''}`);
    const [run, diagRun] = await Promise.all([sampleDaemon(d, SNAPSHOTS, ''), diag === undefined ? undefined : sampleDaemon(diag, false, '[--no-opt] ')]);
    const { samples, snaps, ranS, diedEarly, tsxSeen } = run;
    const withHeap = samples.filter((s) => s.heapAfterGcMb !== undefined);
    const late = withHeap.filter((s) => s.t >= WARMUP_S);
    const heapSlope = slope(late.map((s) => s.t / 60), late.map((s) => s.heapAfterGcMb!));
    const withCode = late.filter((s) => s.codeMb !== undefined);
    const codeSlope = withCode.length >= 2 ? slope(withCode.map((s) => s.t / 60), withCode.map((s) => s.codeMb!)) : NaN;
    const restSlope = withCode.length >= 2 ? slope(withCode.map((s) => s.t / 60), withCode.map((s) => s.heapAfterGcMb! - s.codeMb!)) : NaN;
    const rss = samples.map((s) => s.rssMb);
    const maxRss = Math.max(...rss);
    const endRss = rss[rss.length - 1]!;
    const f = (x: number | undefined, d = 1): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
    const ok = (b: boolean): string => (b ? 'met' : 'NOT met');
    const rows = [
      ['RSS (VmRSS)', f(rss[0]), f(endRss), f(maxRss), '', `≤ ${RSS_TARGET_MB} MB end and max: ${ok(endRss <= RSS_TARGET_MB && maxRss <= RSS_TARGET_MB)}`],
      ['heapUsed after full GC', f(withHeap[0]?.heapAfterGcMb), f(withHeap[withHeap.length - 1]?.heapAfterGcMb), f(Math.max(...withHeap.map((s) => s.heapAfterGcMb!))), `${f(heapSlope, 3)} MB/min`, `|slope| < ${SLOPE_TARGET} MB/min after ${WARMUP_S} s: ${ok(Math.abs(heapSlope) < SLOPE_TARGET)}`],
    ];
    const codes = withHeap.filter((s) => s.codeMb !== undefined);
    if (codes.length >= 2) {
      rows.push(['└ of which V8 code space (optimised machine code: JIT warm-up)', f(codes[0]!.codeMb, 2), f(codes[codes.length - 1]!.codeMb, 2), f(Math.max(...codes.map((s) => s.codeMb!)), 2), `${f(codeSlope, 3)} MB/min`, 'diagnostic']);
      rows.push(['└ heap without the code space', f(codes[0]!.heapAfterGcMb! - codes[0]!.codeMb!), f(codes[codes.length - 1]!.heapAfterGcMb! - codes[codes.length - 1]!.codeMb!), f(Math.max(...codes.map((s) => s.heapAfterGcMb! - s.codeMb!))), `${f(restSlope, 3)} MB/min`, 'diagnostic (the target is judged on the row above)']);
    }
    if (diagRun !== undefined) {
      const dh = diagRun.samples.filter((s) => s.heapAfterGcMb !== undefined);
      const ds = heapSlopeOf(diagRun.samples);
      const dc = dh.filter((s) => s.codeMb !== undefined);
      const dChecked = diagRun.samples.filter((s) => s.checked !== undefined);
      const dOrders = dChecked.length >= 2 ? dChecked[dChecked.length - 1]!.checked! - dChecked[0]!.checked! : undefined;
      rows.push([
        `diagnostic, same run and workload: a second daemon with V8's optimising compiler off (\`--no-opt\`; not how bot4 runs)${dOrders !== undefined ? `, ${dOrders} orders checked` : ''}${diagRun.diedEarly ? ' — EXITED EARLY' : ''}`,
        f(dh[0]?.heapAfterGcMb),
        f(dh[dh.length - 1]?.heapAfterGcMb),
        f(Math.max(...dh.map((s) => s.heapAfterGcMb!))),
        `${f(ds, 3)} MB/min`,
        `what the heap does without TurboFan's code (its code space ${f(dc[0]?.codeMb, 2)} → ${f(dc[dc.length - 1]?.codeMb, 2)} MB)`,
      ]);
    }
    const checked = samples.filter((s) => s.checked !== undefined);
    const diagNote =
      diagRun === undefined
        ? []
        : [
            `- The diagnostic row runs the same daemon and workload beside the measured one with \`--no-opt\` (TurboFan off): its slope, ${f(heapSlopeOf(diagRun.samples), 3)} MB/min against ${f(heapSlope, 3)}, is what the heap does without the optimising compiler's output; the difference is TurboFan's code (code space) and what it keeps in the old space (deoptimisation data, relocation info): JIT warm-up at the demo's few orders per second, flat after ~20 minutes (docs/daemon.md, "What still grows").`,
          ];
    const asObjects = bytesPerClosedOrder(10_000);
    const packed = bytesPerClosedOrder(0);
    const lines = [
      `Default \`npm start\` workload (\`node bin/bot4.js daemon\`: the compiled dist/, ${tsxSeen ? 'BUT tsx was in the daemon process' : 'no tsx in the daemon process'}${DAEMON_NODE_FLAGS.length > 0 ? `, node flags \`${DAEMON_NODE_FLAGS.join(' ')}\`` : ''}; default config; only the port, journal and token file moved to a temporary directory), ${samples.length} samples every ${EVERY_S} s over ${ranS.toFixed(0)} s (BOT4_BENCH_MEMORY_S=${DURATION_S})${diedEarly ? ` — the daemon EXITED EARLY (code ${d.exited()})` : ''}. Start-up to the ready line: ${startupS.toFixed(1)} s.`,
      '',
      table(['figure', 'start (MB)', 'end (MB)', 'max (MB)', `slope after ${WARMUP_S} s`, 'target'], rows),
      '',
      `- Workload: ${checked.length >= 2 ? `${checked[checked.length - 1]!.checked! - checked[0]!.checked!} orders checked by risk during the sampling` : 'orders-checked counter not read'}. The probe's forced full GC every ${EVERY_S} s is the only change to the workload; post-GC heapUsed is the retained heap.`,
      ...diagNote,
      `- Engine order table, memory per closed order (10,000 demo-shaped closed orders in an \`OrderStore\`, in the bench process): ${asObjects.heap.toFixed(0)} B of heap as objects; packed ${packed.heap.toFixed(0)} B of heap + ${packed.offHeap.toFixed(0)} B outside it (records of ${packed.records.toFixed(0)} B on average in one buffer, id indexes in typed arrays: \`ClosedTable\`; buffers at their doubling capacity) = ${((packed.heap + packed.offHeap) / asObjects.heap * 100).toFixed(0)} %; the daemon keeps the newest 256 closed as objects and packs the rest (bench/memory-closed-orders.ts).`,
    ];
    if (snaps.length === 2) {
      const diff = diffSnapshots(snaps[0]!.file, snaps[1]!.file);
      lines.push('', `Heap snapshots at t=${snaps[0]!.t.toFixed(0)} s and t=${snaps[1]!.t.toFixed(0)} s (each after a full GC), groups by constructor, largest growth first:`, '');
      lines.push(table(['constructor / type', 'Δ count', 'Δ self size (KiB)', 'count at 2nd', 'self size at 2nd (KiB)'], diff.rows));
      lines.push('', 'Where the objects new in the second snapshot hang on the old heap (retainer chain walked up through new objects; holder constructor and edge, then its holder), by self size:', '');
      lines.push(table(['new objects enter the old heap at (holder.edge ← its holder.edge)', 'objects', 'self size (KiB)'], diff.anchorRows));
      lines.push('', 'The same for the groups that grew most:', '', ...diff.retainerLines);
    }
    const every60 = samples.filter((_, i) => i % Math.max(1, Math.round(60 / EVERY_S)) === 0 || i === samples.length - 1);
    lines.push('', table(['t (s)', 'RSS (MB)', 'RssAnon (MB)', 'RssFile (MB)', 'heapUsed after GC (MB)', 'external (MB)', 'orders checked'], every60.map((s) => [s.t.toFixed(0), f(s.rssMb), f(s.anonMb), f(s.fileMb), f(s.heapAfterGcMb, 2), f(s.externalMb), s.checked ?? '-'])));
    const md = lines.join('\n');
    console.log(md);
    writeSection('memory', 'Daemon memory: RSS and post-GC heap slope, heap snapshot diff', md);
  } finally {
    if (d.exited() === null) child.kill('SIGKILL');
    if (diag !== undefined) {
      if (diag.exited() === null) diag.child.kill('SIGKILL');
      rmSync(diag.dir, { recursive: true, force: true });
    }
    if (KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
