/**
 * The encoding stage of `bench/tracing.bench.ts` alone: CPU of `encodeExportRequest` per span for
 * records shaped like a sampled order's (6 actor handling spans with the order's fields, 5 hand
 * spans with HTTP attributes; 11 spans of one trace), in batches of 512 into one reused writer,
 * as the exporter does. No I/O. Ids as the adapter fills them: trace, span and parent ids as
 * 32-bit words where this bot4 has them (`lastTraceIdWords`; before that, trace ids held by
 * distinct strings as the runtime sliced them from traceparents, span ids as words).
 */
import { encodeExportRequest, encodeService, ProtoWriter } from '../actors/runtime/tracing/otlp-encoder.js';
import * as ids from '../actors/runtime/tracing/ids.js';
import { SpanRecord } from '../actors/runtime/tracing/span-record.js';

function orderRecords(orders: number): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (let o = 0; o < orders; o++) {
    const trace = ids.randomTraceId();
    const traceWords = (ids as { lastTraceIdWords?: Int32Array }).lastTraceIdWords;
    const tw = traceWords === undefined ? undefined : Int32Array.from(traceWords);
    let parent = '';
    let p0 = 0;
    let p1 = 0;
    for (let i = 0; i < 11; i++) {
      const r = new SpanRecord();
      r.traceId = `00-${trace}-${ids.randomSpanId()}-01`.slice(3, 35);
      r.spanId = ids.randomSpanId();
      // as the adapter fills them: the span id's bytes kept as words (when this bot4 has them)
      const words = (ids as { lastSpanIdWords?: Int32Array }).lastSpanIdWords;
      if (words !== undefined) {
        r.spanW0 = words[0]!;
        r.spanW1 = words[1]!;
        r.spanIdWords = true;
      }
      r.parentSpanId = parent;
      if (tw !== undefined) {
        // this bot4 keeps trace and parent ids as words too (the order path sets no id strings)
        r.traceW0 = tw[0]!;
        r.traceW1 = tw[1]!;
        r.traceW2 = tw[2]!;
        r.traceW3 = tw[3]!;
        r.traceIdWords = true;
        if (parent !== '') {
          r.parentW0 = p0;
          r.parentW1 = p1;
          r.parentIdWords = true;
        }
      }
      r.startNs = 1e9 + o * 1e5 + i * 1e3;
      r.endNs = r.startNs + 5_000;
      if (i % 2 === 1 || i === 10) {
        r.name = ['order.submit', 'order.submit', 'order.update', 'order.fill', 'order.fill', 'order.update'][i >> 1]!;
        r.kind = 5;
        r.actor = ['risk', 'exchange.sim-a', 'gateway.events', 'risk.positions', 'gateway.events', 'risk.positions'][i >> 1]!;
        r.from = 'exchange.sim-a';
        r.waitNs = 12_345;
        r.handleNs = 4_567;
        r.venue = 'sim-a';
        r.symbol = 'BTC/USDT';
        r.side = 'buy';
        r.strategy = 'api';
        r.clientOrderId = `api.x.${o}`;
      } else {
        r.name = i === 0 ? 'order.submit' : 'POST /api/v3/order';
        r.kind = i === 0 ? 2 : 3;
        r.set('http.request.method', 'POST');
        r.set('server.address', '127.0.0.1');
        r.set('bot4.order.client_id', `api.x.${o}`);
        r.set('http.response.status_code', 200);
      }
      parent = r.spanId;
      p0 = r.spanW0;
      p1 = r.spanW1;
      out.push(r);
    }
  }
  return out;
}

/** ns of CPU per span and bytes per span for encoding `orders` orders (best of `reps` passes). */
export function encodeCost(orders: number, reps: number): { nsPerSpan: number; bytesPerSpan: number } {
  const records = orderRecords(orders);
  const service = encodeService({ 'service.name': 'bot4', 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.name': 'bot4' }, 'bot4.actors.runtime');
  const w = new ProtoWriter();
  const base = { epochSec: 1_764_900_000, epochNs: 0 };
  let best = Infinity;
  let bytes = 0;
  for (let rep = 0; rep < reps; rep++) {
    bytes = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < records.length; i += 512) {
      const body = encodeExportRequest(w, service, base, records, i, Math.min(records.length, i + 512));
      bytes += body.length;
      w.recycle(body);
    }
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / records.length);
  }
  return { nsPerSpan: best, bytesPerSpan: bytes / records.length };
}
