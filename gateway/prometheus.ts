import { Histogram, Registry, type Metric, type RegistryContentType } from 'prom-client';
import type { MetricFamily } from './engine-port.js';

/** Content type of the Prometheus text exposition format 0.0.4 (the default answer of `/metrics`). */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
/** Content type of the OpenMetrics 1.0 exposition (with exemplars), served when the scraper asks for it. */
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/** What {@link formatPrometheus} renders besides the snapshot families. */
export interface ExpositionOptions {
  /** OpenMetrics 1.0 (exemplars, `# EOF`) instead of the Prometheus text format 0.0.4. */
  openMetrics?: boolean;
  /** prom-client metrics (e.g. {@link HotHistogram}s) rendered after the families. */
  metrics?: readonly Metric[];
}

/**
 * Renders metric families and prom-client metrics with a prom-client `Registry`: one `# HELP` and
 * one `# TYPE` line per family, then its samples (a histogram's `_bucket`/`_sum`/`_count` series
 * together). Snapshot families (`MetricFamily`, read from engine and gateway state at scrape time)
 * are adapted into the registry; names and label names that are not valid Prometheus identifiers
 * are repaired (invalid characters become `_`) rather than breaking the whole scrape, and a
 * family name seen twice is emitted once (first wins). In OpenMetrics, counters are named without
 * `_total` on the family and with it on the samples (prom-client's rule), `untyped` becomes
 * `unknown`, exemplars are written and the text ends with `# EOF`.
 */
export async function formatPrometheus(families: readonly MetricFamily[], options: ExpositionOptions = {}): Promise<string> {
  const om = options.openMetrics === true;
  const reg = new Registry<RegistryContentType>();
  reg.setContentType(om ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  const seen = new Set<string>();
  for (const f of families) {
    const name = metricName(f.name);
    if (seen.has(name)) continue;
    seen.add(name);
    // the registry only calls name/help/type/get/getForPromString: a snapshot family is adapted, not re-counted
    reg.registerMetric(new FamilyMetric(f, name, om) as unknown as Metric);
  }
  for (const m of options.metrics ?? []) {
    const name = (m as unknown as { name: string }).name;
    if (seen.has(name)) continue;
    seen.add(name);
    reg.registerMetric(m);
  }
  if (seen.size === 0) return om ? '# EOF\n' : '';
  return reg.metrics();
}

/**
 * Whether an `Accept` header prefers OpenMetrics: `application/openmetrics-text` with a quality
 * above 0 and not below that of `text/plain` / `*` (Prometheus asks
 * `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`).
 */
export function wantsOpenMetrics(accept: string): boolean {
  let om = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const p of params) if (p.startsWith('q=')) q = Number(p.slice(2)) || 0;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain' || type === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}

/** Escapes HELP text: backslash and line feed (what the registry writes). */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Escapes a label value: backslash, double quote and line feed (what the registry writes). */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** One exemplar of a histogram bucket (the shape prom-client's registry writes). */
interface ExemplarValue {
  labelSet: Record<string, string>;
  value: number;
  timestamp: number;
}

/**
 * One label set of a {@link HotHistogram}: preallocated bucket counts, observed on hot paths with
 * no allocation, no label hashing and no validation (a prom-client `observe` costs a label hash per
 * call). Values are nanoseconds; the exposition is in seconds.
 */
export class HistogramSeries {
  /** Non-cumulative counts per bucket; the last one is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of observed values, ns. */
  sumNs = 0;
  /** Observations. */
  count = 0;
  /** Latest exemplar per bucket (OpenMetrics), or null. */
  readonly exemplars: (ExemplarValue | null)[];

  constructor(
    /** The series' labels (also the registry's cache key of their rendering: one object per series). */
    readonly labels: Readonly<Record<string, string>>,
    private readonly boundsNs: Float64Array,
  ) {
    this.counts = new Float64Array(boundsNs.length + 1);
    this.exemplars = new Array<ExemplarValue | null>(boundsNs.length + 1).fill(null);
  }

  /** Observes one value (ns; negative counts as 0). */
  observe(ns: number): void {
    this.observeMany(ns, 1);
  }

  /** Observes `n` values equal to `ns` (a batch's mean handling time, once per envelope). */
  observeMany(ns: number, n: number): void {
    const v = ns > 0 ? ns : 0;
    this.counts[this.bucket(v)]! += n;
    this.sumNs += v * n;
    this.count += n;
  }

  /** Observes one value and keeps it as its bucket's exemplar with `trace_id` (32 hex digits). */
  observeWithExemplar(ns: number, traceId: string, epochMs: number): void {
    const v = ns > 0 ? ns : 0;
    const b = this.bucket(v);
    this.counts[b]! += 1;
    this.sumNs += v;
    this.count += 1;
    this.exemplars[b] = { labelSet: { trace_id: traceId }, value: v / 1e9, timestamp: epochMs / 1000 };
  }

  private bucket(v: number): number {
    const b = this.boundsNs;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    return i;
  }
}

/** Configuration of a {@link HotHistogram}. */
export interface HotHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds in seconds, ascending. */
  buckets: readonly number[];
}

/**
 * A prom-client `Histogram` (type `histogram`, rendered by the registry as `_bucket{le}`, `_sum`,
 * `_count`, with exemplars in OpenMetrics) whose observations go through {@link HistogramSeries}
 * handles, made once per label set, instead of prom-client's per-call label hashing: the
 * recording side is a bucket scan and three additions. `observe(labels, seconds)` still works
 * (it looks the series up). Not registered in prom-client's global registry.
 */
export class HotHistogram<L extends string = string> extends Histogram<L> {
  private readonly boundsNs: Float64Array;
  private readonly bounds: readonly number[];
  private readonly byKey = new Map<string, HistogramSeries>();
  private readonly names: readonly L[];
  private readonly familyName: string;
  private readonly familyHelp: string;

  constructor(config: HotHistogramConfig<L>) {
    super({ name: config.name, help: config.help, labelNames: config.labelNames, buckets: [...config.buckets], registers: [] });
    this.familyName = config.name;
    this.familyHelp = config.help;    this.names = config.labelNames;
    this.bounds = Object.freeze([...config.buckets]);
    this.boundsNs = Float64Array.from(config.buckets, (s) => s * 1e9);
    // prom-client installs its own observe in the constructor; route it into the series
    (this as { observe: unknown }).observe = (labels: Partial<Record<L, string | number>>, seconds: number): void => {
      const l: Record<string, string> = {};
      for (const n of this.names) l[n] = String(labels[n] ?? '');
      this.series(l as Record<L, string>).observe(seconds * 1e9);
    };
  }

  /** The series of one label set (created on first use; keep the handle on hot paths). */
  series(labels: Readonly<Record<L, string>>): HistogramSeries {
    let key = '';
    for (const n of this.names) key += `${labels[n]}\u0000`;
    let s = this.byKey.get(key);
    if (s === undefined) {
      const own: Record<string, string> = {};
      for (const n of this.names) own[n] = labels[n];
      s = new HistogramSeries(Object.freeze(own), this.boundsNs);
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Number of label sets. */
  get size(): number {
    return this.byKey.size;
  }

  override reset(): void {
    // also called by prom-client's constructor, before this class's fields exist
    this.byKey?.clear();
  }

  override async get(): Promise<Awaited<ReturnType<Histogram<L>['get']>>> {
    const data = this.snapshot();
    data.values = data.values.map((v) => ({ ...v, labels: { ...v.labels, ...v.sharedLabels } }));
    return data as unknown as Awaited<ReturnType<Histogram<L>['get']>>;
  }

  /** What the registry renders (prom-client's own histogram export shape). */
  async getForPromString(): Promise<ReturnType<HotHistogram<L>['snapshot']>> {
    return this.snapshot();
  }

  private snapshot(): {
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: { labels: Record<string, string | number>; sharedLabels: Readonly<Record<string, string>>; value: number; metricName: string; exemplar?: ExemplarValue | null }[];
  } {
    const values: ReturnType<HotHistogram<L>['snapshot']>['values'] = [];
    const name = this.familyName;
    const bucket = `${name}_bucket`;
    for (const s of this.byKey.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: s.exemplars[i] });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: s.exemplars[this.bounds.length] });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sumNs / 1e9, metricName: `${name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${name}_count` });
    }
    return { name, help: this.familyHelp, type: 'histogram', aggregator: 'sum', values };
  }
}

/** A snapshot {@link MetricFamily} in the shape prom-client's registry renders. */
class FamilyMetric {
  readonly help: string;
  readonly type: string;
  readonly aggregator = 'sum';

  constructor(
    private readonly family: MetricFamily,
    /** Mutable: in OpenMetrics the registry strips a counter's `_total` here. */
    public name: string,
    om: boolean,
  ) {
    this.help = family.help;
    this.type = om && family.type === 'untyped' ? 'unknown' : family.type;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string>; value: number; metricName?: string }[] } {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.family.samples.map((s) => ({
        labels: s.labels === undefined ? {} : repairLabels(s.labels),
        value: s.value,
        ...(s.suffix === undefined ? {} : { metricName: `${this.name}${metricName(s.suffix)}` }),
      })),
    };
  }
}

function repairLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) out[labelName(k)] = String(labels[k]);
  return out;
}

function metricName(n: string): string {
  const r = n.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(r) ? r : `_${r}`;
}

function labelName(n: string): string {
  const r = n.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(r) ? r : `_${r}`;
}
