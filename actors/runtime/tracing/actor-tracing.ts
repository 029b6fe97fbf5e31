// Over ~400 lines on purpose: the tracing adapter: sampling, the diagnostics subscriber, the span
// sinks and the per-actor histograms belong together (encoding and export: otlp-encoder.ts, otlp-export.ts).
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../../common/clock.js';
import { LiveClock } from '../../../common/clock.js';
import { describeValue } from '../../../common/describe.js';
import { ConfigError } from '../../../common/errors.js';
import { logger } from '../../../common/log.js';
import { setSpanSink, setTracingStats, spanSink, tracingStatsSource, type LiveSpan, type SpanAttributes, type SpanSink } from '../../../common/span-sink.js';
import { handling } from '../context.js';
import { parseOptions, z } from '../../../common/validate.js';
import { CHANNELS, type BatchDeliveryEvent } from '../diagnostics.js';
import { lastSpanIdWords, lastTraceIdWords, randomSpanId, randomTraceId } from './ids.js';
import { LatencyHistograms } from './latency-histograms.js';
import { RecentContexts } from './recent-contexts.js';
import type { EpochBase } from './otlp-encoder.js';
import { ServiceExporter, type Counters } from './otlp-export.js';
import type { SpanRecord } from './span-record.js';
import { isSampled, readTraceparent, traceIdOf, UNSAMPLED_TRACEPARENT } from './traceparent.js';

/** Defaults of {@link ActorTracingOptions}, next to the schema. */
export const TRACING_DEFAULTS = Object.freeze({
  /** What Jaeger's OTLP/HTTP receiver listens on. */
  endpoint: 'http://127.0.0.1:4318/v1/traces',
  serviceName: 'bot4',
  /** Fraction of root messages traced; descendants follow their root (parent-based). */
  samplingRatio: 0.01,
  /**
   * Cap on sampled roots per second (token bucket, one second of burst); 0 = no cap. A span costs
   * microseconds (SDK + export): at 10⁶ msg/s a 1% ratio alone would be 10⁴ spans/s, more than
   * the bounded export queue delivers, so the cap keeps tracing cost flat under load.
   */
  maxTracesPerSecond: 100,
  /** Spans waiting for export; beyond it spans are dropped and counted, never queued without bound. */
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 1000,
  /** Per export request, retries included: a dead receiver costs at most this per batch. */
  exportTimeoutMillis: 2000,
  /** In-flight export requests. */
  concurrencyLimit: 4,
  /** `shutdown()` gives up flushing after this long and reports what was dropped. */
  shutdownTimeoutMs: 5000,
});

const schema = z
  .object({
    endpoint: z.url().default(TRACING_DEFAULTS.endpoint),
    serviceName: z.string().min(1).default(TRACING_DEFAULTS.serviceName),
    samplingRatio: z.number().min(0).max(1).default(TRACING_DEFAULTS.samplingRatio),
    maxTracesPerSecond: z.number().min(0).default(TRACING_DEFAULTS.maxTracesPerSecond),
    maxQueueSize: z.number().int().min(1).default(TRACING_DEFAULTS.maxQueueSize),
    maxExportBatchSize: z.number().int().min(1).default(TRACING_DEFAULTS.maxExportBatchSize),
    scheduledDelayMillis: z.number().int().min(0).default(TRACING_DEFAULTS.scheduledDelayMillis),
    exportTimeoutMillis: z.number().int().min(1).default(TRACING_DEFAULTS.exportTimeoutMillis),
    concurrencyLimit: z.number().int().min(1).default(TRACING_DEFAULTS.concurrencyLimit),
    shutdownTimeoutMs: z.number().int().min(1).default(TRACING_DEFAULTS.shutdownTimeoutMs),
    // sent as they are on the request head: a token, and no line break in a value
    headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name'), z.string().regex(/^[^\r\n]*$/, 'a header value without line breaks')).optional(),
    system: z.string().min(1).optional(),
    resourceAttributes: z.record(z.string(), z.string()).optional(),
    simServiceName: z.string().min(1).optional(),
    histograms: z.boolean().default(true),
  })
  .strict();

/** Options of {@link ActorTracing}. */
export interface ActorTracingOptions {
  /** OTLP/HTTP protobuf traces endpoint. Default `http://127.0.0.1:4318/v1/traces` (Jaeger). */
  endpoint?: string;
  /** `service.name` resource attribute. Default `bot4`. */
  serviceName?: string;
  /** Parent-based ratio sampling: fraction of root messages traced (0..1). Default 0.01. */
  samplingRatio?: number;
  /** Most root messages sampled per second (0: no cap). Default 100. */
  maxTracesPerSecond?: number;
  /** Bound of the span export queue (BatchSpanProcessor). Default 2048. */
  maxQueueSize?: number;
  /** Spans per export request. Default 512. */
  maxExportBatchSize?: number;
  /** Delay between scheduled exports. Default 1000 ms. */
  scheduledDelayMillis?: number;
  /** Timeout of one export (retries included). Default 2000 ms. */
  exportTimeoutMillis?: number;
  /** In-flight export requests. Default 4. */
  concurrencyLimit?: number;
  /** Upper bound on `shutdown()`. Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** Extra HTTP headers of export requests. */
  headers?: Record<string, string>;
  /** Trace only the actor system with this name (default: every system in the process). */
  system?: string;
  /** More resource attributes of every span (`service.version`, `deployment.environment`, ...); `serviceName` wins over a `service.name` here. */
  resourceAttributes?: Record<string, string>;
  /**
   * When set, a second service with this `service.name` (same endpoint, queue bounds and resource
   * attributes) is registered as the `sim` span sink: the embedded simulator's SERVER spans.
   */
  simServiceName?: string;
  /**
   * Record every envelope in {@link ActorTracing.histograms} (default true). The daemon turns it
   * off: its `/metrics` keeps its own per-actor timing, and a per-envelope record is most of what
   * tracing costs at the default sampling (bench/tracing.bench.ts).
   */
  histograms?: boolean;
  /**
   * The traced systems' clock: span timestamps (mapped to the epoch once, at construction), the
   * trace rate cap and the shutdown timeout. Default a `LiveClock`.
   */
  clock?: Clock;
  /** Uniform [0,1) source for root sampling decisions (drawn once per sampled root). Default `Math.random`. */
  random?: () => number;
}

/** What {@link ActorTracing.shutdown} reports. */
export interface TracingReport {
  /** Spans ended (sampled handlings). */
  spansEnded: number;
  /** Spans the receiver accepted. */
  spansExported: number;
  /** Spans in export requests that failed (receiver down, timeout, HTTP error). */
  spansFailed: number;
  /** Spans never delivered: failed, dropped by the bounded queue, or left at shutdown. */
  spansDropped: number;
  /** Why the final flush did not complete (timeout, "Concurrent export limit reached"), if it did not. */
  shutdownError: string | undefined;
}

/**
 * The OpenTelemetry (OTLP) tracing adapter of the actor runtime. It imports no `@opentelemetry/*`
 * module: spans are plain {@link SpanRecord}s encoded by hand (`otlp-encoder.ts`, which says why,
 * with the measured cost of the SDK path). It subscribes to the runtime's per-batch diagnostics events
 * (`bot4:actor:batch-start`/`batch-end`, one pair per batch of up to `batchSize` envelopes) and
 *
 * - records every handled envelope in per-actor HDR histograms, always, whatever the sampling:
 *   mailbox wait (enqueue → start of the batch that delivered it) per envelope, and handling time
 *   as the batch's time per envelope (a batch mean: timing each envelope would cost two clock
 *   reads per message, more than the whole tracing budget);
 * - for sampled messages, makes a span `actor.handle <type>` timed exactly (attributes
 *   `messaging.destination.name` (the actor's address), `actor.mailbox.wait_ns`, `actor.handle_ns`,
 *   `actor.message.from`, and `actor.message.topic`/`actor.message.correlation_id` when set)
 *   whose parent is the envelope's `traceparent`. Its ids are chosen before the handler runs and
 *   handed back to the runtime, so the messages the handler sends (and `currentTraceparent()`
 *   for venue requests) become its children; its record is filled after the batch and encoded
 *   into the service's span buffer (~0.35 µs; the record is reused at once);
 * - exports the encoded spans as OTLP protobuf over HTTP from a timer, through a bounded queue
 *   per service (`otlp-export.ts`). An exporter failure is counted and never reaches the engine;
 *   the handling path never waits for I/O.
 *
 * Sampling is parent-based with a ratio at the root: a message without a context is traced with
 * probability `samplingRatio` (decided by a countdown over a geometric skip, so a random number
 * is drawn once per sampled root, not per message), at most `maxTracesPerSecond` times a second;
 * one with a context follows its `sampled` flag. Unsampled roots get {@link UNSAMPLED_TRACEPARENT},
 * so their descendants stay unsampled at the cost of a string compare. Use one instance per process.
 */
export class ActorTracing {
  /** Per-actor latency histograms (every envelope, whatever the sampling, unless the `histograms` option is false). */
  readonly histograms = new LatencyHistograms();
  /** Validated options. */
  readonly options: Readonly<z.output<typeof schema>>;

  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly engine: ServiceExporter;
  private readonly counters: Counters;
  private readonly engineSink: ServiceSink;
  private readonly statsSource: () => ReturnType<ActorTracing['serviceStats']>;
  private readonly sim: ServiceExporter | undefined;
  private readonly simSink: ServiceSink | undefined;
  private readonly onStart: (m: unknown) => void;
  private readonly onEnd: (m: unknown) => void;
  /** Root messages still to skip before the next sampled one. */
  private skip: number;
  private tokens: number;
  private tokensAtNs: number;
  /** Roots refused by the rate cap in a row: the clock is read on 1 in {@link CAP_CLOCK_EVERY} of them. */
  private capped = 0;
  /** `Math.log(1 - samplingRatio)`, for the geometric skip. */
  private readonly logKeep: number;
  /**
   * Sampled envelopes of the batch in flight (`pendingEvent`): their indexes in `pendingK` and
   * their ids in `pendingWords`, the first `pendingN` entries (reused: truncating an array's
   * length per batch was a visible share of the hot path).
   */
  private pendingEvent: BatchDeliveryEvent | undefined;
  private pendingN = 0;
  private readonly pendingK: number[] = [];
  /**
   * The ids' bytes as 32-bit words, {@link PENDING_WORDS} per sampled envelope: trace (4, from
   * the pool for a root, else read once from the incoming context's hex), span (2, from the
   * pool), parent span (2; both 0 for a root: a zero span id is never valid). The records get
   * words, so the encoder parses no hex and compares no id strings.
   */
  private pendingWords = new Int32Array(PENDING_WORDS * 64);
  /** Contexts made here last, with their ids' words (children take them without reading hex). */
  readonly recent = new RecentContexts();
  private closed: Promise<TracingReport> | undefined;

  constructor(options?: ActorTracingOptions) {
    const { clock, random, ...rest } = options ?? {};
    if (random !== undefined && typeof random !== 'function') {
      throw new ConfigError('tracing.random', `tracing.random: expected a function, got ${describeValue(random)}`);
    }
    this.options = parseOptions(schema, rest, 'tracing');
    this.clock = clock ?? new LiveClock();
    this.random = random ?? Math.random;
    const o = this.options;
    this.logKeep = Math.log(1 - o.samplingRatio);
    const epochMs = this.clock instanceof LiveClock ? performance.timeOrigin : this.clock.epochMs() - this.clock.nowNs() / 1e6;
    const epochSec = Math.floor(epochMs / 1000);
    const base: EpochBase = { epochSec, epochNs: (epochMs - epochSec * 1000) * 1e6 };
    this.skip = this.nextSkip();
    this.tokens = o.maxTracesPerSecond;
    this.tokensAtNs = this.clock.nowNs();
    const settings = {
      endpoint: o.endpoint,
      headers: o.headers,
      maxQueueSize: o.maxQueueSize,
      maxExportBatchSize: o.maxExportBatchSize,
      scheduledDelayMillis: o.scheduledDelayMillis,
      exportTimeoutMillis: o.exportTimeoutMillis,
      concurrencyLimit: o.concurrencyLimit,
    };
    const resource = (name: string): Record<string, string> => ({ ...SDK_RESOURCE, ...(o.resourceAttributes ?? {}), 'service.name': name });
    this.engine = new ServiceExporter(settings, resource(o.serviceName), 'bot4.actors.runtime', base);
    this.counters = this.engine.counters;
    this.engineSink = new ServiceSink(this, this.engine, true);
    setSpanSink('engine', this.engineSink);
    this.statsSource = () => this.serviceStats();
    setTracingStats(this.statsSource);
    if (o.simServiceName !== undefined) {
      this.sim = new ServiceExporter(settings, resource(o.simServiceName), 'bot4.simulator', base);
      this.simSink = new ServiceSink(this, this.sim, false);
      setSpanSink('sim', this.simSink);
    }
    this.onStart = (m) => this.batchStart(m as BatchDeliveryEvent);
    this.onEnd = (m) => this.batchEnd(m as BatchDeliveryEvent);
    diagnosticsChannel.subscribe(CHANNELS.batchStart, this.onStart);
    diagnosticsChannel.subscribe(CHANNELS.batchEnd, this.onEnd);
  }

  /** Counters so far: spans ended / exported / failed, roots not sampled because of `maxTracesPerSecond`. */
  get stats(): { readonly spansEnded: number; readonly spansExported: number; readonly spansFailed: number; readonly spansQueueFull: number; readonly tracesRateLimited: number } {
    const c = this.counters;
    return { spansEnded: c.ended, spansExported: c.exported, spansFailed: c.failed, spansQueueFull: c.queueFull, tracesRateLimited: c.rateLimited };
  }

  /**
   * Span counters per service (`bot4`, and the simulator's when `simServiceName` is set): ended,
   * exported, failed (export error), dropped because the bounded queue was full; what `/metrics`
   * serves as `bot4_tracing_spans_total`.
   */
  serviceStats(): { service: string; ended: number; exported: number; failed: number; queueFull: number }[] {
    const out = [{ service: this.options.serviceName, ...pick(this.counters) }];
    if (this.sim !== undefined) out.push({ service: this.options.simServiceName!, ...pick(this.sim.counters) });
    return out;
  }

  /** Root sampling decision for a span started by hand with no parent (the gateway's request span). */
  sampleRoot(): boolean {
    if (--this.skip > 0) return false;
    this.skip = this.nextSkip();
    return this.admit();
  }

  /** Now, in ns on the traced clock. */
  nowNs(): number {
    return this.clock.nowNs();
  }

  /** Exports what is queued now (bounded by the export timeout); never rejects. */
  async flush(): Promise<void> {
    await Promise.all([this.engine.flush(), this.sim?.flush()]).catch((err: unknown) => logger.warn({ err: String(err) }, 'tracing: flush failed'));
  }

  /**
   * Unsubscribes, flushes (at most `shutdownTimeoutMs`) and reports how many spans were
   * exported and dropped. Never rejects; calling it again returns the same report.
   */
  shutdown(): Promise<TracingReport> {
    if (this.closed !== undefined) return this.closed;
    diagnosticsChannel.unsubscribe(CHANNELS.batchStart, this.onStart);
    diagnosticsChannel.unsubscribe(CHANNELS.batchEnd, this.onEnd);
    if (spanSink('engine') === this.engineSink) setSpanSink('engine', undefined);
    if (tracingStatsSource() === this.statsSource) setTracingStats(undefined);
    if (this.simSink !== undefined && spanSink('sim') === this.simSink) setSpanSink('sim', undefined);
    this.clearPending();
    this.recent.clear();
    this.histograms.flush();
    this.closed = new Promise<TracingReport>((resolve) => {
      let done = false;
      const finish = (shutdownError: string | undefined): void => {
        if (done) return;
        done = true;
        this.clock.clearTimer(timer);
        // whatever is still in flight or queued is abandoned (counted as failed)
        this.engine.abort();
        this.sim?.abort();
        const c = this.counters;
        const report = { spansEnded: c.ended, spansExported: c.exported, spansFailed: c.failed, spansDropped: c.ended - c.exported, shutdownError };
        if (report.spansDropped > 0 || shutdownError !== undefined) logger.warn(report, 'tracing: spans were not delivered');
        resolve(report);
      };
      const timer = this.clock.setTimer(this.options.shutdownTimeoutMs, () => finish(`shutdown timed out after ${this.options.shutdownTimeoutMs} ms`));
      Promise.all([this.engine.shutdown(), this.sim?.shutdown()]).then(
        () => finish(undefined),
        (err: unknown) => finish(err instanceof Error ? err.message : String(err)),
      );
    });
    return this.closed;
  }

  /** Decides sampling for each envelope of the batch and hands the runtime the handlers' contexts. */
  private batchStart(ev: BatchDeliveryEvent): void {
    if (this.options.system !== undefined && ev.system !== this.options.system) return;
    if (this.pendingEvent !== undefined) this.clearPending();
    const tps = ev.traceparents;
    const n = ev.count;
    // The countdown lives in a local for the loop (a field write per envelope is measurable here).
    let skip = this.skip;
    for (let k = 0; k < n; k++) {
      const tp = tps[k]!;
      if (tp !== '') {
        if (!isSampled(tp)) continue; // UNSAMPLED_TRACEPARENT among them (no string compare for a sampled one)
        if (this.sampleEnvelope(ev, k, tp)) continue;
        // not a valid traceparent (from the wire or user code): a root, counted down like any other
      }
      if (--skip > 0) {
        tps[k] = UNSAMPLED_TRACEPARENT;
        continue;
      }
      skip = this.nextSkip();
      if (!this.admit()) {
        tps[k] = UNSAMPLED_TRACEPARENT;
        continue;
      }
      this.sampleEnvelope(ev, k, '');
    }
    this.skip = skip;
  }

  /**
   * Envelope `k` is traced: a new root when `tp` is '', else a child of the sampled context `tp`
   * (false, nothing done, when `tp` is not a valid traceparent). Draws the span's ids, hands the
   * runtime its context and keeps it pending for {@link batchEnd}. Apart from the per-envelope
   * loop, so that loop stays small for the unsampled messages.
   */
  private sampleEnvelope(ev: BatchDeliveryEvent, k: number, tp: string): boolean {
    const j = this.pendingN * PENDING_WORDS;
    if (j + PENDING_WORDS > this.pendingWords.length) this.growPending();
    const pw = this.pendingWords;
    let traceId: string;
    if (tp === '') {
      traceId = randomTraceId();
      pw[j] = lastTraceIdWords[0]!;
      pw[j + 1] = lastTraceIdWords[1]!;
      pw[j + 2] = lastTraceIdWords[2]!;
      pw[j + 3] = lastTraceIdWords[3]!;
      pw[j + 6] = 0;
      pw[j + 7] = 0;
    } else {
      // a context made here: its words by identity; any other: checked in full as it is read
      traceId = this.recent.read(tp, pw, j);
      if (traceId === '') {
        if (!readTraceparent(tp, pw, j)) return false;
        traceId = traceIdOf(tp);
      }
    }
    const spanId = randomSpanId();
    pw[j + 4] = lastSpanIdWords[0]!;
    pw[j + 5] = lastSpanIdWords[1]!;
    const ctx = `00-${traceId}-${spanId}-01`;
    ev.traceparents[k] = ctx;
    this.recent.add(ctx, traceId, pw[j]!, pw[j + 1]!, pw[j + 2]!, pw[j + 3]!, pw[j + 4]!, pw[j + 5]!);
    ev.timed[k] = 1;
    this.pendingEvent = ev;
    this.pendingK[this.pendingN++] = k;
    return true;
  }

  /** Records the batch in the histograms and the records of its sampled envelopes. */
  private batchEnd(ev: BatchDeliveryEvent): void {
    if (this.options.system !== undefined && ev.system !== this.options.system) return;
    const handled = ev.handled;
    const env = ev.envelopes;
    const s = ev.start;
    if (handled > 0 && this.options.histograms) {
      const rec = this.histograms.recorder(ev.actor);
      const t0 = ev.batchStartNs;
      const wait = rec.wait;
      for (let k = 0; k < handled; k++) wait.record(t0 - env[s + k]!.enqueuedAtNs);
      const per = (ev.batchEndNs - t0) / handled;
      rec.handle.recordValueWithCount(per > 0 ? Math.round(per) : 0, handled);
    }
    if (this.pendingEvent !== ev) return;
    const ks = this.pendingK;
    const m = this.pendingN;
    for (let j = 0; j < m; j++) {
      const k = ks[j]!;
      // Not handled (the actor halted mid-batch): it comes back in a later batch, decided anew.
      if (k >= handled) continue;
      this.record(ev, k, j * PENDING_WORDS);
    }
    this.clearPending();
  }

  /** Fills the record of one sampled handling and hands it to the exporter (which encodes it and reuses the record). */
  private record(ev: BatchDeliveryEvent, k: number, at: number): void {
    const out = this.engine;
    if (!out.admit()) return;
    const e = ev.envelopes[ev.start + k]!;
    const startNs = ev.startNs[k]!;
    const endNs = ev.endNs[k]!;
    const r = out.acquire();
    const pw = this.pendingWords;
    r.traceW0 = pw[at]!;
    r.traceW1 = pw[at + 1]!;
    r.traceW2 = pw[at + 2]!;
    r.traceW3 = pw[at + 3]!;
    r.traceIdWords = true;
    r.spanW0 = pw[at + 4]!;
    r.spanW1 = pw[at + 5]!;
    r.spanIdWords = true;
    const p0 = pw[at + 6]!;
    const p1 = pw[at + 7]!;
    if (p0 !== 0 || p1 !== 0) {
      r.parentW0 = p0;
      r.parentW1 = p1;
      r.parentIdWords = true;
    }
    r.name = e.type;
    r.kind = OTLP_KIND_CONSUMER;
    r.startNs = startNs;
    r.endNs = endNs;
    r.actor = ev.actor;
    r.from = e.from;
    r.topic = e.topic;
    r.correlationId = e.correlationId;
    r.waitNs = Math.max(0, Math.round(startNs - e.enqueuedAtNs));
    r.handleNs = Math.max(0, Math.round(endNs - startNs));
    orderFields(r, e.payload);
    const err = ev.error;
    if (err !== undefined && (ev.errorIndex === k || ev.errorIndex === -1)) {
      r.statusCode = 2;
      r.statusMessage = err instanceof Error ? err.message : String(err);
    }
    out.push(r);
  }

  /** Twice the room for sampled envelopes of one batch (a batch is at most the runtime's batch size). */
  private growPending(): void {
    const next = new Int32Array(this.pendingWords.length * 2);
    next.set(this.pendingWords);
    this.pendingWords = next;
  }

  private clearPending(): void {
    this.pendingEvent = undefined;
    this.pendingN = 0;
  }

  /** Roots to count down to the next sampled one: geometric, so each root is sampled with probability `samplingRatio`. */
  private nextSkip(): number {
    const p = this.options.samplingRatio;
    if (p >= 1) return 1;
    if (p <= 0) return Infinity;
    return 1 + Math.floor(Math.log(1 - this.random()) / this.logKeep);
  }

  /**
   * Token bucket of `maxTracesPerSecond` (burst: one second's worth). While the bucket is empty
   * the clock is read on 1 in {@link CAP_CLOCK_EVERY} refused roots only (at millions of messages
   * a second a 1% ratio asks ~10⁴–10⁵ times a second; a clock read each time was ~1% of the
   * engine's CPU): a token that came back is taken a few roots later, never more than the cap.
   */
  private admit(): boolean {
    const max = this.options.maxTracesPerSecond;
    if (max === 0) return true;
    if (this.tokens < 1 && this.capped++ % CAP_CLOCK_EVERY !== 0) {
      this.counters.rateLimited++;
      return false;
    }
    const now = this.clock.nowNs();
    this.tokens = Math.min(max, this.tokens + ((now - this.tokensAtNs) * max) / 1e9);
    this.tokensAtNs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.capped = 0;
      return true;
    }
    this.counters.rateLimited++;
    return false;
  }
}

/** While the rate cap refuses roots, the clock is read on 1 in this many (see `admit`). */
const CAP_CLOCK_EVERY = 8;

/** 32-bit words of ids per sampled envelope of a batch (`pendingWords`): trace 4, span 2, parent 2. */
const PENDING_WORDS = 8;

/** OTLP span kind of an actor handling (the API's CONSUMER + 1). */
const OTLP_KIND_CONSUMER = 5;

/** Resource attributes the SDK's default resource carries (`telemetry.sdk.*`); the user's and `service.name` win. */
const SDK_RESOURCE: Readonly<Record<string, string>> = Object.freeze({ 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.name': 'bot4' });

function pick(c: Counters): { ended: number; exported: number; failed: number; queueFull: number } {
  return { ended: c.ended, exported: c.exported, failed: c.failed, queueFull: c.queueFull };
}

/** `bot4.order.*` fields from an order message's payload (sampled spans only). */
function orderFields(r: SpanRecord, payload: unknown): void {
  if (payload === null || typeof payload !== 'object') return;
  const p = payload as { intent?: { venue?: unknown; symbol?: unknown; side?: unknown; strategy?: unknown }; clientOrderId?: unknown };
  const i = p.intent;
  if (i !== undefined && i !== null && typeof i === 'object') {
    if (typeof i.venue === 'string') r.venue = i.venue;
    if (typeof i.symbol === 'string') r.symbol = i.symbol;
    if (typeof i.side === 'string') r.side = i.side;
    if (typeof i.strategy === 'string') r.strategy = i.strategy;
  }
  if (typeof p.clientOrderId === 'string') r.clientOrderId = p.clientOrderId;
}

/** A sampled span made by hand: its record, queued when it ends. */
class RecordingSpan implements LiveSpan {
  readonly recording = true;
  private done = false;
  constructor(
    private readonly record: SpanRecord,
    readonly traceparent: string,
    private readonly owner: ActorTracing,
    private readonly out: ServiceExporter,
  ) {}
  setAttribute(key: string, value: string | number | boolean): void {
    if (!this.done) this.record.set(key, value);
  }
  end(error?: string): void {
    if (this.done) return;
    this.done = true;
    const r = this.record;
    if (!this.out.admit()) {
      this.out.release(r);
      return;
    }
    r.endNs = this.owner.nowNs();
    if (error !== undefined) {
      r.statusCode = 2;
      r.statusMessage = error;
    }
    this.out.push(r);
  }
}

/** Not sampled: carries the context its children follow, records nothing. */
class NonRecordingSpan implements LiveSpan {
  readonly recording = false;
  constructor(readonly traceparent: string) {}
  setAttribute(): void {}
  end(): void {}
}

const UNSAMPLED_SPAN = new NonRecordingSpan(UNSAMPLED_TRACEPARENT);
/** Scratch for {@link readTraceparent} in a span sink (trace id words 0..3, parent span id 6..7). */
const CONTEXT_WORDS = new Int32Array(PENDING_WORDS);
const NO_CONTEXT_SPAN = new NonRecordingSpan('');

/** The {@link SpanSink} of one service (see `common/span-sink.ts`). */
class ServiceSink implements SpanSink {
  constructor(
    private readonly owner: ActorTracing,
    private readonly out: ServiceExporter,
    /** Engine: a root is sampled by the root sampler. Simulator: spans only under a sampled caller. */
    private readonly roots: boolean,
  ) {}

  start(name: string, kind: number, parent: string, attributes?: SpanAttributes): LiveSpan {
    let r: SpanRecord;
    if (parent !== '' && !isSampled(parent)) {
      // an unsampled context is passed on untouched
      return parent === UNSAMPLED_TRACEPARENT ? UNSAMPLED_SPAN : new NonRecordingSpan(parent);
    }
    const recent = this.owner.recent;
    // a sampled context made here (its words by identity), else checked in full as its ids are read into words
    let traceId = parent === '' ? '' : recent.read(parent, CONTEXT_WORDS, 0);
    if (traceId === '' && parent !== '' && readTraceparent(parent, CONTEXT_WORDS, 0)) traceId = traceIdOf(parent);
    if (traceId !== '') {
      r = this.out.acquire();
      const c = CONTEXT_WORDS;
      r.traceW0 = c[0]!;
      r.traceW1 = c[1]!;
      r.traceW2 = c[2]!;
      r.traceW3 = c[3]!;
      r.parentW0 = c[6]!;
      r.parentW1 = c[7]!;
      r.parentIdWords = true;
      // the simulator's parent is the engine's CLIENT span, across the wire
      r.remoteParent = !this.roots;
    } else {
      // no context, or a sampled-looking one that is not a valid traceparent: the engine starts
      // a new root (sampled by the root sampler); the simulator only records under a caller
      if (!this.roots) return parent === '' ? NO_CONTEXT_SPAN : new NonRecordingSpan(parent);
      if (!this.owner.sampleRoot()) return UNSAMPLED_SPAN;
      traceId = randomTraceId();
      r = this.out.acquire();
      r.traceW0 = lastTraceIdWords[0]!;
      r.traceW1 = lastTraceIdWords[1]!;
      r.traceW2 = lastTraceIdWords[2]!;
      r.traceW3 = lastTraceIdWords[3]!;
    }
    r.traceIdWords = true;
    const spanId = randomSpanId();
    r.spanW0 = lastSpanIdWords[0]!;
    r.spanW1 = lastSpanIdWords[1]!;
    r.spanIdWords = true;
    r.name = name;
    r.kind = kind + 1;
    r.startNs = this.owner.nowNs();
    if (attributes !== undefined) for (const key in attributes) r.add(key, attributes[key]!);
    const ctx = `00-${traceId}-${spanId}-01`;
    recent.add(ctx, traceId, r.traceW0, r.traceW1, r.traceW2, r.traceW3, r.spanW0, r.spanW1);
    return new RecordingSpan(r, ctx, this.owner, this.out);
  }

  withContext<T>(traceparent: string, fn: () => T): T {
    const before = handling.traceparent;
    handling.traceparent = traceparent;
    try {
      return fn();
    } finally {
      handling.traceparent = before;
    }
  }
}
