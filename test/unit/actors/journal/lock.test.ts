import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JournalLockedError } from '../../../../actors/journal/errors.js';
import { LOCK_FILE } from '../../../../actors/journal/lock.js';
import { open, tempDir } from './helpers.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/journal/hold-lock.ts');

function startHolder(dir: string): Promise<{ child: ChildProcess; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BOT4_LOG_LEVEL: 'silent' } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, pid: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`holder exited early with ${code}: ${out}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

describe('journal lock file', () => {
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

  it('treats a lock naming a dead pid, or garbage, as stale; one from another host as held', async () => {
    const t = tempDir();
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const lock = path.join(t.dir, LOCK_FILE);
      writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname() }));
      const j = await open({ dir: t.dir });
      await j.close();
      writeFileSync(lock, 'garbage');
      const k = await open({ dir: t.dir });
      await k.close();
      writeFileSync(lock, JSON.stringify({ pid: dead, host: 'elsewhere' }));
      await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalLockedError && /elsewhere/.test(e.message));
    } finally {
      t.cleanup();
    }
  });
});
