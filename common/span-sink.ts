/**
 * The seam between code that makes spans by hand (the gateway's request span, the venue client's
 * CLIENT span, the simulator's SERVER span, an order's ack and fill spans) and the one OpenTelemetry
 * adapter (`actors/runtime/tracing/actor-tracing.ts`). No OpenTelemetry import here: with tracing
 * off nothing is registered, {@link spanSink} returns undefined and the caller makes no span (one
 * property read). The adapter registers one sink per service: `engine` (`bot4`) and `sim`
 * (`bot4-sim`, the embedded simulator's spans).
 */

/** OpenTelemetry span kinds (the API's `SpanKind` values). */
export const SpanKind = Object.freeze({ INTERNAL: 0, SERVER: 1, CLIENT: 2, PRODUCER: 3, CONSUMER: 4 });

/** Span attribute values. */
export type SpanAttributes = Record<string, string | number | boolean>;

/** A span being timed. A non-recording span (not sampled) ignores everything but its context. */
export interface LiveSpan {
  /**
   * W3C `traceparent` for children and for the wire (`traceparent` header): this span's context
   * when recording, otherwise the unsampled context its children must follow.
   */
  readonly traceparent: string;
  /** True when the span is sampled and will be exported. */
  readonly recording: boolean;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Ends the span now; `error` sets status ERROR with that message. Only the first call counts. */
  end(error?: string): void;
}

/** Makes spans for one service. */
export interface SpanSink {
  /**
   * Starts a span. `parent` is a W3C traceparent: sampled → a child span; unsampled → a
   * non-recording span that passes the parent on; `''` → a root, sampled by the root sampler
   * (ratio and rate cap; a sink that never starts roots returns a non-recording span).
   */
  start(name: string, kind: number, parent: string, attributes?: SpanAttributes): LiveSpan;
  /**
   * Runs `fn` with `traceparent` as the ambient context of the actor runtime: messages sent
   * synchronously inside `fn` (an `ask` to the risk actor) carry it, as if sent by a handler.
   */
  withContext<T>(traceparent: string, fn: () => T): T;
}

/** Where the sinks live: a global slot, so the simulator and the gateway reach it without importing the engine. */
const SLOT = Symbol.for('bot4.tracing.span-sinks');
type Slots = { engine?: SpanSink | undefined; sim?: SpanSink | undefined; stats?: (() => readonly SpanServiceStats[]) | undefined };
const g = globalThis as unknown as Record<symbol, Slots | undefined>;
const slots: Slots = (g[SLOT] ??= {});

/** The sink of `service`, or undefined when tracing is off. */
export function spanSink(service: 'engine' | 'sim'): SpanSink | undefined {
  return slots[service];
}

/** Registers (or, with undefined, removes) the sink of `service`. Used by the tracing adapter only. */
export function setSpanSink(service: 'engine' | 'sim', sink: SpanSink | undefined): void {
  slots[service] = sink;
}

/** Span counters of one service (served by `/metrics` as `bot4_tracing_spans_total`). */
export interface SpanServiceStats {
  service: string;
  /** Spans ended (sampled). */
  ended: number;
  /** Spans the receiver accepted. */
  exported: number;
  /** Spans in export requests that failed (receiver down, timeout, HTTP error). */
  failed: number;
  /** Spans dropped because the bounded export queue was full. */
  queueFull: number;
}

/** Span counters per service of the running tracing adapter; empty when tracing is off. */
export function tracingStats(): readonly SpanServiceStats[] {
  return slots.stats?.() ?? [];
}

/** The registered counters source (the adapter checks it is its own before removing it). */
export function tracingStatsSource(): (() => readonly SpanServiceStats[]) | undefined {
  return slots.stats;
}

/** Registers (or removes) the counters source. Used by the tracing adapter only. */
export function setTracingStats(source: (() => readonly SpanServiceStats[]) | undefined): void {
  slots.stats = source;
}
