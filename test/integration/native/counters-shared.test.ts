import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AtomicCounters, nativeCountersAvailable } from '../../../native/atomic-counters.js';
import { CountersError } from '../../../native/errors.js';

const child = fileURLToPath(new URL('../../fixtures/workers/counters-process.ts', import.meta.url));

interface ChildResult {
  ok: boolean;
  implementation?: string;
  name?: string;
  code?: string;
  message?: string;
}

function runChild(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
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
});
