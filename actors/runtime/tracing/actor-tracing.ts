import diagnosticsChannel from 'node:diagnostics_channel';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Clock } from '../../../common/clock.js';
import { LiveClock } from '../../../common/clock.js';
import { describeValue } from '../../../common/describe.js';
import { ConfigError } from '../../../common/errors.js';
import { logger } from '../../../common/log.js';
import { parseOptions, z } from '../../../common/validate.js';
import { CHANNELS, type FinishedEvent, type StartedEvent } from '../diagnostics.js';
import type { Envelope } from '../envelope.js';
import { LatencyHistograms } from './latency-histograms.js';
import { isSampled, spanIdOf, traceIdOf, UNSAMPLED_TRACEPARENT } from './traceparent.js';

/** Defaults of {@link ActorTracingOptions}, next to the schema. */
export const TRACING_DEFAULTS = Object.freeze({
  /** What Jaeger's OTLP/HTTP receiver listens on. */
  endpoint: 'http://127.0.0.1:4318/v1/traces',
  serviceName: 'bot4',
  /** Fraction of root messages traced; descendants follow their root (parent-based). */
  samplingRatio: 0.01,
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
    maxQueueSize: z.number().int().min(1).default(TRACING_DEFAULTS.maxQueueSize),
    maxExportBatchSize: z.number().int().min(1).default(TRACING_DEFAULTS.maxExportBatchSize),
    scheduledDelayMillis: z.number().int().min(0).default(TRACING_DEFAULTS.scheduledDelayMillis),
    exportTimeoutMillis: z.number().int().min(1).default(TRACING_DEFAULTS.exportTimeoutMillis),
    concurrencyLimit: z.number().int().min(1).default(TRACING_DEFAULTS.concurrencyLimit),
    shutdownTimeoutMs: z.number().int().min(1).default(TRACING_DEFAULTS.shutdownTimeoutMs),
    headers: z.record(z.string(), z.string()).optional(),
    system: z.string().min(1).optional(),
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
  /** Clock for the shutdown timeout. Default a `LiveClock`. */
  clock?: Clock;
  /** Uniform [0,1) source for root sampling decisions. Default `Math.random`. */
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
 * `@opentelemetry/*`. It subscribes to the runtime's diagnostics channels and
 *
 * - records every handled envelope (mailbox wait, handling time) in per-actor HDR histograms,
 *   always, whatever the sampling;
 * - for sampled messages, makes a span `actor.handle <type>` (attributes `actor.address`,
 *   `actor.message.type`, `actor.mailbox.wait_ns`, `actor.handle_ns`, `actor.message.from`, and
 *   `actor.message.topic`/`actor.message.correlation_id` when set) whose parent is the
 *   envelope's `traceparent`, and hands its own context back to the runtime so the messages the
 *   handler sends (and `currentTraceparent()` for venue requests) become its children;
 * - exports spans as OTLP protobuf over HTTP through a bounded BatchSpanProcessor. An exporter
 *   failure is counted and never reaches the engine; the handling path never waits for I/O.
 *
 * Sampling is parent-based with a ratio at the root: a message without a context is traced with
 * probability `samplingRatio`; one with a context follows its `sampled` flag. Unsampled roots get
 * {@link UNSAMPLED_TRACEPARENT}, so their descendants stay unsampled at the cost of a flag check.
 * Use one instance per process.
 */
export class ActorTracing {
  /** Per-actor latency histograms (always on). */
  readonly histograms = new LatencyHistograms();
  /** Validated options. */
  readonly options: Readonly<z.output<typeof schema>>;

  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly counters = { ended: 0, exported: 0, failed: 0 };
  private readonly onStarted: (m: unknown) => void;
  private readonly onFinished: (m: unknown) => void;
  /** Span of the envelope being handled (handling never nests, so one slot suffices). */
  private openSpan: Span | undefined;
  private openEnvelope: Envelope | undefined;
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
    const otlp = new OTLPTraceExporter({
      url: o.endpoint,
      timeoutMillis: o.exportTimeoutMillis,
      concurrencyLimit: o.concurrencyLimit,
      ...(o.headers === undefined ? {} : { headers: { ...o.headers } }),
    });
    const processor = new CountingProcessor(
      new BatchSpanProcessor(new CountingExporter(otlp, this.counters), {
        maxQueueSize: o.maxQueueSize,
        maxExportBatchSize: Math.min(o.maxExportBatchSize, o.maxQueueSize),
        scheduledDelayMillis: o.scheduledDelayMillis,
        exportTimeoutMillis: o.exportTimeoutMillis,
      }),
      this.counters,
    );
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': o.serviceName }),
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [processor],
    });
    this.tracer = this.provider.getTracer('bot4.actors.runtime');
    this.onStarted = (m) => this.started(m as StartedEvent);
    this.onFinished = (m) => this.finished(m as FinishedEvent);
    diagnosticsChannel.subscribe(CHANNELS.started, this.onStarted);
    diagnosticsChannel.subscribe(CHANNELS.finished, this.onFinished);
  }

  /** Counters so far (spans ended / exported / failed). */
  get stats(): { readonly spansEnded: number; readonly spansExported: number; readonly spansFailed: number } {
    return { spansEnded: this.counters.ended, spansExported: this.counters.exported, spansFailed: this.counters.failed };
  }

  /** Exports what is queued now (bounded by the export timeout); never rejects. */
  async flush(): Promise<void> {
    await this.provider.forceFlush().catch((err: unknown) => logger.warn({ err: String(err) }, 'tracing: flush failed'));
  }

  /**
   * Unsubscribes, flushes (at most `shutdownTimeoutMs`) and reports how many spans were
   * exported and dropped. Never rejects; calling it again returns the same report.
   */
  shutdown(): Promise<TracingReport> {
    if (this.closed !== undefined) return this.closed;
    diagnosticsChannel.unsubscribe(CHANNELS.started, this.onStarted);
    diagnosticsChannel.unsubscribe(CHANNELS.finished, this.onFinished);
    if (this.openSpan !== undefined) {
      this.openSpan.end();
      this.openSpan = undefined;
    }
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
      this.provider.shutdown().then(
        () => finish(undefined),
        (err: unknown) => finish(err instanceof Error ? err.message : String(err)),
      );
    });
    return this.closed;
  }

  private started(ev: StartedEvent): void {
    if (this.options.system !== undefined && ev.system !== this.options.system) return;
    const e = ev.envelope;
    const parent = ev.traceparent;
    if (parent === '') {
      if (!(this.random() < this.options.samplingRatio)) {
        ev.traceparent = UNSAMPLED_TRACEPARENT;
        return;
      }
    } else if (!isSampled(parent)) {
      return;
    }
    const ctx =
      parent === ''
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { traceId: traceIdOf(parent), spanId: spanIdOf(parent), traceFlags: 1, isRemote: true });
    const span = this.tracer.startSpan(
      `actor.handle ${e.type}`,
      {
        attributes: {
          'actor.address': ev.actor,
          'actor.message.type': e.type,
          'actor.mailbox.wait_ns': Math.round(ev.waitNs),
          'actor.message.from': e.from,
        },
      },
      ctx,
    );
    if (e.topic !== '') span.setAttribute('actor.message.topic', e.topic);
    if (e.correlationId !== '') span.setAttribute('actor.message.correlation_id', e.correlationId);
    const sc = span.spanContext();
    ev.traceparent = `00-${sc.traceId}-${sc.spanId}-01`;
    this.openSpan = span;
    this.openEnvelope = e;
  }

  private finished(ev: FinishedEvent): void {
    if (this.options.system !== undefined && ev.system !== this.options.system) return;
    this.histograms.record(ev.actor, ev.waitNs, ev.handleNs);
    const span = this.openSpan;
    if (span === undefined || this.openEnvelope !== ev.envelope) return;
    this.openSpan = undefined;
    this.openEnvelope = undefined;
    span.setAttribute('actor.handle_ns', Math.round(ev.handleNs));
    if (ev.error !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: ev.error instanceof Error ? ev.error.message : String(ev.error) });
    }
    span.end();
  }
}

/** Counts ended spans on the way into the batch processor. */
class CountingProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly counters: { ended: number },
  ) {}
  onStart(span: Parameters<SpanProcessor['onStart']>[0], ctx: Parameters<SpanProcessor['onStart']>[1]): void {
    this.inner.onStart(span, ctx);
  }
  onEnd(span: ReadableSpan): void {
    this.counters.ended++;
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
