/**
 * The named peer of `bench/tracing.bench.ts`: the same spans made with the OpenTelemetry SDK
 * (`BasicTracerProvider` + `BatchSpanProcessor` + `OTLPTraceExporter` from
 * `@opentelemetry/exporter-trace-otlp-proto`, the path bot4 used before its hand-written encoder)
 * and with bot4's own span sink (plain records, `actors/runtime/tracing/otlp-encoder.ts`), to the
 * same OTLP receiver, in the same run. An order is 11 spans in one trace (a root and a chain of
 * children, 6 attributes each, as the daemon's order path makes them); CPU of this process per
 * order, export included (flushed before the clock stops).
 */
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { spanSink } from '../common/span-sink.js';
import { ActorTracing } from '../actors/runtime/index.js';

/** Spans per synthetic order. */
export const PEER_SPANS_PER_ORDER = 11;

const ATTRS = { 'bot4.venue': 'sim-a', 'bot4.symbol': 'BTC/USDT', 'bot4.side': 'buy', 'bot4.order.client_id': 'api.x.1', 'actor.handle_ns': 1234, 'http.response.status_code': 200 };

const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** CPU ns per order with the OpenTelemetry SDK. */
export async function sdkOrders(url: string, orders: number): Promise<number> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bot4', 'service.version': '0.1.0' }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url, concurrencyLimit: 400 }), { maxQueueSize: 100_001, maxExportBatchSize: 512, scheduledDelayMillis: 5 })],
  });
  const tracer = provider.getTracer('bot4.actors.runtime');
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < orders; i++) {
    let ctx = ROOT_CONTEXT;
    for (let s = 0; s < PEER_SPANS_PER_ORDER; s++) {
      const span = tracer.startSpan(s === 0 ? 'order.submit' : `actor.handle step${s}`, { kind: s === 0 ? SpanKind.SERVER : SpanKind.CONSUMER, attributes: ATTRS }, ctx);
      ctx = trace.setSpan(ctx, span);
      span.end();
    }
    if (i % 64 === 63) await yieldLoop();
  }
  await provider.forceFlush();
  const cpu = process.cpuUsage(cpu0);
  await provider.shutdown();
  return ((cpu.user + cpu.system) * 1000) / orders;
}

/** CPU ns per order with bot4's span sink (records + hand-written OTLP encoder). */
export async function recordOrders(url: string, orders: number): Promise<number> {
  const tracing = new ActorTracing({ endpoint: url, samplingRatio: 1, maxTracesPerSecond: 0, maxQueueSize: 100_000, scheduledDelayMillis: 5, system: 'peer-none', resourceAttributes: { 'service.version': '0.1.0' } });
  const sink = spanSink('engine')!;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < orders; i++) {
    let parent = '';
    for (let s = 0; s < PEER_SPANS_PER_ORDER; s++) {
      const span = sink.start(s === 0 ? 'order.submit' : `actor.handle step${s}`, s === 0 ? 1 : 4, parent, ATTRS);
      parent = span.traceparent;
      span.end();
    }
    if (i % 64 === 63) await yieldLoop();
  }
  await tracing.flush();
  const cpu = process.cpuUsage(cpu0);
  const r = await tracing.shutdown();
  if (r.spansDropped > 0) console.warn(`peer: ${r.spansDropped} spans not exported: the figure undercounts`);
  return ((cpu.user + cpu.system) * 1000) / orders;
}
