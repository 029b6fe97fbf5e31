import type { EngineStatsLine } from './engine-process.js';
import { percentile, type ExecutedFault, type OrderHistoryView } from './metrics.js';

/**
 * The report's time series, on one axis: seconds from the start of the timeline (the instant a
 * fault planned `at: 2s` is applied at 2 s, at speed 1). Built once when the run ends and kept in
 * report.json (`series`), so the HTML report draws exactly what the JSON holds.
 */

/** Order submission latency per second (journaled submit → the venue's answer applied), ms. */
export interface LatencySeries {
  /** Second of the timeline the orders were submitted in (bucket start). */
  s: number[];
  n: number[];
  p50: (number | null)[];
  p99: (number | null)[];
}

/** Samples of the engine's STATS lines: PnL (quote units) and positions (lots). */
export interface PnlSeries {
  /** Seconds from the timeline start (fractional). */
  s: number[];
  realized: number[];
  unrealized: number[];
  total: number[];
  fees: number[];
  /** Position in lots per `venue:symbol`, one value per sample (0 before the first fill). */
  positions: Record<string, number[]>;
}

/** Orders per second from the engine's counters, all venues. */
export interface OutcomeSeries {
  s: number[];
  accepted: number[];
  denied: number[];
  rejected: number[];
  unknown: number[];
}

/** A fault on the axis: when and what (the label the markers show). */
export interface FaultMarker {
  s: number;
  label: string;
  /** A heal of a fault on the order path (a recovery sample starts here). */
  heal: boolean;
}

/** Every series of a report. */
export interface ReportSeries {
  /** Epoch ms of second 0 (the timeline's start). */
  t0: number;
  /** Seconds the axis spans (the timeline, tail and settle as sampled). */
  spanS: number;
  latency: LatencySeries;
  pnl: PnlSeries;
  outcomes: OutcomeSeries;
  markers: FaultMarker[];
}

/** Latency of each order's submission, bucketed by the second of the timeline it was submitted in. */
export function latencyPerSecond(orders: Iterable<OrderHistoryView>, t0: number): LatencySeries {
  const buckets = new Map<number, number[]>();
  for (const o of orders) {
    const sub = o.history[0];
    if (sub === undefined || sub.event !== 'submit') continue;
    const next = o.history.find((h, i) => i > 0 && h.from === 'submitted');
    if (next === undefined || next.to === 'unknown' || next.to === 'rejected' || next.event === 'reconcile') continue;
    const sec = Math.floor((sub.tNs / 1e6 - t0) / 1000);
    if (sec < 0) continue;
    const b = buckets.get(sec) ?? [];
    b.push(Math.max(0, (next.tNs - sub.tNs) / 1e6));
    buckets.set(sec, b);
  }
  const out: LatencySeries = { s: [], n: [], p50: [], p99: [] };
  if (buckets.size === 0) return out;
  const last = Math.max(...buckets.keys());
  for (let sec = 0; sec <= last; sec++) {
    const b = buckets.get(sec);
    out.s.push(sec);
    out.n.push(b?.length ?? 0);
    out.p50.push(b === undefined ? null : Math.round(percentile(b, 50) * 10) / 10);
    out.p99.push(b === undefined ? null : Math.round(percentile(b, 99) * 10) / 10);
  }
  return out;
}

/** PnL and positions from the STATS samples (a sample without them, from an older engine, is skipped). */
export function pnlSeries(stats: readonly EngineStatsLine[], t0: number): PnlSeries {
  const out: PnlSeries = { s: [], realized: [], unrealized: [], total: [], fees: [], positions: {} };
  const keys = [...new Set(stats.flatMap((x) => Object.keys(x.positions ?? {})))].sort();
  for (const k of keys) out.positions[k] = [];
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  for (const x of stats) {
    if (x.pnl === undefined) continue;
    out.s.push(Math.round(x.t - t0) / 1000);
    out.realized.push(r2(x.pnl.realized));
    out.unrealized.push(r2(x.pnl.unrealized));
    out.total.push(r2(x.pnl.realized + x.pnl.unrealized - x.pnl.fees));
    out.fees.push(r2(x.pnl.fees));
    for (const k of keys) out.positions[k]!.push(x.positions?.[k] ?? 0);
  }
  return out;
}

/** Orders per second by outcome, from the engine's counters (a counter that drops restarted from zero). */
export function outcomesPerSecond(stats: readonly EngineStatsLine[], t0: number): OutcomeSeries {
  const kinds = ['accepted', 'denied', 'rejected', 'unknown'] as const;
  const out: OutcomeSeries = { s: [], accepted: [], denied: [], rejected: [], unknown: [] };
  if (stats.length < 2) return out;
  const first = Math.max(0, Math.floor((stats[0]!.t - t0) / 1000));
  const last = Math.max(first, Math.floor((stats[stats.length - 1]!.t - t0) / 1000));
  for (let sec = 0; sec <= last; sec++) {
    out.s.push(sec);
    for (const k of kinds) out[k].push(0);
  }
  for (let i = 1; i < stats.length; i++) {
    const a = stats[i - 1]!;
    const b = stats[i]!;
    if (a.pid !== b.pid) continue;
    const sec = Math.floor((b.t - t0) / 1000);
    if (sec < 0) continue;
    for (const [v, bv] of Object.entries(b.venues)) {
      const av = a.venues[v];
      for (const k of kinds) out[k][sec]! += av === undefined || bv[k] < av[k] ? bv[k] : bv[k] - av[k];
    }
  }
  return out;
}

/** The faults as markers on the axis. */
export function faultMarkers(faults: readonly ExecutedFault[], t0: number): FaultMarker[] {
  return faults.map((f) => ({ s: Math.round(f.t - t0) / 1000, label: `#${f.seq} ${f.label}`, heal: f.recovery !== undefined }));
}

/** All series of a report. */
export function reportSeries(input: { t0: number; stats: readonly EngineStatsLine[]; faults: readonly ExecutedFault[]; orders: Iterable<OrderHistoryView> }): ReportSeries {
  const lastStat = input.stats.length === 0 ? input.t0 : input.stats[input.stats.length - 1]!.t;
  const lastFault = input.faults.length === 0 ? input.t0 : Math.max(...input.faults.map((f) => f.t));
  return {
    t0: input.t0,
    spanS: Math.max(1, Math.ceil((Math.max(lastStat, lastFault) - input.t0) / 1000)),
    latency: latencyPerSecond(input.orders, input.t0),
    pnl: pnlSeries(input.stats, input.t0),
    outcomes: outcomesPerSecond(input.stats, input.t0),
    markers: faultMarkers(input.faults, input.t0),
  };
}
