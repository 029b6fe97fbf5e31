import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChaosReport } from './runner.js';
import type { FaultMarker, ReportSeries } from './time-series.js';

const require = createRequire(import.meta.url);
let uplotAssets: { js: string; css: string } | undefined;

/** uPlot's minified script and stylesheet, read once from node_modules: inlined so the report works offline. */
function uplot(): { js: string; css: string } {
  uplotAssets ??= { js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'), css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') };
  return uplotAssets;
}

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STATE_COLOURS: Record<string, string> = {
  running: '#2e7d32',
  degraded: '#9e9d24',
  syncing: '#1565c0',
  connecting: '#6a1b9a',
  disconnected: '#c62828',
  halted: '#424242',
  closed: '#2e7d32',
  'half-open': '#ef6c00',
  open: '#c62828',
  down: '#9e9e9e',
};

const W = 900;
const LEFT = 110;
const PLOT = W - LEFT - 20;

/** The run's axis: seconds from the timeline's start (second 0 = when a fault `at: 0s` is applied). */
function axis(r: ChaosReport): { x: (t: number) => number; t0: number; span: number } {
  const ts = [...r.stats.map((s) => s.t), ...r.faults.map((f) => f.t)];
  const t0 = r.series?.t0 ?? Math.min(...ts);
  const first = Math.min(t0, ...ts);
  const span = Math.max(1000, Math.max(...ts) - first);
  return { x: (t: number) => LEFT + ((t - first) / span) * PLOT, t0, span };
}

/** A step of 1, 2, 5, 10, 15, 30, 60, 120, 300, 600... seconds giving at most ~12 ticks. */
export function tickStepS(spanS: number): number {
  for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]) if (spanS / step <= 12) return step;
  return 7200;
}

/** The time axis in seconds under a lane chart: ticks and labels (`0 s`, `5 s`, ...). */
function timeAxisSvg(r: ChaosReport, x: (t: number) => number, y: number): string {
  const { t0, span } = axis(r);
  const ts = [...r.stats.map((s) => s.t), ...r.faults.map((f) => f.t)];
  const from = Math.ceil((Math.min(t0, ...ts) - t0) / 1000);
  const to = Math.floor((Math.min(t0, ...ts) + span - t0) / 1000);
  const step = tickStepS(to - from);
  let out = `<line x1="${LEFT}" x2="${W - 20}" y1="${y}" y2="${y}" stroke="#333"/>`;
  for (let sec = Math.ceil(from / step) * step; sec <= to; sec += step) {
    const px = x(t0 + sec * 1000).toFixed(1);
    out += `<line x1="${px}" x2="${px}" y1="${y}" y2="${y + 4}" stroke="#333"/><text x="${px}" y="${y + 15}" font-size="10" text-anchor="middle">${sec} s</text>`;
  }
  return `${out}<text x="${W - 20}" y="${y + 28}" font-size="10" text-anchor="end">time since the timeline's start (s)</text>`;
}

/** Fault markers: a dashed line per fault, labelled (`#3 sim-a http-500`) along it. */
function markers(r: ChaosReport, x: (t: number) => number, height: number): string {
  return r.faults
    .map((f) => {
      const px = x(f.t).toFixed(1);
      const label = `#${f.seq} ${f.label}`;
      return `<g class="fault-marker"><line x1="${px}" x2="${px}" y1="0" y2="${height}" stroke="${f.recovery === undefined ? '#888' : '#2e7d32'}" stroke-dasharray="3,3"><title>${esc(`${(f.atMs / 1000).toFixed(1)} s ${f.label}`)}</title></line><text transform="translate(${px},4) rotate(90)" font-size="9" fill="#555">${esc(label)}</text></g>`;
    })
    .join('');
}

/** Venue and breaker state per venue over time, as coloured lanes, with fault markers. */
function statesSvg(r: ChaosReport): string {
  if (r.stats.length === 0) return '<p>no engine samples</p>';
  const { x } = axis(r);
  const venues = Object.keys(r.stats[0]!.venues).sort();
  const lanes: { label: string; get: (s: ChaosReport['stats'][number]) => string }[] = [];
  for (const v of venues) {
    lanes.push({ label: `${v} venue`, get: (s) => s.venues[v]?.state ?? 'down' });
    lanes.push({ label: `${v} breaker`, get: (s) => s.venues[v]?.breaker ?? 'down' });
  }
  const laneH = 18;
  const lanesH = lanes.length * (laneH + 6) + 20;
  const h = lanesH + 32;
  let body = '';
  lanes.forEach((lane, i) => {
    const y = 10 + i * (laneH + 6);
    body += `<text x="4" y="${y + 13}" font-size="11">${esc(lane.label)}</text>`;
    for (let k = 0; k < r.stats.length; k++) {
      const s = r.stats[k]!;
      const next = r.stats[k + 1];
      // A gap longer than a second between samples (or another pid) is the engine being down.
      const end = next === undefined ? s.t + 200 : next.pid === s.pid && next.t - s.t < 1000 ? next.t : s.t + 200;
      const st = lane.get(s);
      body += `<rect x="${x(s.t).toFixed(1)}" y="${y}" width="${Math.max(0.5, x(end) - x(s.t)).toFixed(1)}" height="${laneH}" fill="${STATE_COLOURS[st] ?? '#999'}"><title>${esc(st)}</title></rect>`;
    }
  });
  const legend = Object.entries(STATE_COLOURS)
    .map(([k, c]) => `<span style="display:inline-block;width:10px;height:10px;background:${c};margin:0 3px 0 10px"></span>${esc(k)}`)
    .join('');
  return `<svg width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">${body}${markers(r, x, lanesH)}${timeAxisSvg(r, x, lanesH)}</svg><div style="font-size:11px">${legend}; white gaps: engine process down; dashed lines: faults, labelled (green: a heal)</div>`;
}

/** The uPlot charts' data: one axis in seconds for every chart, the fault markers on each. */
interface ChartData {
  markers: FaultMarker[];
  outcomes: ReportSeries['outcomes'];
  latency: ReportSeries['latency'];
  pnl: ReportSeries['pnl'];
}

/**
 * The browser side of the charts (runs in the report): builds uPlot charts from the inlined data,
 * each with the time axis in seconds and the fault markers drawn and labelled by a small plugin.
 */
const CHARTS_JS = `
(function () {
  var data = JSON.parse(document.getElementById('chaos-data').textContent);
  function markerPlugin() {
    return { hooks: { draw: [function (u) {
      var c = u.ctx; c.save();
      c.font = (10 * devicePixelRatio) + 'px system-ui,sans-serif';
      data.markers.forEach(function (m) {
        var x = Math.round(u.valToPos(m.s, 'x', true));
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
        c.strokeStyle = m.heal ? '#2e7d32' : '#888'; c.setLineDash([4, 4]); c.lineWidth = devicePixelRatio;
        c.beginPath(); c.moveTo(x, u.bbox.top); c.lineTo(x, u.bbox.top + u.bbox.height); c.stroke();
        c.save(); c.translate(x + 3 * devicePixelRatio, u.bbox.top + 2 * devicePixelRatio); c.rotate(Math.PI / 2);
        c.fillStyle = '#555'; c.fillText(m.label, 0, 0); c.restore();
      });
      c.restore();
    }] } };
  }
  var xAxis = { label: 'time since the timeline\\'s start (s)', values: function (u, vals) { return vals.map(function (v) { return v + ' s'; }); } };
  function chart(id, title, xs, series, axes, scales) {
    var el = document.getElementById(id);
    if (!el) return;
    if (xs.length === 0) { el.textContent = 'no samples'; return; }
    new uPlot({ title: title, width: 900, height: 240, plugins: [markerPlugin()], scales: Object.assign({ x: { time: false } }, scales || {}),
      series: [{ label: 't (s)' }].concat(series), axes: [xAxis].concat(axes) }, [xs].concat(series.map(function (s) { return s.data; })), el);
  }
  var o = data.outcomes;
  chart('chart-outcomes', 'Orders per second (all venues)', o.s, [
    { label: 'accepted', stroke: '#2e7d32', data: o.accepted },
    { label: 'denied', stroke: '#ef6c00', data: o.denied },
    { label: 'rejected', stroke: '#6a1b9a', data: o.rejected },
    { label: 'unknown', stroke: '#c62828', data: o.unknown }
  ], [{ label: 'orders/s' }]);
  var l = data.latency;
  chart('chart-latency', 'Order submission latency per second (journaled submit -> venue answer), ms', l.s, [
    { label: 'p50 ms', stroke: '#1565c0', data: l.p50, spanGaps: false },
    { label: 'p99 ms', stroke: '#c62828', data: l.p99, spanGaps: false },
    { label: 'orders', stroke: '#9e9e9e', scale: 'n', data: l.n }
  ], [{ label: 'ms' }, { side: 1, scale: 'n', label: 'orders', grid: { show: false } }], { n: {} });
  var p = data.pnl;
  var pos = Object.keys(p.positions).map(function (k, i) { return { label: k + ' (lots)', stroke: ['#6a1b9a', '#00838f', '#ef6c00', '#5d4037'][i % 4], scale: 'lots', data: p.positions[k] }; });
  chart('chart-pnl', 'PnL (quote units) and positions (lots)', p.s, [
    { label: 'realized', stroke: '#2e7d32', data: p.realized },
    { label: 'unrealized', stroke: '#9e9d24', data: p.unrealized },
    { label: 'total (after fees)', stroke: '#000', width: 2, data: p.total }
  ].concat(pos), [{ label: 'PnL' }, { side: 1, scale: 'lots', label: 'lots', grid: { show: false } }], { lots: {} });
})();
`;

/** The chart containers and the data they draw (series from report.json, markers included). */
function chartsHtml(r: ChaosReport): string {
  const empty = { s: [] };
  const d: ChartData = {
    markers: r.series?.markers ?? [],
    outcomes: r.series?.outcomes ?? { ...empty, accepted: [], denied: [], rejected: [], unknown: [] },
    latency: r.series?.latency ?? { ...empty, n: [], p50: [], p99: [] },
    pnl: r.series?.pnl ?? { ...empty, realized: [], unrealized: [], total: [], fees: [], positions: {} },
  };
  return `<script type="application/json" id="chaos-data">${scriptJson(d)}</script>`;
}

/** One bar per recovery sample (ms), with the p99 thresholds. */
function recoverySvg(r: ChaosReport): string {
  const xs = r.recovery.samples;
  if (xs.length === 0) return '<p>no recovery samples (no fault on the order path)</p>';
  const colours: Record<string, string> = { outage: '#1565c0', storm: '#6a1b9a', crisis: '#ef6c00', actor: '#2e7d32', restart: '#c62828' };
  const finite = xs.map((s) => s.ms ?? 0);
  const max = Math.max(1, ...finite);
  const h = 180;
  const bw = PLOT / xs.length;
  let bars = '';
  xs.forEach((s, i) => {
    const v = s.ms ?? max;
    const bh = (v / max) * (h - 30);
    bars += `<rect x="${(LEFT + i * bw).toFixed(1)}" y="${(h - 20 - bh).toFixed(1)}" width="${Math.max(0.5, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${s.ms === null ? '#000' : colours[s.kind] ?? '#999'}"><title>${esc(`#${s.seq} ${s.kind} ${s.venue}: ${s.ms === null ? 'never' : `${s.ms} ms`}`)}</title></rect>`;
  });
  const legend = Object.entries(colours)
    .map(([k, c]) => `<span style="display:inline-block;width:10px;height:10px;background:${c};margin:0 3px 0 10px"></span>${k}`)
    .join('');
  return `<svg width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="4" y="14" font-size="11">max ${max} ms</text><line x1="${LEFT}" x2="${W - 20}" y1="${h - 20}" y2="${h - 20}" stroke="#333"/>${bars}</svg><div style="font-size:11px">${legend}; black: no accepted order after the heal</div>`;
}

function table(rows: string[][], head: string[]): string {
  return `<table><tr>${head.map((x) => `<th>${esc(x)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

/**
 * The self-contained HTML report: no external assets (uPlot's script and stylesheet are inlined,
 * so it opens offline); every chart has the time axis in seconds from the timeline's start and the
 * fault markers labelled.
 */
export function renderReportHtml(r: ChaosReport): string {
  const checks = table(
    r.checks.map((c) => [c.ok ? 'ok' : 'FAIL', c.name, c.expected, c.actual]),
    ['', 'expectation', 'expected', 'actual'],
  );
  const rec = table(
    Object.entries(r.recovery.byKind).map(([k, v]) => [k, String(v.n), String(v.p50 ?? '–'), String(v.p99 ?? '–'), String(v.max ?? '–'), String(v.unrecovered)]),
    ['kind', 'samples', 'p50 ms', 'p99 ms', 'max ms', 'never recovered'],
  );
  const faults = table(
    r.faults.map((f) => [String(f.seq), `${(f.atMs / 1000).toFixed(2)} s`, f.label, f.recovery ?? '']),
    ['#', 'planned at', 'fault', 'recovery sample'],
  );
  const assets = uplot();
  const anomalies = r.ledger.anomalies.length === 0 ? '<p>none</p>' : table(r.ledger.anomalies.slice(0, 200).map((a) => [a.kind, a.venue, a.clientOrderId ?? '', a.detail]), ['kind', 'venue', 'order', 'detail']);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>bot4 chaos: ${esc(r.scenario)}</title>
<style>${assets.css}</style>
<style>body{font-family:system-ui,sans-serif;margin:20px;max-width:960px}table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}.pass{color:#2e7d32}.fail{color:#c62828}code{font-size:11px}</style></head>
<body>
<h1>bot4 chaos: ${esc(r.scenario)}${r.ci ? ' (CI variant)' : ''} — <span class="${r.verdict}">${r.verdict.toUpperCase()}</span></h1>
<p class="run-description"><b>What this run ran:</b> ${esc(r.description)}</p>
${r.about === undefined || r.about === '' ? '' : `<details><summary>About the scenario${r.ci ? ' (its full variant; this CI variant runs only the timeline above)' : ''}</summary><p>${esc(r.about)}</p></details>`}
<p>seed ${r.seed}, speed ${r.speed}, planned ${(r.durationMs / 1000).toFixed(1)} s, wall ${(r.wallMs / 1000).toFixed(1)} s, started ${esc(r.startedAt)}; engine processes ${r.engine.starts} (SIGKILLs ${r.engine.kills}), actor kills ${r.engine.actorKills}, peak RSS ${r.engine.maxRssMb} MB</p>
<p>orders ${r.orders.total}: ok ${r.orders.ok}, failed ${r.orders.failed}, unknown-resolved ${r.orders.unknownResolved}, anomalous ${r.orders.anomalous}; lost ${r.ledger.counts.lost}, duplicate ${r.ledger.counts.duplicate}, phantom ${r.ledger.counts.phantom}</p>
<p>event-log hash <code>${r.hashes.eventLog}</code> (plan <code>${r.hashes.plan.slice(0, 16)}…</code>, network control events <code>${r.hashes.networkEvents.slice(0, 16)}…</code>, ${r.networkEvents} events)</p>
<h2>Expectations</h2>${checks}
<h2>Venue and breaker states</h2>${statesSvg(r)}
<h2>Order outcomes</h2><div id="chart-outcomes"></div>
<h2>Latency</h2><div id="chart-latency"></div>
<h2>PnL and positions</h2><div id="chart-pnl"></div>
<h2>Recovery: heal → first order accepted by the venue</h2>${recoverySvg(r)}${rec}
<h2>Faults</h2>${faults}
<h2>Ledger anomalies</h2>${anomalies}
${chartsHtml(r)}
<script>${assets.js}</script>
<script>${CHARTS_JS}</script>
</body></html>
`;
}
