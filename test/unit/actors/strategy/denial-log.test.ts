import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { DenialLog } from '../../../../actors/strategy/denial-log.js';

describe('strategy/denial-log: one line per code per interval with a count', () => {
  const setup = (): { clock: SimulatedClock; lines: Record<string, unknown>[]; sink: (msg: string, f: Record<string, unknown>) => void; log: DenialLog } => {
    const lines: Record<string, unknown>[] = [];
    return { clock: new SimulatedClock(), lines, sink: (msg, f) => lines.push({ msg, ...f }), log: new DenialLog('quote denied', 10_000) };
  };

  it('logs the first denial of a code at once, then one counted line per interval', () => {
    const { clock, lines, sink, log } = setup();
    // 366 denials over 4 minutes, every ~650 ms: the demo
    for (let i = 0; i < 366; i++) {
      log.record('VENUE_RATE_LIMITED', clock.nowNs(), { side: i % 2 === 0 ? 'buy' : 'sell', detail: `n${i}` }, sink);
      clock.advance(650);
    }
    log.drain(sink);
    assert.deepEqual(lines[0], { msg: 'quote denied', side: 'buy', detail: 'n0', code: 'VENUE_RATE_LIMITED', count: 1 });
    assert.ok(lines.length <= 1 + Math.ceil((366 * 650) / 10_000), `${lines.length} lines`);
    assert.ok(lines.length >= 20, `${lines.length} lines`);
    for (const l of lines.slice(1)) assert.equal(l.intervalMs, 10_000);
    assert.equal(lines.reduce((n, l) => n + (l.count as number), 0), 366, 'every denial is counted exactly once');
  });

  it('keeps codes apart and reopens a code after a quiet interval', () => {
    const { clock, lines, sink, log } = setup();
    log.record('A', clock.nowNs(), {}, sink);
    log.record('B', clock.nowNs(), {}, sink);
    log.record('A', clock.nowNs(), {}, sink);
    log.record('A', clock.nowNs(), {}, sink);
    assert.deepEqual(lines.map((l) => [l.code, l.count]), [['A', 1], ['B', 1]]);
    clock.advance(9_999);
    log.flush(clock.nowNs(), sink);
    assert.equal(lines.length, 2, 'the interval is not over yet');
    clock.advance(1);
    log.flush(clock.nowNs(), sink);
    assert.deepEqual(lines.slice(2).map((l) => [l.code, l.count]), [['A', 2]], 'B counted nothing more: no line');
    clock.advance(10_000);
    log.flush(clock.nowNs(), sink);
    assert.equal(lines.length, 3, 'a quiet interval closes A without a line');
    log.record('A', clock.nowNs(), {}, sink);
    assert.deepEqual([lines[3]!.code, lines[3]!.count], ['A', 1], 'the next denial after a quiet interval is logged at once');
  });

  it('drain reports what is counted (on stop) and refuses a bad interval', () => {
    const { clock, lines, sink, log } = setup();
    log.record('A', clock.nowNs(), {}, sink);
    log.record('A', clock.nowNs(), {}, sink);
    log.drain(sink);
    assert.deepEqual(lines.map((l) => l.count), [1, 1]);
    assert.throws(() => new DenialLog('x', 0), /intervalMs: expected a whole number of ms >= 1, got 0/);
  });
});
