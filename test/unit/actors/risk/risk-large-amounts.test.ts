import assert from 'node:assert/strict';
import { setup } from 'xstate';
import { RiskActor } from '../../../../actors/risk/risk-actor.js';
import { topics, venueAddress, type BalanceUpdate } from '../../../../actors/messages.js';
import type { Instrument } from '../../../../actors/orders/instrument.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { MAX_LIMIT_ATOMS, parseRiskConfig, type RiskConfigInput } from '../../../../actors/risk/config.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { BALANCE_CEILING } from '../../../../actors/risk/risk-state.js';
import { ActorSystem, type Envelope } from '../../../../actors/runtime/index.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { looseConfig, makeEngine, order, unitInstrument } from './fixtures.js';

const sink = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'sink' });

/** BTC/USDT as Binance lists it: tick 0.01, lot 0.00001 (one tick·lot is 10 atoms of 1e-8). */
const BTC: Instrument = { venue: 'v1', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQtyLots: 1, maxQtyLots: 900_000_000, minNotional: '5' };

/** The default atom (1e-8) with limits large enough that only the balance can bind. */
const wide: RiskConfigInput = {
  defaults: {
    instrument: { maxPositionNotional: '10000000', maxOpenOrders: 1_000_000 },
    venue: { maxGrossExposure: '10000000', maxNetExposure: '10000000', maxOpenOrders: 1_000_000, rate: { perSecond: 1e6, burst: 1e6 } },
    strategy: { rate: { perSecond: 1e6, burst: 1e6 } },
  },
  strategies: { s1: {} },
  portfolio: { maxGrossExposure: '10000000', maxNetExposure: '10000000', maxOpenOrders: 1_000_000 },
  checks: { correlation: false },
};

describe('risk: large amounts are exact (no balance past 2^53 atoms is dropped or rounded)', () => {
  it('a 1e9 USDT balance (1e17 atoms) from balance.update: 2,000 valid orders (buys below, sells above the mid) through the risk actor are all approved', async () => {
    const clock = new SimulatedClock({ startNs: 1e9 });
    const sys = new ActorSystem({ clock, seed: 5 });
    const risk = new RiskEngine({ config: wide, clock, instruments: [BTC] });
    const venue: Envelope[] = [];
    sys.spawn(venueAddress('v1'), sink, { handle: (e) => void venue.push(e) });
    const actor = new RiskActor(sys, risk, clock);
    actor.spawn();
    try {
      risk.onQuote('v1', 'BTC/USDT', 5_000_000);
      for (const asset of ['USDT', 'BTC']) {
        const b: BalanceUpdate = { venue: 'v1', asset, totalAtoms: '100000000000000000', tNs: clock.nowNs() };
        sys.publish(topics.balances('v1'), { type: 'balance.update', payload: b });
      }
      clock.advance(0);
      const usdt = risk.state.balanceIndex('v1', 'USDT');
      assert.equal(risk.state.totalExact(usdt), 100_000_000_000_000_000n);
      const n = 2000;
      for (let k = 0; k < n; k++) {
        const intent: OrderIntent = { strategy: 's1', venue: 'v1', symbol: 'BTC/USDT', side: k % 2 === 0 ? 'buy' : 'sell', type: 'limit', tif: 'GTC', priceTicks: k % 2 === 0 ? 4_990_000 - (k % 7) : 5_010_000 + (k % 7), qtyLots: 100 };
        sys.send('risk', { type: 'order.submit', payload: { intent } });
        if (k % 100 === 99) clock.advance(0);
      }
      clock.advance(0);
      assert.deepEqual(actor.stats().denied, {});
      assert.equal(actor.stats().approved, n);
      assert.equal(venue.length, n);
    } finally {
      actor.close();
      await sys.shutdown();
    }
  });

  it('past the double ceiling the free balance is decided exactly: free 1000 atoms covers 1000, not 1001', () => {
    const { engine } = makeEngine(looseConfig({ checks: { position: false, exposure: false, priceBand: false, correlation: false } }), {
      instruments: [unitInstrument('v1', 'A/USDT', { maxQtyLots: 2 ** 30 })],
    });
    const S = engine.state;
    const b = S.balanceIndex('v1', 'USDT');
    engine.onBalance('v1', 'USDT', 2n ** 53n + 1000n);
    assert.equal(S.balTotal[b], BALANCE_CEILING);
    // lock 2^53 atoms in four orders of 2^51 (price 2^26 × 2^25 lots)
    for (let k = 0; k < 4; k++) engine.onOrderOpened(order({ priceTicks: 2 ** 26, qtyLots: 2 ** 25 }));
    assert.equal(S.balLocked[b], 2 ** 53);
    assert.equal(engine.check(order({ priceTicks: 1000, qtyLots: 1 })).code, 'RISK_OK');
    const d = engine.check(order({ priceTicks: 1001, qtyLots: 1 }));
    assert.equal(d.code, 'RISK_BALANCE');
    assert.match(d.approved ? '' : d.detail, /free 1000 atoms < 1001 needed/);
  });

  it('fills move a balance past the ceiling and back exactly', () => {
    const { engine } = makeEngine(looseConfig({ checks: { position: false, exposure: false, priceBand: false } }), {
      instruments: [unitInstrument('v1', 'A/USDT', { maxQtyLots: 2 ** 30 })],
    });
    const S = engine.state;
    const q = S.balanceIndex('v1', 'USDT');
    engine.onBalance('v1', 'USDT', BigInt(BALANCE_CEILING) - 10n);
    engine.onBalance('v1', 'A', 2n ** 40n);
    const sell = order({ side: 'sell', priceTicks: 7, qtyLots: 3 });
    engine.onOrderOpened(sell);
    engine.onFill(sell, 3, 7);
    engine.onOrderClosed(sell, 0);
    assert.equal(S.totalExact(q), BigInt(BALANCE_CEILING) + 11n);
    const buy = order({ priceTicks: 7, qtyLots: 3 });
    engine.onOrderOpened(buy);
    engine.onFill(buy, 3, 7);
    engine.onOrderClosed(buy, 0);
    assert.equal(S.totalExact(q), BigInt(BALANCE_CEILING) - 10n);
    assert.equal(S.balExact[q], undefined);
    assert.equal(S.balTotal[q], BALANCE_CEILING - 10);
  });

  it('a number past 2^53 is refused with B4_RISK_OVERFLOW (it has already lost atoms); pass a bigint', () => {
    const { engine } = makeEngine();
    assert.throws(() => engine.onBalance('v1', 'USDT', 1e17), (e: Error & { code?: string }) => e.code === 'B4_RISK_OVERFLOW');
    assert.equal(engine.onBalance('v1', 'USDT', 10n ** 17n), true);
  });

  it('a money limit past 2^51 atoms is refused by parseRiskConfig itself (the function config check and the engine share), naming the field', () => {
    assert.throws(
      () => parseRiskConfig({ portfolio: { maxGrossExposure: '100000000' } }),
      (e: Error & { code?: string }) => e.code === 'B4_CONFIG_INVALID' && e.message.startsWith(`risk.portfolio.maxGrossExposure: expected at most ${MAX_LIMIT_ATOMS} atoms of 0.00000001`),
    );
    assert.throws(() => parseRiskConfig({ atom: '0.3' }), /risk\.defaults\.instrument\.maxOrderNotional: expected a multiple of the atom 0\.3/);
    assert.throws(() => parseRiskConfig({ venues: { 'sim-a': { maxOrderNotional: '0.000000001' } } }), /risk\.venues\.sim-a\.maxOrderNotional: expected a multiple of the atom/);
    // a larger atom raises the ceiling in quote currency
    assert.doesNotThrow(() => parseRiskConfig({ atom: '0.01', portfolio: { maxGrossExposure: '100000000' } }));
  });
});
