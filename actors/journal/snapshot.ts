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
  /** Bytes of {@link binary}. */
  readonly binaryBytes: number;
  /**
   * `binary`: pieces of a binary attachment written after the JSON (format version 2, see
   * {@link writeSnapshot}); readSnapshot hands it back as `binary`. Without it: version 1.
   */
  constructor(
    readonly parts: readonly Buffer[],
    readonly binary?: readonly Buffer[],
  ) {
    let n = 0;
    for (const p of parts) n += p.length;
    this.bytes = n;
    let b = 0;
    for (const p of binary ?? []) b += p.length;
    this.binaryBytes = b;
  }
}

/**
 * The first four bytes of a version-2 payload (a NUL first: never the `{` of a version-1 JSON
 * payload), then the version byte.
 */
const MAGIC = Buffer.from([0x00, 0x42, 0x34, 0x53]); // \0 B 4 S
/** Snapshot payload format versions this build reads (1: JSON; 2: JSON + binary attachment). */
export const SNAPSHOT_VERSIONS: readonly number[] = Object.freeze([1, 2]);
/** Bytes before a version-2 payload's JSON: magic, version, 3 reserved, u32 LE JSON length. */
const V2_HEAD = 12;

/**
 * Snapshots: the replayed state as of sequence `seq`, so startup reads one snapshot plus the
 * segments after it instead of the whole history.
 *
 * File layout: `[u32 LE length][u32 LE CRC-32C][payload]`. Payload version 1: UTF-8 JSON
 * `{"seq":n,"state":...}`. Version 2 (a {@link SnapshotParts} with a binary attachment):
 * `\0B4S`, the version byte 2, 3 zero bytes, u32 LE length of the JSON, the same JSON, then the
 * attachment's bytes (the order table's image: docs/journal.md#snapshot-format). Both are
 * covered by the CRC; {@link readSnapshot} reads both.
 * Written atomically: to `<name>.tmp`, fdatasync, rename over the final name, fsync of the
 * directory. `state` is a JSON-safe value, a {@link SnapshotText} or {@link SnapshotParts}. A crash leaves either no snapshot or a complete one; a leftover `.tmp` is ignored
 * and removed at the next replay.
 */
export async function writeSnapshot(dir: string, seq: number, state: unknown): Promise<string> {
  let bufs: Buffer[];
  let n: number;
  if (state instanceof SnapshotParts) {
    const head = Buffer.from(`{"seq":${seq},"state":`, 'utf8');
    if (state.binary === undefined) {
      bufs = [Buffer.alloc(8), head, ...state.parts, CLOSE];
      n = head.length + state.bytes + 1;
    } else {
      const json = head.length + state.bytes + 1;
      const v2 = Buffer.alloc(V2_HEAD);
      MAGIC.copy(v2, 0);
      v2[4] = 2;
      v2.writeUInt32LE(json, 8);
      bufs = [Buffer.alloc(8), v2, head, ...state.parts, CLOSE, ...state.binary];
      n = V2_HEAD + json + state.binaryBytes;
    }
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

/** What {@link readSnapshot} found. */
export type SnapshotRead =
  | { ok: true; seq: number; state: unknown; version: number; binary?: Buffer }
  /** `version`: set when the file is intact but of a format version this build does not read. */
  | { ok: false; reason: string; version?: number };

/**
 * Reads and verifies a snapshot file (either format version); returns why it is unusable instead
 * of throwing. `binary`: a version-2 payload's attachment.
 */
export function readSnapshot(file: string): SnapshotRead {
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
  let version = 1;
  let jsonStart = 8;
  let jsonEnd = buf.length;
  if (n >= 5 && buf.compare(MAGIC, 0, MAGIC.length, 8, 8 + MAGIC.length) === 0) {
    version = buf[8 + MAGIC.length]!;
    if (version !== 2) return { ok: false, reason: `format version ${version}; this build reads ${SNAPSHOT_VERSIONS.join(', ')}`, version };
    if (n < V2_HEAD) return { ok: false, reason: 'short version-2 header' };
    jsonStart = 8 + V2_HEAD;
    jsonEnd = jsonStart + buf.readUInt32LE(16);
    if (jsonEnd > buf.length) return { ok: false, reason: `JSON length ${jsonEnd - jsonStart} runs past the payload` };
  }
  try {
    const o = JSON.parse(buf.toString('utf8', jsonStart, jsonEnd)) as { seq?: unknown; state?: unknown };
    if (!Number.isSafeInteger(o.seq)) return { ok: false, reason: 'payload lacks seq' };
    return version === 1 ? { ok: true, seq: o.seq as number, state: o.state, version } : { ok: true, seq: o.seq as number, state: o.state, version, binary: buf.subarray(jsonEnd) };
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
