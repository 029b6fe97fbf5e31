/**
 * The export side of one traced service (`bot4`, `bot4-sim`): a bounded queue of ended
 * {@link SpanRecord}s, batched on a timer (or as soon as a batch is full), encoded by
 * `otlp-encoder.ts` and POSTed as OTLP/HTTP protobuf, like the SDK's BatchSpanProcessor +
 * OTLPTraceExporter but without an object per span (and over `otlp-http.ts`, not `node:http`). All encoding and I/O run from the timer,
 * never on the path that ended the span; a failed or hung export is counted and never reaches
 * the engine. Records are pooled: released as soon as they are encoded.
 */
import { logger } from '../../../common/log.js';
import { SpanRecord } from './span-record.js';
import { encodeExportRequest, encodeService, ProtoWriter, type EncodedService, type EpochBase } from './otlp-encoder.js';
import { OtlpHttpClient } from './otlp-http.js';
import { Ring } from '../mailbox.js';

/**
 * Records to reuse, one pool for the process (the engine's and the simulator's services, and the
 * adapters that follow each other, as a takeover engine's or the bench's repetitions). It keeps
 * as many records as the largest `maxQueueSize` of an exporter made in this process (default
 * 2048: ~1 MB), at most {@link POOL_MAX}: as many as one service can have queued or in export at
 * once, so a burst that fills the queue reuses its records afterwards instead of making new
 * ones. Capped at two batches per exporter, as before, a queue longer than that allocated a
 * record per span, each queued long enough to be promoted to the old generation: most of what a
 * sampled order cost in GC in `npm run bench tracing` (every order sampled, faster than the
 * decoding receiver reads). Not without bound: a pool of tens of thousands of records (the
 * bench's `maxQueueSize: 100000`) made the spans made after it slower (the bench's peer row,
 * run after the per-order part had filled the pool: 37.6 → 45.6 µs per order in back-to-back
 * full runs; records scattered over the old generation, each new string written into one a
 * remembered slot for the scavenger), where freshly allocated records are contiguous.
 */
const RECORD_POOL: SpanRecord[] = [];
/** Most records the pool keeps, whatever `maxQueueSize` says (twice the default queue bound). */
const POOL_MAX = 4096;
let poolBound = 0;

/** Span counters of one service. */
export interface Counters {
  ended: number;
  exported: number;
  failed: number;
  queueFull: number;
  rateLimited: number;
}

/** Export settings (validated by `ActorTracing`). */
export interface ExportSettings {
  endpoint: string;
  headers?: Record<string, string> | undefined;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  concurrencyLimit: number;
}

/** Bounded queue + batching OTLP/HTTP protobuf exporter of one service. */
export class ServiceExporter {
  readonly counters: Counters = { ended: 0, exported: 0, failed: 0, queueFull: 0, rateLimited: 0 };
  private readonly service: EncodedService;
  private readonly writer = new ProtoWriter();
  /**
   * Ended spans waiting for export, a {@link Ring} grown by doubling: a batch leaves from its head
   * without moving the rest (`splice(0, n)` of an array moved every waiting record per batch and
   * made an array of the removed ones).
   */
  private readonly queue = new Ring<SpanRecord>(64);
  /** Records to reuse: the process's {@link RECORD_POOL}. */
  private readonly pool = RECORD_POOL;
  private readonly batch: number;
  private readonly concurrency: number;
  private readonly http: OtlpHttpClient;
  /** Bytes left before each request body for its HTTP head. */
  private readonly headRoom: number;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private failures = 0;
  /** Spans taken off the queue into requests, ever (what {@link flush} waits for). */
  private handedOver = 0;
  private closed = false;

  constructor(
    private readonly o: ExportSettings,
    resourceAttributes: Readonly<Record<string, string>>,
    scopeName: string,
    private readonly base: EpochBase,
  ) {
    this.service = encodeService(resourceAttributes, scopeName);
    if (o.maxQueueSize > poolBound) poolBound = Math.min(o.maxQueueSize, POOL_MAX);
    this.batch = Math.min(o.maxExportBatchSize, o.maxQueueSize);
    // A batch is encoded only when a connection can take it (at most `concurrencyLimit` requests in
    // flight): the rest of the queue waits as records, so at most that many encoded bodies exist
    // and each reuses a spare buffer (encoded ahead for every queued batch, as before, a body took
    // a fresh 256 KiB buffer whenever the 4 spares were in use).
    this.concurrency = o.concurrencyLimit;
    this.writer.maxSpares = o.concurrencyLimit + 1;
    // `concurrencyLimit` kept-alive connections at most; requests beyond it wait for one
    this.http = new OtlpHttpClient(new URL(o.endpoint), o.headers ?? {}, o.concurrencyLimit, o.exportTimeoutMillis);
    this.headRoom = this.http.headRoom;
  }

  /** A record to fill (from the pool). */
  acquire(): SpanRecord {
    return this.pool.pop() ?? new SpanRecord();
  }

  /** Back to the pool without exporting (a span dropped before it ended). */
  release(r: SpanRecord): void {
    r.reset();
    if (this.pool.length < poolBound) this.pool.push(r);
  }

  /**
   * True when one more ended span fits: waiting + in export stays within `maxQueueSize`;
   * otherwise counts the span as ended and dropped. Call before filling a record.
   */
  admit(): boolean {
    const c = this.counters;
    if (c.ended - c.exported - c.failed - c.queueFull >= this.o.maxQueueSize) {
      c.ended++;
      c.queueFull++;
      return false;
    }
    return true;
  }

  /** Queues an ended span (after {@link admit} said yes); the export happens later, from a timer. */
  push(r: SpanRecord): void {
    this.counters.ended++;
    if (this.closed) {
      this.counters.failed++;
      this.release(r);
      return;
    }
    if (this.queue.bufferFull) this.queue.grow();
    this.queue.push(r);
    if (this.queue.length >= this.batch) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.exportReady(false);
      });
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.exportReady(true);
      }, this.o.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /**
   * Exports what is queued now and waits for its requests (each bounded by the export timeout).
   * Spans queued meanwhile go with the same requests when they fit, but are not waited for.
   */
  async flush(): Promise<void> {
    const target = this.handedOver + this.queue.length;
    // each round sends what the connections can take; a request ending frees one for the next batch
    for (;;) {
      this.exportReady(true);
      if (this.inFlight.size === 0) return;
      if (this.handedOver >= target) {
        while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
        return;
      }
      await Promise.race([...this.inFlight]);
    }
  }

  /** Flushes, then refuses further spans. Resolves when every request has ended. */
  async shutdown(): Promise<void> {
    this.clearTimers();
    await this.flush();
    this.closed = true;
    this.http.stop();
  }

  /** Ends whatever is still in flight (shutdown gave up waiting); drops what is queued. */
  abort(): void {
    this.closed = true;
    this.clearTimers();
    for (let r = this.queue.shift(); r !== undefined; r = this.queue.shift()) {
      this.counters.failed++;
      this.release(r);
    }
    this.http.stop();
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Sends full batches (and, with `all`, the remainder) while the concurrency limit allows. */
  private exportReady(all: boolean): void {
    const q = this.queue;
    while (q.length > 0 && this.inFlight.size < this.concurrency) {
      const n = Math.min(this.batch, q.length);
      if (n < this.batch && !all) break;
      // the HTTP head goes into the room left before the body: one socket write per request
      const body = encodeExportRequest(this.writer, this.service, this.base, q, q.head, q.head + n, this.headRoom);
      for (let i = 0; i < n; i++) this.release(q.shift()!);
      this.handedOver += n;
      const p = this.post(body, n).finally(() => {
        this.inFlight.delete(p);
        this.writer.recycle(body);
        if (this.closed) return;
        if (this.queue.length >= this.batch) {
          // a connection is free and a full batch waits (it could not go when it filled up)
          this.immediate ??= setImmediate(() => {
            this.immediate = undefined;
            this.exportReady(false);
          });
        } else if (this.queue.length > 0 && this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.exportReady(true);
          }, 0);
          this.timer.unref();
        }
      });
      this.inFlight.add(p);
    }
  }

  /** One POST; never rejects. */
  private post(body: Buffer, n: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.http.post(
        body,
        (ok, why) => {
          if (ok) {
            this.counters.exported += n;
            this.failures = 0;
          } else {
            this.counters.failed += n;
            if (this.failures++ === 0) logger.warn({ err: why, spans: n }, 'tracing: span export failed');
          }
          resolve();
        },
        this.headRoom,
      );
    });
  }
}
