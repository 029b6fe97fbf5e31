import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/*
 * `bot4 chaos run` with stderr not a terminal (a pipe, as in CI): one progress line per phase, in
 * order, then the verdict; and the report's description is the run's own timeline.
 */
describe('bot4 chaos run: progress in a log (stderr not a TTY)', function () {
  this.timeout(180_000);
  let dir = '';
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('writes one line per phase, then the verdict, with no terminal control sequences', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-chaos-progress-'));
    writeFileSync(
      path.join(dir, 'tiny.yaml'),
      `description: A short run with one network profile change, for the progress test.
seed: 3
duration: 4s
tail: 1s
venues: { count: 1 }
strategies:
  - { id: cr, kind: constant-rate, instruments: [sim-a:BTC/USDT], params: { ratePerSec: 5, qtyLots: 100, offsetTicks: 300 } }
timeline:
  - { at: 1s, do: profile, venue: sim-a, profile: good }
expect: { minOrders: 0, maxRssMb: 2000, restartP99Ms: 600000, recoveryP99Ms: 600000 }
`,
    );
    const child = spawn(process.execPath, ['bin/bot4.js', 'chaos', 'run', path.join(dir, 'tiny.yaml'), '--out', path.join(dir, 'out')], { cwd: ROOT, env: { ...process.env, BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    assert.ok(code === 0 || code === 1, `exit ${code}\n${err}\n${out}`);
    assert.ok(!err.includes('\r') && !err.includes('\x1b'), 'no terminal control sequences in a log');
    const lines = err.split('\n').filter((l) => l.startsWith('[chaos tiny] '));
    assert.deepEqual(
      lines.map((l) => /^\[chaos tiny\] (\S+)/.exec(l)![1]),
      ['starting', 'faults', 'healing', 'tail', 'settling', 'checking', code === 0 ? 'PASS' : 'FAIL'],
      err,
    );
    assert.match(lines[1]!, /^\[chaos tiny\] faults \d+\.\ds ETA \d+\.\ds · orders \d+ \(open \d+, unknown \d+\) · faults 0\/1/);
    const report = JSON.parse(readFileSync(path.join(dir, 'out', 'tiny', 'report.json'), 'utf8')) as { description: string; about: string; series: { pnl: { s: number[] }; markers: { label: string }[] } };
    assert.match(report.description, /^Full run of tiny: 4\.0s of timeline, seed 3, on 1 simulated venue .* \(1\) at 1 s: sim-a network profile good\./);
    assert.equal(report.about, 'A short run with one network profile change, for the progress test.');
    assert.ok(report.series.pnl.s.length > 0, 'PnL samples from the engine');
    assert.deepEqual(report.series.markers.map((m) => m.label), ['#0 sim-a profile good']);
  });
});
