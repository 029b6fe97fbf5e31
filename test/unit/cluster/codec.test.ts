import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MessageMap, OrderDenied } from '../../../actors/messages.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import type { FillEvent } from '../../../actors/orders/order-state.js';
import type { Balance, Position } from '../../../actors/orders/portfolio.js';
import { CodecMalformedError, CodecUnsupportedError, decode, decodeText, encode, encodeText } from '../../../cluster/index.js';

const intent: OrderIntent = { strategy: 'mm-btc', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 6_543_210, qtyLots: 17, reduceOnly: false };

/** One real payload of every message type that carries data (typed against MessageMap, so a change there breaks this test). */
const samples: { [K in keyof MessageMap]?: MessageMap[K] } = {
  'order.submit': { intent, intentKey: 'k-1', prefix: 'mm' },
  'order.ack': { accepted: false, reason: 'RISK_HALTED', message: 'too big' },
  'order.cancel': { clientOrderId: 'mm-000001' },
  'order.cancel-all': { reason: 'kill', symbol: 'BTC/USDT' },
  'order.update': { clientOrderId: 'mm-000001', venueOrderId: '991', strategy: 'mm-btc', venue: 'sim-a', symbol: 'BTC/USDT', side: 'sell', state: 'partially-filled', priceTicks: 1, qtyLots: 10, filledLots: 3, tNs: 1_733_370_000_123_456 },
  'order.fill': { clientOrderId: 'mm-000001', strategy: 'mm-btc', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', lots: 3, priceTicks: 6_543_210, tradeId: 't-9', feeAsset: 'USDT', feeAtoms: '123456789012345678901234567890', tNs: 2 },
  'order.denied': { source: 'risk', code: 'RISK_HALTED', intent, detail: 'x', tNs: 3 } satisfies OrderDenied,
  'md.ticker': { venue: 'sim-a', symbol: 'BTC/USDT', bidTicks: 100, bidLots: 2, askTicks: 101, askLots: 0, venueTimeMs: 1_733_370_000_000, recvNs: 9_007_199_254_740_991, source: 'ws' },
  'md.book': { venue: 'sim-a', symbol: 'BTC/USDT', bids: [[100, 2], [99, 5]], asks: [[101, 1]], nonce: 7, venueTimeMs: 1, recvNs: 2 },
  'venue.state': { venue: 'sim-a', state: 'degraded', previous: 'running', reason: 'probe failed', tNs: 4 },
  'balance.update': { venue: 'sim-a', asset: 'USDT', totalAtoms: '-1', tNs: 5 },
  'venue.cmd.halt': undefined,
  'venue.cmd.resume': { acceptBalances: true },
  'strategy.timer': { name: 'quote', seq: 12 },
};

describe('cluster/codec: lossless JSON with tagged values', () => {
  for (const [type, payload] of Object.entries(samples)) {
    it(`round-trips a real ${type} payload exactly`, () => {
      const msg = { type, payload, from: 'node-a/strategy.mm-btc', lane: 'data', key: '', correlationId: 'c-1' };
      assert.deepStrictEqual(decode(encode(msg)), msg);
    });
  }

  it('round-trips bigint money fields of the order book (fills, balances, positions), beyond 2^64 and negative', () => {
    const fill: FillEvent = { kind: 'fill', lots: 3, priceTicks: 5, tradeId: 't', feeAsset: 'BNB', feeAtoms: 2n ** 80n + 1n };
    const balance: Balance = { total: 10n ** 30n, locked: 0n };
    const position: Position = { qtyLots: -(2n ** 70n), costAtoms: -123456789012345678901234567890n, realizedAtoms: -0n };
    const back = decode(encode({ fill, balance, position })) as { fill: FillEvent; balance: Balance; position: Position };
    assert.deepStrictEqual(back, { fill, balance, position });
    assert.equal(typeof back.balance.total, 'bigint');
    // plain JSON would have refused this outright
    assert.throws(() => JSON.stringify(fill), TypeError);
  });

  it('keeps what plain JSON loses: -0, NaN, ±Infinity, undefined (property, element, whole), Date, a caller’s own "$b4" key', () => {
    const v = { z: -0, n: NaN, p: Infinity, m: -Infinity, u: undefined, a: [undefined, 1, undefined], d: new Date(1_733_370_000_123), own: { $b4: 'n', v: '5' }, nested: { $b4: 'o' } };
    const back = decodeText(encodeText(v)) as typeof v;
    assert.deepStrictEqual(back, v);
    assert.ok('u' in back, 'an undefined property stays present');
    assert.ok(Object.is(back.z, -0));
    assert.equal(decodeText(encodeText(undefined)), undefined);
    assert.equal(decodeText(encodeText(7n)), 7n);
  });

  it('a "__proto__" key of an escaped object stays a plain own property', () => {
    const o = JSON.parse('{"$b4":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const back = decodeText(encodeText(o)) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back).sort(), ['$b4', '__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses values that cannot cross losslessly, naming the key (B4_CODEC_UNSUPPORTED)', () => {
    class Money {
      constructor(readonly atoms: bigint) {}
    }
    for (const [v, key, what] of [
      [{ f: () => 1 }, 'f', 'function'],
      [{ s: Symbol('x') }, 's', 'symbol'],
      [{ m: new Map() }, 'm', 'Map'],
      [{ set: new Set([1]) }, 'set', 'Set'],
      [{ money: new Money(1n) }, 'money', 'Money'],
      [{ b: new Uint8Array(2) }, 'b', 'Uint8Array'],
    ] as const) {
      assert.throws(() => encode(v), (e: unknown) => e instanceof CodecUnsupportedError && e.code === 'B4_CODEC_UNSUPPORTED' && e.message.includes(`key "${key}"`) && e.message.includes(what), `${key}`);
    }
  });

  it('refuses malformed input with B4_CODEC_MALFORMED', () => {
    for (const text of ['{', '{"$b4":"n","v":"1.5"}', '{"$b4":"f","v":"1"}', '{"$b4":"zz"}', '{"$b4":"o","v":[["a"]]}', '{"$b4":"d","v":1}']) {
      assert.throws(() => decodeText(text), (e: unknown) => e instanceof CodecMalformedError && e.code === 'B4_CODEC_MALFORMED', text);
    }
    assert.throws(() => decode(new Uint8Array([0xff, 0xfe])), CodecMalformedError);
  });

  it('round-trips arbitrary JSON-like values with bigints (property test)', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.bigInt(), fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: false })),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.string(), fc.constant('$b4'), fc.constant('v')), tie('node'), { maxKeys: 4, noNullPrototype: true })),
    })).node;
    fc.assert(fc.property(value, (v) => {
      assert.deepStrictEqual(decodeText(encodeText(v)), v);
    }), { numRuns: 300, seed: 17 });
  });
});
