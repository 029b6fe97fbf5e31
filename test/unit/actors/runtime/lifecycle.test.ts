import assert from 'node:assert/strict';
import { LIFECYCLE_STATES, Lifecycle, LifecycleTransitionError, canTransition } from '../../../../actors/runtime/index.js';

describe('runtime/lifecycle', () => {
  it('has the eight shared states and a normal path ready → starting → running → stopping → stopped', () => {
    assert.deepEqual([...LIFECYCLE_STATES], ['ready', 'starting', 'running', 'degraded', 'halted', 'stopping', 'stopped', 'faulted']);
    const l = new Lifecycle('x');
    for (const s of ['starting', 'running', 'degraded', 'halted', 'running', 'stopping', 'stopped'] as const) {
      assert.equal(l.to(s), true);
      assert.equal(l.state, s);
    }
    assert.equal(l.to('stopped'), false);
  });

  it('refuses moves the machine does not allow, with a typed error', () => {
    const l = new Lifecycle('exchange.x');
    assert.throws(() => l.to('running'), (e: unknown) => e instanceof LifecycleTransitionError && e.code === 'B4_LIFECYCLE_TRANSITION' && /ready to running/.test(e.message));
    assert.equal(l.state, 'ready');
    assert.equal(canTransition('stopped', 'running'), false);
    assert.equal(canTransition('faulted', 'running'), false);
    assert.equal(canTransition('faulted', 'stopping'), true);
  });
});
