import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { QUIET_YAML, startDaemon, stopDaemon, type DaemonChild } from './harness.js';

/** Every file of the embedded venue's state folder with its content. */
function snapshotDir(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isFile()) out.set(f, readFileSync(p));
  }
  return out;
}

describe('daemon: a second daemon on the same journal', function () {
  this.timeout(180_000);
  let first: DaemonChild | undefined;

  after(async () => {
    if (first !== undefined) {
      await stopDaemon(first);
      rmSync(first.dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with B4_JOURNAL_LOCKED before its simulator touches the running venue state', async () => {
    first = await startDaemon(QUIET_YAML);
    const simDir = path.join(first.dir, 'journal', 'sim');
    const before = snapshotDir(simDir);
    assert.ok(before.size > 0, 'the embedded venue keeps its state under the journal');
    // the second daemon: same folder, same config; its own port
    let err: unknown;
    try {
      const second = await startDaemon(QUIET_YAML, { dir: first.dir, timeoutMs: 60_000 });
      await stopDaemon(second);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error, 'the second daemon must not become ready');
    assert.match(err.message, /exited \(2\) before ready/);
    assert.match(err.message, /B4_JOURNAL_LOCKED/);
    assert.match(err.message, new RegExp(`pid ${first.proc.pid}\\b`), 'the message names the running daemon');
    // The running daemon only appends to its venue logs; a second simulator on the same folder would
    // have compacted them at its start (a new snapshot, logs cut back).
    const after = snapshotDir(simDir);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), 'no file created or removed in the running venue state');
    for (const [f, b] of before) assert.ok(after.get(f)!.subarray(0, b.length).equals(b), `${f} was only appended to, never rewritten`);
    // the first daemon is unaffected
    const health = await fetch(first.urls.health!);
    assert.equal(health.status, 200);
  });
});
