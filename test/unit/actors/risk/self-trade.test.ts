import assert from 'node:assert/strict';
import { PriceLevels } from '../../../../actors/risk/price-levels.js';
import { fillOrder, looseConfig, makeEngine, order } from './fixtures.js';

describe('risk: self-trade prevention (RISK_SELF_TRADE)', () => {
  const cfg = looseConfig({ checks: { priceBand: false } });

  it('a buy at or above our own best open sell is denied; below it passes', () => {
    const { engine } = makeEngine(cfg);
    engine.onOrderOpened(order({ side: 'sell', priceTicks: 105 }));
    engine.onOrderOpened(order({ side: 'sell', priceTicks: 103 }));
    const d = engine.check(order({ side: 'buy', priceTicks: 103 }));
    assert.equal(d.code, 'RISK_SELF_TRADE');
    assert.match(d.approved ? '' : d.detail, /limit buy at 103 would match our own open sell at 103 on v1:A\/USDT/);
    assert.equal(engine.check(order({ side: 'buy', priceTicks: 110, tif: 'IOC' })).code, 'RISK_SELF_TRADE');
    assert.equal(engine.check(order({ side: 'buy', priceTicks: 102 })).code, 'RISK_OK');
  });

  it('a sell at or below our own best open buy is denied; above it passes', () => {
    const { engine } = makeEngine(cfg);
    engine.onOrderOpened(order({ side: 'buy', priceTicks: 97 }));
    engine.onOrderOpened(order({ side: 'buy', priceTicks: 99 }));
    assert.equal(engine.check(order({ side: 'sell', priceTicks: 99 })).code, 'RISK_SELF_TRADE');
    assert.equal(engine.check(order({ side: 'sell', priceTicks: 90 })).code, 'RISK_SELF_TRADE');
    assert.equal(engine.check(order({ side: 'sell', priceTicks: 100 })).code, 'RISK_OK');
  });

  it('only the same venue and symbol count (other instruments, other venues are other books)', () => {
    const { engine } = makeEngine(cfg);
    engine.onOrderOpened(order({ side: 'sell', priceTicks: 100 }));
    assert.equal(engine.check(order({ side: 'buy', priceTicks: 100, symbol: 'B/USDT' })).code, 'RISK_OK');
    assert.equal(engine.check(order({ side: 'buy', priceTicks: 100, venue: 'v2' })).code, 'RISK_OK');
    assert.equal(engine.check(order({ side: 'buy', priceTicks: 100, strategy: 's2' })).code, 'RISK_SELF_TRADE', 'another strategy trades the same account');
  });

  it('a market order is denied while we have any open order on the other side, and an open market order blocks the other side', () => {
    const { engine } = makeEngine(cfg);
    assert.equal(engine.check(order({ side: 'buy', type: 'market' })).code, 'RISK_OK');
    const sell = order({ side: 'sell', priceTicks: 150 });
    engine.onOrderOpened(sell);
    assert.equal(engine.check(order({ side: 'buy', type: 'market' })).code, 'RISK_SELF_TRADE');
    engine.onOrderClosed(sell, 1);
    const mkt = order({ side: 'sell', type: 'market' });
    engine.onOrderOpened(mkt);
    assert.equal(engine.check(order({ side: 'buy', priceTicks: 1 })).code, 'RISK_SELF_TRADE');
    engine.onOrderClosed(mkt, 1);
    assert.equal(engine.check(order({ side: 'buy', priceTicks: 1 })).code, 'RISK_OK');
  });

  it('accepted again once the resting order is canceled or filled', () => {
    const { engine } = makeEngine(cfg);
    const a = order({ side: 'sell', priceTicks: 100 });
    const b = order({ side: 'sell', priceTicks: 100 });
    engine.onOrderOpened(a);
    engine.onOrderOpened(b);
    engine.onOrderClosed(a, 1); // canceled: one order still rests at 100
    assert.equal(engine.check(order({ priceTicks: 100 })).code, 'RISK_SELF_TRADE');
    engine.onFill(b, 1, 100);
    engine.onOrderClosed(b, 0); // filled
    assert.equal(engine.check(order({ priceTicks: 100 })).code, 'RISK_OK');
    fillOrder(engine, order({ side: 'sell', priceTicks: 100 }));
    assert.equal(engine.check(order({ priceTicks: 100 })).code, 'RISK_OK');
  });

  it('disabled by checks.selfTrade: false', () => {
    const { engine } = makeEngine(looseConfig({ checks: { priceBand: false, selfTrade: false } }));
    engine.onOrderOpened(order({ side: 'sell', priceTicks: 100 }));
    assert.equal(engine.check(order({ priceTicks: 100 })).code, 'RISK_OK');
  });

  it('closing an order whose price was never opened is a broken invariant (B4_RISK_STATE_INVARIANT)', () => {
    const { engine } = makeEngine(cfg);
    engine.onOrderOpened(order({ side: 'sell', priceTicks: 100 }));
    assert.throws(() => engine.onOrderClosed(order({ side: 'sell', priceTicks: 101 }), 1), (e: Error & { code?: string }) => e.code === 'B4_RISK_STATE_INVARIANT');
  });
});

describe('risk: PriceLevels (sorted multiset of our open prices)', () => {
  it('min/max match a reference over random adds and removes (growing past the initial capacity)', () => {
    const levels = new PriceLevels(2);
    const ref: number[] = [];
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 5000; k++) {
      if (ref.length > 0 && rnd(3) === 0) {
        const p = ref.splice(rnd(ref.length), 1)[0]!;
        levels.remove(p);
      } else {
        const p = 1000 + rnd(200);
        ref.push(p);
        levels.add(p);
      }
      assert.equal(levels.min(), ref.length === 0 ? Infinity : Math.min(...ref));
      assert.equal(levels.max(), ref.length === 0 ? -Infinity : Math.max(...ref));
      assert.equal(levels.size, new Set(ref).size);
    }
  });

  it('removing a price not held throws', () => {
    const levels = new PriceLevels();
    levels.add(5);
    assert.throws(() => levels.remove(6), /no open order at 6/);
    levels.remove(5);
    assert.throws(() => levels.remove(5), /no open order at 5/);
  });
});
