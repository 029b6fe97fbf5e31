import assert from 'node:assert/strict';
import { encodeExportRequest, encodeService, ProtoWriter } from '../../../../actors/runtime/tracing/otlp-encoder.js';
import { SpanRecord } from '../../../../actors/runtime/tracing/span-record.js';
import { lastSpanIdWords, lastTraceIdWords, randomSpanId, randomTraceId } from '../../../../actors/runtime/tracing/ids.js';
import { isTraceparent, readTraceparent } from '../../../../actors/runtime/tracing/traceparent.js';
import { RecentContexts } from '../../../../actors/runtime/tracing/recent-contexts.js';
import { loadOtlpRoot } from '../../../fixtures/otlp/otlp-receiver.js';

interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

const hex = (b: string): string => Buffer.from(b, 'base64').toString('hex');
const wordsHex = (w: Int32Array, from: number, n: number): string => Buffer.from(w.buffer, w.byteOffset + from * 4, n * 4).toString('hex');
const service = encodeService({ 'service.name': 'bot4-x' }, 'bot4.test');
const base = { epochSec: 1_764_900_000, epochNs: 0 };

async function decoder(): Promise<(body: Buffer) => DecodedSpan[]> {
  const root = await loadOtlpRoot();
  const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  return (body) => {
    const msg = Req.toObject(Req.decode(body), { bytes: String, defaults: true }) as { resourceSpans: { scopeSpans: { spans: DecodedSpan[] }[] }[] };
    return msg.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  };
}

describe('runtime/tracing: ids as 32-bit words (drawn, read from a traceparent, encoded)', () => {
  it('a drawn trace id leaves its bytes as four words, across pool refills and with span ids drawn in between', () => {
    // a pool holds 1024 trace ids: 3000 trace ids and 3000 span ids refill it several times
    for (let i = 0; i < 3000; i++) {
      const t = randomTraceId();
      assert.equal(wordsHex(lastTraceIdWords, 0, 4), t, `trace id ${i}`);
      const s = randomSpanId();
      assert.equal(wordsHex(lastSpanIdWords, 0, 2), s, `span id ${i}`);
    }
  });

  it('readTraceparent reads a valid context into the words of its bytes and refuses what isTraceparent refuses, writing nothing', () => {
    const out = new Int32Array(8);
    for (let i = 0; i < 200; i++) {
      const trace = randomTraceId();
      const span = randomSpanId();
      const tp = `00-${trace}-${span}-0${i % 2}`;
      out.fill(7);
      assert.equal(readTraceparent(tp, out, 0), true, tp);
      assert.equal(wordsHex(out, 0, 4), trace);
      assert.equal(wordsHex(out, 6, 2), span);
      assert.deepEqual([out[4], out[5]], [7, 7], 'the new span id’s slots are the caller’s');
    }
    const at = new Int32Array(16);
    assert.equal(readTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', at, 8), true, 'at an offset');
    assert.equal(wordsHex(at, 8, 4), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(wordsHex(at, 14, 2), '00f067aa0ba902b7');
    assert.equal(wordsHex(at, 0, 8), '0'.repeat(64), 'nothing before it');
    const good = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const bad = [
      '',
      'garbage',
      good.slice(0, 54),
      `${good}0`,
      good.replace('4bf9', '4BF9'), // uppercase
      good.replace('4bf9', '4bg9'), // not hex
      good.replace('00f0', '00f\u00e9'), // not ASCII
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, // zero trace id
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`, // zero span id
      `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`, // version
      good.replace('-00f0', '_00f0'), // separator
      good.slice(0, 53) + 'x1', // flags not hex
    ];
    for (const tp of bad) {
      const o = new Int32Array(8).fill(7);
      assert.equal(isTraceparent(tp), false, `isTraceparent ${JSON.stringify(tp)}`);
      assert.equal(readTraceparent(tp, o, 0), false, JSON.stringify(tp));
      assert.deepEqual([...o], [7, 7, 7, 7, 7, 7, 7, 7], `nothing written for ${JSON.stringify(tp)}`);
    }
  });

  it('the encoder writes trace and parent ids from words as the same bytes as their hex, mixed with hex-only records in one batch', async () => {
    const decode = await decoder();
    const records: SpanRecord[] = [];
    const expected: { trace: string; span: string; parent: string }[] = [];
    const words = new Int32Array(8);
    // runs of spans of one trace (the encoder reuses the last trace id), alternating how ids are given
    for (let t = 0; t < 30; t++) {
      const trace = randomTraceId();
      const traceWords = Int32Array.from(lastTraceIdWords);
      let parent = '';
      for (let i = 0; i < 5; i++) {
        const span = randomSpanId();
        const r = new SpanRecord();
        r.name = `s${t}.${i}`;
        const mode = (t + i) % 3; // 0: all hex, 1: all words, 2: trace words, parent hex
        if (mode === 0) {
          r.traceId = trace;
          r.spanId = span;
          r.parentSpanId = parent;
        } else {
          r.traceId = 'ffffffffffffffffffffffffffffffff'; // never read once the words are set
          r.traceW0 = traceWords[0]!;
          r.traceW1 = traceWords[1]!;
          r.traceW2 = traceWords[2]!;
          r.traceW3 = traceWords[3]!;
          r.traceIdWords = true;
          r.spanW0 = lastSpanIdWords[0]!;
          r.spanW1 = lastSpanIdWords[1]!;
          r.spanIdWords = true;
          if (parent !== '' && mode === 1) {
            assert.ok(readTraceparent(`00-${trace}-${parent}-01`, words, 0));
            r.parentSpanId = 'ffffffffffffffff'; // never read once the words are set
            r.parentW0 = words[6]!;
            r.parentW1 = words[7]!;
            r.parentIdWords = true;
          } else r.parentSpanId = parent;
        }
        records.push(r);
        expected.push({ trace, span, parent });
        parent = span;
      }
    }
    const w = new ProtoWriter(256); // grows while encoding
    for (let pass = 0; pass < 2; pass++) {
      // the second pass starts with the writer's last trace id from the first: it must not leak
      const spans = decode(encodeExportRequest(w, service, base, records, 0, records.length));
      assert.equal(spans.length, records.length);
      spans.forEach((s, i) => {
        const e = expected[i]!;
        assert.equal(s.name, records[i]!.name);
        assert.equal(hex(s.traceId), e.trace, `trace id of ${s.name} (pass ${pass})`);
        assert.equal(hex(s.spanId), e.span, `span id of ${s.name}`);
        assert.equal(hex(s.parentSpanId), e.parent, `parent of ${s.name}`);
      });
    }
    // a record back from the pool: reset clears the word flags, its hex ids are written again
    const r = records[1]!;
    r.reset();
    r.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    r.spanId = '00f067aa0ba902b7';
    const [s] = decode(encodeExportRequest(w, service, base, [r], 0, 1));
    assert.deepEqual([hex(s!.traceId), hex(s!.spanId), hex(s!.parentSpanId)], ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', '']);
  });

  it('recent contexts: a context made here gives back its words (same object or same text), a forgotten or foreign one nothing', () => {
    const recent = new RecentContexts();
    const made: { tp: string; trace: string; span: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const trace = randomTraceId();
      const t = Int32Array.from(lastTraceIdWords);
      const span = randomSpanId();
      const tp = `00-${trace}-${span}-01`;
      recent.add(tp, trace, t[0]!, t[1]!, t[2]!, t[3]!, lastSpanIdWords[0]!, lastSpanIdWords[1]!);
      made.push({ tp, trace, span });
    }
    const out = new Int32Array(16);
    // the newest 16 are remembered: their words are the bytes of their hex, at the offset asked
    for (const { tp, trace, span } of made.slice(-16)) {
      out.fill(7);
      assert.equal(recent.read(tp, out, 8), trace, 'its trace id');
      assert.equal(wordsHex(out, 8, 4), trace);
      assert.equal(wordsHex(out, 14, 2), span, 'the context’s span is the child’s parent');
      assert.deepEqual([out[12], out[13]], [7, 7], 'the new span id’s slots are the caller’s');
      assert.equal(recent.read(tp.split('').join(''), out, 8), trace, 'the same text in another string (from the wire)');
    }
    const none = new Int32Array(8).fill(7);
    for (const { tp } of made.slice(0, 24)) assert.equal(recent.read(tp, none, 0), '', 'older ones are forgotten');
    assert.equal(recent.read('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', none, 0), '', 'a foreign one is not there');
    assert.equal(recent.read('', none, 0), '');
    assert.deepEqual([...none], [7, 7, 7, 7, 7, 7, 7, 7], 'a miss writes nothing');
    recent.clear();
    assert.equal(recent.read(made.at(-1)!.tp, none, 0), '', 'cleared');
  });
});
