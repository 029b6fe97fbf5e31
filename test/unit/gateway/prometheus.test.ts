import assert from 'node:assert/strict';
import { escapeHelp, escapeLabelValue, formatPrometheus } from '../../../gateway/prometheus.js';
import { parsePrometheus } from '../../fixtures/gateway/prometheus-parser.js';

describe('gateway/prometheus formatPrometheus', () => {
  it('writes HELP and TYPE once per family, then samples with labels', () => {
    const text = formatPrometheus([
      { name: 'a_total', help: 'A.', type: 'counter', samples: [{ value: 1 }, { labels: { x: 'y' }, value: 2 }] },
      { name: 'b', help: 'B.', type: 'gauge', samples: [] },
    ]);
    assert.equal(text, '# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total{x="y"} 2\n# HELP b B.\n# TYPE b gauge\n');
  });

  it('escapes HELP (backslash, newline) and label values (backslash, quote, newline)', () => {
    assert.equal(escapeHelp('a\\b\nc"d'), 'a\\\\b\\nc"d');
    assert.equal(escapeLabelValue('a\\b\nc"d'), 'a\\\\b\\nc\\"d');
    const text = formatPrometheus([{ name: 'm', help: 'x\ny', type: 'gauge', samples: [{ labels: { l: 'q"\\\n' }, value: 1 }] }]);
    const p = parsePrometheus(text);
    assert.equal(p.help.get('m'), 'x\ny');
    assert.equal(p.samples[0]!.labels.l, 'q"\\\n');
  });

  it('spells special values and repairs invalid names; duplicates are emitted once', () => {
    const text = formatPrometheus([
      { name: '9bad-name', help: 'h', type: 'gauge', samples: [{ labels: { 'bad-label': 'v' }, value: NaN }, { value: Infinity }, { value: -Infinity }] },
      { name: '9bad-name', help: 'again', type: 'gauge', samples: [{ value: 5 }] },
      { name: 'lat', help: 'h', type: 'untyped', samples: [{ suffix: '_sum', value: 1.5 }] },
    ]);
    const p = parsePrometheus(text);
    assert.deepEqual(p.samples.map((s) => [s.name, String(s.value)]), [['_9bad_name', 'NaN'], ['_9bad_name', 'Infinity'], ['_9bad_name', '-Infinity'], ['lat_sum', '1.5']]);
    assert.deepEqual(p.samples[0]!.labels, { bad_label: 'v' });
    assert.equal(formatPrometheus([]), '');
  });
});
