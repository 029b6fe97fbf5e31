import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { looseConfig, makeEngine, order, unitInstrument } from './fixtures.js';

describe('risk: a market order without priceTicks uses the last mid as its reference', () => {
  it('takes the last mid as the price (the intent carries it on) and checks the order at it', () => {
    const { engine } = makeEngine();
    engine.onQuote('v1', 'A/USDT', 120);
    const o = order({ type: 'market', tif: 'IOC', priceTicks: 0, qtyLots: 3 });
    const d = engine.check(o);
    assert.equal(d.code, 'RISK_OK');
    assert.equal(o.priceTicks, 120, 'the reference price travels on with the intent');
  });

  it('applies the notional limits at the mid', () => {
    const { engine } = makeEngine(looseConfig({ strategies: { s1: { maxOrderNotional: '300' }, s2: {} } }));
    engine.onQuote('v1', 'A/USDT', 150);
    assert.equal(engine.check(order({ type: 'market', tif: 'IOC', priceTicks: 0, qtyLots: 2 })).code, 'RISK_OK', '2 × 150 = 300');
    assert.equal(engine.check(order({ type: 'market', tif: 'IOC', priceTicks: 0, qtyLots: 3 })).code, 'RISK_NOTIONAL_MAX', '3 × 150 = 450');
  });

  it('with no mid known yet: denied RISK_STALE_DATA, saying why', () => {
    const clock = new SimulatedClock({ startNs: 1e9 });
    const engine = new RiskEngine({ config: looseConfig(), clock, instruments: [unitInstrument('v1', 'A/USDT')] });
    engine.onBalance('v1', 'USDT', 1e9);
    const o = order({ type: 'market', tif: 'IOC', priceTicks: 0 });
    const d = engine.check(o);
    assert.equal(d.code, 'RISK_STALE_DATA');
    assert.match(d.approved ? '' : d.detail, /market order without priceTicks: no mid of v1:A\/USDT known yet/);
    assert.equal(o.priceTicks, 0, 'a denied intent is left as it came');
  });

  it('a limit order at price 0 is still RISK_PRICE_PRECISION', () => {
    const { engine } = makeEngine();
    assert.equal(engine.check(order({ priceTicks: 0 })).code, 'RISK_PRICE_PRECISION');
  });
});
