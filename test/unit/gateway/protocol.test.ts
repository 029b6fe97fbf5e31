import assert from 'node:assert/strict';
import { GW_CODES } from '../../../gateway/errors.js';
import { OPS, errorReply, eventMessage, isValidTopic, okReply, parseArgs, parseEnvelope, stringify } from '../../../gateway/protocol.js';
import { DOC, read } from '../docs/doc-files.js';

describe('gateway/protocol', () => {
  it('parses a valid envelope', () => {
    assert.deepEqual(parseEnvelope({ v: 1, id: 'a', op: 'ping' }), { ok: true, id: 'a', op: 'ping', args: undefined });
    assert.deepEqual(parseEnvelope({ v: 1, id: 0, op: 'status.get', args: {} }), { ok: true, id: 0, op: 'status.get', args: {} });
  });

  it('refuses envelopes with the right code, keeping the id when it is valid', () => {
    const code = (m: unknown): [string, unknown] => {
      const e = parseEnvelope(m);
      assert.equal(e.ok, false);
      return e.ok ? ['', null] : [e.error.code, e.id];
    };
    assert.deepEqual(code(null), ['GW_BAD_REQUEST', null]);
    assert.deepEqual(code([1]), ['GW_BAD_REQUEST', null]);
    assert.deepEqual(code({ v: 1, id: 1.5, op: 'ping' }), ['GW_BAD_REQUEST', null]);
    assert.deepEqual(code({ v: 1, id: 'x'.repeat(65), op: 'ping' }), ['GW_BAD_REQUEST', null]);
    assert.deepEqual(code({ v: 3, id: 7, op: 'ping' }), ['GW_UNSUPPORTED_VERSION', 7]);
    assert.deepEqual(code({ id: 7, op: 'ping' }), ['GW_BAD_REQUEST', 7]);
    assert.deepEqual(code({ v: 1, id: 7, op: 5 }), ['GW_BAD_REQUEST', 7]);
    assert.deepEqual(code({ v: 1, id: 7, op: 'toString' }), ['GW_UNKNOWN_OP', 7]);
    assert.deepEqual(code({ v: 1, id: 7, op: '__proto__' }), ['GW_UNKNOWN_OP', 7]);
    assert.deepEqual(code({ v: 1, id: 7, op: 'ping', x: 1 }), ['GW_BAD_REQUEST', 7]);
  });

  it('validates args with field-level messages', () => {
    const r = parseArgs('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 1, qtyLots: 0 });
    assert.deepEqual(r, { ok: false, error: { code: 'GW_BAD_REQUEST', message: 'args.qtyLots: expected a value >= 1, got 0', field: 'args.qtyLots' } });
    const cancel = parseArgs('order.cancel', {});
    assert.equal(cancel.ok, false);
    const ok = parseArgs('orders.get', undefined);
    assert.deepEqual(ok, { ok: true, value: { status: 'open', limit: 100 } });
  });

  it('knows the topics', () => {
    for (const t of ['orders', 'fills', 'risk.denials', 'actors.latency', 'md.ticker.sim-a.BTC/USDT', 'md.book.binance.ETHUSDT']) assert.ok(isValidTopic(t), t);
    for (const t of ['', 'md', 'md.ticker', 'md.quote.a.b', 'orders.x.y', 'md.ticker.a b.c', 'admin']) assert.ok(!isValidTopic(t), t);
  });

  it('serialises replies and events, bigint as decimal strings', () => {
    assert.equal(okReply(1, { a: 1n }), '{"v":1,"id":1,"ok":true,"result":{"a":"1"}}');
    assert.equal(errorReply(null, { code: 'GW_BAD_JSON', message: 'm' }), '{"v":1,"id":null,"ok":false,"error":{"code":"GW_BAD_JSON","message":"m"}}');
    assert.equal(eventMessage('orders', { x: 1 }), '{"v":1,"topic":"orders","data":{"x":1}}');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => stringify(circular));
  });

  it('every op is documented in docs/ws-api.md and every GW_* code in docs/errors.md', () => {
    const wsApi = read(DOC.wsApi);
    const errors = read(DOC.errors);
    for (const c of GW_CODES) assert.ok(errors.includes(`| \`${c}\` |`), `${c} missing from the table of docs/errors.md`);
    for (const op of Object.keys(OPS)) assert.ok(wsApi.includes(`\`${op}\``), `op ${op} missing from docs/ws-api.md`);
  });
});
