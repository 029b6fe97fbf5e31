import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../common/clock.js';
import { watchParent } from '../../../daemon/parent-watch.js';

describe('watchParent', () => {
  it('calls back once when the parent pid changes, never while it stays, and not after stop', () => {
    const clock = new SimulatedClock();
    let ppid = 4242;
    const seen: [number, number][] = [];
    const stop = watchParent(clock, (a, b) => seen.push([a, b]), { intervalMs: 100, readPpid: () => ppid });
    clock.advance(1000);
    assert.deepEqual(seen, []);
    ppid = 1;
    clock.advance(100);
    assert.deepEqual(seen, [[4242, 1]]);
    clock.advance(1000);
    assert.equal(seen.length, 1, 'once');
    stop();

    const seen2: number[] = [];
    let p2 = 7;
    const stop2 = watchParent(clock, () => seen2.push(1), { intervalMs: 100, readPpid: () => p2 });
    stop2();
    p2 = 1;
    clock.advance(1000);
    assert.deepEqual(seen2, [], 'stopped watch never fires');
  });
});
