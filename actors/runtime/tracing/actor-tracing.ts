// Over ~400 lines on purpose: the one OpenTelemetry adapter (house rule: OTel stays in one module):
// provider set-up, the diagnostics subscriber, sampling and the per-actor histograms belong together.
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind as OtelSpanKind, SpanStatusCode, trace, type HrTime, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Clock } from '../../../common/clock.js';
import { LiveClock } from '../../../common/clock.js';
import { describeValue } from '../../../common/describe.js';
import { ConfigError } from '../../../common/errors.js';
import { logger } from '../../../common/log.js';
import { setSpanSink, setTracingStats, spanSink, tracingStatsSource, type LiveSpan, type SpanAttributes, type SpanSink } from '../../../common/span-sink.js';
import { handling } from '../context.js';
import { parseOptions, z } from '../../../common/validate.js';
import { CHANNELS, type BatchDeliveryEvent } from '../diagnostics.js';
import { LatencyHistograms } from './latency-histograms.js';
import { isSampled, isTraceparent, spanIdOf, traceIdOf, UNSAMPLED_TRACEPARENT } from './traceparent.js';

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
    headers: z.record(z.string(), z.string()).optional(),
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
 * The OpenTelemetry adapter of the actor runtime, and the only module that imports
 * `@opentelemetry/*`. It subscribes to the runtime's per-batch diagnostics events
 * (`bot4:actor:batch-start`/`batch-end`, one pair per batch of up to `batchSize` envelopes) and
 *
 * - records every handled envelope in per-actor HDR histograms, always, whatever the sampling:
 *   mailbox wait (enqueue → start of the batch that delivered it) per envelope, and handling time
 *   as the batch's time per envelope (a batch mean: timing each envelope would cost two clock
 *   reads per message, more than the whole tracing budget);
 * - for sampled messages, makes a span `actor.handle <type>` timed exactly (attributes
 *   `actor.address`, `actor.message.type`, `actor.mailbox.wait_ns`, `actor.handle_ns`,
 *   `actor.message.from`, and `actor.message.topic`/`actor.message.correlation_id` when set)
 *   whose parent is the envelope's `traceparent`. Its ids are chosen before the handler runs and
 *   handed back to the runtime, so the messages the handler sends (and `currentTraceparent()`
 *   for venue requests) become its children; the span itself is built after the batch;
 * - exports spans as OTLP protobuf over HTTP through a bounded BatchSpanProcessor. An exporter
 *   failure is counted and never reaches the engine; the handling path never waits for I/O.
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

  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly ids = new PresetIdGenerator();
  private readonly counters: Counters = { ended: 0, exported: 0, failed: 0, queueFull: 0, rateLimited: 0 };
  private readonly simCounters: Counters = { ended: 0, exported: 0, failed: 0, queueFull: 0, rateLimited: 0 };
  private readonly engineSink: ServiceSink;
  private readonly statsSource: () => ReturnType<ActorTracing['serviceStats']>;
  private simProvider: BasicTracerProvider | undefined;
  private simSink: ServiceSink | undefined;
  private readonly onStart: (m: unknown) => void;
  private readonly onEnd: (m: unknown) => void;
  /** Root messages still to skip before the next sampled one. */
  private skip: number;
  private tokens: number;
  private tokensAtNs: number;
  /** Epoch of clock time 0, as whole seconds + ns, for span timestamps. */
  private readonly epochSec: number;
  private readonly epochNs: number;
  /** Sampled envelopes of the batch in flight (`pendingEvent`): index, trace id, span id, parent span id. */
  private pendingEvent: BatchDeliveryEvent | undefined;
  private readonly pendingK: number[] = [];
  private readonly pendingTrace: string[] = [];
  private readonly pendingSpan: string[] = [];
  private readonly pendingParent: string[] = [];
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
    const epochMs = this.clock instanceof LiveClock ? performance.timeOrigin : this.clock.epochMs() - this.clock.nowNs() / 1e6;
    this.epochSec = Math.floor(epochMs / 1000);
    this.epochNs = (epochMs - this.epochSec * 1000) * 1e6;
    this.skip = this.nextSkip();
    this.tokens = o.maxTracesPerSecond;
    this.tokensAtNs = this.clock.nowNs();
    this.provider = makeProvider(o, o.serviceName, this.counters, this.ids);
    this.tracer = this.provider.getTracer('bot4.actors.runtime');
    this.engineSink = new ServiceSink(this, this.tracer, true);
    setSpanSink('engine', this.engineSink);
    this.statsSource = () => this.serviceStats();
    setTracingStats(this.statsSource);
    if (o.simServiceName !== undefined) {
      this.simProvider = makeProvider(o, o.simServiceName, this.simCounters, new PresetIdGenerator());
      this.simSink = new ServiceSink(this, this.simProvider.getTracer('bot4.simulator'), false);
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
    if (this.options.simServiceName !== undefined) out.push({ service: this.options.simServiceName, ...pick(this.simCounters) });
    return out;
  }

  /** Root sampling decision for a span started by hand with no parent (the gateway's request span). */
  sampleRoot(): boolean {
    if (--this.skip > 0) return false;
    this.skip = this.nextSkip();
    return this.admit();
  }

  /** Now, as an OTel time, on the traced clock. */
  now(): HrTime {
    return this.hrTime(this.clock.nowNs());
  }

  /** Exports what is queued now (bounded by the export timeout); never rejects. */
  async flush(): Promise<void> {
    await Promise.all([this.provider, this.simProvider].map((p) => p?.forceFlush().catch((err: unknown) => logger.warn({ err: String(err) }, 'tracing: flush failed'))));
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
    this.histograms.flush();
    this.closed = new Promise<TracingReport>((resolve) => {
      let done = false;
      const finish = (shutdownError: string | undefined): void => {
        if (done) return;
        done = true;
        this.clock.clearTimer(timer);
        const c = this.counters;
        const report = { spansEnded: c.ended, spansExported: c.exported, spansFailed: c.failed, spansDropped: c.ended - c.exported, shutdownError };
        if (report.spansDropped > 0 || shutdownError !== undefined) logger.warn(report, 'tracing: spans were not delivered');
        resolve(report);
      };
      const timer = this.clock.setTimer(this.options.shutdownTimeoutMs, () => finish(`shutdown timed out after ${this.options.shutdownTimeoutMs} ms`));
      // "Concurrent export limit reached" and exporter errors end up here, never as a crash.
      Promise.all([this.provider.shutdown(), this.simProvider?.shutdown()]).then(
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
      let traceId: string;
      let parent: string;
      if (tp === '') {
        if (--skip > 0) {
          tps[k] = UNSAMPLED_TRACEPARENT;
          continue;
        }
        skip = this.nextSkip();
        if (!this.admit()) {
          tps[k] = UNSAMPLED_TRACEPARENT;
          continue;
        }
        traceId = randomHex(4);
        parent = '';
      } else if (tp === UNSAMPLED_TRACEPARENT || !isSampled(tp)) {
        continue;
      } else {
        traceId = traceIdOf(tp);
        parent = spanIdOf(tp);
      }
      const spanId = randomHex(2);
      tps[k] = `00-${traceId}-${spanId}-01`;
      ev.timed[k] = 1;
      this.pendingEvent = ev;
      this.pendingK.push(k);
      this.pendingTrace.push(traceId);
      this.pendingSpan.push(spanId);
      this.pendingParent.push(parent);
    }
    this.skip = skip;
  }

  /** Records the batch in the histograms and builds the spans of its sampled envelopes. */
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
    for (let j = 0; j < ks.length; j++) {
      const k = ks[j]!;
      // Not handled (the actor halted mid-batch): it comes back in a later batch, decided anew.
      if (k >= handled) continue;
      this.emit(ev, k, this.pendingTrace[j]!, this.pendingSpan[j]!, this.pendingParent[j]!);
    }
    this.clearPending();
  }

  private emit(ev: BatchDeliveryEvent, k: number, traceId: string, spanId: string, parent: string): void {
    const e = ev.envelopes[ev.start + k]!;
    const startNs = ev.startNs[k]!;
    const endNs = ev.endNs[k]!;
    // A child takes its trace id from the parent context; only a root asks the generator.
    this.ids.traceId = parent === '' ? traceId : '';
    this.ids.spanId = spanId;
    const ctx = parent === '' ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: parent, traceFlags: 1, isRemote: true });
    const span = this.tracer.startSpan(
      `actor.handle ${e.type}`,
      {
        kind: OtelSpanKind.CONSUMER,
        startTime: this.hrTime(startNs),
        attributes: {
          'messaging.system': 'bot4.actors',
          'messaging.operation.type': 'process',
          'messaging.destination.name': ev.actor,
          'actor.address': ev.actor,
          'actor.message.type': e.type,
          'actor.mailbox.wait_ns': Math.max(0, Math.round(startNs - e.enqueuedAtNs)),
          'actor.handle_ns': Math.max(0, Math.round(endNs - startNs)),
          'actor.message.from': e.from,
        },
      },
      ctx,
    );
    if (e.topic !== '') span.setAttribute('actor.message.topic', e.topic);
    if (e.correlationId !== '') span.setAttribute('actor.message.correlation_id', e.correlationId);
    orderAttributes(span, e.payload);
    const err = ev.error;
    if (err !== undefined && (ev.errorIndex === k || ev.errorIndex === -1)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    }
    span.end(this.hrTime(endNs));
  }

  private clearPending(): void {
    this.pendingEvent = undefined;
    this.pendingK.length = 0;
    this.pendingTrace.length = 0;
    this.pendingSpan.length = 0;
    this.pendingParent.length = 0;
  }

  /** Roots to count down to the next sampled one: geometric, so each root is sampled with probability `samplingRatio`. */
  private nextSkip(): number {
    const p = this.options.samplingRatio;
    if (p >= 1) return 1;
    if (p <= 0) return Infinity;
    return 1 + Math.floor(Math.log(1 - this.random()) / Math.log(1 - p));
  }

  /** Token bucket of `maxTracesPerSecond` (burst: one second's worth). */
  private admit(): boolean {
    const max = this.options.maxTracesPerSecond;
    if (max === 0) return true;
    const now = this.clock.nowNs();
    this.tokens = Math.min(max, this.tokens + ((now - this.tokensAtNs) * max) / 1e9);
    this.tokensAtNs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.counters.rateLimited++;
    return false;
  }

  /** Clock ns → OTel epoch time, without losing sub-microsecond precision to a float64 of epoch ns. */
  private hrTime(ns: number): HrTime {
    const total = this.epochNs + ns;
    const sec = Math.floor(total / 1e9);
    return [this.epochSec + sec, Math.floor(total - sec * 1e9)];
  }
}

/** Two hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Random lowercase hex of `words` × 8 digits, never all zeros (W3C forbids zero ids). A byte table
 * instead of `toString(16).padStart` per word: this was the largest self time of a sampled span.
 */
function randomHex(words: number): string {
  for (;;) {
    let s = '';
    let any = 0;
    for (let i = 0; i < words; i++) {
      const w = (Math.random() * 0x1_0000_0000) >>> 0;
      any |= w;
      s += HEX[w >>> 24]! + HEX[(w >>> 16) & 255]! + HEX[(w >>> 8) & 255]! + HEX[w & 255]!;
    }
    if (any !== 0) return s;
  }
}

/**
 * Hands the SDK the ids the adapter already gave the runtime (the span is built after its handler
 * ran, but its children were sent with its context during it). Falls back to random ids.
 */
class PresetIdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    const t = this.traceId === '' ? randomHex(4) : this.traceId;
    this.traceId = '';
    return t;
  }
  generateSpanId(): string {
    const s = this.spanId === '' ? randomHex(2) : this.spanId;
    this.spanId = '';
    return s;
  }
}

/**
 * Counts ended spans on the way into the batch processor and bounds what is queued or in export
 * to `maxQueueSize`: beyond it a span is dropped here and counted (`queueFull`), so every drop
 * shows in `/metrics` (the SDK's own queue drops silently).
 */
class CountingProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly counters: Counters,
    private readonly maxQueueSize: number,
  ) {}
  onStart(span: Parameters<SpanProcessor['onStart']>[0], ctx: Parameters<SpanProcessor['onStart']>[1]): void {
    this.inner.onStart(span, ctx);
  }
  onEnd(span: ReadableSpan): void {
    const c = this.counters;
    c.ended++;
    if (c.ended - 1 - c.exported - c.failed - c.queueFull >= this.maxQueueSize) {
      c.queueFull++;
      return;
    }
    this.inner.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Counts spans per export outcome; a failed export is logged once per burst, never thrown. */
class CountingExporter implements SpanExporter {
  private failures = 0;
  constructor(
    private readonly inner: SpanExporter,
    private readonly counters: { exported: number; failed: number },
  ) {}
  export(spans: ReadableSpan[], resultCallback: Parameters<SpanExporter['export']>[1]): void {
    const n = spans.length;
    try {
      this.inner.export(spans, (result) => {
        // ExportResultCode.SUCCESS is 0 (@opentelemetry/core is not a direct dependency).
        if (result.code === 0) {
          this.counters.exported += n;
          this.failures = 0;
        } else {
          this.counters.failed += n;
          if (this.failures++ === 0) logger.warn({ err: String(result.error ?? 'export failed'), spans: n }, 'tracing: span export failed');
        }
        resultCallback(result);
      });
    } catch (err) {
      this.counters.failed += n;
      resultCallback({ code: 1, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

interface Counters {
  ended: number;
  exported: number;
  failed: number;
  queueFull: number;
  rateLimited: number;
}

function pick(c: Counters): { ended: number; exported: number; failed: number; queueFull: number } {
  return { ended: c.ended, exported: c.exported, failed: c.failed, queueFull: c.queueFull };
}

/** One service's provider: OTLP/protobuf exporter behind the bounded, counting batch processor. */
function makeProvider(o: Readonly<z.output<typeof schema>>, serviceName: string, counters: Counters, ids: PresetIdGenerator): BasicTracerProvider {
  const batch = Math.min(o.maxExportBatchSize, o.maxQueueSize);
  const otlp = new OTLPTraceExporter({
    url: o.endpoint,
    timeoutMillis: o.exportTimeoutMillis,
    // A flush hands the whole queue to the exporter at once: allow enough requests in flight for
    // it, or the exporter refuses the rest ("Concurrent export limit reached") and they are lost.
    concurrencyLimit: Math.max(o.concurrencyLimit, Math.ceil(o.maxQueueSize / batch)),
    ...(o.headers === undefined ? {} : { headers: { ...o.headers } }),
  });
  const processor = new CountingProcessor(
    new BatchSpanProcessor(new CountingExporter(otlp, counters), {
      // our own bound (CountingProcessor) is the binding one; the SDK's never drops before it
      maxQueueSize: o.maxQueueSize + 1,
      maxExportBatchSize: batch,
      scheduledDelayMillis: o.scheduledDelayMillis,
      exportTimeoutMillis: o.exportTimeoutMillis,
    }),
    counters,
    o.maxQueueSize,
  );
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ ...(o.resourceAttributes ?? {}), 'service.name': serviceName }),
    // The decision is made before a span exists (root sampler, parent's flag); the SDK records what it is given.
    sampler: new AlwaysOnSampler(),
    idGenerator: ids,
    spanProcessors: [processor],
  });
}

/** `bot4.order.*` attributes from an order message's payload (sampled spans only). */
function orderAttributes(span: Span, payload: unknown): void {
  if (payload === null || typeof payload !== 'object') return;
  const p = payload as { intent?: { venue?: unknown; symbol?: unknown; side?: unknown; strategy?: unknown }; clientOrderId?: unknown; order?: { clientOrderId?: unknown } };
  const i = p.intent;
  if (i !== undefined && i !== null && typeof i === 'object') {
    if (typeof i.venue === 'string') span.setAttribute('bot4.venue', i.venue);
    if (typeof i.symbol === 'string') span.setAttribute('bot4.symbol', i.symbol);
    if (typeof i.side === 'string') span.setAttribute('bot4.side', i.side);
    if (typeof i.strategy === 'string') span.setAttribute('bot4.strategy', i.strategy);
  }
  if (typeof p.clientOrderId === 'string') span.setAttribute('bot4.order.client_id', p.clientOrderId);
}

/** A sampled span made by hand. */
class RecordingSpan implements LiveSpan {
  readonly recording = true;
  private done = false;
  constructor(
    private readonly span: Span,
    readonly traceparent: string,
    private readonly owner: ActorTracing,
  ) {}
  setAttribute(key: string, value: string | number | boolean): void {
    if (!this.done) this.span.setAttribute(key, value);
  }
  end(error?: string): void {
    if (this.done) return;
    this.done = true;
    if (error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    this.span.end(this.owner.now());
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
const NO_CONTEXT_SPAN = new NonRecordingSpan('');

/** The {@link SpanSink} of one service (see `common/span-sink.ts`). */
class ServiceSink implements SpanSink {
  constructor(
    private readonly owner: ActorTracing,
    private readonly tracer: Tracer,
    /** Engine: a root is sampled by the root sampler. Simulator: spans only under a sampled caller. */
    private readonly roots: boolean,
  ) {}

  start(name: string, kind: number, parent: string, attributes?: SpanAttributes): LiveSpan {
    let ctx = ROOT_CONTEXT;
    if (parent === '') {
      if (!this.roots) return NO_CONTEXT_SPAN;
      if (!this.owner.sampleRoot()) return UNSAMPLED_SPAN;
    } else {
      // a context from the wire is checked in full; an unsampled one is passed on untouched
      if (!isSampled(parent) || (!this.roots && !isTraceparent(parent))) return parent === UNSAMPLED_TRACEPARENT ? UNSAMPLED_SPAN : new NonRecordingSpan(parent);
      ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: traceIdOf(parent), spanId: spanIdOf(parent), traceFlags: 1, isRemote: true });
    }
    const span = this.tracer.startSpan(name, { kind: kind as OtelSpanKind, startTime: this.owner.now(), ...(attributes === undefined ? {} : { attributes }) }, ctx);
    const sc = span.spanContext();
    return new RecordingSpan(span, `00-${sc.traceId}-${sc.spanId}-01`, this.owner);
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
