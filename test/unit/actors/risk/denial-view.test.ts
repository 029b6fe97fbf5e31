import assert from 'node:assert/strict';
import { DENIAL_RING_SIZE, DenialView, type RiskDenial } from '../../../../actors/risk/decision.js';
import { fillOrder, looseConfig, makeEngine, merge, order } from './fixtures.js';

/** Issue 16: denials are preallocated views whose detail is built on read; the texts did not change. */
describe('risk denials as preallocated views', () => {
  const denied = (d: ReturnType<ReturnType<typeof makeEngine>['engine']['check']>): RiskDenial => {
    assert.equal(d.approved, false, 'expected a denial');
    return d as RiskDenial;
  };

  it('renders the same detail, limit and value the eager denials had', () => {
    const inst = (o: object) => merge(looseConfig(), { instruments: { 'v1:A/USDT': o } });
    const cases: { cfg?: object; setup?: (e: ReturnType<typeof makeEngine>['engine']) => void; o: Parameters<typeof order>[0]; code: string; detail: string; limit?: number; value?: number }[] = [
      { o: { strategy: 'nobody' }, code: 'RISK_STRATEGY_UNKNOWN', detail: 'strategy "nobody" is not in risk.strategies' },
      { o: { symbol: 'Z/USDT' }, code: 'RISK_INSTRUMENT_UNKNOWN', detail: 'instrument v1:Z/USDT is not configured' },
      { o: { qtyLots: 1.5 }, code: 'RISK_QTY_PRECISION', detail: 'qtyLots must be a positive integer number of lots, got 1.5' },
      { o: { priceTicks: NaN }, code: 'RISK_PRICE_PRECISION', detail: 'priceTicks must be a positive integer number of ticks, got NaN' },
      { o: { priceTicks: 120 }, code: 'RISK_PRICE_BAND', detail: 'price 120 is 2000.0 bps from reference 100 > band 1000 bps', limit: 1000, value: 2000 },
      { cfg: inst({ maxOrderNotional: '50' }), o: { qtyLots: 1 }, code: 'RISK_NOTIONAL_MAX', detail: 'notional 100 atoms > max 50 atoms (instrument/venue/strategy)', limit: 50, value: 100 },
      { o: { reduceOnly: true, qtyLots: 3 }, code: 'RISK_REDUCE_ONLY', detail: 'reduce-only buy of 3 lots would not reduce position 0 (pending reducing 0)' },
      { cfg: inst({ maxOpenOrders: 0 }), o: {}, code: 'RISK_OPEN_ORDERS', detail: 'v1:A/USDT: 0 open orders, max 0', limit: 0, value: 1 },
      { setup: (e) => e.onBalance('v1', 'USDT', 150), o: { qtyLots: 2 }, code: 'RISK_BALANCE', detail: 'v1:USDT: free 150 atoms < 200 needed (notional + 0 bps fee reserve)', limit: 150, value: 200 },
      { setup: (e) => e.onBalance('v1', 'A', 2), o: { side: 'sell', qtyLots: 3 }, code: 'RISK_BALANCE', detail: 'v1:A: free 2 atoms < 3 needed', limit: 2, value: 3 },
    ];
    for (const c of cases) {
      const { engine } = makeEngine(c.cfg === undefined ? undefined : (c.cfg as never));
      c.setup?.(engine);
      const d = denied(engine.check(order(c.o)));
      assert.equal(d.code, c.code, d.detail);
      assert.equal(d.detail, c.detail);
      assert.equal(d.limit, c.limit, `${c.code} limit`);
      assert.equal(d.value, c.value, `${c.code} value`);
    }
  });

  it('is frozen, refuses writes, and serialises its fields', () => {
    const { engine } = makeEngine();
    const d = denied(engine.check(order({ priceTicks: 120 })));
    assert.ok(d instanceof DenialView);
    assert.ok(Object.isFrozen(d));
    assert.throws(() => {
      (d as { code: string }).code = 'RISK_OK';
    }, TypeError);
    assert.deepEqual(JSON.parse(JSON.stringify(d)), { approved: false, code: 'RISK_PRICE_BAND', detail: 'price 120 is 2000.0 bps from reference 100 > band 1000 bps', limit: 1000, value: 2000 });
  });

  it('describes its denial until the ring wraps; a snapshot outlives that', () => {
    const { engine } = makeEngine();
    const first = denied(engine.check(order({ strategy: 'nobody' })));
    const kept = (first as DenialView).snapshot();
    for (let k = 1; k < DENIAL_RING_SIZE; k++) assert.equal(denied(engine.check(order({ qtyLots: 0 }))).code, 'RISK_QTY_PRECISION');
    assert.equal(first.code, 'RISK_STRATEGY_UNKNOWN', 'still valid after ring size − 1 more denials');
    const wrapped = denied(engine.check(order({ priceTicks: 120 })));
    assert.equal(wrapped, first, 'the ring reuses the oldest view');
    assert.equal(first.code, 'RISK_PRICE_BAND');
    assert.equal(first.detail, 'price 120 is 2000.0 bps from reference 100 > band 1000 bps', 'the cached detail is reset on reuse');
    assert.equal(kept.code, 'RISK_STRATEGY_UNKNOWN');
    assert.equal(kept.detail, 'strategy "nobody" is not in risk.strategies');
    assert.ok(!(kept instanceof DenialView) && Object.isFrozen(kept));
  });

  it('keeps the free balance of the moment of the check, not of the read', () => {
    const { engine } = makeEngine();
    engine.onBalance('v1', 'A', 2);
    const d = denied(engine.check(order({ side: 'sell', qtyLots: 3 })));
    engine.onBalance('v1', 'A', 500);
    fillOrder(engine, order({ side: 'buy', qtyLots: 1 }));
    assert.equal(d.detail, 'v1:A: free 2 atoms < 3 needed');
    assert.equal(d.limit, 2);
  });
});
