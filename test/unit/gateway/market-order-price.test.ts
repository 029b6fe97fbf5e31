import assert from 'node:assert/strict';
import { parseArgs } from '../../../gateway/protocol.js';

describe('gateway/protocol: order.submit priceTicks', () => {
  const base = { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', qtyLots: 20 };

  it('a market order may leave priceTicks out: it travels as 0 (risk uses the last mid)', () => {
    const r = parseArgs('order.submit', { ...base, type: 'market', tif: 'IOC' });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.ok && r.value.priceTicks, 0);
    const withPrice = parseArgs('order.submit', { ...base, type: 'market', tif: 'IOC', priceTicks: 61_000_00 });
    assert.equal(withPrice.ok && withPrice.value.priceTicks, 61_000_00, 'a given reference is kept');
  });

  for (const type of ['limit', 'limit-maker']) {
    it(`a ${type} order without priceTicks is GW_BAD_REQUEST naming args.priceTicks`, () => {
      const r = parseArgs('order.submit', { ...base, type });
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error.code, 'GW_BAD_REQUEST');
      assert.equal(r.error.field, 'args.priceTicks');
      assert.match(r.error.message, new RegExp(`args\\.priceTicks: expected an integer number of ticks for a ${type} order \\(only a market order may leave it out\\), got undefined`));
    });
  }

  it('a market order with priceTicks 0 is refused (0 is only what "left out" travels as)', () => {
    const r = parseArgs('order.submit', { ...base, type: 'market', priceTicks: 0 });
    assert.equal(r.ok, false);
  });
});
