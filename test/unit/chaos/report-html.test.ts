import assert from 'node:assert/strict';
import type { EngineStatsLine } from '../../../chaos/engine-process.js';
import type { ExecutedFault, OrderHistoryView } from '../../../chaos/metrics.js';
import { renderReportHtml, tickStepS } from '../../../chaos/report-html.js';
import type { ChaosReport } from '../../../chaos/runner.js';
import { latencyPerSecond, outcomesPerSecond, pnlSeries, reportSeries } from '../../../chaos/time-series.js';

/*
 * A small recorded run (12 s: an http-5xx outage on sim-a from 3 s to 5 s), as the runner keeps it:
 * STATS samples every 500 ms, two faults, a few journaled orders. The report must draw it on a time
 * axis in seconds with the faults labelled, and carry latency, PnL and position series.
 */
const T0 = Date.UTC(2026, 11, 5, 1, 0, 0);

function stat(i: number): EngineStatsLine {
  const t = T0 + i * 500;
  const down = t >= T0 + 3000 && t < T0 + 5000;
  return {
    t,
    pid: 100,
    rssMb: 120,
    heapMb: 40,
    orders: i * 2,
    open: 1,
    unknownOpen: 0,
    venues: {
      'sim-a': { state: down ? 'degraded' : 'running', breaker: down ? 'open' : 'closed', submitted: i * 2, accepted: i * 2 - (down ? 1 : 0), rejected: 0, denied: down ? i : 0, unknown: 0, resolved: 0, downs: down ? 1 : 0, lastRecoveryMs: 0 },
    },
    positions: { 'sim-a:BTC/USDT': i % 6 },
    pnl: { realized: i * 0.5, unrealized: (i % 3) - 1, fees: i * 0.01 },
  };
}

const stats = Array.from({ length: 25 }, (_, i) => stat(i));
const faults: ExecutedFault[] = [
  { seq: 0, kind: 'outage', atMs: 3000, t: T0 + 3004, venue: 'sim-a', mode: 'http-5xx', label: 'sim-a http-5xx' },
  { seq: 1, kind: 'outage-end', atMs: 5000, t: T0 + 5003, venue: 'sim-a', recovery: 'outage', label: 'sim-a heal' },
];
const order = (submitMs: number, answerMs: number, to = 'accepted'): OrderHistoryView => ({
  intent: { venue: 'sim-a' },
  history: [
    { tNs: (T0 + submitMs) * 1e6, event: 'submit', from: 'initialized', to: 'submitted' },
    { tNs: (T0 + answerMs) * 1e6, event: 'ack', from: 'submitted', to },
  ],
});
const orders = [order(100, 104), order(300, 310), order(900, 1000), order(2100, 2102), order(2500, 2600, 'unknown'), order(6200, 6203)];

function report(): ChaosReport {
  return {
    scenario: 'venue-outage',
    description: 'CI variant of venue-outage: 12.0s of timeline, seed 1, on 1 simulated venue (network profile none). Faults, in timeline order: (1) at 3 s: sim-a outage http-5xx for 2 s.',
    about: 'The full scenario: every outage mode in turn.',
    ci: true,
    seed: 1,
    speed: 1,
    durationMs: 12_000,
    startedAt: new Date(T0).toISOString(),
    wallMs: 14_000,
    verdict: 'pass',
    checks: [{ name: 'lost orders', expected: '0', actual: '0', ok: true }],
    hashes: { plan: 'a'.repeat(64), networkEvents: 'b'.repeat(64), eventLog: 'c'.repeat(64) },
    plan: [],
    faults,
    networkEvents: 4,
    engine: { starts: 1, kills: 0, actorKills: 0, maxRssMb: 120, settledLeft: [], health: { startFailures: [], unplannedExits: [], stalls: [] }, unhandledRejectionCount: 0, unhandledRejections: [] },
    orders: { total: 6, ok: 5, failed: 0, unknownResolved: 1, anomalous: 0, perVenueAccepted: { 'sim-a': 5 } },
    ledger: { counts: { ok: 5, failed: 0, unknownResolved: 1, anomalous: 0, lost: 0, duplicate: 0, phantom: 0 }, anomalies: [] } as unknown as ChaosReport['ledger'],
    recovery: { samples: [{ seq: 1, kind: 'outage', venue: 'sim-a', ms: 120 }] as unknown as ChaosReport['recovery']['samples'], byKind: { outage: { n: 1, p50: 120, p99: 120, max: 120, unrecovered: 0 } } },
    unknownResolvedMs: [],
    latencyByProfile: [],
    stats,
    engineLastRecoveryMs: { 'sim-a': 120 },
    series: reportSeries({ t0: T0, stats, faults, orders }),
  };
}

/** The JSON the report's charts draw from. */
function chartData(html: string): { markers: { s: number; label: string; heal: boolean }[]; latency: { s: number[]; p50: (number | null)[]; p99: (number | null)[]; n: number[] }; pnl: { s: number[]; total: number[]; positions: Record<string, number[]> }; outcomes: { s: number[]; accepted: number[] } } {
  const m = /<script type="application\/json" id="chaos-data">(.*?)<\/script>/s.exec(html);
  assert.ok(m, 'the chart data is inlined');
  return JSON.parse(m[1]!) as never;
}

describe('chaos/report-html: a report a person can read', () => {
  it('is one offline file: uPlot inlined, nothing loaded from elsewhere', () => {
    const html = renderReportHtml(report());
    assert.ok(html.includes(".uplot, .uplot *"), "uPlot's stylesheet is inlined");
    assert.ok(html.includes('uPlot'), "uPlot's script is inlined");
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'no external script or stylesheet');
    assert.ok(html.length > 50_000);
  });

  it('draws the state lanes on a time axis in seconds with the faults labelled', () => {
    const html = renderReportHtml(report());
    for (const sec of [0, 2, 4, 6, 8, 10, 12]) assert.ok(html.includes(`>${sec} s</text>`), `axis tick ${sec} s`);
    assert.ok(html.includes("time since the timeline's start (s)"));
    assert.match(html, /<g class="fault-marker">.*?>#0 sim-a http-5xx<\/text><\/g>/s, 'the outage marker is labelled');
    assert.match(html, /<g class="fault-marker">.*?>#1 sim-a heal<\/text><\/g>/s, 'the heal marker is labelled');
    assert.deepEqual(chartData(html).markers, [
      { s: 3.004, label: '#0 sim-a http-5xx', heal: false },
      { s: 5.003, label: '#1 sim-a heal', heal: true },
    ]);
    for (const id of ['chart-outcomes', 'chart-latency', 'chart-pnl']) assert.ok(html.includes(`<div id="${id}"></div>`), id);
  });

  it('carries latency p50/p99 per second and PnL and positions over time', () => {
    const d = chartData(renderReportHtml(report()));
    assert.deepEqual(d.latency.s, [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(d.latency.n, [3, 0, 1, 0, 0, 0, 1], 'the unknown order is counted out, not timed');
    assert.equal(d.latency.p50[0], 10);
    assert.equal(d.latency.p99[0], 100);
    assert.equal(d.latency.p50[1], null, 'a second without orders has no percentile');
    assert.equal(d.pnl.s.length, 25);
    assert.deepEqual(d.pnl.positions['sim-a:BTC/USDT']!.slice(0, 7), [0, 1, 2, 3, 4, 5, 0]);
    assert.equal(d.pnl.total[4], 2 + 0 - 0.04, 'realized + unrealized − fees');
    assert.ok(d.outcomes.accepted.reduce((a, b) => a + b, 0) > 0);
  });

  it('says what this variant ran, and keeps the scenario text apart', () => {
    const html = renderReportHtml(report());
    assert.match(html, /<p class="run-description"><b>What this run ran:<\/b> CI variant of venue-outage: 12\.0s of timeline/);
    assert.match(html, /About the scenario \(its full variant; this CI variant runs only the timeline above\)<\/summary><p>The full scenario: every outage mode in turn\.<\/p>/);
  });

  it('keeps a script-breaking label inert', () => {
    const r = report();
    r.faults = [{ ...faults[0]!, label: '</script><script>alert(1)</script>' }];
    r.series = reportSeries({ t0: T0, stats, faults: r.faults, orders });
    const html = renderReportHtml(r);
    assert.ok(!html.includes('<script>alert(1)'), 'escaped in the SVG and in the JSON');
    assert.equal(chartData(html).markers[0]!.label, '#0 </script><script>alert(1)</script>');
  });

  it('series helpers: tick steps, empty input, counters that restart', () => {
    assert.deepEqual([tickStepS(10), tickStepS(40), tickStepS(600), tickStepS(86_400)], [1, 5, 60, 7200]);
    assert.deepEqual(latencyPerSecond([], T0), { s: [], n: [], p50: [], p99: [] });
    assert.deepEqual(pnlSeries([{ ...stats[0]!, pnl: undefined, positions: undefined }], T0).s, [], 'a sample without PnL is skipped');
    const restarted = [stats[4]!, { ...stats[5]!, pid: 101 }, { ...stats[6]!, pid: 101 }];
    const o = outcomesPerSecond(restarted, T0);
    assert.equal(o.accepted.reduce((a, b) => a + b, 0), stats[6]!.venues['sim-a']!.accepted - stats[5]!.venues['sim-a']!.accepted, 'only the delta within one process counts');
  });
});
