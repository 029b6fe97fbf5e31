import assert from 'node:assert/strict';
import { formatDuration, formatProgress, ProgressWriter, type ProgressState } from '../../../chaos/progress.js';

const state = (over: Partial<ProgressState> = {}): ProgressState => ({
  scenario: 'soak',
  phase: 'faults',
  elapsedMs: 65_000,
  etaMs: 535_000,
  orders: 1234,
  open: 3,
  unknown: 1,
  faultsDone: 4,
  faultsPlanned: 12,
  venues: 'sim-a:running/closed sim-b:degraded/half-open',
  rssMb: 142,
  ...over,
});

class Sink {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe('chaos/progress: the line a person follows', () => {
  it('shows phase, elapsed, ETA, orders so far and faults', () => {
    assert.equal(formatProgress(state()), '[chaos soak] faults 1m05s ETA 8m55s · orders 1234 (open 3, unknown 1) · faults 4/12 · sim-a:running/closed sim-b:degraded/half-open · rss 142MB');
    assert.equal(formatProgress(state({ phase: 'starting', elapsedMs: 1500, etaMs: 40_000, orders: 0, open: 0, unknown: 0, faultsDone: 0, venues: '', rssMb: 0 })), '[chaos soak] starting 1.5s ETA 40.0s · orders 0 (open 0, unknown 0) · faults 0/12');
    assert.match(formatProgress(state({ phase: 'settling', etaMs: undefined })), /^\[chaos soak\] settling 1m05s ETA \? · /);
  });

  it('formats durations as seconds, minutes, hours', () => {
    assert.deepEqual([formatDuration(0), formatDuration(12_345), formatDuration(125_000), formatDuration(3_725_000), formatDuration(-5)], ['0.0s', '12.3s', '2m05s', '1h02m', '0.0s']);
  });

  it('on a TTY: every update rewrites the line in place, cut to the terminal width; the final line ends it', () => {
    const out = new Sink(true, 40);
    const w = new ProgressWriter(out);
    w.update(formatProgress(state()), false, state());
    w.update(formatProgress(state({ orders: 1300 })), false, state({ orders: 1300 }));
    w.update('[chaos soak] PASS in 601.0s', true);
    const parts = out.text.split('\r\x1b[2K');
    assert.equal(parts[0], '', 'every write starts by returning to column 0 and erasing the line');
    assert.equal(parts.length, 4);
    assert.equal(parts[1], '[chaos soak] faults 1m05s ETA 8m55s · o', 'cut to columns − 1');
    assert.ok(!parts[1]!.includes('\n') && !parts[2]!.includes('\n'), 'no newline while running');
    assert.equal(parts[3], '[chaos soak] PASS in 601.0s\n');
  });

  it('not a TTY: one line per phase (not one per update), and the final line', () => {
    const out = new Sink(false);
    const w = new ProgressWriter(out);
    for (const phase of ['starting', 'starting', 'faults', 'faults', 'faults', 'healing', 'tail', 'tail', 'settling', 'checking'] as const) w.update(formatProgress(state({ phase })), false, state({ phase }));
    w.update('[chaos soak] PASS in 601.0s', true);
    const lines = out.text.split('\n').filter((l) => l !== '');
    assert.deepEqual(
      lines.map((l) => /^\[chaos soak\] (\S+)/.exec(l)![1]),
      ['starting', 'faults', 'healing', 'tail', 'settling', 'checking', 'PASS'],
    );
    assert.ok(!out.text.includes('\r') && !out.text.includes('\x1b'), 'no terminal control sequences in a log');
  });
});
