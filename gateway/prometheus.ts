import type { MetricFamily } from './engine-port.js';

/** Content type of the Prometheus text exposition format this module writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Renders metric families in the Prometheus text exposition format 0.0.4: one `# HELP` and one
 * `# TYPE` line per family, then its samples. HELP text escapes `\` and newline; label values
 * escape `\`, `"` and newline. Names that are not valid Prometheus identifiers are repaired
 * (invalid characters become `_`) rather than breaking the whole scrape; a family name seen twice
 * is emitted once (first wins), as the format forbids duplicates.
 */
export function formatPrometheus(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    const name = metricName(f.name);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${name} ${f.type}`);
    for (const s of f.samples) {
      const labels = s.labels === undefined ? '' : formatLabels(s.labels);
      out.push(`${name}${s.suffix === undefined ? '' : metricName(s.suffix)}${labels} ${formatValue(s.value)}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Formats a sample value: integers plainly, `NaN`, `+Inf`, `-Inf` as the format spells them. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) s += ',';
    s += `${labelName(k)}="${escapeLabelValue(String(labels[k]))}"`;
  }
  return `${s}}`;
}

function metricName(n: string): string {
  const r = n.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(r) ? r : `_${r}`;
}

function labelName(n: string): string {
  const r = n.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(r) ? r : `_${r}`;
}
