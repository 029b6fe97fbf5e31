import assert from 'node:assert/strict';
import { AtomicCounters, nativeCountersAvailable } from '../../../native/atomic-counters.js';
import { runTsWorker } from '../../fixtures/workers/ts-worker.js';

const workerUrl = new URL('../../fixtures/workers/counters-worker.ts', import.meta.url);
const runWorker = (data: unknown): Promise<{ implementation: string; retries: number }> => runTsWorker(workerUrl, data);

describe('AtomicCounters across worker threads', () => {
  it('4 workers × 10^6 mixed native / TS-twin / raw Atomics increments lose nothing', async () => {
    const native = nativeCountersAvailable();
    const counters = AtomicCounters.create(4);
    const increments = 1_000_000;
    const casIncrements = 50_000;
    const results = await Promise.all([0, 1, 2, 3].map(() => runWorker({ buffer: counters.buffer, increments, casIncrements, native })));
    assert.deepEqual(
      results.map((r) => r.implementation),
      Array(4).fill(native ? 'native' : 'ts'),
    );
    assert.equal(counters.load(0), 4 * increments);
    assert.equal(counters.load(1), 4 * casIncrements);
    // neighbouring slots (own cache lines) were never touched
    assert.equal(counters.load(2), 0);
    assert.equal(counters.load(3), 0);
    assert.deepEqual([...new BigInt64Array(counters.buffer)].filter((v, i) => i % 8 !== 0 && v !== 0n), []);
  });
});
