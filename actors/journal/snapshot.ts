import { readFileSync, rmSync, unlinkSync } from 'node:fs';
import { open as openHandle, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { crc32c } from './crc32c.js';
import { closeAsync, datasyncAsync, fsyncDir, openAsync, writevAll } from './fs-util.js';
import { listSegments, listSnapshots, snapshotName } from './segments.js';

/**
 * Bytes checksummed per event-loop turn while a snapshot is written: ≈ 60 µs of CRC per turn, so
 * the orders queued behind a snapshot wait for a slice, not for the whole table.
 */
const CRC_SLICE = 1 << 16;

/** A snapshot state already rendered as JSON text (written as is instead of `JSON.stringify`ed). */
export class SnapshotText {
  constructor(readonly json: string) {}
}

/**
 * A snapshot state already rendered as JSON, as UTF-8 pieces whose concatenation is the text
 * (`renderOrderBookBuffers`): written as they are, with one `writev` per 1024 pieces, no
 * table-sized string or buffer built from them.
 */
export class SnapshotParts {
  readonly bytes: number;
  constructor(readonly parts: readonly Buffer[]) {
    let n = 0;
    for (const p of parts) n += p.length;
    this.bytes = n;
  }
}

/**
 * Snapshots: the replayed state as of sequence `seq`, so startup reads one snapshot plus the
 * segments after it instead of the whole history.
 *
 * File layout: `[u32 LE length][u32 LE CRC-32C][payload]`, payload UTF-8 JSON `{"seq":n,"state":...}`.
 * Written atomically: to `<name>.tmp`, fdatasync, rename over the final name, fsync of the
 * directory. `state` is a JSON-safe value or a {@link SnapshotText}. A crash leaves either no snapshot or a complete one; a leftover `.tmp` is ignored
 * and removed at the next replay.
 */
export async function writeSnapshot(dir: string, seq: number, state: unknown): Promise<string> {
  let bufs: Buffer[];
  let n: number;
  if (state instanceof SnapshotParts) {
    const head = Buffer.from(`{"seq":${seq},"state":`, 'utf8');
    bufs = [Buffer.alloc(8), head, ...state.parts, CLOSE];
    n = head.length + state.bytes + 1;
  } else {
    const text = state instanceof SnapshotText ? `{"seq":${seq},"state":${state.json}}` : JSON.stringify({ seq, state });
    // Header and payload in one buffer (no concatenated copy of a table-sized payload).
    n = Buffer.byteLength(text, 'utf8');
    const buf = Buffer.allocUnsafe(8 + n);
    buf.write(text, 8, 'utf8');
    bufs = [buf.subarray(0, 8), buf.subarray(8)];
  }
  // The CRC is computed a slice per event-loop turn, so a large snapshot does not hold up the order path.
  let crc = 0;
  let budget = CRC_SLICE;
  for (let i = 1; i < bufs.length; i++) {
    const b = bufs[i]!;
    for (let off = 0; off < b.length; ) {
      if (budget <= 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        budget = CRC_SLICE;
      }
      const end = Math.min(b.length, off + budget);
      crc = crc32c(b, crc, off, end);
      budget -= end - off;
      off = end;
    }
  }
  const header = bufs[0]!;
  header.writeUInt32LE(n, 0);
  header.writeUInt32LE(crc, 4);
  const final = path.join(dir, snapshotName(seq));
  const tmp = `${final}.tmp`;
  const fd = await openAsync(tmp, 'w');
  try {
    try {
      await writevAll(fd, bufs);
      await datasyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
  } catch (e) {
    // A partial temp file would hold on to the very space a full disk lacks: remove it now.
    rmSync(tmp, { force: true });
    throw e;
  }
  // Asynchronous from here on too: a snapshot never blocks the event loop on the file system.
  await rename(tmp, final);
  await fsyncDirAsync(dir);
  return final;
}

const CLOSE = Buffer.from('}');

/** `fsyncDir` without blocking the event loop. */
async function fsyncDirAsync(dir: string): Promise<void> {
  const h = await openHandle(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Reads and verifies a snapshot file; returns why it is unusable instead of throwing. */
export function readSnapshot(file: string): { ok: true; seq: number; state: unknown } | { ok: false; reason: string } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    return { ok: false, reason: `unreadable: ${(e as Error).message}` };
  }
  if (buf.length < 8) return { ok: false, reason: 'short header' };
  const n = buf.readUInt32LE(0);
  if (buf.length !== 8 + n) return { ok: false, reason: `length ${n} does not match file size ${buf.length}` };
  if (crc32c(buf, 0, 8, 8 + n) !== buf.readUInt32LE(4)) return { ok: false, reason: 'crc mismatch' };
  try {
    const o = JSON.parse(buf.toString('utf8', 8)) as { seq?: unknown; state?: unknown };
    if (!Number.isSafeInteger(o.seq)) return { ok: false, reason: 'payload lacks seq' };
    return { ok: true, seq: o.seq as number, state: o.state };
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
}

/**
 * Compaction: keeps the newest `keep` snapshots and deletes older ones, then deletes every segment
 * whose records are all covered by the oldest kept snapshot (its successor starts at or before
 * that snapshot's seq + 1). The newest segment is never deleted. Keeping more than one snapshot
 * (and the segments after the oldest of them) means a damaged newest snapshot still has a
 * fallback. `deleteSegments: false` only prunes snapshots. Returns the deleted paths.
 */
export function compact(dir: string, keep: number, deleteSegments = true): string[] {
  const deleted: string[] = [];
  const snaps = listSnapshots(dir);
  const drop = snaps.slice(0, Math.max(0, snaps.length - keep));
  for (const s of drop) {
    unlinkSync(s.path);
    deleted.push(s.path);
  }
  const oldestKept = snaps[drop.length];
  if (oldestKept !== undefined && deleteSegments) {
    const segs = listSegments(dir);
    for (let i = 0; i + 1 < segs.length; i++) {
      if (segs[i + 1]!.seq <= oldestKept.seq + 1) {
        rmSync(segs[i]!.path, { force: true });
        deleted.push(segs[i]!.path);
      } else break;
    }
  }
  if (deleted.length > 0) fsyncDir(dir);
  return deleted;
}

/**
 * {@link compact} without blocking the event loop: deleting a 64 MiB segment frees its extents,
 * which can take milliseconds; the writer's snapshots use this form.
 */
export async function compactAsync(dir: string, keep: number, deleteSegments = true): Promise<string[]> {
  const deleted: string[] = [];
  const snaps = listSnapshots(dir);
  const drop = snaps.slice(0, Math.max(0, snaps.length - keep));
  for (const s of drop) {
    await unlink(s.path);
    deleted.push(s.path);
  }
  const oldestKept = snaps[drop.length];
  if (oldestKept !== undefined && deleteSegments) {
    const segs = listSegments(dir);
    for (let i = 0; i + 1 < segs.length; i++) {
      if (segs[i + 1]!.seq <= oldestKept.seq + 1) {
        await rm(segs[i]!.path, { force: true });
        deleted.push(segs[i]!.path);
      } else break;
    }
  }
  if (deleted.length > 0) await fsyncDirAsync(dir);
  return deleted;
}
