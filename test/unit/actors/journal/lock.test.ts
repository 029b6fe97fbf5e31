import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JournalLockedError } from '../../../../actors/journal/errors.js';
import { kernelLockUnavailableReason } from '../../../../native/file-lock.js';
import { acquireLock, acquirePidFileLock, LOCK_FILE } from '../../../../actors/journal/lock.js';
import { open, tempDir } from './helpers.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/journal/hold-lock.ts');

function startHolder(dir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; pid: number; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, BOT4_LOG_LEVEL: 'silent', ...env } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, pid: Number(m[1]), stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`holder exited early with ${code}: ${out} ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

describe('journal lock (kernel flock on the directory)', () => {
  it('refuses a second open in the same process and releases on close', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir });
      await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalLockedError && e.code === 'B4_JOURNAL_LOCKED' && e.pid === process.pid && e.message.includes(path.join(t.dir, LOCK_FILE)));
      await j.close();
      assert.ok(!existsSync(path.join(t.dir, LOCK_FILE)));
      const k = await open({ dir: t.dir });
      await k.close();
    } finally {
      t.cleanup();
    }
  });

  it('refuses while another live process holds it, recovers the stale lock once that process is SIGKILLed', async () => {
    const t = tempDir();
    try {
      const { child, pid } = await startHolder(t.dir);
      try {
        await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalLockedError && e.pid === pid && new RegExp(`pid ${pid}`).test(e.message));
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
      assert.equal(JSON.parse(readFileSync(path.join(t.dir, LOCK_FILE), 'utf8')).pid, pid, 'the killed holder left its lock behind');
      const j = await open({ dir: t.dir });
      assert.equal(JSON.parse(readFileSync(path.join(t.dir, LOCK_FILE), 'utf8')).pid, process.pid);
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('a deleted or garbage LOCK file does not let a second writer in while the holder lives; SIGKILL frees it', async function () {
    if (kernelLockUnavailableReason() !== undefined) this.skip(); // BOT4_NATIVE=0: only the advisory lock (tested below)
    const t = tempDir();
    try {
      const { child, pid } = await startHolder(t.dir);
      const lock = path.join(t.dir, LOCK_FILE);
      try {
        rmSync(lock);
        await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalLockedError && e.code === 'B4_JOURNAL_LOCKED' && /missing or unreadable/.test(e.message));
        assert.throws(() => acquireLock(t.dir), JournalLockedError);
        writeFileSync(lock, 'garbage');
        await assert.rejects(open({ dir: t.dir }), JournalLockedError);
        writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere' }));
        await assert.rejects(open({ dir: t.dir }), JournalLockedError);
        writeFileSync(lock, JSON.stringify({ pid, host: os.hostname() }));
        await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalLockedError && e.pid === pid);
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
      const j = await open({ dir: t.dir });
      assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('the kernel is the authority: a LOCK file naming a dead pid, garbage or another host, with no holder, is taken over', function () {
    if (kernelLockUnavailableReason() !== undefined) this.skip();
    const t = tempDir();
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const lock = path.join(t.dir, LOCK_FILE);
      for (const content of [JSON.stringify({ pid: dead, host: os.hostname() }), 'garbage', JSON.stringify({ pid: dead, host: 'elsewhere' })]) {
        writeFileSync(lock, content);
        const l = acquireLock(t.dir);
        assert.equal(l.kind, 'kernel');
        l.release();
        assert.ok(!existsSync(lock), 'released: our informational LOCK file is removed');
      }
    } finally {
      t.cleanup();
    }
  });

  it('without the native addon (BOT4_NATIVE=0): the pid-file lock with a loud B4_JOURNAL_LOCK_ADVISORY warning; a kernel-locking process still refuses to share with it', async () => {
    const t = tempDir();
    try {
      const { child, pid, stderr } = await startHolder(t.dir, { BOT4_NATIVE: '0', BOT4_LOG_LEVEL: 'warn' });
      try {
        assert.match(stderr(), /B4_JOURNAL_LOCK_ADVISORY/);
        assert.equal(JSON.parse(readFileSync(path.join(t.dir, LOCK_FILE), 'utf8')).pid, pid);
        await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalLockedError && e.pid === pid);
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
      const l = acquirePidFileLock(t.dir);
      assert.equal(l.kind, 'pidfile');
      assert.throws(() => acquirePidFileLock(t.dir), JournalLockedError);
      l.release();
    } finally {
      t.cleanup();
    }
  });

  it('the pid-file fallback: a dead pid or garbage is stale, another host is held', () => {
    const t = tempDir();
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const lock = path.join(t.dir, LOCK_FILE);
      writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname() }));
      acquirePidFileLock(t.dir).release();
      writeFileSync(lock, 'garbage');
      acquirePidFileLock(t.dir).release();
      writeFileSync(lock, JSON.stringify({ pid: dead, host: 'elsewhere' }));
      assert.throws(() => acquirePidFileLock(t.dir), (e: unknown) => e instanceof JournalLockedError && /elsewhere/.test(e.message));
    } finally {
      t.cleanup();
    }
  });
});
