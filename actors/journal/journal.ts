import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { JournalClosedError, JournalIoError, JournalRecordTooLargeError } from './errors.js';
import { closeAsync, datasyncAsync, fsyncDir, openAsync, writeAll } from './fs-util.js';
import type { FsyncPolicy, JournalOptions } from './options.js';
import { encodeRecord, RECORD_HEADER_BYTES } from './record.js';
import type { ReplayTail } from './replay.js';
import { segmentName } from './segments.js';
import { compact, writeSnapshot } from './snapshot.js';

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
 * A failed write or fsync poisons the journal: that batch and every later append reject with
 * {@link JournalIoError}. (Retrying fsync after an error is unsafe on Linux: the kernel may have
 * dropped the dirty pages and a second fsync reports success.) Create instances with
 * `openJournal`/`OrderJournal.open`, which replay first.
 */
export class Journal {
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
    this.fd = await openAsync(file, 'a');
    if (created) fsyncDir(this.options.dir);
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
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const seq = this.lastSeq + 1;
    const buf = encodeRecord(seq, tMs, type, data);
    if (buf.length - RECORD_HEADER_BYTES > this.options.maxRecordBytes) {
      throw new JournalRecordTooLargeError(buf.length - RECORD_HEADER_BYTES, this.options.maxRecordBytes);
    }
    this.lastSeq = seq;
    this.sinceSnapshot++;
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
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    if (this.snapshotting !== undefined) await this.snapshotting.catch(() => undefined);
    try {
      if (this.failure === undefined) await this.sync();
    } finally {
      if (this.fd >= 0) {
        const fd = this.fd;
        this.fd = -1;
        await closeAsync(fd);
      }
    }
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
      await writeAll(this.fd, bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs, bytes));
      this.segSize += bytes;
      this.dirty = true;
      if (this.options.fsync === 'always') await this.syncFile();
      this.writtenSeq = lastSeq;
      for (let i = 0; i < resolves.length; i++) resolves[i]!(firstSeq + i);
      this.releaseBarriers();
    } catch (e) {
      this.fail(e, rejects);
    } finally {
      this.flushing = false;
    }
    if (this.batch.length > 0) void this.flushBatch();
  }

  private async rotate(firstSeq: number): Promise<void> {
    if (this.options.fsync !== 'never') await this.syncFile();
    await closeAsync(this.fd);
    this.fd = -1;
    this.rotatePending = false;
    this.segFirstSeq = firstSeq;
    this.segSize = 0;
    this.fd = await openAsync(path.join(this.options.dir, segmentName(firstSeq)), 'a');
    if (this.options.fsync !== 'never') fsyncDir(this.options.dir);
  }

  private async syncFile(): Promise<void> {
    if (this.syncing !== undefined) await this.syncing;
    if (!this.dirty || this.fd < 0) return;
    this.dirty = false;
    this.nSyncs++;
    const fd = this.fd;
    this.syncing = datasyncAsync(fd).finally(() => {
      this.syncing = undefined;
    });
    try {
      await this.syncing;
    } catch (e) {
      this.fail(e, []);
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

  private fail(e: unknown, rejects: ((e: Error) => void)[]): void {
    if (this.failure === undefined) {
      this.failure = e instanceof JournalIoError ? e : new JournalIoError(`journal write failed in ${this.options.dir}: ${(e as Error).message}`, e);
    }
    const err = this.failure;
    for (const r of rejects) r(err);
    for (const r of this.rejects) r(err);
    this.rejects = [];
    this.resolves = [];
    this.batch = [];
    this.batchBytes = 0;
    for (const b of this.barriers) b.reject(err);
    this.barriers = [];
  }
}
