import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Segment file name for the segment whose first record has sequence `firstSeq`. */
export function segmentName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(16, '0')}.wal`;
}

/** Snapshot file name for a snapshot covering records 1..`seq`. */
export function snapshotName(seq: number): string {
  return `snapshot-${String(seq).padStart(16, '0')}.snap`;
}

/** A file of the journal directory with the sequence number in its name. */
export interface SeqFile {
  path: string;
  seq: number;
}

/** Segments of `dir` sorted by first sequence. */
export function listSegments(dir: string): SeqFile[] {
  return list(dir, /^segment-(\d{16})\.wal$/);
}

/** Snapshots of `dir` sorted by sequence, oldest first. */
export function listSnapshots(dir: string): SeqFile[] {
  return list(dir, /^snapshot-(\d{16})\.snap$/);
}

function list(dir: string, re: RegExp): SeqFile[] {
  const out: SeqFile[] = [];
  for (const name of readdirSync(dir)) {
    const m = re.exec(name);
    if (m) out.push({ path: path.join(dir, name), seq: Number(m[1]) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
