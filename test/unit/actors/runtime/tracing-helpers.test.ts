import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { HdrBuckets, LatencyHistograms, UNSAMPLED_TRACEPARENT, formatTraceparent, isSampled, isTraceparent, spanIdOf, traceIdOf } from '../../../../actors/runtime/index.js';

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
    assert.ok(!isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'), 'zero span id');
    assert.ok(!isTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'), 'uppercase hex');
    assert.ok(!isTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), 'version');
    assert.ok(!isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01'), 'separator');
    assert.ok(!isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g'), 'flags not hex');
    assert.ok(!isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011'), 'length');
    assert.ok(isTraceparent('00-00000000000000000000000000000001-0000000000000001-00'));
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

  it('HdrBuckets: flushing into the HDR gives exactly what recording every value in it would', () => {
    const make = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
    const direct = make();
    const viaBuckets = make();
    const b = new HdrBuckets(viaBuckets);
    let x = 7;
    const rnd = (): number => {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      return x / 4_294_967_296;
    };
    const values: number[] = [0, 1, 2047, 2048, 2049, 4095, 4096, 65_535.5, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1e11, -3];
    // Every power-of-two range, with fractions, up to ~10^10 ns (crossing the fast-path limit).
    for (let i = 0; i < 20_000; i++) values.push(Math.exp(rnd() * Math.log(1e10)) + rnd());
    for (const v of values) {
      direct.recordValue(v > 0 ? Math.round(v) : 0);
      b.record(v);
    }
    b.flush();
    assert.equal(viaBuckets.totalCount, direct.totalCount);
    assert.equal(viaBuckets.maxValue, direct.maxValue);
    assert.equal(viaBuckets.minNonZeroValue, direct.minNonZeroValue);
    for (const p of [1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) assert.equal(viaBuckets.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
    // A second flush moves nothing twice.
    b.flush();
    assert.equal(viaBuckets.totalCount, direct.totalCount);
  });
});
