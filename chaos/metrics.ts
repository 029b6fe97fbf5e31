import type { LedgerSnapshot } from '../simulators/venue/ledger.js';
import type { LedgerCheckReport } from './ledger-check/ledger-check.js';
import type { EngineStatsLine } from './engine-process.js';
import type { RecoveryKind } from './plan.js';
import type { Expectations } from './scenario.js';

/** A fault as it was performed: the plan entry plus the wall time (epoch ms) it happened. */
export interface ExecutedFault {
  seq: number;
  kind: string;
  atMs: number;
  /** Epoch ms when the runner performed it (for `kill-engine`: the kill; see `restartedAt`). */
  t: number;
  venue?: string;
  target?: string;
  mode?: string;
  scope?: string;
  recovery?: RecoveryKind;
  /** `kill-engine`: epoch ms when the new engine process was spawned. */
  restartedAt?: number;
  /** `kill-engine`: epoch ms when the new engine process printed READY (venues synced, strategies running). */
  readyAt?: number;
  /** `profile`: the network profile set. */
  profile?: string;
  label: string;
}

/** One recovery measurement: heal → first order the venue accepted after it. */
export interface RecoverySample {
  seq: number;
  kind: RecoveryKind;
  venue: string;
  /** Epoch ms of the heal (restart: the new process's spawn). */
  healedAt: number;
  /** ms to the first accepted order, or null when none came before the run ended. */
  ms: number | null;
}

/** Nearest-rank percentile of `xs` (sorted copy); NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(s.length, rank) - 1]!;
}

/**
 * Recovery samples from the venues' own ledgers: for every executed fault that ends a disruption of
 * the order path, the time from the heal to the first order of the engine's account that the venue
 * accepted (its ledger `time`, on the simulator's clock, which is the runner's clock). Venues the
 * strategies do not trade on give no sample. A restart's sample is taken on every traded venue.
 */
export function recoverySamples(faults: readonly ExecutedFault[], ledgers: ReadonlyMap<string, LedgerSnapshot>, account: string, traded: ReadonlySet<string>): RecoverySample[] {
  const accepted = new Map<string, number[]>();
  for (const [venue, l] of ledgers) {
    accepted.set(
      venue,
      l.orders
        .filter((o) => o.account === account && o.status !== 'REJECTED')
        .map((o) => o.time)
        .sort((a, b) => a - b),
    );
  }
  const firstAfter = (venue: string, t: number): number | null => {
    const ts = accepted.get(venue) ?? [];
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo < ts.length ? ts[lo]! - t : null;
  };
  const out: RecoverySample[] = [];
  for (const f of faults) {
    if (f.recovery === undefined) continue;
    if (f.recovery === 'restart') {
      if (f.restartedAt === undefined) continue;
      for (const v of [...traded].sort()) out.push({ seq: f.seq, kind: 'restart', venue: v, healedAt: f.restartedAt, ms: firstAfter(v, f.restartedAt) });
      continue;
    }
    const venue = f.recovery === 'actor' ? (f.target ?? '').replace(/^exchange\./, '') : f.venue!;
    if (!traded.has(venue)) continue;
    out.push({ seq: f.seq, kind: f.recovery, venue, healedAt: f.t, ms: firstAfter(venue, f.t) });
  }
  return out;
}

/**
 * For each heal time, how long until the engine reported no order in `unknown` (from its STATS
 * lines); null when it never did. 0 when none was unknown at the first sample after the heal.
 */
export function unknownResolution(heals: readonly number[], stats: readonly EngineStatsLine[]): (number | null)[] {
  return heals.map((t) => {
    const first = stats.find((s) => s.t >= t && s.unknownOpen === 0);
    return first === undefined ? null : Math.max(0, first.t - t);
  });
}

/** One expectation as checked. */
export interface Check {
  name: string;
  expected: string;
  actual: string;
  ok: boolean;
}

/** Everything the verdict is decided on. */
export interface RunFigures {
  orders: number;
  ledger: LedgerCheckReport;
  recovery: RecoverySample[];
  unknownResolvedMs: (number | null)[];
  maxRssMb: number;
  settledLeft: string[];
  /** Engine processes that failed to start, exited unplanned or stalled (see the runner's `EngineHealth`). */
  engineHealth?: { startFailures: number; unplannedExits: number; stalls: number };
}

const fmt = (x: number | null): string => (x === null || Number.isNaN(x) ? 'none' : String(Math.round(x)));

/** Checks every expectation; the run passes only when all hold. */
export function checkExpectations(e: Expectations, r: RunFigures): Check[] {
  const c = r.ledger.counts;
  const other = c.stateMismatch + c.fillMismatch + c.feeMismatch + c.intentMismatch + c.positionMismatch + c.balanceMismatch + c.ledgerUnreconciled;
  const venueRec = r.recovery.filter((s) => s.kind !== 'restart');
  const restartRec = r.recovery.filter((s) => s.kind === 'restart');
  const p99 = (xs: RecoverySample[]): number | null => (xs.length === 0 ? null : xs.some((s) => s.ms === null) ? Number.POSITIVE_INFINITY : percentile(xs.map((s) => s.ms!), 99));
  const vp = p99(venueRec);
  const rp = p99(restartRec);
  const h = r.engineHealth ?? { startFailures: 0, unplannedExits: 0, stalls: 0 };
  const unk = r.unknownResolvedMs.some((x) => x === null) ? Number.POSITIVE_INFINITY : Math.max(0, ...(r.unknownResolvedMs as number[]));
  return [
    { name: 'orders placed', expected: `>= ${e.minOrders}`, actual: String(r.orders), ok: r.orders >= e.minOrders },
    { name: 'lost', expected: `<= ${e.lost}`, actual: String(c.lost), ok: c.lost <= e.lost },
    { name: 'duplicate', expected: `<= ${e.duplicate}`, actual: String(c.duplicate), ok: c.duplicate <= e.duplicate },
    { name: 'phantom', expected: `<= ${e.phantom}`, actual: String(c.phantom), ok: c.phantom <= e.phantom },
    { name: 'other ledger anomalies', expected: `<= ${e.otherAnomalies}`, actual: String(other), ok: other <= e.otherAnomalies },
    { name: 'settled (no open order left)', expected: '0 left', actual: `${r.settledLeft.length} left`, ok: r.settledLeft.length === 0 },
    { name: 'unknown orders resolved after each heal (ms)', expected: `<= ${e.unknownResolvedWithinS * 1000}`, actual: Number.isFinite(unk) ? String(unk) : 'never', ok: unk <= e.unknownResolvedWithinS * 1000 },
    { name: 'recovery p99, venue faults (ms)', expected: `<= ${e.recoveryP99Ms}`, actual: vp === null ? 'no samples' : Number.isFinite(vp) ? fmt(vp) : 'a venue never recovered', ok: vp === null || vp <= e.recoveryP99Ms },
    { name: 'restart to first order p99 (ms)', expected: `<= ${e.restartP99Ms}`, actual: rp === null ? 'no samples' : Number.isFinite(rp) ? fmt(rp) : 'a venue never recovered', ok: rp === null || rp <= e.restartP99Ms },
    { name: 'engine peak RSS (MB)', expected: `<= ${e.maxRssMb}`, actual: String(r.maxRssMb), ok: r.maxRssMb <= e.maxRssMb },
    { name: 'engine process start failures (retried)', expected: '0', actual: String(h.startFailures), ok: h.startFailures === 0 },
    { name: 'engine process unplanned exits', expected: '0', actual: String(h.unplannedExits), ok: h.unplannedExits === 0 },
    { name: 'engine process stalls (no STATS for > 5 s)', expected: '0', actual: String(h.stalls), ok: h.stalls === 0 },
  ];
}

/** Order round trips under one network profile. */
export interface ProfileLatency {
  profile: string;
  /** Orders whose placement was answered (submit → the venue's answer applied), and their ms. */
  n: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Orders submitted under the profile whose request's outcome became unknown (timeout, dropped reply). */
  unknown: number;
}

/** A venue's network profile from `t` (epoch ms) on. */
export interface ProfileChange {
  venue: string;
  t: number;
  profile: string;
}

/** The journal's view of an order, as far as {@link submissionLatency} needs it. */
export interface OrderHistoryView {
  intent: { venue: string };
  history: readonly { tNs: number; event: string; from: string; to: string }[];
}

/**
 * Order submission round trip per network profile, from the journal: submit (journaled) → the
 * first state change out of `submitted` caused by the venue's answer (accepted, filled, …; the
 * write-ahead fsync, both network legs and the venue's matching included). An order counts under
 * the profile its venue had when it was submitted (the scenario's base profile, then each
 * {@link ProfileChange}: executed `profile` faults, the final heal); orders that went `unknown` are counted, not timed.
 * Resolution: the journal's millisecond timestamps.
 */
export function submissionLatency(orders: Iterable<OrderHistoryView>, changes: readonly ProfileChange[], baseProfile: string): ProfileLatency[] {
  const sorted = [...changes].sort((a, b) => a.t - b.t);
  const profileAt = (venue: string, tMs: number): string => {
    let p = baseProfile;
    for (const c of sorted) if (c.t <= tMs && c.venue === venue) p = c.profile;
    return p;
  };
  const by = new Map<string, { ms: number[]; unknown: number }>();
  for (const o of orders) {
    const sub = o.history[0];
    if (sub === undefined || sub.event !== 'submit') continue;
    const next = o.history.find((h, i) => i > 0 && h.from === 'submitted');
    if (next === undefined) continue;
    const profile = profileAt(o.intent.venue, sub.tNs / 1e6);
    const b = by.get(profile) ?? { ms: [], unknown: 0 };
    by.set(profile, b);
    if (next.to === 'unknown') b.unknown++;
    else if (next.to !== 'rejected' && next.event !== 'reconcile') b.ms.push(Math.round((next.tNs - sub.tNs) / 1e6));
  }
  const order = ['none', 'perfect', 'good', 'average', 'poor', 'outage'];
  return [...by]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([profile, b]) => ({ profile, n: b.ms.length, p50: b.ms.length ? percentile(b.ms, 50) : null, p99: b.ms.length ? percentile(b.ms, 99) : null, max: b.ms.length ? Math.max(...b.ms) : null, unknown: b.unknown }));
}
