import assert from 'node:assert/strict';
import { Histogram } from 'prom-client';
import { escapeHelp, escapeLabelValue, formatPrometheus, HotHistogram, wantsOpenMetrics } from '../../../gateway/prometheus.js';
import { parsePrometheus } from '../../fixtures/gateway/prometheus-parser.js';

describe('gateway/prometheus formatPrometheus', () => {
  it('writes HELP and TYPE once per family, then samples with labels', async () => {
    const text = await formatPrometheus([
      { name: 'a_total', help: 'A.', type: 'counter', samples: [{ value: 1 }, { labels: { x: 'y' }, value: 2 }] },
      { name: 'b', help: 'B.', type: 'gauge', samples: [] },
    ]);
    assert.equal(text, '# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total{x="y"} 2\n\n# HELP b B.\n# TYPE b gauge\n');
  });

  it('escapes HELP (backslash, newline) and label values (backslash, quote, newline)', async () => {
    assert.equal(escapeHelp('a\\b\nc"d'), 'a\\\\b\\nc"d');
    assert.equal(escapeLabelValue('a\\b\nc"d'), 'a\\\\b\\nc\\"d');
    const text = await formatPrometheus([{ name: 'm', help: 'x\ny', type: 'gauge', samples: [{ labels: { l: 'q"\\\n' }, value: 1 }] }]);
    const p = parsePrometheus(text);
    assert.equal(p.help.get('m'), 'x\ny');
    assert.equal(p.samples[0]!.labels.l, 'q"\\\n');
  });

  it('spells special values and repairs invalid names; duplicates are emitted once', async () => {
    const text = await formatPrometheus([
      { name: '9bad-name', help: 'h', type: 'gauge', samples: [{ labels: { 'bad-label': 'v' }, value: NaN }, { value: Infinity }, { value: -Infinity }] },
      { name: '9bad-name', help: 'again', type: 'gauge', samples: [{ value: 5 }] },
      { name: 'lat', help: 'h', type: 'untyped', samples: [{ suffix: '_sum', value: 1.5 }] },
    ]);
    const p = parsePrometheus(text);
    assert.deepEqual(p.samples.map((s) => [s.name, String(s.value)]), [['_9bad_name', 'NaN'], ['_9bad_name', 'Infinity'], ['_9bad_name', '-Infinity'], ['lat_sum', '1.5']]);
    assert.deepEqual(p.samples[0]!.labels, { bad_label: 'v' });
    assert.equal(await formatPrometheus([]), '');
  });

  it('renders a HotHistogram as one histogram family: cumulative _bucket{le}, _sum, _count per label set', async () => {
    const h = new HotHistogram<'actor'>({ name: 'lat_seconds', help: 'Latency.', labelNames: ['actor'], buckets: [0.001, 0.01] });
    assert.ok(h instanceof Histogram, 'a prom-client Histogram');
    const risk = h.series({ actor: 'risk' });
    risk.observe(500_000); // 0.5 ms
    risk.observe(5_000_000); // 5 ms
    risk.observe(50_000_000); // 50 ms: +Inf bucket
    h.series({ actor: 'venue' }).observeMany(2_000_000, 3);
    h.observe({ actor: 'venue' }, 0.0001);
    const text = await formatPrometheus([{ name: 'g', help: 'G.', type: 'gauge', samples: [{ value: 1 }] }], { metrics: [h] });
    const p = parsePrometheus(text);
    assert.equal(p.type.get('lat_seconds'), 'histogram');
    const v = (name: string, labels: Record<string, string>): number | undefined => p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    assert.deepEqual([v('lat_seconds_bucket', { actor: 'risk', le: '0.001' }), v('lat_seconds_bucket', { actor: 'risk', le: '0.01' }), v('lat_seconds_bucket', { actor: 'risk', le: '+Inf' })], [1, 2, 3]);
    assert.equal(v('lat_seconds_count', { actor: 'risk' }), 3);
    assert.ok(Math.abs(v('lat_seconds_sum', { actor: 'risk' })! - 0.0555) < 1e-12);
    assert.deepEqual([v('lat_seconds_bucket', { actor: 'venue', le: '0.001' }), v('lat_seconds_bucket', { actor: 'venue', le: '0.01' }), v('lat_seconds_count', { actor: 'venue' })], [1, 4, 4]);
    // samples are grouped by family: every lat_seconds sample comes after g's
    const names = p.samples.map((s) => s.name);
    assert.equal(names.lastIndexOf('g'), 0);
  });

  it('writes exemplars (trace_id) and # EOF only in OpenMetrics; counters carry _total on samples', async () => {
    const h = new HotHistogram<'venue'>({ name: 'rt_seconds', help: 'RT.', labelNames: ['venue'], buckets: [0.001] });
    h.series({ venue: 'sim' }).observeWithExemplar(400_000, '0af7651916cd43dd8448eb211c80319c', 1_700_000_000_000);
    const fam = [{ name: 'x_total', help: 'X.', type: 'counter' as const, samples: [{ value: 2 }] }];
    const om = await formatPrometheus(fam, { openMetrics: true, metrics: [h] });
    assert.match(om, /^rt_seconds_bucket\{le="0\.001",venue="sim"\} 1 # \{trace_id="0af7651916cd43dd8448eb211c80319c"\} 0\.0004 1700000000$/m);
    assert.match(om, /^# TYPE x counter\nx_total 2$/m);
    assert.ok(om.endsWith('# EOF\n'));
    const plain = await formatPrometheus(fam, { metrics: [h] });
    assert.doesNotMatch(plain, /trace_id|# EOF/);
    parsePrometheus(plain);
  });

  it('negotiates OpenMetrics from the Accept header', () => {
    assert.equal(wantsOpenMetrics('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'), true);
    assert.equal(wantsOpenMetrics('text/plain;version=0.0.4'), false);
    assert.equal(wantsOpenMetrics(''), false);
    assert.equal(wantsOpenMetrics('*/*'), false);
    assert.equal(wantsOpenMetrics('text/plain, application/openmetrics-text;q=0.5'), false);
    assert.equal(wantsOpenMetrics('application/openmetrics-text;q=0'), false);
  });
});
