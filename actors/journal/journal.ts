// Over ~400 lines on purpose: the journal writer's append path, group commit, fsync policies and the
// failure-episode recovery share one segment file descriptor and one sequence; records, segments,
// replay, snapshots and the lock are already their own files.
import diagnosticsChannel from 'node:diagnostics_channel';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { logger } from '../../common/log.js';
import { errnoOf, JournalClosedError, JournalIoError, JournalRecordTooLargeError } from './errors.js';
import { nodeFileOps, type JournalFileOps } from './fs-util.js';
import type { FsyncPolicy, JournalOptions } from './options.js';
import { encodeRecordInto, encodeRecordText, maxRecordBytes, RECORD_HEADER_BYTES, splitRecords } from './record.js';
import type { ReplayTail } from './replay.js';
import { segmentName } from './segments.js';
import { compactAsync, writeSnapshot } from './snapshot.js';

/**
 * Called once per record when its batch is committed (`err` undefined; `seq` is the record's) or
 * failed. `a` and `b` are the caller's values, passed through unchanged, so a caller needs neither
 * a closure nor a promise per record (see {@link Journal.appendThen}).
 */
export type CommitFn<A, B> = (err: Error | undefined, seq: number, a: A, b: B) => void;

/**
 * The longest a record appended `later` (see {@link Journal.appendTextThen}) waits for another
 * append's commit before it is committed on its own: at a steady order rate the answers of the
 * last millisecond share the next order's `writev` instead of one each.
 */
export const LATER_MS = 1;

/** Initial (and, after a very large turn, restored) size of a batch's buffer. */
const BATCH_BYTES = 64 * 1024;
/** A batch buffer grown past this by a very large turn goes back to {@link BATCH_BYTES} once written. */
const BATCH_KEEP_BYTES = 4 * 1024 * 1024;

/**
 * The records of one commit and who waits for them: the records encoded back to back into one
 * buffer (reused from turn to turn: no buffer per record, one `writev` of one piece), the
 * callbacks and their values in parallel arrays (reused, never reallocated).
 */
class Batch {
  buf = Buffer.allocUnsafe(BATCH_BYTES);
  bytes = 0;
  count = 0;
  readonly fns: CommitFn<never, never>[] = [];
  readonly as: unknown[] = [];
  readonly bs: unknown[] = [];

  /** Room for `n` more bytes (the buffer doubles, keeping what it holds). */
  reserve(n: number): void {
    if (this.buf.length - this.bytes >= n) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.bytes + n));
    this.buf.copy(next, 0, 0, this.bytes);
    this.buf = next;
  }

  /** The encoded records (a view: valid until the batch is cleared). */
  view(): Buffer {
    return this.buf.subarray(0, this.bytes);
  }

  /** The records as fresh buffers, one per record (a copy: what outlives the batch). */
  records(): Buffer[] {
    return this.bytes === 0 ? [] : splitRecords(this.view());
  }

  clear(): void {
    this.bytes = 0;
    this.count = 0;
    if (this.buf.length > BATCH_KEEP_BYTES) this.buf = Buffer.allocUnsafe(BATCH_BYTES);
    this.fns.length = 0;
    this.as.length = 0;
    this.bs.length = 0;
  }
}

/**
 * `bot4:journal:commit`: a {@link JournalCommitEvent} after each group commit is written (and
 * synced per policy), before its records are acknowledged. Published only when subscribed
 * (`/metrics` observes it as `bot4_journal_append_seconds`).
 */
export const JOURNAL_COMMIT_CHANNEL = diagnosticsChannel.channel('bot4:journal:commit');

/** One group commit, on {@link JOURNAL_COMMIT_CHANNEL}. */
export interface JournalCommitEvent {
  journal: Journal;
  records: number;
  bytes: number;
  /** Clock ns when the commit began (records queued, write about to start) and when it was written/synced. */
  startNs: number;
  endNs: number;
}

/**
 * Sees every record once it is in the kernel (and synced per the fsync policy), exactly once, in
 * sequence order with no gaps, before the records' appenders are told: the replicated order log
 * (`cluster/replicated-log.ts`) forwards them from here. `bufs` are the encoded records (header +
 * payload, the bytes on disk), fresh per record and never modified afterwards: a tap may keep them,
 * but not the array, which the journal reuses. Records written when a failure episode ends (never
 * acknowledged to their appenders, but on disk) are tapped too: the tap mirrors the disk. A tap
 * must not throw and must not block (queue and return).
 */
export interface JournalTap {
  records(firstSeq: number, bufs: readonly Buffer[]): void;
}

const settlePromise: CommitFn<(seq: number) => void, (e: Error) => void> = (err, seq, resolve, reject) => (err === undefined ? resolve(seq) : reject(err));

/**
 * The append side of the write-ahead log: numbered records appended to the current segment file,
 * acknowledged according to the fsync policy (see `options.ts` and docs/journal.md).
 *
 * Group commit per event-loop turn: `appendThen()`/`append()` assign the next sequence and encode
 * the record synchronously, and queue it. At the end of the current turn (see `scheduleCommit`: a
 * microtask queued by the turn's first append, so the actor pump's whole run is one turn) every
 * record queued in it goes to the kernel in ONE synchronous `writev(2)` (a few µs into the page cache), and
 * then the waiting callers are released in one loop, oldest first: under `never`/`interval` right
 * after the `writev` returns (in the kernel: survives a process crash), under `always` after the
 * batch's `fdatasync` (on disk). Records appended while an `fdatasync` (or a segment rotation) is in
 * flight share the next commit. The hot path allocates no promise: `appendThen(type, data, tMs, fn,
 * a, b)` calls `fn(err, seq, a, b)`; `append()` is the promise form of the same thing.
 *
 * A failed write or fsync (ENOSPC, EIO) starts a failure episode: {@link health} turns
 * not-writable, the error is logged once (`B4_JOURNAL_IO`), and the failed batch and every append
 * made during the episode fail with that {@link JournalIoError}: none of them is acknowledged.
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
export class Journal {
  private fd = -1;
  private segFirstSeq: number;
  private segSize: number;
  private lastSeq: number;
  private writtenSeq: number;
  /** Records queued in this turn; `spare` is the other buffer (the batch in flight while `busy`). */
  private cur = new Batch();
  private spare = new Batch();
  private barriers: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** A commit microtask is queued. */
  private scheduled = false;
  /** A commit is in an asynchronous stage (rotation, fdatasync under `always`, a test double's write). */
  private busy = false;
  /** Clock ns the commit in flight began, when the commit channel has a subscriber; else -1. */
  private commitStartNs = -1;
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
  private tapFn: JournalTap | undefined;
  /** A microtask commit was scheduled in this event-loop iteration (cleared in its check phase). */
  private turnCommitted = false;
  private readonly endTurn = (): void => {
    this.turnCommitted = false;
  };
  /** Armed by the first record appended `later` since the last commit: commits it within {@link LATER_MS}. */
  private laterTimer: TimerHandle | undefined;
  private readonly commitLater = (): void => {
    this.laterTimer = undefined;
    if (!this.scheduled) this.commit();
  };
  private readonly commitNow = (): void => {
    this.scheduled = false;
    this.commit();
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
      waiting: this.waiting.length + this.cur.count,
      episodes: this.episodes,
      error: { code: this.failure.code, errno: this.failure.errno, message: this.failure.message, sinceMs: this.failedAtMs },
    };
  }

  /** The error of the current failure episode, or undefined while the journal writes normally. */
  get failed(): JournalIoError | undefined {
    return this.failure;
  }

  /** False once `close()` began: appends are refused. */
  get isOpen(): boolean {
    return !this.closed;
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

  /**
   * Installs (or, with undefined, removes) the one {@link JournalTap}: it sees every record written
   * from now on. Records already written before it was installed are the tap's to read from disk.
   */
  setTap(tap: JournalTap | undefined): void {
    this.tapFn = tap;
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
   * The promise form of {@link appendThen}.
   */
  append(type: string, data: unknown, tMs: number = this.clock.epochMs()): Promise<number> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    return this.appendText(type, JSON.stringify(data ?? null), tMs);
  }

  /**
   * {@link append} for a body already rendered as JSON text (`JSON.stringify(data)`'s bytes, e.g.
   * from `orderEventText`): no generic object is built and stringified per record.
   */
  appendText(type: string, dataJson: string, tMs: number = this.clock.epochMs()): Promise<number> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    if (this.failure !== undefined) {
      // Not acknowledged; kept (the caller applied it) and written when the episode ends.
      this.waiting.push(this.encode(type, dataJson, tMs));
      return Promise.reject(this.failure);
    }
    this.encodeInto(type, dataJson, tMs);
    return new Promise<number>((resolve, reject) => this.enqueue(settlePromise as CommitFn<never, never>, resolve, reject));
  }

  /**
   * Appends like {@link append} and returns the record's sequence; instead of a promise,
   * `fn(err, seq, a, b)` is called once: with `err` undefined when the record is durable per policy
   * (all records of one turn are released in one loop right after their one `writev`, under
   * `always` after its `fdatasync`), or with the {@link JournalIoError} of a failure episode (the
   * record is kept and written when the episode ends, but never acknowledged). Pass per-record
   * values as `a`/`b` and a function made once, and an append allocates no closure or promise.
   * `fn` is never called synchronously from this method. Throws {@link JournalClosedError} and
   * {@link JournalRecordTooLargeError} synchronously (no sequence used).
   */
  appendThen<A, B>(type: string, data: unknown, tMs: number, fn: CommitFn<A, B>, a: A, b: B): number {
    if (this.closed) throw new JournalClosedError();
    return this.appendTextThen(type, JSON.stringify(data ?? null), tMs, fn, a, b);
  }

  /**
   * {@link appendThen} for a body already rendered as JSON text (like {@link appendText}): the
   * hot path's `order.event` records (`OrderJournal.recordThen`) allocate no promise either.
   *
   * `later`: nothing waits for this record to leave (a venue's answer, applied and published
   * already), so it does not start a commit of its own at the end of the turn: it joins the next
   * commit another append starts (typically the next order's: one `writev` for both) or, if none
   * comes, the one {@link LATER_MS} of the clock later (or at once when `flush()`, `sync()`, a
   * snapshot or `close()` waits for it). Its callback is called after that commit, as for any
   * record; records are still written in sequence order. A process crash in between loses such a
   * record the way it loses an answer that had not arrived yet: the order is `unknown` after the
   * restart and resolved by client order id.
   */
  appendTextThen<A, B>(type: string, dataJson: string, tMs: number, fn: CommitFn<A, B>, a: A, b: B, later = false): number {
    if (this.closed) throw new JournalClosedError();
    const failure = this.failure;
    if (failure !== undefined) {
      this.waiting.push(this.encode(type, dataJson, tMs));
      const seq = this.lastSeq;
      // Rare: only during a failure episode (the order journal refuses new orders before this).
      queueMicrotask(() => fn(failure, seq, a, b));
      return seq;
    }
    this.encodeInto(type, dataJson, tMs);
    this.enqueue(fn as unknown as CommitFn<never, never>, a, b, later);
    return this.lastSeq;
  }

  /** Resolves when every record appended so far is written (and synced under `always`). */
  flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.writtenSeq >= this.lastSeq) return Promise.resolve();
    // Records appended `later` do not wait for their timer once someone waits for them.
    if (this.laterTimer !== undefined && !this.scheduled && !this.busy) this.scheduleCommit();
    return new Promise((resolve, reject) => this.barriers.push({ seq: this.lastSeq, resolve, reject }));
  }

  /** Writes everything pending and fdatasyncs it, whatever the policy. */
  async sync(): Promise<void> {
    await this.flush();
    await this.syncFile();
  }

  /**
   * Writes a snapshot of `state` (the caller's state as of the last appended record, taken
   * synchronously before calling; or a promise of it, captured before calling and still being
   * rendered) once those records are durable, then starts a new segment and
   * compacts. Returns the snapshot's sequence. One snapshot at a time; a call during one waits for it.
   */
  async snapshot(state: unknown): Promise<number> {
    if (this.closed) throw new JournalClosedError();
    const seq = this.lastSeq;
    this.sinceSnapshot = 0;
    const previous = this.snapshotting;
    // Awaited below (after the previous snapshot): a failed rendering fails this snapshot, it is no unhandled rejection.
    if (state instanceof Promise) state.catch(() => undefined);
    const run = (async (): Promise<number> => {
      if (previous !== undefined) await previous.catch(() => undefined);
      // A promise is a state still being rendered (captured as of `seq` before this call).
      const value: unknown = state instanceof Promise ? await state : state;
      await this.sync();
      await writeSnapshot(this.options.dir, seq, value);
      this.rotatePending = true;
      await compactAsync(this.options.dir, this.options.keepSnapshots, this.options.compact);
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
    // What was appended `later` is written by the sync below.
    if (this.snapshotting !== undefined) await this.snapshotting.catch(() => undefined);
    // One last attempt to write what waits from a failure episode (the error is already logged).
    if (this.failure !== undefined) await this.recover();
    this.closed = true;
    if (this.retryTimer !== undefined) this.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    try {
      if (this.failure === undefined) await this.sync();
    } finally {
      if (this.laterTimer !== undefined) this.clock.clearTimer(this.laterTimer);
      this.laterTimer = undefined;
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

  /**
   * Assigns the next sequence to a new record (checked against `maxRecordBytes`) encoded at the end
   * of the current batch's buffer; a record too large leaves the batch as it was.
   */
  private encodeInto(type: string, dataJson: string, tMs: number): void {
    const c = this.cur;
    const seq = this.lastSeq + 1;
    c.reserve(maxRecordBytes(type, dataJson.length));
    const n = encodeRecordInto(c.buf, c.bytes, seq, tMs, type, dataJson);
    if (n > this.options.maxRecordBytes) throw new JournalRecordTooLargeError(n, this.options.maxRecordBytes);
    c.bytes += RECORD_HEADER_BYTES + n;
    c.count++;
    this.lastSeq = seq;
    this.sinceSnapshot++;
  }

  /** Assigns the next sequence to a new record in a buffer of its own (during a failure episode). */
  private encode(type: string, dataJson: string, tMs: number): Buffer {
    const seq = this.lastSeq + 1;
    const buf = encodeRecordText(seq, tMs, type, dataJson);
    if (buf.length - RECORD_HEADER_BYTES > this.options.maxRecordBytes) {
      throw new JournalRecordTooLargeError(buf.length - RECORD_HEADER_BYTES, this.options.maxRecordBytes);
    }
    this.lastSeq = seq;
    this.sinceSnapshot++;
    return buf;
  }

  private enqueue(fn: CommitFn<never, never>, a: unknown, b: unknown, later = false): void {
    const c = this.cur;
    c.fns.push(fn);
    c.as.push(a);
    c.bs.push(b);
    if (this.scheduled || this.busy) return;
    if (!later) return this.scheduleCommit();
    this.laterTimer ??= this.clock.setTimer(LATER_MS, this.commitLater);
  }

  /**
   * The first commit of an event-loop iteration runs at the end of the current macrotask (a
   * microtask): every append of that macrotask (e.g. of one actor-pump run) joins it and its orders
   * leave in the same macrotask. Appends made later in the same iteration (e.g. by callers that
   * awaited the first commit and append again) commit in the next iteration's check phase
   * (`setImmediate`): a caller looping `await append()` yields to timers and I/O once per record
   * instead of starving them with a chain of microtasks.
   */
  private scheduleCommit(): void {
    this.scheduled = true;
    if (this.turnCommitted) {
      setImmediate(this.commitNow);
      return;
    }
    this.turnCommitted = true;
    setImmediate(this.endTurn);
    queueMicrotask(this.commitNow);
  }

  /**
   * Commits the records queued so far: one `writev` (synchronous: in the kernel when it returns),
   * then releases their callers (`never`/`interval`). Rotation, `always`'s fdatasync and an
   * asynchronous test double go through {@link commitAsync}; appends meanwhile wait for the next commit.
   */
  private commit(): void {
    const c = this.cur;
    if (this.busy || c.count === 0) return;
    if (this.laterTimer !== undefined) {
      // This commit takes the records appended `later` too.
      this.clock.clearTimer(this.laterTimer);
      this.laterTimer = undefined;
    }
    if (this.failure !== undefined) return this.fail(this.failure);
    this.cur = this.spare;
    this.spare = c;
    this.commitStartNs = JOURNAL_COMMIT_CHANNEL.hasSubscribers ? this.clock.nowNs() : -1;
    const firstSeq = this.lastSeq - c.count + 1;
    const rotate = this.segSize > 0 && (this.rotatePending || this.segSize >= this.options.segmentBytes);
    if (rotate || this.options.fsync === 'always') {
      void this.commitAsync(c, firstSeq, rotate, undefined);
      return;
    }
    let pending: void | Promise<void>;
    try {
      this.nWrites++;
      // The written-but-unacknowledged bytes count as dirty from the first byte: an fsync after a
      // partial write must not be skipped.
      this.dirty = true;
      pending = this.fs.writev(this.fd, [c.view()], c.bytes);
    } catch (e) {
      return this.fail(e, c);
    }
    if (pending !== undefined) void this.commitAsync(c, firstSeq, false, pending);
    else this.written(c, firstSeq);
  }

  private async commitAsync(c: Batch, firstSeq: number, rotate: boolean, pending: Promise<void> | undefined): Promise<void> {
    this.busy = true;
    try {
      if (rotate) await this.rotate(firstSeq);
      if (pending === undefined) {
        this.nWrites++;
        this.dirty = true;
        await this.fs.writev(this.fd, [c.view()], c.bytes);
      } else {
        await pending;
      }
      if (this.options.fsync === 'always') await this.syncFile();
    } catch (e) {
      this.busy = false;
      return this.fail(e, c);
    }
    this.busy = false;
    this.written(c, firstSeq);
    this.commit();
  }

  /** `c` is in the kernel (and synced under `always`): acknowledge it, oldest first, in one loop. */
  private written(c: Batch, firstSeq: number): void {
    if (this.commitStartNs >= 0 && JOURNAL_COMMIT_CHANNEL.hasSubscribers) {
      JOURNAL_COMMIT_CHANNEL.publish({ journal: this, records: c.count, bytes: c.bytes, startNs: this.commitStartNs, endNs: this.clock.nowNs() } satisfies JournalCommitEvent);
    }
    // segSize counts acknowledged bytes only: a failed batch is cut back to it on recovery.
    this.segSize += c.bytes;
    const n = c.count;
    this.writtenSeq = firstSeq + n - 1;
    if (this.tapFn !== undefined) this.tap(firstSeq, c.records());
    const { fns, as, bs } = c;
    for (let i = 0; i < n; i++) callSafely(fns[i]!, undefined, firstSeq + i, as[i], bs[i]);
    c.clear();
    this.releaseBarriers();
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
      this.fail(e);
      throw this.failure;
    }
  }

  private armTimer(): void {
    this.timer = this.clock.setTimer(this.options.intervalMs, () => {
      if (this.closed) return;
      if (this.dirty && !this.busy && this.failure === undefined) void this.syncFile().catch(() => undefined);
      this.armTimer();
    });
  }

  private tap(firstSeq: number, bufs: readonly Buffer[]): void {
    try {
      this.tapFn!.records(firstSeq, bufs);
    } catch (e) {
      logger.error({ err: e, firstSeq }, 'journal tap threw');
    }
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
   * records) goes in front of the waiting records, then the not yet committed batch; every caller
   * of those records is told the error (after the state is final: a caller may append, e.g. a
   * rejection, which then waits behind them). Logged once per episode; a retry is armed on the clock.
   */
  private fail(e: unknown, failed?: Batch): void {
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
    const cur = this.cur;
    this.waiting = failed === undefined ? this.waiting.concat(cur.records()) : failed.records().concat(this.waiting, cur.records());
    // Fresh buffers: the callbacks below may append (into `waiting`, the episode stands).
    this.cur = new Batch();
    this.spare = new Batch();
    const barriers = this.barriers;
    this.barriers = [];
    if (failed !== undefined) for (let i = 0; i < failed.fns.length; i++) callSafely(failed.fns[i]!, err, 0, failed.as[i], failed.bs[i]);
    for (let i = 0; i < cur.fns.length; i++) callSafely(cur.fns[i]!, err, 0, cur.as[i], cur.bs[i]);
    for (const b of barriers) b.reject(err);
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
    if (this.busy || this.syncing !== undefined) return false;
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
      while (this.waiting.length > 0) {
        const bufs = this.waiting;
        this.waiting = [];
        let bytes = 0;
        for (const b of bufs) bytes += b.length;
        try {
          this.dirty = true;
          this.nWrites++;
          await this.fs.writev(this.fd, bufs, bytes);
          this.nSyncs++;
          await this.fs.datasync(this.fd);
          this.dirty = false;
        } catch (e) {
          this.waiting = bufs.concat(this.waiting);
          throw e;
        }
        this.segSize += bytes;
        const first = this.writtenSeq + 1;
        this.writtenSeq += bufs.length;
        if (this.tapFn !== undefined) this.tap(first, bufs);
      }
    } catch (e) {
      logger.debug({ journal: this.options.dir, errno: errnoOf(e), err: (e as Error).message }, 'journal still cannot write; retrying');
      return false;
    }
    const since = this.failedAtMs;
    this.failure = undefined;
    this.waiting = [];
    logger.warn({ code: JournalIoError.code, journal: this.options.dir, lastSeq: this.writtenSeq, failedForMs: this.clock.epochMs() - since }, 'journal writes again: the failure episode is over');
    if (this.cur.count > 0 && !this.scheduled) this.scheduleCommit();
    return true;
  }
}

/** Calls one record's commit callback; a throwing callback is logged and never stops the others. */
function callSafely(fn: CommitFn<never, never>, err: Error | undefined, seq: number, a: unknown, b: unknown): void {
  try {
    fn(err, seq, a as never, b as never);
  } catch (e) {
    logger.error({ err: e, seq }, 'journal commit callback threw');
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
