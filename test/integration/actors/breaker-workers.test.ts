import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { CircuitBreaker } from '../../../actors/exchange/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../../actors/exchange/circuit-breaker-options.js';
import { LiveClock } from '../../../common/clock.js';
import { AtomicCounters } from '../../../native/atomic-counters.js';
import { tsWorker } from '../../fixtures/workers/ts-worker.js';

interface Reply {
  trials: number;
  closes: number;
  attempts: number;
  state: string;
}

describe('CircuitBreaker half-open permits under contention across worker threads', () => {
  const workers: Worker[] = [];
  before(async () => {
    for (let i = 0; i < 4; i++) workers.push(tsWorker(new URL('../../fixtures/workers/breaker-worker.ts', import.meta.url)));
    // wait until every worker has loaded (a round with nothing to do)
    await round({ openDurationMs: 1, maxOpenDurationMs: 1 }, AtomicCounters.create(CircuitBreaker.slotsNeeded()), false, 0);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  });

  function round(options: CircuitBreakerOptions, counters: AtomicCounters, reportSuccess: boolean, hammerMs: number): Promise<Reply[]> {
    return Promise.all(
      workers.map(
        (w) =>
          new Promise<Reply>((resolve, reject) => {
            const onError = (e: Error): void => reject(e);
            w.once('error', onError);
            w.once('message', (m: Reply) => {
              w.off('error', onError);
              resolve(m);
            });
            w.postMessage({ buffer: counters.buffer, options, reportSuccess, hammerMs, maxAttempts: 3_000_000 });
          }),
      ),
    );
  }

  for (let r = 0; r < 6; r++) {
    const permits = 1 + (r % 5);
    const reportSuccess = r % 2 === 1;
    it(`round ${r + 1}: ${permits} permit(s), ${reportSuccess ? 'trials succeed: exactly one close' : 'no results: stays half-open'}`, async () => {
      const options: CircuitBreakerOptions = {
        openDurationMs: 40,
        maxOpenDurationMs: 40,
        halfOpenPermits: permits,
        halfOpenSuccesses: permits,
        halfOpenTimeoutMs: 0,
        consecutiveFailures: 1,
      };
      const counters = AtomicCounters.create(CircuitBreaker.slotsNeeded(options));
      const main = new CircuitBreaker({ ...options, counters }, new LiveClock());
      assert.ok(main.tryAcquire() > 0);
      main.onFailure(1000);
      assert.equal(main.state, 'open');
      // the workers race the open -> half-open transition and then the permits
      const replies = await round(options, counters, reportSuccess, 150);
      const trials = replies.reduce((s, x) => s + x.trials, 0);
      const closes = replies.reduce((s, x) => s + x.closes, 0);
      assert.equal(trials, permits, `trial permits granted: ${replies.map((x) => x.trials).join(' + ')}`);
      if (reportSuccess) {
        assert.equal(closes, 1);
        assert.equal(main.state, 'closed');
      } else {
        assert.equal(closes, 0);
        assert.equal(main.state, 'half-open');
      }
      assert.ok(replies.every((x) => x.attempts > 1000), 'every worker hammered');
    });
  }
});
