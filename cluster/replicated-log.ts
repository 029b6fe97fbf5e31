// The replicated order log: every journal record, as written to the local journal, is appended to a
// JetStream stream in order (one or more consecutive records per message), acknowledged by JetStream, without
// putting NATS on the order path unless `ack: sync` asks for it. See docs/deployment.md.
// Over ~400 lines on purpose: the publish window, the in-memory queue, the read-back from disk, the
// resync after an outage and the sync-mode waiters all move one cursor (sent/acknowledged record and
// message); the rebuild from the stream is its own file (replicated-log-rebuild.ts).
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstream, jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type PubAck } from '@nats-io/jetstream';
import type { Clock, TimerHandle } from '../common/clock.js';
import { logger } from '../common/log.js';
import type { Journal, JournalTap } from '../actors/journal/journal.js';
import type { OrderGate } from '../actors/journal/order-journal.js';
import { decodeRecordAt } from '../actors/journal/record.js';
import { listSegments } from '../actors/journal/segments.js';
import type { ClusterOptions, ReplicationOptions } from './replication-options.js';
import { ReplicationFailedError, ReplicationGapError } from './replication-errors.js';

/**
 * Connects to NATS the way every cluster component here does: reconnecting forever, waiting for the
 * first connection in the background (so a daemon starts while NATS is down). Resolves on the first
 * successful connection. (A small local helper; the remote-actor side has its own, to be merged.)
 */
export function connectCluster(o: Pick<ClusterOptions, 'servers' | 'connectTimeoutMs' | 'reconnectWaitMs'>, name: string): Promise<NatsConnection> {
  return connect({
    servers: [...o.servers],
    name,
    timeout: o.connectTimeoutMs,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: o.reconnectWaitMs,
    waitOnFirstConnect: true,
    pingInterval: Math.max(1000, o.connectTimeoutMs),
    maxPingOut: 2,
  });
}

/** The default node id: `<hostname>-<pid>`. */
export function defaultNodeId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}`;
}

/** What {@link JournalReplicator.health} reports. */
export interface ReplicationHealth {
  /**
   * `connecting`: no NATS connection yet; `replicating`: publishing (lag may be 0); `retrying`: a
   * publish failed, resuming from the stream's last sequence every `retryMs`; `stopped`: closed;
   * `gap`: stopped for good ({@link ReplicationGapError}: the log and the journal cannot be lined up).
   */
  state: 'connecting' | 'replicating' | 'retrying' | 'stopped' | 'gap';
  ack: ReplicationOptions['ack'];
  /** Highest journal sequence JetStream acknowledged (every record up to it is in the stream). */
  ackedSeq: number;
  /** Highest journal sequence written locally. */
  journalSeq: number;
  /** journalSeq - ackedSeq. */
  lag: number;
  /** Records held in memory for publishing (the rest of the lag is read back from the journal). */
  queued: number;
  /** Publishes awaiting their acknowledgement. */
  inFlight: number;
  /** Failed publish episodes since start. */
  episodes: number;
  error?: { code: string; message: string };
}

interface Waiter {
  seq: number;
  deadlineNs: number;
  done: (err: Error | undefined, a: never, b: never) => void;
  a: unknown;
  b: unknown;
}

/**
 * Forwards every record of one journal to a JetStream stream (a {@link JournalTap}), in order:
 *
 * - Consecutive records travel in one message (up to `maxBatchBytes`: typically one group commit),
 *   published with msg-id = its last record's sequence (JetStream's dedup: a retry within
 *   `duplicateWindowMs` is never stored twice) and `expect.lastMsgID` = its first record's sequence
 *   - 1 (the stream refuses anything out of order, and anything after another writer's message: a
 *   fence at the log).
 * - At most `maxInFlight` messages await their acknowledgement; the rest wait in memory (up to
 *   `maxQueued` records), and beyond that are read back from the local journal's segments.
 * - A failed publish (NATS down, timeout, wrong last message) starts an episode: every `retryMs` it
 *   asks the stream for its last message, checks the messages it had not seen acknowledged are
 *   its own records, and resumes after them,
 *   from memory or from the journal on disk. Nothing the journal wrote is skipped; nothing is stored twice.
 * - `ack: async`: the order path never waits (the engine runs through any NATS outage; the stream
 *   catches up when NATS returns). `ack: sync`: as an {@link OrderGate}, an order leaves only once its
 *   record is acknowledged; while the log cannot acknowledge, new orders are refused
 *   ({@link ReplicationFailedError}, denial `REPLICATION_FAILED`), and an order not acknowledged within
 *   `ackTimeoutMs` is rejected, never sent.
 */
export class JournalReplicator implements JournalTap, OrderGate {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private state: ReplicationHealth['state'] = 'connecting';
  private error: ReplicationFailedError | ReplicationGapError | undefined;
  private episodes = 0;
  private journalSeq: number;
  private ackedSeq = 0;
  /** Stream sequence of the last message known to be ours (acknowledged, or verified at a resync). */
  private ackedMsgSeq = 0;
  private sentSeq = 0;
  private inFlight = 0;
  /** Records qFirst.. held in memory (queue[qHead] is qFirst). */
  private queue: Buffer[] = [];
  private qHead = 0;
  private qFirst = 1;
  /** Records from this sequence on are not in memory: read them from the journal (undefined: all are). */
  private diskFrom: number | undefined;
  /** Bumped when an episode starts: answers of publishes sent before it are ignored. */
  private attempt = 0;
  private retryTimer: TimerHandle | undefined;
  private waiterTimer: TimerHandle | undefined;
  private waiters: Waiter[] = [];
  private flushers: { seq: number; resolve: () => void }[] = [];
  private closed = false;
  readonly fence = undefined;

  private constructor(
    readonly options: ReplicationOptions,
    private readonly cluster: Pick<ClusterOptions, 'servers' | 'connectTimeoutMs' | 'reconnectWaitMs'>,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly nodeId: string,
  ) {
    this.journalSeq = journal.writtenSequence;
    // Everything already on disk is the backlog until the stream says how far it got.
    this.diskFrom = 1;
    this.qFirst = this.journalSeq + 1;
  }

  /**
   * Attaches a replicator to `journal` (its tap from now on) and connects in the background: the
   * journal keeps writing while NATS is unreachable. The stream is created if missing.
   */
  static start(journal: Journal, cluster: ClusterOptions, clock: Clock, opts: { nodeId?: string } = {}): JournalReplicator {
    const r = new JournalReplicator(cluster.replication, cluster, journal, clock, opts.nodeId || cluster.nodeId || defaultNodeId());
    journal.setTap(r);
    void r.connect();
    return r;
  }

  /** The stream's name. */
  get stream(): string {
    return this.options.stream;
  }

  /** Where replication stands (see {@link ReplicationHealth}). */
  get health(): ReplicationHealth {
    const h: ReplicationHealth = {
      state: this.state,
      ack: this.options.ack,
      ackedSeq: this.ackedSeq,
      journalSeq: this.journalSeq,
      lag: this.journalSeq - this.ackedSeq,
      queued: this.queue.length - this.qHead,
      inFlight: this.inFlight,
      episodes: this.episodes,
    };
    if (this.error !== undefined) h.error = { code: this.error.code, message: this.error.message };
    return h;
  }

  /** Resolves once every record written so far is acknowledged by JetStream (or `timeoutMs` passed: false). */
  flush(timeoutMs: number): Promise<boolean> {
    const seq = this.journalSeq;
    if (this.ackedSeq >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = this.clock.setTimer(timeoutMs, () => {
        this.flushers = this.flushers.filter((f) => f !== entry);
        resolve(false);
      });
      const entry = {
        seq,
        resolve: () => {
          this.clock.clearTimer(t);
          resolve(true);
        },
      };
      this.flushers.push(entry);
    });
  }

  /** JournalTap: records in the kernel, in order. Queued (or left on disk past `maxQueued`); never blocks. */
  records(firstSeq: number, bufs: readonly Buffer[]): void {
    if (this.closed) return;
    const last = firstSeq + bufs.length - 1;
    if (this.diskFrom === undefined) {
      const room = this.options.maxQueued - (this.queue.length - this.qHead);
      if (room >= bufs.length) {
        for (const b of bufs) this.queue.push(b);
      } else {
        // Too far behind: keep memory bounded; these and later records are read back from the journal.
        this.diskFrom = firstSeq;
      }
    }
    this.journalSeq = last;
    this.pump();
  }

  /** OrderGate: under `ack: sync`, refuses new orders while the log cannot acknowledge. */
  admit(): Error | undefined {
    if (this.options.ack !== 'sync') return undefined;
    if (this.state === 'replicating') return undefined;
    return this.error ?? new ReplicationFailedError(`replicated log ${this.options.stream} is ${this.state}: under ack: sync no order leaves until JetStream acknowledges it`, { stream: this.options.stream, state: this.state });
  }

  /** OrderGate: under `ack: sync`, `done` once the record of `seq` is in the stream (or refused after `ackTimeoutMs`). */
  release<A, B>(seq: number, done: (err: Error | undefined, a: A, b: B) => void, a: A, b: B): void {
    if (this.options.ack !== 'sync' || this.ackedSeq >= seq) return done(undefined, a, b);
    if (this.state !== 'replicating') return done(this.admit(), a, b);
    this.waiters.push({ seq, deadlineNs: this.clock.nowNs() + this.options.ackTimeoutMs * 1e6, done: done as Waiter['done'], a, b });
    if (this.waiterTimer === undefined) this.armWaiterTimer();
  }

  /** Detaches from the journal and closes the connection (records not yet acknowledged stay in the journal for the next start). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.journal.setTap(undefined);
    if (this.retryTimer !== undefined) this.clock.clearTimer(this.retryTimer);
    if (this.waiterTimer !== undefined) this.clock.clearTimer(this.waiterTimer);
    this.failWaiters(new ReplicationFailedError(`replicated log ${this.options.stream} closed`));
    for (const f of this.flushers) f.resolve();
    this.flushers = [];
    if (this.state !== 'gap') this.state = 'stopped';
    const nc = this.nc;
    this.nc = undefined;
    if (nc !== undefined) await nc.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    try {
      const nc = await connectCluster(this.cluster, `bot4-replicator-${this.nodeId}`);
      if (this.closed) {
        await nc.close();
        return;
      }
      this.nc = nc;
      void this.watchStatus(nc);
      // JetStream may not answer yet (a cluster electing its meta leader): retried, never given up.
      for (let attempt = 0; this.jsm === undefined; attempt++) {
        try {
          this.jsm = await jetstreamManager(nc, { timeout: this.options.ackTimeoutMs });
        } catch (e) {
          if (this.closed) return;
          if (attempt === 0) logger.warn({ err: (e as Error).message, stream: this.options.stream }, 'replicated log: JetStream not answering yet; retrying');
          await new Promise<void>((r) => this.clock.setTimer(this.options.retryMs, r));
          if (this.closed) return;
        }
      }
      this.js = jetstream(nc, { timeout: this.options.ackTimeoutMs });
      logger.info({ stream: this.options.stream, servers: this.cluster.servers, node: this.nodeId }, 'replicated log connected to NATS');
    } catch (e) {
      if (!this.closed) logger.error({ err: e, stream: this.options.stream }, 'replicated log cannot connect to NATS');
      return;
    }
    this.state = 'retrying';
    // Sets up the stream and lines it up with the journal; retried every retryMs until it works.
    void this.resync();
  }

  /**
   * A lost connection starts an episode at once (under `ack: sync` new orders are refused from
   * that moment, not only once a publish times out); a regained one resumes without waiting for
   * the next retry.
   */
  private async watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const st of nc.status()) {
        if (this.stopped()) return;
        if (st.type === 'disconnect' && this.state === 'replicating') {
          this.startEpisode(new ReplicationFailedError(`replicated log ${this.options.stream}: disconnected from NATS`, { stream: this.options.stream }));
        } else if (st.type === 'reconnect' && this.state === 'retrying') {
          void this.resync();
        }
      }
    } catch {
      // the connection closed: nothing left to watch
    }
  }

  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const o = this.options;
    try {
      await jsm.streams.info(o.stream);
      return;
    } catch (e) {
      if (!(e instanceof JetStreamApiError && e.code === 10059)) throw e;
    }
    await jsm.streams.add({
      name: o.stream,
      subjects: [o.subject],
      num_replicas: o.replicas,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      max_age: o.maxAgeMs * 1e6,
      max_bytes: o.maxBytes,
      duplicate_window: o.duplicateWindowMs * 1e6,
    });
    logger.info({ stream: o.stream, subject: o.subject, replicas: o.replicas }, 'replicated log: stream created');
  }

  /**
   * Publishes what the window allows, oldest first: each message carries the consecutive records
   * `first..last` not yet sent (up to `maxBatchBytes`; a commit's records usually travel together),
   * with msg-id = `last` and the expectation that the stream's last message is the one ending at
   * `first - 1` (or, for record 1, that the stream is empty).
   */
  private pump(): void {
    if (this.state !== 'replicating' || this.js === undefined) return;
    const js = this.js;
    const o = this.options;
    while (this.inFlight < o.maxInFlight && this.sentSeq < this.journalSeq) {
      const first = this.sentSeq + 1;
      let buf = this.bufferOf(first);
      if (buf === undefined) {
        if (!this.loadFromDisk(first)) return;
        buf = this.bufferOf(first);
        if (buf === undefined) return;
      }
      const parts: Buffer[] = [buf];
      let bytes = buf.length;
      let last = first;
      for (;;) {
        const next = last < this.journalSeq ? this.bufferOf(last + 1) : undefined;
        if (next === undefined || bytes + next.length > o.maxBatchBytes) break;
        parts.push(next);
        bytes += next.length;
        last++;
      }
      this.sentSeq = last;
      this.inFlight++;
      const attempt = this.attempt;
      const expect = first === 1 ? { lastSequence: 0, streamName: o.stream } : { lastMsgID: String(first - 1), streamName: o.stream };
      js.publish(o.subject, parts.length === 1 ? buf : Buffer.concat(parts, bytes), { msgID: String(last), expect, timeout: o.ackTimeoutMs }).then(
        (ack) => this.acked(attempt, last, ack),
        (e: unknown) => this.failed(attempt, first, e),
      );
    }
  }

  private bufferOf(seq: number): Buffer | undefined {
    if (this.diskFrom !== undefined && seq >= this.diskFrom) return undefined;
    const i = seq - this.qFirst + this.qHead;
    return i >= this.qHead && i < this.queue.length ? this.queue[i] : undefined;
  }

  /**
   * Reads records `seq`.. (at most `maxQueued` of them, up to the journal's last) from the local
   * journal into the queue. False (and the `gap` state) when the journal no longer has `seq`.
   */
  private loadFromDisk(seq: number, quiet = false): boolean {
    this.queue = [];
    this.qHead = 0;
    this.qFirst = seq;
    // Until this load succeeds, records from `seq` on come from disk (the tap must not queue behind a hole).
    this.diskFrom = seq;
    const max = this.options.maxQueued;
    const segs = listSegments(this.journal.options.dir);
    let i = segs.length - 1;
    while (i >= 0 && segs[i]!.seq > seq) i--;
    if (i < 0) {
      if (quiet) return false;
      this.gap(`records from ${seq} on are not in the stream and no longer in the local journal ${this.journal.options.dir} (compacted after a snapshot): the stream cannot be completed`);
      return false;
    }
    let want = seq;
    for (; i < segs.length && this.queue.length < max && want <= this.journalSeq; i++) {
      const buf = readFileSync(segs[i]!.path);
      let off = 0;
      let fileSeq = segs[i]!.seq;
      while (off < buf.length && this.queue.length < max && want <= this.journalSeq) {
        const r = decodeRecordAt(buf, off, buf.length, this.journal.options.maxRecordBytes);
        if (!r.ok || r.record.seq !== fileSeq) break;
        if (fileSeq === want) {
          this.queue.push(Buffer.from(buf.subarray(off, off + r.bytes)));
          want++;
        }
        fileSeq++;
        off += r.bytes;
      }
    }
    if (this.queue.length === 0) {
      if (quiet) return false;
      this.gap(`record ${seq} is not readable from the local journal ${this.journal.options.dir}`);
      return false;
    }
    // Caught up with what the tap delivers: newer records are queued by the tap again.
    this.diskFrom = want > this.journalSeq ? undefined : want;
    return true;
  }

  private acked(attempt: number, last: number, ack: PubAck): void {
    if (attempt !== this.attempt || this.closed) return;
    this.inFlight--;
    if (ack.duplicate) {
      // JetStream already held this msg-id: our own earlier copy (an answer lost with a retry), or
      // ANOTHER writer's record with the same sequence (a previous owner publishing late after a
      // takeover). Never taken as ours on trust: the resync compares the stream with the journal
      // byte for byte and resumes, or stops with B4_REPLICATION_GAP.
      this.startEpisode(new ReplicationFailedError(`replicated log ${this.options.stream}: the stream already held msg-id ${last} (a retry of ours, or another writer's record): checking it against the journal`, { stream: this.options.stream, seq: last, duplicate: true }));
      return;
    }
    if (ack.seq > this.ackedMsgSeq) this.ackedMsgSeq = ack.seq;
    if (last > this.ackedSeq) this.advance(last);
    this.pump();
  }

  private failed(attempt: number, seq: number, e: unknown): void {
    if (attempt !== this.attempt || this.closed) return;
    this.inFlight--;
    const wrongLast = e instanceof JetStreamApiError && e.code === 10071;
    this.startEpisode(new ReplicationFailedError(`replicated log ${this.options.stream}: publish of record ${seq} failed: ${(e as Error).message}`, { stream: this.options.stream, seq, ...(wrongLast ? { wrongLastSequence: true } : {}) }, e));
  }

  private startEpisode(err: ReplicationFailedError): void {
    if (this.state === 'gap' || this.closed) return;
    if (this.state === 'replicating') {
      this.episodes++;
      logger.warn({ code: err.code, stream: this.options.stream, ackedSeq: this.ackedSeq, journalSeq: this.journalSeq, ack: this.options.ack }, `${err.message}; resuming from the stream's last sequence every ${this.options.retryMs} ms (the journal keeps the backlog)`);
    }
    this.state = 'retrying';
    this.error = err;
    this.attempt++;
    this.inFlight = 0;
    // Under sync these orders will not be acknowledged within their deadline: refuse them now.
    this.failWaiters(err);
    this.armRetry();
  }

  private armRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = this.clock.setTimer(this.options.retryMs, () => {
      this.retryTimer = undefined;
      void this.resync();
    });
  }

  /** Asks the stream where it is, lines the cursor up after it, and resumes publishing. */
  private async resync(): Promise<void> {
    const jsm = this.jsm;
    if (this.stopped() || jsm === undefined) return;
    let lastMsg: number;
    try {
      await this.ensureStream(jsm);
      lastMsg = (await jsm.streams.info(this.options.stream)).state.last_seq;
    } catch (e) {
      this.error = new ReplicationFailedError(`replicated log ${this.options.stream}: cannot reach the stream: ${(e as Error).message}`, { stream: this.options.stream }, e);
      this.armRetry();
      return;
    }
    if (this.stopped()) return;
    // The stream's messages not acknowledged to us (an ack lost with the connection, or another
    // writer's): every record in them must be byte for byte ours, in sequence, or this node is not
    // the log's writer. `last` becomes the journal sequence the stream ends at.
    let last = this.ackedSeq;
    let fromMsg = this.ackedMsgSeq + 1;
    if (this.ackedMsgSeq === 0 && lastMsg > 1) {
      // First contact with a stream that has history (a restart): its earlier messages were ours
      // (each was accepted only after the one before it); check from its last message on.
      try {
        const data = (await jsm.streams.getMessage(this.options.stream, { seq: lastMsg }))?.data;
        const b = data === undefined ? Buffer.alloc(0) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        const r = decodeRecordAt(b, 0, b.length, this.journal.options.maxRecordBytes);
        if (!r.ok) {
          this.gap(`stream ${this.options.stream} message ${lastMsg} is not a journal record (${r.reason})`);
          return;
        }
        last = r.record.seq - 1;
        fromMsg = lastMsg;
        this.ackedMsgSeq = lastMsg - 1;
        this.ackedSeq = last;
      } catch (e) {
        this.error = new ReplicationFailedError(`replicated log ${this.options.stream}: cannot read message ${lastMsg}: ${(e as Error).message}`, { stream: this.options.stream }, e);
        this.armRetry();
        return;
      }
      if (this.stopped()) return;
    }
    for (let m = fromMsg; m <= lastMsg; m++) {
      let data: Uint8Array | undefined;
      try {
        data = (await jsm.streams.getMessage(this.options.stream, { seq: m }))?.data;
      } catch (e) {
        this.error = new ReplicationFailedError(`replicated log ${this.options.stream}: cannot read message ${m} back: ${(e as Error).message}`, { stream: this.options.stream }, e);
        this.armRetry();
        return;
      }
      if (this.stopped()) return;
      const theirs = data === undefined ? Buffer.alloc(0) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      let off = 0;
      while (off < theirs.length) {
        const r = decodeRecordAt(theirs, off, theirs.length, this.journal.options.maxRecordBytes);
        const seq = last + 1;
        const inSeq = r.ok && r.record.seq === seq && seq <= this.journalSeq;
        // Our copy, when the journal still has it (compaction may have removed old segments: then
        // the sequence chain alone vouches for it).
        const ours = inSeq ? (this.bufferOf(seq) ?? (this.loadFromDisk(seq, true) ? this.bufferOf(seq) : undefined)) : undefined;
        if (this.stopped()) return;
        if (!inSeq || (ours !== undefined && !ours.equals(theirs.subarray(off, off + r.bytes)))) {
          this.gap(`stream ${this.options.stream} message ${m} holds ${r.ok ? `record ${r.record.seq}` : 'bytes'} this journal did not write (record ${seq} expected): another writer appended (this node is fenced off the log)`);
          return;
        }
        last = seq;
        off += r.bytes;
      }
      if (theirs.length === 0) {
        this.gap(`stream ${this.options.stream} message ${m} is missing or empty`);
        return;
      }
      this.ackedMsgSeq = m;
    }
    if (lastMsg < this.ackedMsgSeq) {
      this.gap(`stream ${this.options.stream} ends at message ${lastMsg}, before messages JetStream had acknowledged (${this.ackedMsgSeq}): it was purged or recreated`);
      return;
    }
    this.sentSeq = last;
    this.advance(last);
    if (last === this.journalSeq) {
      // Nothing behind: from here on the tap's records are published from memory.
      this.queue = [];
      this.qHead = 0;
      this.qFirst = last + 1;
      this.diskFrom = undefined;
    }
    if (this.bufferOf(last + 1) === undefined && last < this.journalSeq && this.diskFrom === undefined) this.diskFrom = last + 1;
    if (this.state !== 'replicating') {
      if (this.episodes > 0) logger.info({ stream: this.options.stream, from: last + 1, journalSeq: this.journalSeq }, 'replicated log resumes');
      this.state = 'replicating';
      this.error = undefined;
    }
    this.pump();
  }

  /** Closed, or stopped for good: answers that arrive now are dropped. */
  private stopped(): boolean {
    return this.closed || this.state === 'gap';
  }

  /** Records up to `seq` are in the stream: drop them from memory, release who waits for them. */
  private advance(seq: number): void {
    if (seq > this.ackedSeq) this.ackedSeq = seq;
    const drop = Math.min(seq - this.qFirst + 1, this.queue.length - this.qHead);
    if (drop > 0) {
      this.qHead += drop;
      this.qFirst += drop;
      if (this.qHead > 4096 && this.qHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.qHead);
        this.qHead = 0;
      }
    }
    if (this.qHead === this.queue.length && this.diskFrom === undefined) {
      this.queue.length = 0;
      this.qHead = 0;
      this.qFirst = this.ackedSeq + 1;
    }
    let k = 0;
    const ws = this.waiters;
    while (k < ws.length && ws[k]!.seq <= this.ackedSeq) k++;
    if (k > 0) {
      const ready = ws.splice(0, k);
      for (const w of ready) w.done(undefined, w.a as never, w.b as never);
    }
    if (this.flushers.length > 0) {
      const keep: typeof this.flushers = [];
      for (const f of this.flushers) if (f.seq <= this.ackedSeq) f.resolve();
      else keep.push(f);
      this.flushers = keep;
    }
  }

  private gap(message: string): void {
    this.state = 'gap';
    this.error = new ReplicationGapError(message, { stream: this.options.stream, ackedSeq: this.ackedSeq, journalSeq: this.journalSeq });
    this.attempt++;
    logger.error({ code: this.error.code, stream: this.options.stream }, `${message}; replication stopped`);
    this.failWaiters(this.error);
  }

  private failWaiters(err: Error): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.done(err, w.a as never, w.b as never);
  }

  private armWaiterTimer(): void {
    const every = Math.max(10, Math.floor(this.options.ackTimeoutMs / 4));
    this.waiterTimer = this.clock.setTimer(every, () => {
      this.waiterTimer = undefined;
      const now = this.clock.nowNs();
      const ws = this.waiters;
      let k = 0;
      while (k < ws.length && ws[k]!.deadlineNs <= now) k++;
      if (k > 0) {
        const late = ws.splice(0, k);
        const err = new ReplicationFailedError(`replicated log ${this.options.stream}: not acknowledged within ackTimeoutMs ${this.options.ackTimeoutMs}; the order is not sent`, { stream: this.options.stream });
        for (const w of late) w.done(err, w.a as never, w.b as never);
      }
      if (this.waiters.length > 0 && !this.closed) this.armWaiterTimer();
    });
  }
}
