import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JournalLockedError } from './errors.js';

let tmpCounter = 0;

/** Name of the lock file inside the journal directory. */
export const LOCK_FILE = 'LOCK';

/** A held journal lock; {@link release} it on shutdown. */
export interface JournalLock {
  readonly path: string;
  /** Removes the lock file (only if it is still ours). Idempotent. */
  release(): void;
}

/**
 * Takes the journal's lock: one process per journal directory.
 *
 * The lock file holds `{"pid","host"}`. It is created atomically *with* its content: written to a
 * private temp file, then `link()`ed to `LOCK`, which fails with EEXIST like an `O_EXCL` create but
 * never exposes an empty lock to a concurrent reader.
 *
 * When `LOCK` exists and names a pid that is alive (`kill(pid, 0)` succeeds or says EPERM) — this
 * process included — {@link JournalLockedError} (`B4_JOURNAL_LOCKED`) names the pid and path. A
 * lock whose pid is dead (ESRCH) is stale (its owner was killed): it is removed and taking the lock
 * is retried. Limits: the pid check is meaningful on one host only (a lock written by another host
 * is never considered stale); a recycled pid makes a stale lock look live (the safe direction: the
 * operator removes it); two processes recovering the same stale lock at the same instant could
 * both succeed — recovery is meant for a supervisor restarting one daemon.
 */
export function acquireLock(dir: string): JournalLock {
  const lockPath = path.join(dir, LOCK_FILE);
  const host = os.hostname();
  const tmp = path.join(dir, `${LOCK_FILE}.${process.pid}.${tmpCounter++}.tmp`);
  const fd = openSync(tmp, 'wx');
  try {
    // No fsync: after a power loss every lock is stale anyway (its pid is gone).
    writeSync(fd, JSON.stringify({ pid: process.pid, host }));
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, lockPath);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw e;
      }
      const owner = readOwner(lockPath);
      if (owner === undefined) continue; // vanished between link and read: retry
      if (owner.host !== host || owner.pid === process.pid || isAlive(owner.pid)) throw new JournalLockedError(lockPath, owner.pid, owner.host);
      // Stale: the owner is dead. Remove and retry.
      try {
        unlinkSync(lockPath);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  } finally {
    unlinkSync(tmp);
  }
  let released = false;
  return {
    path: lockPath,
    release(): void {
      if (released) return;
      released = true;
      const owner = readOwner(lockPath);
      if (owner !== undefined && owner.pid === process.pid && owner.host === host) unlinkSync(lockPath);
    },
  };
}

/** The owner recorded in a lock file, or undefined when it does not exist. Unreadable content counts as pid 0 (dead). */
export function readOwner(lockPath: string): { pid: number; host: string } | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const o = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (Number.isSafeInteger(o.pid) && typeof o.host === 'string') return { pid: o.pid as number, host: o.host };
  } catch {
    // fall through: garbage in a lock file is treated as a dead owner
  }
  return { pid: 0, host: os.hostname() };
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
