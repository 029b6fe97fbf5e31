import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../../common/log.js';
import { FileLockError } from '../../native/errors.js';
import { acquireDirLock, kernelLockUnavailableReason, releaseDirLock } from '../../native/file-lock.js';
import { JournalLockedError } from './errors.js';

let tmpCounter = 0;

/** Name of the lock file inside the journal directory. */
export const LOCK_FILE = 'LOCK';

/** A held journal lock; {@link release} it on shutdown. */
export interface JournalLock {
  readonly path: string;
  /**
   * `kernel`: flock on the journal directory (native addon), released by the kernel when the
   * process exits. `pidfile`: the advisory pid-file lock used without the addon (BOT4_NATIVE=0).
   */
  readonly kind: 'kernel' | 'pidfile';
  /** Releases the lock and removes the lock file (only if it is still ours). Idempotent. */
  release(): void;
}

/** Code of the warning logged when only the advisory pid-file lock is available. */
export const LOCK_ADVISORY_CODE = 'B4_JOURNAL_LOCK_ADVISORY';
let warnedAdvisory = false;

/**
 * Takes the journal's lock: one writer per journal directory.
 *
 * With the native addon (the normal case) the lock is `flock(LOCK_EX | LOCK_NB)` on a descriptor
 * of the directory itself (native/lock.c), kept open until {@link JournalLock.release}. The kernel
 * is the only authority: deleting or overwriting the `LOCK` file changes nothing (the lock is not
 * on that file, so a deleted-and-recreated file cannot be locked "again"), and the lock disappears
 * with its holder however it exits (SIGKILL included), so a restart needs no cleanup. `LOCK` still
 * holds `{"pid","host"}`, written after the lock is taken, only so {@link JournalLockedError} can
 * name the holder.
 *
 * Without the addon (`BOT4_NATIVE=0`, or it failed to build) Node offers no kernel lock, so the
 * old pid-file lock is used and a warning `B4_JOURNAL_LOCK_ADVISORY` is logged once: that lock is
 * advisory (a deleted or garbage `LOCK` lets a second writer in). See docs/journal.md.
 */
export function acquireLock(dir: string): JournalLock {
  const reason = kernelLockUnavailableReason();
  if (reason === undefined) return acquireKernelLock(dir);
  if (!warnedAdvisory) {
    warnedAdvisory = true;
    logger.warn({ code: LOCK_ADVISORY_CODE, journal: dir, reason }, `${LOCK_ADVISORY_CODE}: no kernel lock available (${reason}); the journal lock is an advisory pid file: deleting or corrupting ${path.join(dir, LOCK_FILE)} lets a second writer in`);
  }
  return acquirePidFileLock(dir);
}

function acquireKernelLock(dir: string): JournalLock {
  const lockPath = path.join(dir, LOCK_FILE);
  const host = os.hostname();
  let fd: number;
  try {
    fd = acquireDirLock(dir);
  } catch (e) {
    if (e instanceof FileLockError && e.code === 'B4_FILE_LOCK_HELD') {
      const owner = readOwner(lockPath);
      throw new JournalLockedError(lockPath, owner?.pid ?? 0, owner?.host ?? 'unknown host', true);
    }
    throw e;
  }
  // A live pid on this host in LOCK while the kernel lock was free: a process running without the
  // addon (pid-file lock) holds this journal. Refuse rather than share it (modes must not mix).
  const previous = readOwnerSafe(lockPath);
  if (previous !== undefined && previous.host === host && previous.pid !== process.pid && isAlive(previous.pid)) {
    releaseDirLock(fd);
    throw new JournalLockedError(lockPath, previous.pid, previous.host, false);
  }
  try {
    // Informational only, replaced atomically so a reader never sees half of it.
    const tmp = path.join(dir, `${LOCK_FILE}.${process.pid}.${tmpCounter++}.tmp`);
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, host }));
    renameSync(tmp, lockPath);
  } catch (e) {
    releaseDirLock(fd);
    throw e;
  }
  let released = false;
  return {
    path: lockPath,
    kind: 'kernel',
    release(): void {
      if (released) return;
      released = true;
      try {
        const owner = readOwner(lockPath);
        if (owner !== undefined && owner.pid === process.pid && owner.host === host) unlinkSync(lockPath);
      } catch {
        // informational file only; the lock itself is released below
      } finally {
        releaseDirLock(fd);
      }
    },
  };
}

/**
 * The fallback without the native addon: a pid file.
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
 * both succeed; a deleted or garbage `LOCK` lets a second writer in.
 */
export function acquirePidFileLock(dir: string): JournalLock {
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
    kind: 'pidfile',
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

function readOwnerSafe(lockPath: string): { pid: number; host: string } | undefined {
  try {
    return readOwner(lockPath);
  } catch {
    return undefined;
  }
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
