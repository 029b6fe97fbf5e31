/**
 * The export side of one traced service (`bot4`, `bot4-sim`): a bounded queue of ended spans,
 * batched on a timer (or as soon as a batch is full) and POSTed as OTLP/HTTP protobuf, like the
 * SDK's BatchSpanProcessor + OTLPTraceExporter but without an object per span (and over
 * `otlp-http.ts`, not `node:http`). A span is encoded (`otlp-encoder.ts` `writeSpan`, ~0.35 µs)
 * when it ends and its {@link SpanRecord} goes straight back to the pool: the queue is bytes
 * outside the JS heap. Queued records (encoded later, from the timer, as before) lived as long as
 * the export lagged: with a receiver slower than the spans came (`npm run bench tracing`, every
 * order sampled, a decoding receiver), the records beyond the pool and the strings they held were
 * promoted to the old generation, and scavenges and mark-compacts cost more than the encoding
 * (~6 µs of GC per sampled order). The I/O runs from the timer, never on the path that ended the
 * span; a failed or hung export is counted and never reaches the engine.
 */
import { logger } from '../../../common/log.js';
import { SpanRecord } from './span-record.js';
import { encodeService, ProtoWriter, wrapEncodedSpans, writeSpan, type EncodedService, type EpochBase } from './otlp-encoder.js';
import { OtlpHttpClient } from './otlp-http.js';
import { Ring } from '../mailbox.js';

/**
 * Records to reuse, one pool for the process (the engine's and the simulator's services, and the
 * adapters that follow each other). A record is in use only while its span is open (a hand span
 * between `start` and `end`, an actor span for the length of its batch), so the pool holds about
 * as many as spans are open at once; {@link POOL_MAX} bounds it after a burst.
 */
const RECORD_POOL: SpanRecord[] = [];
/** Most records the pool keeps. */
const POOL_MAX = 1024;
/**
 * The span-bytes buffer of the last closed exporter, for the next one in this process (a takeover
 * engine, the bench's repetitions): grown to a lagging queue's size once, not again per exporter
 * (growing it copies what is queued, and fresh pages fault in: ~2 µs per sampled order in the
 * bench's first run of an exporter whose receiver lagged).
 */
let spareSpanBuffer: Buffer | undefined;

const EMPTY = Buffer.alloc(0);

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
   * Ended spans waiting for export, encoded back to back (each a `Span` field of ScopeSpans) in
   * `spans.buf[readFrom, spans.pos)`; {@link sizes} has each one's length, oldest first (a
   * {@link Ring} grown by doubling: a batch leaves from its head without moving the rest).
   */
  private readonly spans = new ProtoWriter();
  private readFrom = 0;
  private readonly sizes = new Ring<number>(64);
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
    if (spareSpanBuffer !== undefined) {
      this.spans.buf = spareSpanBuffer;
      spareSpanBuffer = undefined;
    }
    this.batch = Math.min(o.maxExportBatchSize, o.maxQueueSize);
    // A request body is built only when a connection can take it (at most `concurrencyLimit`
    // requests in flight): the rest of the queue waits in the span buffer, so at most that many
    // bodies exist and each reuses a spare buffer (built ahead for every queued batch, a body took
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
    if (this.pool.length < POOL_MAX) this.pool.push(r);
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

  /**
   * Queues an ended span (after {@link admit} said yes): encodes it and releases its record; the
   * export happens later, from a timer.
   */
  push(r: SpanRecord): void {
    this.counters.ended++;
    if (this.closed) {
      this.counters.failed++;
      this.release(r);
      return;
    }
    const w = this.spans;
    const at = w.pos;
    writeSpan(w, r, this.base);
    this.release(r);
    const q = this.sizes;
    if (q.bufferFull) q.grow();
    q.push(w.pos - at);
    if (q.length >= this.batch) {
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
    const target = this.handedOver + this.sizes.length;
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
    this.close();
    this.http.stop();
  }

  /** Ends whatever is still in flight (shutdown gave up waiting); drops what is queued. */
  abort(): void {
    this.close();
    this.http.stop();
  }

  /** Refuses further spans and drops the queued ones (counted as failed); the span buffer goes to the next exporter. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.counters.failed += this.sizes.length;
    this.sizes.head = this.sizes.tail;
    const b = this.spans.buf;
    if (spareSpanBuffer === undefined || spareSpanBuffer.length < b.length) spareSpanBuffer = b;
    this.spans.buf = EMPTY;
    this.spans.pos = 0;
    this.readFrom = 0;
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Sends full batches (and, with `all`, the remainder) while the concurrency limit allows. */
  private exportReady(all: boolean): void {
    const q = this.sizes;
    while (!this.closed && q.length > 0 && this.inFlight.size < this.concurrency) {
      const n = Math.min(this.batch, q.length);
      if (n < this.batch && !all) break;
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += q.shift()!;
      const from = this.readFrom;
      this.readFrom = from + bytes;
      // the HTTP head goes into the room left before the body: one socket write per request
      const body = wrapEncodedSpans(this.writer, this.service, this.spans.buf, from, from + bytes, this.headRoom);
      this.compact();
      this.handedOver += n;
      const p = this.post(body, n).finally(() => {
        this.inFlight.delete(p);
        this.writer.recycle(body);
        if (this.closed) return;
        if (this.sizes.length >= this.batch) {
          // a connection is free and a full batch waits (it could not go when it filled up)
          this.immediate ??= setImmediate(() => {
            this.immediate = undefined;
            this.exportReady(false);
          });
        } else if (this.sizes.length > 0 && this.timer === undefined) {
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

  /**
   * After a batch left: the span bytes start over at 0 when none wait, and the waiting ones move
   * to the front once the sent ones are more than half the buffer (a bounded queue's buffer does
   * not grow without bound from spans already sent).
   */
  private compact(): void {
    const w = this.spans;
    if (this.sizes.length === 0) {
      w.pos = 0;
      this.readFrom = 0;
    } else if (this.readFrom > w.buf.length >>> 1) {
      w.buf.copyWithin(0, this.readFrom, w.pos);
      w.pos -= this.readFrom;
      this.readFrom = 0;
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
