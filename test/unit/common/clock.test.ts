import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiveClock, SimulatedClock } from '../../../common/clock.js';
import { nativeBinding } from '../../../native/loader.js';
import { InvalidArgumentError } from '../../../common/errors.js';

describe('SimulatedClock', () => {
  it('fires timers in due-time then creation order, at their due time', () => {
    const c = new SimulatedClock();
    const seen: string[] = [];
    c.setTimer(5, () => seen.push(`b@${c.nowNs()}`));
    c.setTimer(1, () => seen.push(`a@${c.nowNs()}`));
    c.setTimer(5, () => seen.push(`c@${c.nowNs()}`));
    const h = c.setTimer(3, () => seen.push('cancelled'));
    c.clearTimer(h);
    c.advance(4);
    assert.deepEqual(seen, ['a@1000000']);
    assert.equal(c.nowNs(), 4e6);
    c.advance(10);
    assert.deepEqual(seen, ['a@1000000', 'b@5000000', 'c@5000000']);
    assert.equal(c.pendingTimers, 0);
  });

  it('timers set by timers fire within the same advance when due', () => {
    const c = new SimulatedClock();
    const seen: number[] = [];
    c.setTimer(1, () => c.setTimer(1, () => seen.push(c.nowNs())));
    c.advance(5);
    assert.deepEqual(seen, [2e6]);
  });

  it('runAll drains pending timers and epochMs follows virtual time', () => {
    const c = new SimulatedClock({ startEpochMs: 1000 });
    let n = 0;
    c.setTimer(100, () => n++);
    c.setTimer(200, () => n++);
    assert.equal(c.runAll(), 2);
    assert.equal(n, 2);
    assert.equal(c.epochMs(), 1200);
  });

  it('rejects bad delays and time travel with typed errors', () => {
    const c = new SimulatedClock();
    assert.throws(() => c.setTimer(-1, () => {}), InvalidArgumentError);
    assert.throws(() => c.setTimer(Number.NaN, () => {}), /expected a finite number >= 0, got NaN/);
    assert.throws(() => c.advance(-1), InvalidArgumentError);
    c.advance(1);
    assert.throws(() => c.advanceToNs(0), /expected a time >= 1000000, got 0/);
    assert.throws(() => new SimulatedClock({ startNs: -5 }), InvalidArgumentError);
  });
});

describe('LiveClock', () => {
  it('is monotonic and fires timers', async () => {
    const c = new LiveClock();
    const a = c.nowNs();
    const fired = await new Promise<number>((resolve) => c.setTimer(2, () => resolve(c.nowNs())));
    assert.ok(fired > a);
    const h = c.setTimer(1, () => assert.fail('cancelled timer fired'));
    c.clearTimer(h);
    // A later timer on the same clock fires after the cancelled one would have.
    await new Promise<void>((resolve) => c.setTimer(3, resolve));
    assert.ok(Math.abs(c.epochMs() - Date.now()) < 1000);
  });
});

describe('LiveClock source (issue 16: a clock read that does not allocate)', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

  it('reads the native CLOCK_MONOTONIC cell when the addon is loaded, on performance.now()\'s origin', () => {
    assert.equal(LiveClock.source, nativeBinding !== null ? 'native' : 'performance.now', String(LiveClock.sourceReason));
    const c = new LiveClock();
    let last = -Infinity;
    for (let k = 0; k < 1000; k++) {
      const before = performance.now() * 1e6;
      const t = c.nowNs();
      const after = performance.now() * 1e6;
      // the same clock underneath: the read lies between two performance.now() reads (1 ms slack for the offset's calibration)
      assert.ok(t >= before - 1e6 && t <= after + 1e6, `${t} not within [${before}, ${after}]`);
      assert.ok(t >= last, 'never goes backwards');
      last = t;
    }
  });

  it('nowNsInto / epochMsInto write the same readings into a typed array slot (the risk check reads the clock this way)', () => {
    const c = new LiveClock();
    const cell = new Float64Array(3).fill(-1);
    for (let k = 0; k < 100; k++) {
      const before = c.nowNs();
      c.nowNsInto(cell, 1);
      const after = c.nowNs();
      assert.ok(cell[1]! >= before && cell[1]! <= after, `${cell[1]} not within [${before}, ${after}]`);
      const e0 = Date.now();
      c.epochMsInto(cell);
      assert.ok(cell[0]! >= e0 && cell[0]! <= Date.now());
    }
    assert.equal(cell[2], -1, 'other slots untouched');
  });

  it('falls back to performance.now() with BOT4_NATIVE=0 and says why', () => {
    const code = "import { LiveClock } from './common/clock.ts'; const c = new LiveClock(); const a = c.nowNs(); const b = c.nowNs(); console.log(JSON.stringify({ source: LiveClock.source, reason: LiveClock.sourceReason, ok: b >= a && a > 0 }));";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, env: { ...process.env, BOT4_NATIVE: '0', BOT4_LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const line = r.stdout.trim().split('\n').pop()!;
    assert.deepEqual(JSON.parse(line), { source: 'performance.now', reason: 'BOT4_NATIVE=0 forces the TS twins', ok: true });
  });
});
