import assert from 'node:assert/strict';
import { InstrumentRegistry } from '../../../../simulators/venue/instruments.js';
import fc from 'fast-check';
import { parseDecimal } from '../../../../simulators/venue/instruments.js';
import { parseOrderParams, smallAtoms } from '../../../../simulators/wire/order-params.js';

const instruments = new InstrumentRegistry();
const parse = (price: string, quantity: string): unknown =>
  parseOrderParams(new Map(Object.entries({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price, quantity, newClientOrderId: 'c1' })), instruments, 'user:a', () => 'gen', undefined);

/** The same decimal with ten more trailing zeros: too long for the number fast path, so it takes the bigint parser. */
const padded = (s: string): string => (s.includes('.') ? `${s}0000000000` : `${s}.0000000000`);

describe('wire order-params: price and quantity parsing', () => {
  const values = ['60000.00', '60000', '60000.', '0.01', '60000.005', '1234567.12345678', '9999999.99', '0', '0.00100', '0.001', '0.00000001', '0.000015', '5', '100.5'];
  for (const price of values) {
    for (const quantity of ['0.00100', '0.000015', '1', '0.00000001']) {
      it(`price ${price}, quantity ${quantity}: the fast path gives what the general parser gives`, () => {
        assert.deepEqual(parse(price, quantity), parse(padded(price), padded(quantity)));
      });
    }
  }

  it('smallAtoms reads exactly the decimals of up to 7 integer and 8 fraction digits, as parseDecimal does, and nothing else', () => {
    const shape = /^(\d{1,7})(?:\.(\d{0,8}))?$/;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '.', '-', 'e', ' ', '+', 'x'), maxLength: 20 }), (s) => {
        const got = smallAtoms(s);
        if (!shape.test(s)) assert.equal(got, undefined, s);
        else assert.equal(got, Number(parseDecimal(s)), s);
      }),
      { numRuns: 5000, seed: 13 },
    );
    assert.equal(smallAtoms('9999999.99999999'), 999_999_999_999_999);
    assert.equal(smallAtoms('12345678'), undefined);
    assert.equal(smallAtoms('1.123456789'), undefined);
  });

  it('parses the order bench clients send into ticks and lots, and rejects off-tick, off-step and malformed amounts with Binance codes', () => {
    const ok = parse('60000.00', '0.00100') as { priceTicks: number; lots: number };
    const ins = instruments.get('BTCUSDT')!;
    assert.equal(ins.priceString(ok.priceTicks), '60000.00000000');
    assert.equal(ins.qtyString(ok.lots), '0.00100000');
    assert.deepEqual(parse('60000.001', '0.001'), { ok: false, code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    assert.deepEqual(parse('60000.00', '0.0000001'), { ok: false, code: -1013, msg: 'Filter failure: LOT_SIZE' });
    assert.deepEqual(parse('60000.000000001', '0.001'), { ok: false, code: -1111, msg: "Parameter 'price' has too much precision." });
    assert.deepEqual(parse('6e4', '0.001'), { ok: false, code: -1100, msg: "Illegal characters found in parameter 'price'." });
    assert.deepEqual(parse('60000.00', '-1'), { ok: false, code: -1100, msg: "Illegal characters found in parameter 'quantity'." });
  });
});
