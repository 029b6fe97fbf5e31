import { Bot4Error } from '../../common/errors.js';

/** Errors of the write-ahead journal. Each class has a stable code listed in the README. */

/** Another live process (or this one) holds the journal's lock file. */
export class JournalLockedError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_LOCKED';
  readonly pid: number;
  readonly lockPath: string;
  constructor(lockPath: string, pid: number, host: string) {
    super(
      JournalLockedError.code,
      `journal is locked by pid ${pid} on ${host} (${lockPath}); stop that process first (a lock whose pid is dead is recovered automatically)`,
      { lockPath, pid, host },
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
      `journal corrupt in ${file} at byte ${offset}: ${reason}; valid records follow, so this is not a torn tail (open with repair: true to move the damaged part aside)`,
      { file, offset, reason },
    );
  }
}

/** A write or fsync failed; the journal refuses every later append (fsync errors cannot be retried safely). */
export class JournalIoError extends Bot4Error {
  static readonly code = 'B4_JOURNAL_IO';
  constructor(message: string, cause?: unknown) {
    super(JournalIoError.code, message, undefined, { cause });
  }
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
