import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CircuitBreaker } from '../../../actors/exchange/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../../actors/exchange/circuit-breaker-options.js';
import { AtomicCounters, nativeCountersAvailable } from '../../../native/atomic-counters.js';
import { CountersError } from '../../../native/errors.js';

const child = fileURLToPath(new URL('../../fixtures/workers/counters-process.ts', import.meta.url));
const breakerChild = fileURLToPath(new URL('../../fixtures/workers/breaker-process.ts', import.meta.url));

interface ChildResult {
  ok: boolean;
  implementation?: string;
  name?: string;
  code?: string;
  message?: string;
  // breaker-process.ts
  trials?: number;
  events?: string[];
  attempts?: number;
  state?: string;
}

function runChild(args: string[], env: NodeJS.ProcessEnv = {}, script = child): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { ...process.env, BOT4_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 40_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as ChildResult);
      } catch {
        reject(new Error(`child exited ${code} without a result: ${out} ${err}`));
      }
    });
  });
}

describe('AtomicCounters.openShared across processes', function () {
  let dir: string;
  // /dev/shm is the intended home (tmpfs); fall back to os.tmpdir() where it does not exist
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  before(function () {
    if (!nativeCountersAvailable()) this.skip();
    dir = mkdtempSync(path.join(base, 'b4-shared-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two child processes on one file lose no increment (native and JS Atomics mixed)', async () => {
    const file = path.join(dir, 'counters');
    const increments = 400_000;
    const results = await Promise.all([runChild([file, '4', String(increments), '2']), runChild([file, '4', String(increments), '2'])]);
    assert.deepEqual(results.map((r) => [r.ok, r.implementation, r.message]), [
      [true, 'native', undefined],
      [true, 'native', undefined],
    ]);
    const c = AtomicCounters.openShared(file, 4);
    assert.equal(c.load(0), 2 * increments);
    assert.equal(c.load(1), 2 * (increments / 10));
    assert.equal(c.load(2), 2);
    assert.equal(c.load(3), 0);
    c.close();
  });

  it('a process opening the file with another slot count gets a typed error', async () => {
    const file = path.join(dir, 'mismatch');
    AtomicCounters.openShared(file, 4).close();
    const r = await runChild([file, '8', '10', '1']);
    assert.equal(r.ok, false);
    assert.equal(r.name, 'CountersError');
    assert.equal(r.code, 'B4_COUNTERS_SHARED_OPEN');
    assert.match(r.message!, /4 slots in the file, 8 requested/);
    assert.throws(() => AtomicCounters.openShared(file, 3), CountersError);
  });

  it('with BOT4_NATIVE=0 the TS twin says clearly that it cannot share across processes', async () => {
    const r = await runChild([path.join(dir, 'ts-only'), '4', '10', '1'], { BOT4_NATIVE: '0' });
    assert.equal(r.ok, false);
    assert.equal(r.name, 'NativeUnavailableError');
    assert.equal(r.code, 'B4_NATIVE_UNAVAILABLE');
    assert.match(r.message!, /across processes needs the native addon.*BOT4_NATIVE=0/);
    assert.equal(existsSync(path.join(dir, 'ts-only')), false);
  });

  // The reason openShared exists: several bot processes on one account tripping one breaker
  // together. The breaker's hot state is int32 Atomics on the mapped (non-shared) ArrayBuffer.
  function breakerRun(name: string, options: CircuitBreakerOptions, mode: 'succeed' | 'cycle', parentFailures: number) {
    const file = path.join(dir, name);
    const slots = 1 + CircuitBreaker.slotsNeeded(options);
    const counters = AtomicCounters.openShared(file, slots);
    const parent = new CircuitBreaker({ ...options, counters });
    const parentEvents: string[] = [];
    parent.on('transition', (e) => parentEvents.push(`${e.from}>${e.to}:${e.reason}`));
    for (let i = 0; i < parentFailures; i++) {
      assert.ok(parent.tryAcquire() > 0);
      parent.onFailure(1000);
    }
    const args = [file, String(slots), JSON.stringify(options), mode, '1500'];
    return {
      counters,
      parent,
      parentEvents,
      children: Promise.all([runChild(args, {}, breakerChild), runChild(args, {}, breakerChild)]).then((results) => {
        assert.deepEqual(results.map((r) => [r.ok, r.message]), [
          [true, undefined],
          [true, undefined],
        ]);
        const events = results.flatMap((r) => r.events!);
        assert.ok(results.every((r) => r.attempts! > 1000), 'both children hammered');
        return { results, events, count: (e: string): number => events.filter((x) => x === e).length };
      }),
    };
  }

  it('a CircuitBreaker over the file is one breaker for three processes: trip, exact trials, one close', async () => {
    const permits = 5;
    const options: CircuitBreakerOptions = {
      consecutiveFailures: 4,
      openDurationMs: 500,
      maxOpenDurationMs: 500,
      halfOpenPermits: permits,
      halfOpenSuccesses: permits,
      halfOpenTimeoutMs: 0,
      slotBase: 1, // slot 0: the children's arrival barrier
    };
    const run = breakerRun('breaker-succeed', options, 'succeed', 3);
    assert.equal(run.parent.state, 'closed'); // one failure short of consecutiveFailures: a child's failure trips it
    const { results, events, count } = await run.children;
    assert.equal(count('closed>open:consecutive-failures'), 1, events.join(', '));
    assert.equal(count('open>half-open:open-timeout'), 1, events.join(', '));
    assert.equal(count('half-open>closed:half-open-success'), 1, events.join(', '));
    assert.equal(results.reduce((s, r) => s + r.trials!, 0), permits, `trial permits granted: ${results.map((r) => r.trials).join(' + ')}`);
    assert.equal(run.parent.state, 'closed');
    assert.deepEqual(run.parentEvents, []); // it last looked while closed and sees closed again: no state change to report
    assert.deepEqual(run.parent.metrics(), { state: 'closed', calls: 0, failures: 0, slowCalls: 0, consecutiveFailures: 0, trips: 0 });
    run.counters.close();
  });

  it('exactly halfOpenPermits trials in every half-open phase, raced for by two processes over many phases', async () => {
    const permits = 4;
    // open 1 ms, half-open times out 1 ms after it began once every permit is taken: the
    // breaker cycles open -> half-open -> open for as long as the children hammer it
    const options: CircuitBreakerOptions = {
      consecutiveFailures: 4,
      openDurationMs: 1,
      maxOpenDurationMs: 1,
      halfOpenPermits: permits,
      halfOpenSuccesses: permits,
      halfOpenTimeoutMs: 1,
      slotBase: 1,
    };
    const run = breakerRun('breaker-cycle', options, 'cycle', 4);
    assert.equal(run.parent.state, 'open');
    const { results, count } = await run.children;
    // The last phase may be unfinished: the parent takes whatever permits are left in it (or
    // opens the next phase itself if the open period has run out, and takes that one's permits).
    let drained = 0;
    while (run.parent.tryAcquire() > 0) drained++;
    const phases = count('open>half-open:open-timeout') + run.parentEvents.filter((x) => x === 'open>half-open:open-timeout').length;
    const trials = results.reduce((s, r) => s + r.trials!, 0) + drained;
    assert.ok(phases >= 2, `half-open phases: ${phases}`);
    assert.equal(trials, permits * phases, `trial permits ${results.map((r) => r.trials).join(' + ')} + ${drained} over ${phases} phases`);
    run.counters.close();
  });
});
