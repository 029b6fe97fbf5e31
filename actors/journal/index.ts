export { crc32c } from './crc32c.js';
export {
  JournalLockedError,
  JournalCorruptError,
  JournalIoError,
  JournalClosedError,
  JournalRecordTooLargeError,
  JournalRecordTypeError,
  JournalSnapshotVersionError,
} from './errors.js';
export { journalOptionsSchema, parseJournalOptions, type JournalOptions, type JournalOptionsInput, type FsyncPolicy } from './options.js';
export { encodeRecord, decodeRecordAt, RECORD_HEADER_BYTES, type JournalRecord, type DecodeResult } from './record.js';
export { Journal, type CommitFn, type JournalTap } from './journal.js';
export { replayJournal, type ReplayHandler, type ReplayReport, type ReplayWarning, type ReplayTail } from './replay.js';
export { writeSnapshot, readSnapshot, compact, SnapshotParts, SnapshotText, SNAPSHOT_VERSIONS, type SnapshotRead } from './snapshot.js';
export { acquireLock, readOwner, LOCK_FILE, type JournalLock } from './lock.js';
export { segmentName, snapshotName, listSegments, listSnapshots } from './segments.js';
export {
  ORDER_RECORD_TYPES,
  applyOrderRecord,
  encodeOrderEvent,
  decodeOrderEvent,
  serializeOrderBook,
  restoreOrderBook,
  type OrderBookState,
  type OrderBookSnapshot,
  type OrderCreateData,
  type TradingStateRecord,
} from './order-records.js';
export { OrderJournal, RESTART_REASON, type JournalState, type OrderJournalDeps, type SubmitListener, type OrderGate } from './order-journal.js';
