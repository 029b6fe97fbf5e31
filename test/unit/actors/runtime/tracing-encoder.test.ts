import assert from 'node:assert/strict';
import { encodeExportRequest, encodeService, epochNsHalves, ProtoWriter } from '../../../../actors/runtime/tracing/otlp-encoder.js';
import { SpanRecord } from '../../../../actors/runtime/tracing/span-record.js';
import { randomSpanId, randomTraceId } from '../../../../actors/runtime/tracing/ids.js';
import { loadOtlpRoot } from '../../../fixtures/otlp/otlp-receiver.js';

interface Decoded {
  resourceSpans: {
    resource: { attributes: { key: string; value: Record<string, unknown> }[] };
    scopeSpans: {
      scope: { name: string };
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId: string;
        name: string;
        kind: number;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        attributes: { key: string; value: Record<string, unknown> }[];
        status?: { code: number; message: string };
        flags: number;
      }[];
    }[];
  }[];
}

const hex = (b: string): string => Buffer.from(b, 'base64').toString('hex');

describe('runtime/tracing: hand-written OTLP protobuf encoder (decoded with protobufjs against the OTLP proto)', () => {
  it('epoch ns halves are exact (checked against BigInt)', () => {
    const out: [number, number] = [0, 0];
    for (const [sec, nanos] of [
      [0, 0],
      [1, 999_999_999],
      [1_764_900_000, 123_456_789],
      [4_294_967_295, 999_999_999],
      [65_535, 1],
      [65_536, 0],
    ] as const) {
      epochNsHalves(sec, nanos, out);
      const want = BigInt(sec) * 1_000_000_000n + BigInt(nanos);
      assert.equal((BigInt(out[1]) << 32n) | BigInt(out[0]), want, `${sec}.${nanos}`);
    }
  });

  it('a request decodes field by field: resource, scope, ids, parent, kind, times, every attribute type, status, flags, long fields', async () => {
    const root = await loadOtlpRoot();
    const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    const service = encodeService({ 'service.name': 'bot4-x', 'service.version': '1.2.3' }, 'bot4.test');
    const base = { epochSec: 1_764_900_000, epochNs: 500_000_000 };

    const actor = new SpanRecord();
    actor.traceId = randomTraceId();
    actor.spanId = randomSpanId();
    actor.parentSpanId = randomSpanId();
    actor.name = 'order.submit';
    actor.kind = 5;
    actor.startNs = 1_000;
    actor.endNs = 2_600_000_123;
    actor.actor = 'exchange.sim-a';
    actor.from = 'risk';
    actor.waitNs = 42;
    actor.handleNs = 7;
    actor.venue = 'sim-a';
    actor.clientOrderId = 'api.x.1';
    actor.statusCode = 2;
    actor.statusMessage = 'poison';

    const hand = new SpanRecord();
    hand.traceId = actor.traceId;
    hand.spanId = randomSpanId();
    hand.parentSpanId = actor.spanId;
    hand.remoteParent = true;
    const longName = `POST /api/v3/order ${'é'.repeat(200)}`;
    hand.name = longName;
    hand.kind = 3;
    hand.set('http.response.status_code', 200);
    hand.set('http.response.status_code', 201);
    hand.set('neg', -5);
    hand.set('ratio', 0.25);
    hand.set('ok', true);
    hand.set('big', 2 ** 60);
    hand.set('text', 'x'.repeat(300));

    const body = encodeExportRequest(new ProtoWriter(64), service, base, [actor, hand], 0, 2);
    const msg = Req.toObject(Req.decode(body), { longs: String, bytes: String, defaults: true }) as unknown as Decoded;
    assert.equal(msg.resourceSpans.length, 1);
    const rs = msg.resourceSpans[0]!;
    assert.deepEqual(
      rs.resource.attributes.map((a) => [a.key, a.value.stringValue]),
      [
        ['service.name', 'bot4-x'],
        ['service.version', '1.2.3'],
      ],
    );
    assert.equal(rs.scopeSpans[0]!.scope.name, 'bot4.test');
    const [a, h] = rs.scopeSpans[0]!.spans;
    assert.ok(a && h);
    assert.equal(hex(a.traceId), actor.traceId);
    assert.equal(hex(a.spanId), actor.spanId);
    assert.equal(hex(a.parentSpanId), actor.parentSpanId);
    assert.equal(a.name, 'actor.handle order.submit');
    assert.equal(a.kind, 5);
    assert.equal(a.startTimeUnixNano, '1764900000500001000');
    assert.equal(a.endTimeUnixNano, '1764900003100000123');
    const attrs = Object.fromEntries(a.attributes.map((x) => [x.key, x.value.stringValue ?? Number(x.value.intValue)]));
    assert.deepEqual(attrs, {
      'messaging.system': 'bot4.actors',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'exchange.sim-a',
      'actor.mailbox.wait_ns': 42,
      'actor.handle_ns': 7,
      'actor.message.from': 'risk',
      'bot4.venue': 'sim-a',
      'bot4.order.client_id': 'api.x.1',
    });
    assert.deepEqual([a.status?.code, a.status?.message], [2, 'poison']);
    assert.equal(a.flags, 0x101, 'sampled | HAS_IS_REMOTE');

    assert.equal(h.name, longName, 'a UTF-8 name longer than 127 bytes (length varint of two bytes)');
    assert.equal(hex(h.parentSpanId), actor.spanId);
    assert.equal(h.kind, 3);
    assert.equal(h.flags, 0x301, 'remote parent');
    const v = Object.fromEntries(h.attributes.map((x) => [x.key, x.value]));
    assert.equal(h.attributes.length, 6, 'a key set twice is replaced');
    assert.equal(v['http.response.status_code']!.intValue, '201');
    assert.equal(v.neg!.intValue, '-5');
    assert.equal(v.ratio!.doubleValue, 0.25);
    assert.equal(v.ok!.boolValue, true);
    assert.equal(v.big!.intValue, (2n ** 60n).toString());
    assert.equal(v.text!.stringValue, 'x'.repeat(300));
    assert.equal(h.status?.code ?? 0, 0, 'no status when unset');
  });

  it('span times are exact to the ns across the low word’s carry, for several epoch bases in turn (checked against BigInt)', async () => {
    const root = await loadOtlpRoot();
    const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    const service = encodeService({ 'service.name': 'bot4-x' }, 'bot4.test');
    const w = new ProtoWriter();
    // the base's low word near its top, so that small offsets carry into the high word
    const bases = [
      { epochSec: 1_764_900_000, epochNs: 0 },
      { epochSec: 1_764_900_003, epochNs: 999_999_999.5 },
      { epochSec: 4_294_967, epochNs: 296_000_000 },
      { epochSec: 0, epochNs: 0 },
    ];
    const offsets = [0, 1, 999_999_999, 1e9, 4_294_967_295, 4_294_967_296, 2 ** 40 + 12_345, 86_400e9 * 3 + 7, 123.75, 2 ** 52];
    let checked = 0;
    for (let round = 0; round < 2; round++) {
      for (const base of bases) {
        const records = offsets.map((t, i) => {
          const r = new SpanRecord();
          r.traceId = randomTraceId();
          r.spanId = randomSpanId();
          r.name = `t${i}`;
          r.startNs = t;
          r.endNs = t + i;
          return r;
        });
        const msg = Req.toObject(Req.decode(encodeExportRequest(w, service, base, records, 0, records.length)), { longs: String }) as unknown as Decoded;
        const spans = msg.resourceSpans[0]!.scopeSpans[0]!.spans;
        spans.forEach((sp, i) => {
          const want = (t: number): string => String(BigInt(base.epochSec) * 1_000_000_000n + BigInt(Math.floor(base.epochNs + t)));
          assert.equal(sp.startTimeUnixNano, want(offsets[i]!), `base ${base.epochSec}.${base.epochNs} + ${offsets[i]}`);
          assert.equal(sp.endTimeUnixNano, want(offsets[i]! + i));
          checked++;
        });
      }
    }
    assert.equal(checked, 2 * bases.length * offsets.length);
  });

  it('ids are lowercase hex of the right length and differ', () => {
    const t = new Set(Array.from({ length: 1000 }, () => randomTraceId()));
    const s = new Set(Array.from({ length: 1000 }, () => randomSpanId()));
    assert.equal(t.size, 1000);
    assert.equal(s.size, 1000);
    for (const x of t) assert.match(x, /^[0-9a-f]{32}$/);
    for (const x of s) assert.match(x, /^[0-9a-f]{16}$/);
  });
});
