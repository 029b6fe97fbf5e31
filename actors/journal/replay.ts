import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../common/clock.js';
import { logger } from '../../common/log.js';
import { JournalCorruptError, JournalSnapshotVersionError } from './errors.js';
import { fsyncDir } from './fs-util.js';
import type { JournalOptions } from './options.js';
import { decodeRecordAt, RECORD_HEADER_BYTES, type JournalRecord } from './record.js';
import { listSegments, listSnapshots, type SeqFile } from './segments.js';
import { readSnapshot, SNAPSHOT_VERSIONS } from './snapshot.js';

/** What replay feeds the state it rebuilds. */
export interface ReplayHandler {
  /**
   * Replaces the state with a snapshot's (called at most once, before any {@link apply}).
   * `binary`: the attachment of a version-2 snapshot (the order table's image).
   */
  restore(state: unknown, seq: number, binary?: Buffer): void;
  /** Applies one record, in sequence order. */
  apply(record: JournalRecord): void;
}

/** Something replay found and dealt with; never silent. */
export interface ReplayWarning {
  /**
   * `torn-tail`: the last record is cut short (a write interrupted by a crash) and was truncated.
   * `corrupt-tail`: the last record(s) fail the CRC or do not parse, nothing valid follows; truncated.
   * `repaired`: corruption in the middle moved aside under `repair: true`.
   * `snapshot-unusable`: a snapshot failed its checks; an older one (or the full log) was used.
   * `temp-removed`: a leftover temporary snapshot file of an interrupted snapshot was removed.
   */
  kind: 'torn-tail' | 'corrupt-tail' | 'repaired' | 'snapshot-unusable' | 'temp-removed';
  file: string;
  /** Byte offset of the first bad byte within `file`. */
  offset: number;
  reason: string;
  /** Bytes removed from (or moved out of) the journal. */
  droppedBytes: number;
}

/** Summary of a replay. */
export interface ReplayReport {
  /** Sequence of the snapshot replay started from (0: none). */
  snapshotSeq: number;
  /** Records applied after the snapshot. */
  records: number;
  /** Last sequence in the rebuilt state (0: empty journal). */
  lastSeq: number;
  /** Segments read. */
  segments: number;
  warnings: ReplayWarning[];
  /** Replay wall time by the given clock, ms. */
  durationMs: number;
}

/** Where the writer continues after a replay. */
export interface ReplayTail {
  /** The last segment, if any. */
  segment: SeqFile | undefined;
  /** Its size after any truncation. */
  size: number;
  /** The sequence the next record in that segment would need. */
  segmentNextSeq: number;
}

/**
 * Rebuilds state from `opts.dir`: the newest valid snapshot (older ones if it fails its CRC), then
 * every record after it, segment by segment, checking length, CRC, payload and sequence continuity.
 *
 * A bad record with nothing valid after it is a torn or corrupt tail: reported as a warning (file,
 * offset, reason) and truncated away (with fsync), so the writer continues on a clean boundary. A bad
 * record *followed by valid records* cannot be explained by a crash: it throws
 * {@link JournalCorruptError} unless `repair` is set, in which case the bad record and everything
 * after it are moved aside into `*.corrupt*` files (not deleted) and reported. Stopping at the damage
 * rather than skipping it keeps the rebuilt state a prefix of history, never a state with a hole.
 */
export function replayJournal(opts: JournalOptions, handler: ReplayHandler, clock: Clock): { report: ReplayReport; tail: ReplayTail } {
  const t0 = clock.nowNs();
  const dir = opts.dir;
  const warnings: ReplayWarning[] = [];
  const warn = (w: ReplayWarning): void => {
    warnings.push(w);
    logger.warn({ journal: dir, ...w }, `journal replay: ${w.kind} in ${path.basename(w.file)} at byte ${w.offset}: ${w.reason}`);
  };
  removeTemps(dir, warn);

  let snapshotSeq = 0;
  const snaps = listSnapshots(dir);
  for (let i = snaps.length - 1; i >= 0; i--) {
    const s = snaps[i]!;
    const r = readSnapshot(s.path);
    if (r.ok && r.seq === s.seq) {
      handler.restore(r.state, r.seq, r.binary);
      snapshotSeq = r.seq;
      break;
    }
    // Intact but newer than this build: falling back to an older snapshot could meet segments
    // compaction already deleted, so stop with the version named.
    if (!r.ok && r.version !== undefined) throw new JournalSnapshotVersionError(s.path, r.version, SNAPSHOT_VERSIONS);
    warn({ kind: 'snapshot-unusable', file: s.path, offset: 0, reason: r.ok ? `seq ${r.seq} does not match the file name` : r.reason, droppedBytes: 0 });
  }

  let expected = snapshotSeq + 1;
  let records = 0;
  let read = 0;
  const segs = listSegments(dir);
  let start = 0;
  while (start + 1 < segs.length && segs[start + 1]!.seq <= expected) start++;
  if (segs.length > 0 && segs[start]!.seq > expected) {
    throw new JournalCorruptError(segs[start]!.path, 0, `records ${expected}..${segs[start]!.seq - 1} are missing (segment starts at ${segs[start]!.seq})`);
  }
  let tailSize = 0;
  let tailNext = expected;
  let tailIndex = segs.length - 1;
  outer: for (let i = start; i < segs.length; i++) {
    const seg = segs[i]!;
    if (i > start && seg.seq !== tailNext) {
      throw new JournalCorruptError(seg.path, 0, `segment starts at sequence ${seg.seq}, ${tailNext} expected`);
    }
    const buf = readFileSync(seg.path);
    read++;
    let off = 0;
    let fileSeq = seg.seq;
    while (off < buf.length) {
      const r = decodeRecordAt(buf, off, buf.length, opts.maxRecordBytes);
      if (r.ok && r.record.seq === fileSeq) {
        if (fileSeq >= expected) {
          handler.apply(r.record);
          expected = fileSeq + 1;
          records++;
        }
        fileSeq++;
        off += r.bytes;
        continue;
      }
      const reason = r.ok ? `sequence ${r.record.seq} where ${fileSeq} was expected` : r.reason;
      const torn = !r.ok && r.torn;
      const later = segs.slice(i + 1).filter((s) => statSync(s.path).size > 0);
      if (later.length > 0 || hasValidRecordAfter(buf, off, fileSeq, opts.maxRecordBytes)) {
        if (!opts.repair) throw new JournalCorruptError(seg.path, off, reason);
        const aside = `${seg.path}.corrupt-${off}`;
        writeFileSync(aside, buf.subarray(off));
        let dropped = buf.length - off;
        for (const s of segs.slice(i + 1)) {
          dropped += statSync(s.path).size;
          renameSync(s.path, `${s.path}.corrupt`);
        }
        truncate(seg.path, off);
        warn({ kind: 'repaired', file: seg.path, offset: off, reason: `${reason}; moved aside to ${path.basename(aside)} and later segments to *.corrupt`, droppedBytes: dropped });
      } else {
        truncate(seg.path, off);
        for (const s of segs.slice(i + 1)) rmSync(s.path, { force: true });
        warn({ kind: torn ? 'torn-tail' : 'corrupt-tail', file: seg.path, offset: off, reason, droppedBytes: buf.length - off });
      }
      fsyncDir(dir);
      tailIndex = i;
      tailSize = off;
      tailNext = fileSeq;
      break outer;
    }
    tailIndex = i;
    tailSize = buf.length;
    tailNext = fileSeq;
  }
  const lastSeq = expected - 1;
  const segment = tailIndex >= 0 && tailIndex >= start ? segs[tailIndex] : undefined;
  const report: ReplayReport = { snapshotSeq, records, lastSeq, segments: read, warnings, durationMs: (clock.nowNs() - t0) / 1e6 };
  return { report, tail: { segment, size: segment === undefined ? 0 : tailSize, segmentNextSeq: segment === undefined ? expected : tailNext } };
}

/** True when some valid record with a sequence >= `fromSeq` starts after `off` (a byte-wise search). */
function hasValidRecordAfter(buf: Buffer, off: number, fromSeq: number, max: number): boolean {
  for (let p = off + 1; p + RECORD_HEADER_BYTES < buf.length; p++) {
    // Cheap filters before the CRC: a plausible length and a payload starting with '{'.
    const n = buf.readUInt32LE(p);
    if (n === 0 || n > max || p + RECORD_HEADER_BYTES + n > buf.length || buf[p + RECORD_HEADER_BYTES] !== 0x7b) continue;
    const r = decodeRecordAt(buf, p, buf.length, max);
    if (r.ok && r.record.seq >= fromSeq) return true;
  }
  return false;
}

function truncate(file: string, size: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeTemps(dir: string, warn: (w: ReplayWarning) => void): void {
  for (const s of listSnapshotTemps(dir)) {
    rmSync(s, { force: true });
    warn({ kind: 'temp-removed', file: s, offset: 0, reason: 'interrupted snapshot', droppedBytes: 0 });
  }
}

function listSnapshotTemps(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /^snapshot-\d{16}\.snap\.tmp$/.test(n))
    .map((n) => path.join(dir, n));
}
