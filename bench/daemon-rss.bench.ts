/**
 * Daemon memory under the default `npm start` workload (issue "Gateway and daemon"). Runs the real
 * daemon — `node bin/bot4.js daemon`, default config: embedded two-venue simulator, market maker
 * and pairs strategies — for BOT4_BENCH_DAEMON_RSS_S seconds (default 600) on a free port with a
 * fresh journal, and every BOT4_BENCH_DAEMON_RSS_EVERY_S (default 10) samples:
 * - RSS from /proc/<pid>/status (VmRSS), from outside the process;
 * - heapUsed before and after a full GC, from bench/memory-probe.mjs (plain JS: no tsx in the measured
 *   process) preloaded into the compiled daemon (see bench/memory-daemon.ts) (the daemon's /metrics has no heap figures);
 * - /metrics (scraped as Prometheus would), for the orders checked by risk: proof the workload runs.
 * Targets (issue 16): RSS ≤ 150 MB for the whole run; flat heap, judged here as a least-squares slope of the
 * post-GC heapUsed (after the first minute) below 0.1 MB/min, i.e. < 1 MB per 10 minutes.
 * Run: npm run bench daemon-rss (10 minutes; set BOT4_BENCH_DAEMON_RSS_S for a shorter check)
 */
import { readFileSync, rmSync } from 'node:fs';
import { table, writeSection } from './report.js';
import { DAEMON_NODE_FLAGS, ensureDist, slope, startProbedDaemon, vmRss } from './memory-daemon.js';

const DURATION_S = Number(process.env.BOT4_BENCH_DAEMON_RSS_S ?? 600);
const EVERY_S = Number(process.env.BOT4_BENCH_DAEMON_RSS_EVERY_S ?? 10);
const RSS_TARGET_MB = 150;
const SLOPE_TARGET_MB_PER_MIN = 0.1;
const WARMUP_S = 60;
const MB = 1024 * 1024;

interface Sample {
  t: number;
  rssMb: number;
  heapMb?: number;
  heapAfterGcMb?: number;
  checked?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  await ensureDist();
  const d = await startProbedDaemon('bot4-bench-daemon-rss-', EVERY_S);
  const { child, dir, logFile, ready, startupS } = d;
  const metricsUrl = /metrics=(\S+)/.exec(ready)![1]!;
  console.log(`daemon ready in ${startupS.toFixed(1)} s (pid ${child.pid}); sampling every ${EVERY_S} s for ${DURATION_S} s`);

  const samples: Sample[] = [];
  let lastProbe: { heapUsed: number; heapUsedAfterGc: number } | undefined;
  child.on('message', (m: { probe?: string; heapUsed: number; heapUsedAfterGc: number }) => {
    if (m.probe === 'mem') lastProbe = m;
  });
  const tStart = Date.now();
  let scrapeFailures = 0;
  for (let k = 0; ; k++) {
    const due = tStart + k * EVERY_S * 1000;
    if (due - tStart > DURATION_S * 1000 || d.exited() !== null) break;
    await sleep(Math.max(0, due - Date.now()));
    if (d.exited() !== null) break;
    const s: Sample = { t: (Date.now() - tStart) / 1000, rssMb: vmRss(child.pid!).rssMb };
    // the probe fires on its own 10 s timer: use its latest report (at most one interval old)
    if (lastProbe !== undefined) {
      s.heapMb = lastProbe.heapUsed / MB;
      s.heapAfterGcMb = lastProbe.heapUsedAfterGc / MB;
    }
    try {
      const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
      const m = /^bot4_engine_orders_checked_total (\d+)/m.exec(text);
      if (m !== null) s.checked = Number(m[1]);
    } catch {
      scrapeFailures++;
    }
    samples.push(s);
    if (k % 6 === 0) console.log(`t=${s.t.toFixed(0)} s rss=${s.rssMb.toFixed(1)} MB heapAfterGc=${s.heapAfterGcMb?.toFixed(1) ?? '-'} MB checked=${s.checked ?? '-'}`);
  }
  const ranS = (Date.now() - tStart) / 1000;
  const diedEarly = d.exited() !== null;
  const t1 = Date.now();
  child.kill('SIGTERM');
  for (let i = 0; i < 300 && d.exited() === null; i++) await sleep(100);
  const stopS = (Date.now() - t1) / 1000;
  if (d.exited() === null) child.kill('SIGKILL');
  const logText = readFileSync(logFile, 'utf8');
  const errorLines = logText.split('\n').filter((l) => /"level":(50|60)/.test(l)).length;

  const rss = samples.map((s) => s.rssMb);
  const withHeap = samples.filter((s) => s.heapAfterGcMb !== undefined);
  const late = withHeap.filter((s) => s.t >= WARMUP_S);
  const fit = late.length >= 2 ? late : withHeap;
  const heapSlope = slope(fit.map((s) => s.t / 60), fit.map((s) => s.heapAfterGcMb!));
  const rssFit = samples.filter((s) => s.t >= WARMUP_S);
  const rssSlope = slope((rssFit.length >= 2 ? rssFit : samples).map((s) => s.t / 60), (rssFit.length >= 2 ? rssFit : samples).map((s) => s.rssMb));
  const maxRss = Math.max(...rss);
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const firstH = withHeap[0];
  const lastH = withHeap[withHeap.length - 1];
  const f = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));
  const rows: (string | number)[][] = [
    ['RSS (VmRSS)', f(first.rssMb), f(last.rssMb), f(maxRss), `${rssSlope.toFixed(3)} MB/min`, `≤ ${RSS_TARGET_MB} MB: ${maxRss <= RSS_TARGET_MB ? 'met' : 'NOT met'} (max)`],
    ['heapUsed after full GC', f(firstH?.heapAfterGcMb), f(lastH?.heapAfterGcMb), f(Math.max(...withHeap.map((s) => s.heapAfterGcMb!))), `${heapSlope.toFixed(3)} MB/min`, `flat (|slope| < ${SLOPE_TARGET_MB_PER_MIN} MB/min): ${Math.abs(heapSlope) < SLOPE_TARGET_MB_PER_MIN ? 'met' : 'NOT met'}`],
    ['heapUsed (no GC)', f(firstH?.heapMb), f(lastH?.heapMb), f(Math.max(...withHeap.map((s) => s.heapMb!))), '', ''],
  ];
  const checked = samples.filter((s) => s.checked !== undefined);
  const ordersLine =
    checked.length >= 2
      ? `Workload: ${checked[checked.length - 1]!.checked! - checked[0]!.checked!} orders checked by risk during the sampling (${checked[checked.length - 1]!.checked} since start).`
      : 'Workload: orders-checked counter not read from /metrics.';
  const every60 = samples.filter((_, i) => i % Math.max(1, Math.round(60 / EVERY_S)) === 0 || i === samples.length - 1);
  const md = [
    `Default \`npm start\` workload (\`node bin/bot4.js daemon\`: the compiled dist/${DAEMON_NODE_FLAGS.length > 0 ? `, node flags \`${DAEMON_NODE_FLAGS.join(' ')}\`` : ''}; default config; only the port (0), journal directory and token file moved to a temporary directory), ` +
      `${samples.length} samples every ${EVERY_S} s over ${ranS.toFixed(0)} s (target duration ${DURATION_S} s)${diedEarly ? ` — the daemon EXITED EARLY (code ${d.exited()})` : ''}. Start-up to the ready line: ${startupS.toFixed(1)} s.`,
    '',
    table(['figure', 'start (MB)', 'end (MB)', 'max (MB)', `slope after ${WARMUP_S} s`, 'target'], rows),
    '',
    `- ${ordersLine} /metrics scrape failures: ${scrapeFailures}. Error/fatal log lines: ${errorLines}. SIGTERM to exit: ${stopS.toFixed(1)} s, exit code ${String(d.exited())}.`,
    '- heapUsed is reported by a probe preloaded into the daemon (`bench/memory-probe.mjs`, plain JS: the daemon runs the compiled dist/ with no tsx in its process) that forces a full GC at each sample (every ' +
      `${EVERY_S} s): post-GC heapUsed is the retained heap, the figure a leak moves. The forced GC is the only change to the workload.`,
    '',
    table(['t (s)', 'RSS (MB)', 'heapUsed after GC (MB)', 'orders checked'], every60.map((s) => [s.t.toFixed(0), f(s.rssMb), f(s.heapAfterGcMb), s.checked ?? '-'])),
  ].join('\n');
  console.log(md);
  writeSection('daemon-rss', 'Daemon memory over time (default workload)', md);
  rmSync(dir, { recursive: true, force: true });
}

await main();
