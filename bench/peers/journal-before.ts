// The journal writer as it was before issue 13 (commit 4a69184), kept verbatim except for imports
// and the file-operations type, so bench/journal.bench.ts measures the old append path (a promise per
// record, setImmediate batching, Buffer.concat + one async write) against the new one in the same run.
// Not used by the product.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { logger } from '../../common/log.js';
import { errnoOf, JournalClosedError, JournalIoError, JournalRecordTooLargeError } from '../../actors/journal/errors.js';
import { closeAsync, datasyncAsync, fsyncDir, openAsync, truncateFile, writeAll } from '../../actors/journal/fs-util.js';

/** The file operations of the old writer (an async write of one concatenated buffer). */
export interface JournalFileOps {
  open(p: string, flags: string): Promise<number>;
  writeAll(fd: number, buf: Buffer): Promise<void>;
  datasync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  truncate(p: string, size: number): void;
  fsyncDir(dir: string): void;
}

const nodeFileOps: JournalFileOps = { open: openAsync, writeAll, datasync: datasyncAsync, close: closeAsync, truncate: truncateFile, fsyncDir };
import type { FsyncPolicy, JournalOptions } from '../../actors/journal/options.js';
import { encodeRecord, RECORD_HEADER_BYTES } from '../../actors/journal/record.js';
import type { ReplayTail } from '../../actors/journal/replay.js';
import { segmentName } from '../../actors/journal/segments.js';
import { compact, writeSnapshot } from '../../actors/journal/snapshot.js';

/**
 * The append side of the write-ahead log: numbered records appended to the current segment file,
 * acknowledged according to the fsync policy (see `options.ts`).
 *
 * `append()` assigns the next sequence synchronously and returns a promise that resolves (with the
 * sequence) once the record is durable per policy; so "journal before send" is simply
 * `await journal.append(...)` before the send. Appends are batched: whatever arrives while a
 * write (+ fdatasync under `always`) is in flight, or in the same tick, goes out in the next single
 * write (+ single fdatasync): group commit.
 *
 * A failed write or fsync (ENOSPC, EIO) starts a failure episode: {@link health} turns
 * not-writable, the error is logged once (`B4_JOURNAL_IO`), and the failed batch and every append
 * made during the episode reject with that {@link JournalIoError}: none of them is acknowledged.
 * Their records are not dropped, though: they keep their sequences and wait, in order, in memory
 * (the caller has already applied them). Every `retryMs` of the clock the writer tries to recover:
 * it cuts the segment back to the last acknowledged byte (so a partially written record never
 * stays in front of later ones; the CRC framing would show it as a torn tail anyway), reopens it
 * on a fresh descriptor (an fsync error is never retried on the descriptor that reported it: Linux
 * may have dropped the dirty pages and a second fsync on it reports success), writes the waiting
 * records and fdatasyncs them. On success the episode ends and appends are acknowledged again.
 * Acknowledged records are never rewritten or lost; if the process stops during an episode, the
 * waiting (never acknowledged) records may be lost with it, which is what their rejection said.
 * Create instances with `openJournal`/`OrderJournal.open`, which replay first.
 */
export class JournalBefore {
  private fd = -1;
  private segFirstSeq: number;
  private segSize: number;
  private lastSeq: number;
  private writtenSeq: number;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private resolves: ((seq: number) => void)[] = [];
  private rejects: ((e: Error) => void)[] = [];
  private barriers: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private scheduled = false;
  private flushing = false;
  private syncing: Promise<void> | undefined;
  private dirty = false;
  private rotatePending = false;
  private closed = false;
  private failure: JournalIoError | undefined;
  private failedAtMs = 0;
  private episodes = 0;
  /** Records assigned a sequence during a failure episode (plus the batch that failed), in order. */
  private waiting: Buffer[] = [];
  private retryTimer: TimerHandle | undefined;
  private recovering: Promise<boolean> | undefined;
  private timer: TimerHandle | undefined;
  private sinceSnapshot = 0;
  private nWrites = 0;
  private nSyncs = 0;
  private snapshotting: Promise<number> | undefined;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    void this.flushBatch();
  };

  /** Use `openJournal` (replay first); this only sets up the writer after replay. */
  constructor(
    readonly options: JournalOptions,
    private readonly clock: Clock,
    tail: ReplayTail,
    lastSeq: number,
    private readonly fs: JournalFileOps = nodeFileOps,
  ) {
    mkdirSync(options.dir, { recursive: true });
    this.lastSeq = lastSeq;
    this.writtenSeq = lastSeq;
    // Continue the last segment only if its next record number is ours; otherwise start a new one.
    if (tail.segment !== undefined && tail.segmentNextSeq === lastSeq + 1) {
      this.segFirstSeq = tail.segment.seq;
      this.segSize = tail.size;
    } else {
      this.segFirstSeq = lastSeq + 1;
      this.segSize = 0;
      if (tail.segment !== undefined && tail.size === 0) rmSync(tail.segment.path, { force: true });
    }
    if (options.fsync === 'interval') this.armTimer();
  }

  /** Opens the current segment for appending. Called once by the opener. */
  async start(): Promise<void> {
    const file = path.join(this.options.dir, segmentName(this.segFirstSeq));
    const created = !existsSync(file);
    this.fd = await this.fs.open(file, 'a');
    if (created) this.fs.fsyncDir(this.options.dir);
  }

  /**
   * Whether appends are being acknowledged. During a failure episode: `writable: false`, the
   * error (code, errno, message), since when (clock epoch ms), and how many records wait for it.
   */
  get health(): JournalHealth {
    if (this.failure === undefined) return { writable: !this.closed, closed: this.closed, waiting: 0, episodes: this.episodes };
    return {
      writable: false,
      closed: this.closed,
      waiting: this.waiting.length + this.batch.length,
      episodes: this.episodes,
      error: { code: this.failure.code, errno: this.failure.errno, message: this.failure.message, sinceMs: this.failedAtMs },
    };
  }

  /** The error of the current failure episode, or undefined while the journal writes normally. */
  get failed(): JournalIoError | undefined {
    return this.failure;
  }

  /** The fsync policy in force. */
  get fsync(): FsyncPolicy {
    return this.options.fsync;
  }

  /** Sequence the next append will get. */
  get nextSequence(): number {
    return this.lastSeq + 1;
  }

  /** Highest sequence written to the kernel (and, under `always`, synced). */
  get writtenSequence(): number {
    return this.writtenSeq;
  }

  /** Counters: batched writes and fdatasyncs issued so far (group commit shows as writes << appends). */
  get stats(): { writes: number; syncs: number } {
    return { writes: this.nWrites, syncs: this.nSyncs };
  }

  /** Records appended since the last snapshot. */
  get recordsSinceSnapshot(): number {
    return this.sinceSnapshot;
  }

  /**
   * Appends a record of `type` with JSON-safe `data` (bigints must already be strings), stamped
   * `tMs` (default: the clock's epoch ms; pass the time you applied in memory). The sequence
   * is assigned now, synchronously, so `nextSequence` read just before the call is this record's.
   * Resolves with the sequence when durable per policy; rejects with {@link JournalClosedError},
   * {@link JournalIoError}; throws {@link JournalRecordTooLargeError} synchronously.
   */
  append(type: string, data: unknown, tMs: number = this.clock.epochMs()): Promise<number> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    const seq = this.lastSeq + 1;
    const buf = encodeRecord(seq, tMs, type, data);
    if (buf.length - RECORD_HEADER_BYTES > this.options.maxRecordBytes) {
      throw new JournalRecordTooLargeError(buf.length - RECORD_HEADER_BYTES, this.options.maxRecordBytes);
    }
    this.lastSeq = seq;
    this.sinceSnapshot++;
    if (this.failure !== undefined) {
      // Not acknowledged; kept (the caller applied it) and written when the episode ends.
      this.waiting.push(buf);
      return Promise.reject(this.failure);
    }
    this.batch.push(buf);
    this.batchBytes += buf.length;
    const p = new Promise<number>((resolve, reject) => {
      this.resolves.push(resolve);
      this.rejects.push(reject);
    });
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      // setImmediate, not a timer: it only lets the rest of this tick's appends join the batch.
      setImmediate(this.flushNow);
    }
    return p;
  }

  /** Resolves when every record appended so far is written (and synced under `always`). */
  flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.writtenSeq >= this.lastSeq) return Promise.resolve();
    return new Promise((resolve, reject) => this.barriers.push({ seq: this.lastSeq, resolve, reject }));
  }

  /** Writes everything pending and fdatasyncs it, whatever the policy. */
  async sync(): Promise<void> {
    await this.flush();
    await this.syncFile();
  }

  /**
   * Writes a snapshot of `state` (the caller's state as of the last appended record, taken
   * synchronously before calling) once those records are durable, then starts a new segment and
   * compacts. Returns the snapshot's sequence. One snapshot at a time; a call during one waits for it.
   */
  async snapshot(state: unknown): Promise<number> {
    if (this.closed) throw new JournalClosedError();
    const seq = this.lastSeq;
    this.sinceSnapshot = 0;
    const previous = this.snapshotting;
    const run = (async (): Promise<number> => {
      if (previous !== undefined) await previous.catch(() => undefined);
      await this.sync();
      await writeSnapshot(this.options.dir, seq, state);
      this.rotatePending = true;
      compact(this.options.dir, this.options.keepSnapshots, this.options.compact);
      return seq;
    })();
    this.snapshotting = run;
    try {
      return await run;
    } finally {
      if (this.snapshotting === run) this.snapshotting = undefined;
    }
  }

  /** True while a snapshot is being written. */
  get snapshotInProgress(): boolean {
    return this.snapshotting !== undefined;
  }

  /** Flushes, syncs and closes the segment (whatever the policy). Further appends reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    if (this.snapshotting !== undefined) await this.snapshotting.catch(() => undefined);
    // One last attempt to write what waits from a failure episode (the error is already logged).
    if (this.failure !== undefined) await this.recover();
    this.closed = true;
    if (this.retryTimer !== undefined) this.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    try {
      if (this.failure === undefined) await this.sync();
    } finally {
      if (this.fd >= 0) {
        const fd = this.fd;
        this.fd = -1;
        await this.fs.close(fd);
      }
    }
  }

  /**
   * Tries to end a failure episode now (the clock also does it every `retryMs`): cuts the segment
   * back to the last acknowledged byte, reopens it, writes and fdatasyncs the waiting records.
   * Resolves true when the journal writes again. Concurrent calls share one attempt.
   */
  recover(): Promise<boolean> {
    if (this.failure === undefined) return Promise.resolve(true);
    if (this.recovering === undefined) {
      this.recovering = this.tryRecover().finally(() => {
        this.recovering = undefined;
      });
    }
    return this.recovering;
  }

  private async flushBatch(): Promise<void> {
    if (this.flushing || this.batch.length === 0) return;
    this.flushing = true;
    const bufs = this.batch;
    const bytes = this.batchBytes;
    const resolves = this.resolves;
    const rejects = this.rejects;
    const lastSeq = this.lastSeq;
    const firstSeq = lastSeq - bufs.length + 1;
    this.batch = [];
    this.batchBytes = 0;
    this.resolves = [];
    this.rejects = [];
    try {
      if (this.failure !== undefined) throw this.failure;
      if (this.segSize > 0 && (this.rotatePending || this.segSize >= this.options.segmentBytes)) await this.rotate(firstSeq);
      this.nWrites++;
      // The written-but-unacknowledged bytes count as dirty from the first byte: an fsync after a
      // partial write must not be skipped.
      this.dirty = true;
      await this.fs.writeAll(this.fd, bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, bytes));
      if (this.options.fsync === 'always') await this.syncFile();
      // segSize counts acknowledged bytes only: a failed batch is cut back to it on recovery.
      this.segSize += bytes;
      this.writtenSeq = lastSeq;
      for (let i = 0; i < resolves.length; i++) resolves[i]!(firstSeq + i);
      this.releaseBarriers();
    } catch (e) {
      this.fail(e, rejects, bufs);
    } finally {
      this.flushing = false;
    }
    if (this.batch.length > 0) void this.flushBatch();
  }

  private async rotate(firstSeq: number): Promise<void> {
    if (this.options.fsync !== 'never') await this.syncFile();
    const fd = this.fd;
    this.fd = -1;
    await this.fs.close(fd);
    this.rotatePending = false;
    // From here on, a failure is recovered on the new segment (created empty if the open failed).
    this.segFirstSeq = firstSeq;
    this.segSize = 0;
    this.fd = await this.fs.open(path.join(this.options.dir, segmentName(firstSeq)), 'a');
    if (this.options.fsync !== 'never') this.fs.fsyncDir(this.options.dir);
  }

  private async syncFile(): Promise<void> {
    if (this.syncing !== undefined) await this.syncing;
    if (!this.dirty || this.fd < 0) return;
    this.dirty = false;
    this.nSyncs++;
    const fd = this.fd;
    this.syncing = this.fs.datasync(fd).finally(() => {
      this.syncing = undefined;
    });
    try {
      await this.syncing;
    } catch (e) {
      this.fail(e, [], []);
      throw this.failure;
    }
  }

  private armTimer(): void {
    this.timer = this.clock.setTimer(this.options.intervalMs, () => {
      if (this.closed) return;
      if (this.dirty && !this.flushing && this.failure === undefined) void this.syncFile().catch(() => undefined);
      this.armTimer();
    });
  }

  private releaseBarriers(): void {
    if (this.barriers.length === 0) return;
    const keep: typeof this.barriers = [];
    for (const b of this.barriers) if (b.seq <= this.writtenSeq) b.resolve();
    else keep.push(b);
    this.barriers = keep;
  }

  /**
   * Starts (or continues) a failure episode: `failed` (the batch that was being written, oldest
   * records) goes in front of the waiting records, then the not yet flushed batch; every pending
   * promise rejects. Logged once per episode; a retry is armed on the clock.
   */
  private fail(e: unknown, rejects: ((e: Error) => void)[], failed: Buffer[]): void {
    if (this.failure === undefined) {
      const errno = errnoOf(e);
      const seg = path.join(this.options.dir, segmentName(this.segFirstSeq));
      this.failure =
        e instanceof JournalIoError
          ? e
          : new JournalIoError(`journal write failed in ${seg}${errno === undefined ? '' : ` (${errno})`}: ${(e as Error).message}; new orders are refused (JOURNAL_FAILED) until it writes again`, e, seg);
      this.failedAtMs = this.clock.epochMs();
      this.episodes++;
      logger.error({ code: this.failure.code, errno: this.failure.errno, journal: this.options.dir, retryMs: this.options.retryMs }, this.failure.message);
      this.armRetry();
    }
    const err = this.failure;
    this.waiting = failed.length === 0 ? this.waiting.concat(this.batch) : failed.concat(this.waiting, this.batch);
    for (const r of rejects) r(err);
    for (const r of this.rejects) r(err);
    this.rejects = [];
    this.resolves = [];
    this.batch = [];
    this.batchBytes = 0;
    for (const b of this.barriers) b.reject(err);
    this.barriers = [];
  }

  private armRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = this.clock.setTimer(this.options.retryMs, () => {
      this.retryTimer = undefined;
      if (this.closed || this.failure === undefined) return;
      void this.recover().then((ok) => {
        if (!ok) this.armRetry();
      });
    });
  }

  private async tryRecover(): Promise<boolean> {
    // Let an in-flight batch finish failing first (it joins the waiting records).
    if (this.flushing || this.syncing !== undefined) return false;
    const file = path.join(this.options.dir, segmentName(this.segFirstSeq));
    try {
      if (this.fd >= 0) {
        const fd = this.fd;
        this.fd = -1;
        await this.fs.close(fd).catch(() => undefined);
      }
      this.fs.truncate(file, this.segSize);
      const created = this.segSize === 0 && !existsSync(file);
      this.fd = await this.fs.open(file, 'a');
      if (created) this.fs.fsyncDir(this.options.dir);
      this.dirty = false;
      // Appends keep joining `waiting` while the failure stands; drain until none is left.
      for (let round = 0; this.waiting.length > 0; round++) {
        const bufs = this.waiting;
        this.waiting = [];
        let bytes = 0;
        for (const b of bufs) bytes += b.length;
        try {
          this.dirty = true;
          this.nWrites++;
          await this.fs.writeAll(this.fd, Buffer.concat(bufs, bytes));
          this.nSyncs++;
          await this.fs.datasync(this.fd);
          this.dirty = false;
        } catch (e) {
          this.waiting = bufs.concat(this.waiting);
          throw e;
        }
        this.segSize += bytes;
        this.writtenSeq += bufs.length;
      }
    } catch (e) {
      logger.debug({ journal: this.options.dir, errno: errnoOf(e), err: (e as Error).message }, 'journal still cannot write; retrying');
      return false;
    }
    const since = this.failedAtMs;
    this.failure = undefined;
    this.waiting = [];
    logger.warn({ code: JournalIoError.code, journal: this.options.dir, lastSeq: this.writtenSeq, failedForMs: this.clock.epochMs() - since }, 'journal writes again: the failure episode is over');
    if (this.batch.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return true;
  }
}

/** What {@link Journal.health} reports. */
export interface JournalHealth {
  /** True while appends are acknowledged (not closed, no failure episode). */
  writable: boolean;
  closed: boolean;
  /** Records waiting for the episode to end (assigned a sequence, not acknowledged). */
  waiting: number;
  /** Failure episodes since open. */
  episodes: number;
  /** The current episode's error. */
  error?: { code: string; errno: string | undefined; message: string; sinceMs: number };
}
