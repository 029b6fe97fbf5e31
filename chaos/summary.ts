import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProfileLatency, RecoverySample } from './metrics.js';
import type { ChaosReport } from './runner.js';

/** Reads every `<dir>/<scenario>/report.json` (sorted by scenario name). */
export function readReports(dir: string): ChaosReport[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'report.json')))
    .map((d) => JSON.parse(readFileSync(path.join(dir, d.name, 'report.json'), 'utf8')) as ChaosReport)
    .sort((a, b) => a.scenario.localeCompare(b.scenario));
}

const ms = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : String(Math.round(x)));
const pct = (xs: number[], p: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1]!;
};

function recovery(samples: RecoverySample[], restart: boolean): string {
  const xs = samples.filter((s) => (s.kind === 'restart') === restart);
  if (xs.length === 0) return '–';
  const got = xs.filter((s) => s.ms !== null).map((s) => s.ms!);
  const never = xs.length - got.length;
  return `${ms(pct(got, 50))} / ${ms(pct(got, 99))} (n ${xs.length}${never ? `, ${never} never` : ''})`;
}

function otherAnomalies(r: ChaosReport): number {
  const c = r.ledger.counts;
  return c.stateMismatch + c.fillMismatch + c.feeMismatch + c.intentMismatch + c.positionMismatch + c.balanceMismatch + c.ledgerUnreconciled;
}

/** The review's order-submission-with-network claims (p50 / p99 ms), by profile. */
const REVIEW_LATENCY: Record<string, string> = { perfect: '12 / 18', good: '22 / 35', average: '65 / 95', poor: '165 / 280' };

/**
 * Markdown summary of a set of chaos runs: one row per scenario (verdict, orders, ledger
 * anomalies, unknown resolution, recovery and restart percentiles, peak RSS), the per-profile
 * submission latency of `network-profiles`, and the Phase 1 review's claims next to the measured
 * figures. Everything is taken from the runs' report.json files.
 */
export function summarizeReports(reports: readonly ChaosReport[]): string {
  const out: string[] = [];
  out.push('| scenario | verdict | orders (ok / failed / unknown→resolved) | lost / dup / phantom | other anomalies | unknown resolved, worst heal (ms) | recovery p50 / p99 (ms) | restart → first order p50 / p99 (ms) | peak RSS (MB) | ws rejections | failed checks |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of reports) {
    const c = r.ledger.counts;
    const fo = (r as unknown as { failover?: { n: number; p50: number | null; p99: number | null; unrecovered: number } }).failover;
    if (fo !== undefined) {
      // A failover scenario (chaos/failover-runner.ts): its failover times stand in the recovery column.
      const failed = r.checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.actual} (expected ${x.expected})`);
      out.push(`| ${r.scenario}${r.ci ? ' (ci)' : ''} | **${r.verdict}** | ${r.orders.total} | ${c.lost} / ${c.duplicate} / ${c.phantom} | ${otherAnomalies(r)} | – | failover ${ms(fo.p50)} / ${ms(fo.p99)} (n ${fo.n}${fo.unrecovered ? `, ${fo.unrecovered} never` : ''}) | – | – | – | ${failed.join('; ') || '–'} |`);
      continue;
    }
    const unk = r.unknownResolvedMs.some((x) => x === null) ? 'never' : ms(Math.max(0, ...(r.unknownResolvedMs as number[])));
    const failed = r.checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.actual} (expected ${x.expected})`);
    const rej = (r.engine as { unhandledRejectionCount?: number }).unhandledRejectionCount ?? r.engine.unhandledRejections.length;
    out.push(
      `| ${r.scenario}${r.ci ? ' (ci)' : ''} | **${r.verdict}** | ${r.orders.total} (${r.orders.ok} / ${r.orders.failed} / ${r.orders.unknownResolved}) | ${c.lost} / ${c.duplicate} / ${c.phantom} | ${otherAnomalies(r)} | ${unk} | ${recovery(r.recovery.samples, false)} | ${recovery(r.recovery.samples, true)} | ${r.engine.maxRssMb} | ${rej} | ${failed.join('; ') || '–'} |`,
    );
  }
  const np = reports.find((r) => r.scenario === 'network-profiles');
  const lat: ProfileLatency[] = np?.latencyByProfile ?? [];
  if (lat.length > 0) {
    out.push('', `Order submission round trip per network profile (\`network-profiles\`${np!.ci ? ', CI variant' : ''}): journaled submit → the venue's answer applied (fsync \`always\` and both network legs included); orders whose reply was lost count as unknown.`, '');
    out.push('| profile | orders timed | p50 (ms) | p99 (ms) | max (ms) | unknown | review claim p50 / p99 (ms) |');
    out.push('| --- | --- | --- | --- | --- | --- | --- |');
    for (const l of lat) out.push(`| ${l.profile} | ${l.n} | ${ms(l.p50)} | ${ms(l.p99)} | ${ms(l.max)} | ${l.unknown} | ${REVIEW_LATENCY[l.profile] ?? '–'} |`);
  }
  const by = (name: string): ChaosReport | undefined => reports.find((r) => r.scenario === name);
  const vo = by('venue-outage');
  const rk = by('random-kills');
  const soak = by('soak');
  const claims: string[][] = [];
  if (vo !== undefined) {
    const xs = vo.recovery.samples.filter((s) => s.kind === 'outage');
    const got = xs.filter((s) => s.ms !== null).map((s) => s.ms!);
    claims.push(['Recovery after exchange outage', '< 5 s, p99 4.7 s', `venue-outage: heal → first accepted order p50 ${ms(pct(got, 50))} ms, p99 ${ms(pct(got, 99))} ms, max ${ms(got.length ? Math.max(...got) : null)} ms over ${xs.length} outages (${xs.length - got.length} never recovered)`, 'p99 ≤ 1 s']);
  }
  if (rk !== undefined) {
    const xs = rk.recovery.samples.filter((s) => s.kind === 'actor');
    const got = xs.filter((s) => s.ms !== null).map((s) => s.ms!);
    const mean = got.length ? got.reduce((a, b) => a + b, 0) / got.length : null;
    const c = rk.ledger.counts;
    claims.push(['Chaos: 50 random kills', '100% recovery, 0 data loss, average recovery 3.2 s', `random-kills: ${got.length}/${xs.length} kills recovered, lost/dup/phantom ${c.lost}/${c.duplicate}/${c.phantom}, other anomalies ${otherAnomalies(rk)}; kill → first accepted order mean ${ms(mean)} ms, p99 ${ms(pct(got, 99))} ms`, '100% recovery, 0 anomalies']);
  }
  if (soak !== undefined) claims.push(['Memory steady', '< 1 GB, 487 MB (peak 623 MB)', `soak (${Math.round(soak.durationMs / 60_000)} min): engine process peak RSS ${soak.engine.maxRssMb} MB`, '≤ 250 MB RSS']);
  if (claims.length > 0) {
    out.push('', 'Next to the Phase 1 review\'s claims (the review published no code to reproduce them):', '');
    out.push('| metric | review claim | bot4 measured (this run) | bot4 goal |', '| --- | --- | --- | --- |');
    for (const row of claims) out.push(`| ${row.join(' | ')} |`);
  }
  return out.join('\n');
}
