// Per-actor latency quantiles from the daemon's /metrics histograms (Prometheus text format):
// the bucket counts of two scrapes give the distribution of the interval between them, and
// p50/p99 are read from it the way Prometheus' histogram_quantile does (linear within a bucket).

const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Cumulative bucket counts of histogram `family` by the value of label `by`:
 * `Map<labelValue, Array<[le, count]>>` sorted by `le` (`+Inf` last as Infinity).
 */
export function histograms(text, family, by) {
  const out = new Map();
  const prefix = `${family}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.indexOf('}', prefix.length);
    if (close < 0) continue;
    const labels = {};
    for (const m of line.slice(prefix.length, close).matchAll(LABEL)) labels[m[1]] = m[2];
    const value = Number(line.slice(close + 1).trim().split(/\s+/)[0]);
    if (labels.le === undefined || labels[by] === undefined || !Number.isFinite(value)) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    let b = out.get(labels[by]);
    if (b === undefined) out.set(labels[by], (b = []));
    b.push([le, value]);
  }
  for (const b of out.values()) b.sort((x, y) => x[0] - y[0]);
  return out;
}

/** Bucket-wise `now - before` (same bounds; `before` may be undefined: everything since start). */
export function delta(now, before) {
  if (before === undefined || before.length !== now.length) return now;
  return now.map(([le, c], i) => [le, Math.max(0, c - before[i][1])]);
}

/** The `q` quantile (0–1) of cumulative buckets, in the buckets' unit; undefined when empty. */
export function quantile(q, buckets) {
  const total = buckets.length === 0 ? 0 : buckets[buckets.length - 1][1];
  if (total <= 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCum = 0;
  for (const [le, cum] of buckets) {
    if (cum >= rank) {
      if (le === Infinity) return prevLe;
      if (cum === prevCum) return le;
      return prevLe + ((le - prevLe) * (rank - prevCum)) / (cum - prevCum);
    }
    prevLe = le;
    prevCum = cum;
  }
  return prevLe;
}
