import type { ChaosReport } from './runner.js';

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

/** x position of an epoch-ms time on the run's axis. */
function axis(r: ChaosReport): { x: (t: number) => number; t0: number; span: number } {
  const ts = [...r.stats.map((s) => s.t), ...r.faults.map((f) => f.t)];
  const t0 = Math.min(...ts);
  const span = Math.max(1, Math.max(...ts) - t0);
  return { x: (t: number) => LEFT + ((t - t0) / span) * PLOT, t0, span };
}

function markers(r: ChaosReport, x: (t: number) => number, height: number): string {
  return r.faults
    .map((f) => `<line x1="${x(f.t).toFixed(1)}" x2="${x(f.t).toFixed(1)}" y1="0" y2="${height}" stroke="${f.recovery === undefined ? '#888' : '#2e7d32'}" stroke-dasharray="3,3"><title>${esc(`${((f.atMs) / 1000).toFixed(1)}s ${f.label}`)}</title></line>`)
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
  const h = lanes.length * (laneH + 6) + 20;
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
  return `<svg width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">${body}${markers(r, x, h)}</svg><div style="font-size:11px">${legend}; white gaps: engine process down; dashed lines: faults (green: a heal)</div>`;
}

/** Orders per second: accepted by the venue (engine side), denied, rejected, unknown; from the engine's counters. */
function outcomesSvg(r: ChaosReport): string {
  if (r.stats.length < 2) return '<p>no engine samples</p>';
  const { x, t0, span } = axis(r);
  const buckets = Math.max(1, Math.ceil(span / 1000));
  const kinds = ['accepted', 'denied', 'rejected', 'unknown'] as const;
  const colours = { accepted: '#2e7d32', denied: '#ef6c00', rejected: '#6a1b9a', unknown: '#c62828' };
  const per = kinds.map(() => new Array<number>(buckets).fill(0));
  for (let k = 1; k < r.stats.length; k++) {
    const a = r.stats[k - 1]!;
    const b = r.stats[k]!;
    const i = Math.min(buckets - 1, Math.floor((b.t - t0) / 1000));
    for (const [v, bv] of Object.entries(b.venues)) {
      const av = a.pid === b.pid ? a.venues[v] : undefined;
      kinds.forEach((kind, j) => {
        // Counters restart with a new process or a restarted actor: a drop means "counted from zero".
        const d = av === undefined || bv[kind] < av[kind] ? bv[kind] : bv[kind] - av[kind];
        per[j]![i]! += a.pid === b.pid ? d : 0;
      });
    }
  }
  const h = 160;
  const max = Math.max(1, ...per[0]!.map((_, i) => kinds.reduce((acc, _k, j) => acc + per[j]![i]!, 0)));
  const bw = PLOT / buckets;
  let bars = '';
  for (let i = 0; i < buckets; i++) {
    let y = h - 20;
    kinds.forEach((kind, j) => {
      const n = per[j]![i]!;
      if (n === 0) return;
      const bh = (n / max) * (h - 30);
      y -= bh;
      bars += `<rect x="${(LEFT + i * bw).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0.5, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${colours[kind]}"><title>${esc(`t=${i}s ${kind} ${n}`)}</title></rect>`;
    });
  }
  const legend = kinds.map((k) => `<span style="display:inline-block;width:10px;height:10px;background:${colours[k]};margin:0 3px 0 10px"></span>${k}`).join('');
  return `<svg width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="4" y="14" font-size="11">max ${max}/s</text><line x1="${LEFT}" x2="${W - 20}" y1="${h - 20}" y2="${h - 20}" stroke="#333"/>${bars}${markers(r, x, h - 20)}</svg><div style="font-size:11px">${legend} (orders per second, all venues)</div>`;
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

/** The self-contained HTML report (no external assets: inline CSS and SVG). */
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
  const anomalies = r.ledger.anomalies.length === 0 ? '<p>none</p>' : table(r.ledger.anomalies.slice(0, 200).map((a) => [a.kind, a.venue, a.clientOrderId ?? '', a.detail]), ['kind', 'venue', 'order', 'detail']);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>bot4 chaos: ${esc(r.scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:20px;max-width:960px}table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}.pass{color:#2e7d32}.fail{color:#c62828}code{font-size:11px}</style></head>
<body>
<h1>bot4 chaos: ${esc(r.scenario)}${r.ci ? ' (CI variant)' : ''} — <span class="${r.verdict}">${r.verdict.toUpperCase()}</span></h1>
<p>${esc(r.description)}</p>
<p>seed ${r.seed}, speed ${r.speed}, planned ${(r.durationMs / 1000).toFixed(1)} s, wall ${(r.wallMs / 1000).toFixed(1)} s, started ${esc(r.startedAt)}; engine processes ${r.engine.starts} (SIGKILLs ${r.engine.kills}), actor kills ${r.engine.actorKills}, peak RSS ${r.engine.maxRssMb} MB</p>
<p>orders ${r.orders.total}: ok ${r.orders.ok}, failed ${r.orders.failed}, unknown-resolved ${r.orders.unknownResolved}, anomalous ${r.orders.anomalous}; lost ${r.ledger.counts.lost}, duplicate ${r.ledger.counts.duplicate}, phantom ${r.ledger.counts.phantom}</p>
<p>event-log hash <code>${r.hashes.eventLog}</code> (plan <code>${r.hashes.plan.slice(0, 16)}…</code>, network control events <code>${r.hashes.networkEvents.slice(0, 16)}…</code>, ${r.networkEvents} events)</p>
<h2>Expectations</h2>${checks}
<h2>Venue and breaker states</h2>${statesSvg(r)}
<h2>Order outcomes</h2>${outcomesSvg(r)}
<h2>Recovery: heal → first order accepted by the venue</h2>${recoverySvg(r)}${rec}
<h2>Faults</h2>${faults}
<h2>Ledger anomalies</h2>${anomalies}
</body></html>
`;
}
