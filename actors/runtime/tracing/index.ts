/** OpenTelemetry (OTLP) tracing adapter of the actor runtime; the engine imports no `@opentelemetry/*` module (spans are plain records, encoded by `otlp-encoder.ts`). */
export { ActorTracing, TRACING_DEFAULTS, type ActorTracingOptions, type TracingReport } from './actor-tracing.js';
export { LatencyHistograms, type ActorLatency, type ActorRecorder, type LatencySummary } from './latency-histograms.js';
export { UNSAMPLED_TRACEPARENT, formatTraceparent, isSampled, isTraceparent, spanIdOf, traceIdOf } from './traceparent.js';
export { HdrBuckets } from './hdr-buckets.js';
