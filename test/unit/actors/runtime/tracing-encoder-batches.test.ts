import assert from 'node:assert/strict';
import { encodeExportRequest, encodeService, MAX_HEAD_ROOM, ProtoWriter, wrapEncodedSpans, writeSpan } from '../../../../actors/runtime/tracing/otlp-encoder.js';
import { SpanRecord } from '../../../../actors/runtime/tracing/span-record.js';
import { lastSpanIdWords, randomSpanId, randomTraceId } from '../../../../actors/runtime/tracing/ids.js';
import { loadOtlpRoot } from '../../../fixtures/otlp/otlp-receiver.js';

interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code: number; message: string };
}

const hex = (b: string): string => Buffer.from(b, 'base64').toString('hex');
const service = encodeService({ 'service.name': 'bot4-x' }, 'bot4.test');
const base = { epochSec: 1_764_900_000, epochNs: 0 };

async function decoder(): Promise<(body: Buffer) => DecodedSpan[]> {
  const root = await loadOtlpRoot();
  const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  return (body) => {
    const msg = Req.toObject(Req.decode(body), { longs: String, bytes: String, defaults: true }) as { resourceSpans: { scopeSpans: { spans: DecodedSpan[] }[] }[] };
    return msg.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  };
}

const attrsOf = (s: DecodedSpan): Record<string, unknown> => Object.fromEntries(s.attributes.map((a) => [a.key, a.value.stringValue ?? (a.value.intValue !== undefined && a.value.intValue !== '0' ? Number(a.value.intValue) : (a.value.boolValue ?? a.value.doubleValue ?? Number(a.value.intValue)))]));

/** An actor span with every field the encoder knows set (the largest actor attribute set), plus generic attributes and a status. */
function fullActorSpan(traceId: string, i: number): SpanRecord {
  const r = new SpanRecord();
  r.traceId = traceId;
  r.spanId = randomSpanId();
  r.parentSpanId = randomSpanId();
  r.name = `order.update.${i % 3}`;
  r.kind = 5;
  r.startNs = 1_000 + i;
  r.endNs = 9_000 + i;
  r.actor = `exchange.sim-${i % 4}`;
  r.from = 'risk';
  r.topic = 'orders.all';
  r.correlationId = `corr-${i}`;
  r.waitNs = 300_000 + i;
  r.handleNs = 2 ** 40 + i;
  r.venue = 'sim-a';
  r.symbol = 'BTC/USDT';
  r.side = 'sell';
  r.strategy = 'mm.grid';
  r.clientOrderId = `api.x.${i}`;
  r.set('extra.flag', true);
  r.set('extra.ratio', 0.5);
  r.statusCode = 2;
  r.statusMessage = 'boom';
  return r;
}

describe('runtime/tracing: OTLP encoder batches (buffer growth, length reservations, cached fields, head room)', () => {
  it('spans encoded one by one and wrapped later from the middle of a buffer decode whole, in order (enclosing lengths of one to three bytes)', async () => {
    const decode = await decoder();
    const trace = randomTraceId();
    for (const n of [1, 3, 300]) {
      const records = Array.from({ length: n }, (_, i) => fullActorSpan(trace, i));
      if (n === 3) records[1]!.set('text', 'z'.repeat(20_000)); // a ScopeSpans length of three bytes
      // the exporter's queue: spans back to back after bytes already sent (`from` > 0)
      const spans = new ProtoWriter(64);
      spans.raw(Buffer.from('sent already'));
      const from = spans.pos;
      for (const r of records) writeSpan(spans, r, base);
      const got = decode(wrapEncodedSpans(new ProtoWriter(64), service, spans.buf, from, spans.pos, 100));
      assert.equal(got.length, n, `${n} spans`);
      for (let i = 0; i < n; i++) {
        assert.equal(got[i]!.name, `actor.handle ${records[i]!.name}`);
        assert.equal(attrsOf(got[i]!)['bot4.order.client_id'], records[i]!.clientOrderId);
      }
    }
  });

  it('a batch far larger than the writer’s initial buffer decodes span by span: the largest actor attribute set, tiny and huge spans, shared and distinct trace ids', async () => {
    const decode = await decoder();
    const records: SpanRecord[] = [];
    const trace = randomTraceId();
    for (let i = 0; i < 300; i++) {
      // trace ids: runs of one trace held by distinct string objects (as sliced from traceparents), then a new trace
      const t = i % 50 < 40 ? `00-${trace}-x`.slice(3, 35) : randomTraceId();
      records.push(fullActorSpan(t, i));
    }
    // a span under 128 bytes (one length byte: the reserved second byte is given back)
    const tiny = new SpanRecord();
    tiny.traceId = randomTraceId();
    tiny.spanId = randomSpanId();
    tiny.name = 'x';
    records.push(tiny);
    // a span of 16384 bytes or more (a three-byte length)
    const huge = new SpanRecord();
    huge.traceId = trace;
    huge.spanId = randomSpanId();
    huge.name = 'huge';
    huge.set('text', 'y'.repeat(20_000));
    records.push(huge);

    const w = new ProtoWriter(64);
    const body = encodeExportRequest(w, service, base, records, 0, records.length);
    assert.ok(body.length > 64 * 100, 'the body outgrew the initial 64 bytes many times over');
    const spans = decode(body);
    assert.equal(spans.length, records.length);
    for (let i = 0; i < 300; i++) {
      const r = records[i]!;
      const s = spans[i]!;
      assert.equal(hex(s.traceId), r.traceId, `trace id of span ${i}`);
      assert.equal(hex(s.spanId), r.spanId);
      assert.equal(hex(s.parentSpanId), r.parentSpanId);
      assert.equal(s.name, `actor.handle ${r.name}`);
      assert.deepEqual(attrsOf(s), {
        'messaging.system': 'bot4.actors',
        'messaging.operation.type': 'process',
        'messaging.destination.name': r.actor,
        'actor.mailbox.wait_ns': r.waitNs,
        'actor.handle_ns': r.handleNs,
        'actor.message.from': 'risk',
        'actor.message.topic': 'orders.all',
        'actor.message.correlation_id': `corr-${i}`,
        'bot4.venue': 'sim-a',
        'bot4.symbol': 'BTC/USDT',
        'bot4.side': 'sell',
        'bot4.strategy': 'mm.grid',
        'bot4.order.client_id': `api.x.${i}`,
        'extra.flag': true,
        'extra.ratio': 0.5,
      });
      assert.deepEqual([s.status?.code, s.status?.message], [2, 'boom']);
    }
    const [t, h] = spans.slice(300);
    assert.ok(t && h);
    assert.equal(t.name, 'x');
    assert.equal(hex(t.traceId), tiny.traceId);
    assert.equal(t.attributes.length, 0);
    assert.equal(h.name, 'huge');
    assert.equal(hex(h.traceId), trace, 'a trace id after other traces is written from its own hex');
    assert.equal(attrsOf(h).text, 'y'.repeat(20_000));
  });

  it('cached field values stay right past the cache bound (more distinct actors and message types than it keeps)', async () => {
    const decode = await decoder();
    const records: SpanRecord[] = [];
    for (let i = 0; i < 2500; i++) {
      const r = new SpanRecord();
      r.traceId = randomTraceId();
      r.spanId = randomSpanId();
      r.name = `type.${i}`;
      r.actor = `actor.${i}`;
      r.from = `from.${i % 1500}`;
      r.venue = `venue.${i}`;
      records.push(r);
    }
    const w = new ProtoWriter();
    // twice: the second pass reads values cached (or evicted) by the first
    for (let pass = 0; pass < 2; pass++) {
      const spans = decode(encodeExportRequest(w, service, base, records, 0, records.length));
      assert.equal(spans.length, 2500);
      spans.forEach((s, i) => {
        const a = attrsOf(s);
        assert.equal(s.name, `actor.handle type.${i}`);
        assert.equal(a['messaging.destination.name'], `actor.${i}`);
        assert.equal(a['actor.message.from'], `from.${i % 1500}`);
        assert.equal(a['bot4.venue'], `venue.${i}`);
      });
    }
  });

  it('head room: the body starts after the room asked for (capped), the bytes before it are free, and a recycled buffer serves the next batch', async () => {
    const decode = await decoder();
    const r = fullActorSpan(randomTraceId(), 1);
    // 64 KiB: a buffer of its own (smaller ones may be slices of Node's shared pool)
    const w = new ProtoWriter(64 * 1024);
    const b1 = encodeExportRequest(w, service, base, [r], 0, 1, 300);
    assert.equal(b1.byteOffset, 300);
    assert.equal(decode(b1).length, 1);
    const b2 = encodeExportRequest(w, service, base, [r, r], 0, 2, MAX_HEAD_ROOM * 4);
    assert.equal(b2.byteOffset, MAX_HEAD_ROOM, 'the room is capped');
    assert.equal(decode(b2).length, 2);
    assert.equal(decode(b1).length, 1, 'a body taken earlier is not overwritten by the next batch');
    w.recycle(b1);
    const b3 = encodeExportRequest(w, service, base, [r], 0, 1);
    assert.equal(b3.byteOffset, 0);
    assert.equal(decode(b3).length, 1);
  });

  it('span ids kept as words: every id’s words are its bytes (across pool refills), and the encoder writes them as the id', async () => {
    const decode = await decoder();
    const words = new Int32Array(2);
    const bytes = new Uint8Array(words.buffer);
    const records: SpanRecord[] = [];
    // more than one pool of ids (2048 span ids a pool), trace ids drawn in between
    for (let i = 0; i < 5000; i++) {
      if (i % 3 === 0) randomTraceId();
      const id = randomSpanId();
      words[0] = lastSpanIdWords[0]!;
      words[1] = lastSpanIdWords[1]!;
      assert.equal(Buffer.from(bytes).toString('hex'), id, `id ${i}`);
      if (i % 50 === 0) {
        const r = new SpanRecord();
        r.traceId = randomTraceId();
        r.spanId = 'ffffffffffffffff'; // not what is written when the words are set: they win
        r.spanW0 = words[0]!;
        r.spanW1 = words[1]!;
        r.spanIdWords = true;
        r.name = id; // to check against
        records.push(r);
      }
    }
    const spans = decode(encodeExportRequest(new ProtoWriter(), service, base, records, 0, records.length));
    assert.equal(spans.length, 100);
    for (const s of spans) assert.equal(hex(s.spanId), s.name);
    // a pooled record reset goes back to its hex id
    const r = records[0]!;
    r.reset();
    r.spanId = '0123456789abcdef';
    assert.equal(hex(decode(encodeExportRequest(new ProtoWriter(), service, base, [r], 0, 1))[0]!.spanId), '0123456789abcdef');
  });
});
