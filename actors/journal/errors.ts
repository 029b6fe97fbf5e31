import { Bot4Error } from '../../common/errors.js';
import { FileLockError } from '../../native/errors.js';

/** Errors of the write-ahead journal. Each class has a stable code listed in docs/errors.md. */

/**
 * Another process (or another open in this one) holds the journal's lock. With the native addon the
 * lock is a kernel lock on the directory and pid/host come from the informational `LOCK` file (pid 0:
 * that file was missing or unreadable); without it, the pid-file lock's owner.
 */
export class JournalLockedError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_LOCKED';
  readonly pid: number;
  readonly lockPath: string;
  constructor(lockPath: string, pid: number, host: string, kernel = false) {
    const who = pid > 0 ? `pid ${pid} on ${host}` : `another process (its ${lockPath} is missing or unreadable)`;
    super(
      JournalLockedError.code,
      kernel
        ? `journal is locked by ${who} (${lockPath}); stop that process first (the kernel lock is released when it exits, however it exits)`
        : `journal is locked by ${who} (${lockPath}); stop that process first (a lock whose pid is dead is recovered automatically)`,
      { lockPath, pid, host, kernel },
    );
    this.pid = pid;
    this.lockPath = lockPath;
  }
}

/**
 * A bad record followed by valid records (corruption in the middle of the journal), or an invalid
 * sequence. Never repaired silently: open with `repair: true` to move the bad part aside.
 */
export class JournalCorruptError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_CORRUPT';
  constructor(file: string, offset: number, reason: string) {
    super(
      JournalCorruptError.code,
      `journal corrupt in ${file} at byte ${offset}: ${reason}; valid records follow, so this is not a torn tail. To move the damaged part and everything after it aside (kept as *.corrupt files, never deleted) start once with \`bot4 daemon --repair-journal\` or set journal.repair: true in the daemon config (JournalOptions.repair)`,
      { file, offset, reason },
    );
  }
}

/**
 * A write, fsync or open of the journal failed (ENOSPC, EIO, ...). The writer stays failed until a
 * retry on the clock succeeds (see `Journal`); meanwhile new orders are refused with it.
 */
export class JournalIoError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_IO';
  /** The errno code of the underlying failure (`ENOSPC`, `EIO`, ...), when there is one. */
  readonly errno: string | undefined;
  constructor(message: string, cause?: unknown, path?: string) {
    const errno = errnoOf(cause);
    super(JournalIoError.code, message, { ...(path === undefined ? {} : { path }), ...(errno === undefined ? {} : { errno }) }, { cause });
    this.errno = errno;
  }
}

/** The journal directory (or a file in it) cannot be written: read-only file system or no permission. */
export class JournalReadOnlyError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_READONLY';
  readonly errno: string;
  constructor(path: string, errno: string, op: string) {
    super(JournalReadOnlyError.code, `journal directory is not writable: ${op} ${path} failed with ${errno}; point journal.dir at a writable directory (or remount it read-write)`, { path, errno, op });
    this.errno = errno;
  }
}

/** The errno code (`ENOSPC`, ...) of a Node fs error, if `e` is one. */
export function errnoOf(e: unknown): string | undefined {
  const c = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof c === 'string' && /^E[A-Z0-9]+$/.test(c) ? c : undefined;
}

/**
 * Wraps a failed file-system call made while opening the journal into a coded error: a read-only
 * or forbidden directory is {@link JournalReadOnlyError}, any other errno {@link JournalIoError}
 * with path and errno; anything else (a bug) is rethrown as is.
 */
export function openFailure(e: unknown, path: string, op: string): unknown {
  // A failed kernel lock of the directory carries its errno: classify it like a raw fs error.
  const errno = e instanceof FileLockError ? (e.code === 'B4_FILE_LOCK_FAILED' ? e.errno : undefined) : errnoOf(e);
  if (e instanceof Bot4Error && (errno === undefined || !(e instanceof FileLockError))) return e;
  if (errno === undefined) return e;
  if (errno === 'EROFS' || errno === 'EACCES' || errno === 'EPERM') return new JournalReadOnlyError(path, errno, op);
  return new JournalIoError(`journal ${op} ${path} failed with ${errno}: ${(e as Error).message}`, e, path);
}

/** Append or snapshot after `close()`. */
export class JournalClosedError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_CLOSED';
  constructor() {
    super(JournalClosedError.code, 'journal is closed');
  }
}

/** A record payload exceeds `maxRecordBytes`. */
export class JournalRecordTooLargeError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_RECORD_TOO_LARGE';
  constructor(bytes: number, max: number) {
    super(JournalRecordTooLargeError.code, `journal record of ${bytes} bytes exceeds maxRecordBytes ${max}`, { bytes, max });
  }
}

/** A journal record has a type the replayer does not know (written by a newer version?). */
export class JournalRecordTypeError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_RECORD_TYPE';
  constructor(type: string, seq: number) {
    super(JournalRecordTypeError.code, `journal record ${seq} has unknown type ${JSON.stringify(type)}`, { type, seq });
  }
}

/**
 * A snapshot file says it is of a format version this build cannot read (written by a newer
 * version). Replay refuses to start rather than fall back to an older snapshot whose covered
 * segments compaction may have deleted.
 */
export class JournalSnapshotVersionError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_SNAPSHOT_VERSION';
  readonly version: number;
  constructor(file: string, version: number, supported: readonly number[]) {
    super(
      JournalSnapshotVersionError.code,
      `journal snapshot ${file} has format version ${version}; this build reads versions ${supported.join(', ')} (written by a newer bot4? start that version, or move the snapshot aside if the segments it covers are still there)`,
      { file, version, supported: [...supported] },
    );
    this.version = version;
  }
}

/** The journal's error classes: a write to the journal failed or was refused for one of these reasons. */
const JOURNAL_ERRORS = [JournalLockedError, JournalCorruptError, JournalIoError, JournalReadOnlyError, JournalClosedError, JournalRecordTooLargeError, JournalRecordTypeError, JournalSnapshotVersionError] as const;

/** True for an error raised by the journal itself (decided by class, never by a code prefix). */
export function isJournalError(e: unknown): boolean {
  return JOURNAL_ERRORS.some((C) => e instanceof C);
}
