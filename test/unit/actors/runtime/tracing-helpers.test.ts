import assert from 'node:assert/strict';
import { LatencyHistograms, UNSAMPLED_TRACEPARENT, formatTraceparent, isSampled, isTraceparent, spanIdOf, traceIdOf } from '../../../../actors/runtime/index.js';

describe('runtime/tracing helpers', () => {
  it('traceparent: parse, format, sampled flag', () => {
    const tp = formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', true);
    assert.equal(tp, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.ok(isTraceparent(tp));
    assert.ok(isSampled(tp));
    assert.equal(traceIdOf(tp), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(spanIdOf(tp), '00f067aa0ba902b7');
    assert.ok(!isSampled(formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', false)));
    assert.ok(!isSampled(''));
    assert.ok(isSampled('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0b'));
    assert.ok(isTraceparent(UNSAMPLED_TRACEPARENT) && !isSampled(UNSAMPLED_TRACEPARENT));
    assert.ok(!isTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'));
    assert.ok(!isTraceparent('garbage'));
  });

  it('LatencyHistograms: per-actor wait/handle percentiles, clamped inputs', () => {
    const h = new LatencyHistograms();
    for (let i = 1; i <= 1000; i++) h.record('a', i * 1000, 500);
    h.record('b', -5, 1.6);
    const a = h.summary('a')!;
    assert.equal(a.wait.count, 1000);
    assert.ok(Math.abs(a.wait.p50 - 500_000) <= 500, String(a.wait.p50));
    assert.ok(Math.abs(a.wait.p99 - 990_000) <= 1000, String(a.wait.p99));
    assert.ok(Math.abs(a.wait.max - 1_000_000) <= 1000);
    assert.equal(a.handle.p50, 500);
    const b = h.summary('b')!;
    assert.equal(b.wait.max, 0);
    assert.equal(b.handle.max, 2);
    assert.deepEqual(h.actors(), ['a', 'b']);
    assert.equal(h.summary('c'), undefined);
    h.reset();
    assert.equal(h.summary('a')!.wait.count, 0);
    // Values beyond the initial range grow the histogram instead of throwing.
    h.record('a', 1e12, 1);
    assert.ok(h.summary('a')!.wait.max >= 0.999e12);
  });
});
