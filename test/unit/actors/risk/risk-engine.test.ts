import assert from 'node:assert/strict';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import type { RiskConfigInput } from '../../../../actors/risk/config.js';
import { APPROVED, DENIAL_CODES, type RiskDenial } from '../../../../actors/risk/decision.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import type { BreakerView, CorrelationSource } from '../../../../actors/risk/ports.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { RollingCorrelation } from '../../../../native/rolling-correlation.js';
import { fillOrder, looseConfig, makeEngine, merge, order, unitInstrument } from './fixtures.js';

/** One boundary case: config over the loose defaults, state set-up, the order, and the expected code. */
interface Row {
  name: string;
  cfg?: RiskConfigInput;
  setup?: (e: RiskEngine, clock: SimulatedClock) => void;
  order?: Partial<OrderIntent>;
  expect: string;
}

/** A fixed matrix source: boundary tests need exact ρ values (a live RollingCorrelation is tested below). */
class FixedCorrelation implements CorrelationSource {
  constructor(readonly series: number, private readonly m: Float64Array) {}
  matrix(out?: Float64Array): Float64Array {
    const o = out ?? new Float64Array(this.m.length);
    o.set(this.m);
    return o;
  }
}

function run(rows: Row[], extra: Parameters<typeof makeEngine>[1] = {}): void {
  for (const r of rows) {
    it(`${r.name} → ${r.expect}`, () => {
      const { engine, clock } = makeEngine(merge(looseConfig(), r.cfg), extra);
      r.setup?.(engine, clock);
      const d = engine.check(order(r.order));
      assert.equal(d.code, r.expect, d.approved ? 'approved' : (d as RiskDenial).detail);
      if (r.expect === 'RISK_OK') assert.equal(d, APPROVED);
      else {
        assert.equal(d.approved, false);
        assert.ok(Object.isFrozen(d));
        assert.ok((d as RiskDenial).detail.length > 0);
      }
    });
  }
}

const inst = (o: object): RiskConfigInput => ({ instruments: { 'v1:A/USDT': o } });

describe('RiskEngine.check boundaries', () => {
  describe('identity and precision', () => {
    run([
      { name: 'known strategy and instrument', expect: 'RISK_OK' },
      { name: 'unknown strategy', order: { strategy: 'nobody' }, expect: 'RISK_STRATEGY_UNKNOWN' },
      { name: 'unknown symbol', order: { symbol: 'Z/USDT' }, expect: 'RISK_INSTRUMENT_UNKNOWN' },
      { name: 'unknown venue', order: { venue: 'v9' }, expect: 'RISK_INSTRUMENT_UNKNOWN' },
      { name: 'fractional price', order: { priceTicks: 100.5 }, expect: 'RISK_PRICE_PRECISION' },
      { name: 'zero price', order: { priceTicks: 0 }, expect: 'RISK_PRICE_PRECISION' },
      { name: 'NaN price', order: { priceTicks: NaN }, expect: 'RISK_PRICE_PRECISION' },
      { name: 'fractional qty', order: { qtyLots: 1.5 }, expect: 'RISK_QTY_PRECISION' },
      { name: 'zero qty', order: { qtyLots: 0 }, expect: 'RISK_QTY_PRECISION' },
      { name: 'negative qty', order: { qtyLots: -1 }, expect: 'RISK_QTY_PRECISION' },
    ]);
  });

  describe('quantity min/max (instrument filters 5..10 lots)', () => {
    run(
      [
        { name: 'min: inside (6)', order: { qtyLots: 6 }, expect: 'RISK_OK' },
        { name: 'min: at (5)', order: { qtyLots: 5 }, expect: 'RISK_OK' },
        { name: 'min: outside (4)', order: { qtyLots: 4 }, expect: 'RISK_QTY_MIN' },
        { name: 'max: inside (9)', order: { qtyLots: 9 }, expect: 'RISK_OK' },
        { name: 'max: at (10)', order: { qtyLots: 10 }, expect: 'RISK_OK' },
        { name: 'max: outside (11)', order: { qtyLots: 11 }, expect: 'RISK_QTY_MAX' },
      ],
      { instruments: [unitInstrument('v1', 'A/USDT', { minQtyLots: 5, maxQtyLots: 10 })] },
    );
  });

  describe('notional min/max per order (price 100)', () => {
    run([
      { name: 'min (config 500): inside', cfg: inst({ minOrderNotional: '500' }), order: { qtyLots: 6 }, expect: 'RISK_OK' },
      { name: 'min (config 500): at', cfg: inst({ minOrderNotional: '500' }), order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'min (config 500): outside', cfg: inst({ minOrderNotional: '500' }), order: { qtyLots: 4 }, expect: 'RISK_NOTIONAL_MIN' },
      { name: 'max (instrument 500): inside', cfg: inst({ maxOrderNotional: '500' }), order: { qtyLots: 4 }, expect: 'RISK_OK' },
      { name: 'max (instrument 500): at', cfg: inst({ maxOrderNotional: '500' }), order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'max (instrument 500): outside', cfg: inst({ maxOrderNotional: '500' }), order: { qtyLots: 6 }, expect: 'RISK_NOTIONAL_MAX' },
      { name: 'max (venue 500): at', cfg: { venues: { v1: { maxOrderNotional: '500' } } }, order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'max (venue 500): outside', cfg: { venues: { v1: { maxOrderNotional: '500' } } }, order: { qtyLots: 6 }, expect: 'RISK_NOTIONAL_MAX' },
      { name: 'max (venue 500) other venue unaffected', cfg: { venues: { v1: { maxOrderNotional: '500' } } }, order: { venue: 'v2', qtyLots: 6 }, expect: 'RISK_OK' },
      { name: 'max (strategy 500): at', cfg: { strategies: { s1: { maxOrderNotional: '500' }, s2: {} } }, order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'max (strategy 500): outside', cfg: { strategies: { s1: { maxOrderNotional: '500' }, s2: {} } }, order: { qtyLots: 6 }, expect: 'RISK_NOTIONAL_MAX' },
      { name: 'max (strategy 500) other strategy unaffected', cfg: { strategies: { s1: { maxOrderNotional: '500' }, s2: {} } }, order: { strategy: 's2', qtyLots: 6 }, expect: 'RISK_OK' },
    ]);
    describe('instrument minNotional filter "500"', () => {
      run(
        [
          { name: 'at', order: { qtyLots: 5 }, expect: 'RISK_OK' },
          { name: 'outside', order: { qtyLots: 4 }, expect: 'RISK_NOTIONAL_MIN' },
        ],
        { instruments: [unitInstrument('v1', 'A/USDT', { minNotional: '500' })] },
      );
    });
  });

  describe('price band (100 bps around reference 100)', () => {
    const cfg = inst({ priceBandBps: 100 });
    run([
      { name: 'inside (100)', cfg, order: { priceTicks: 100 }, expect: 'RISK_OK' },
      { name: 'at above (101)', cfg, order: { priceTicks: 101 }, expect: 'RISK_OK' },
      { name: 'outside above (102)', cfg, order: { priceTicks: 102 }, expect: 'RISK_PRICE_BAND' },
      { name: 'at below (99)', cfg, order: { priceTicks: 99, side: 'sell' }, expect: 'RISK_OK' },
      { name: 'outside below (98)', cfg, order: { priceTicks: 98, side: 'sell' }, expect: 'RISK_PRICE_BAND' },
      { name: 'market order uses its reference price', cfg, order: { type: 'market', priceTicks: 150 }, expect: 'RISK_PRICE_BAND' },
      { name: 'disabled by checks.priceBand', cfg: { ...cfg, checks: { priceBand: false } }, order: { priceTicks: 150 }, expect: 'RISK_OK' },
    ]);
  });

  describe('projected position limit (500 at reference 100)', () => {
    const cfg = inst({ maxPositionNotional: '500' });
    const long2 = (e: RiskEngine): void => fillOrder(e, order({ qtyLots: 2 }));
    run([
      { name: 'inside (4)', cfg, order: { qtyLots: 4 }, expect: 'RISK_OK' },
      { name: 'at (5)', cfg, order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'outside (6)', cfg, order: { qtyLots: 6 }, expect: 'RISK_POSITION_LIMIT' },
      { name: 'with long 2: at (3)', cfg, setup: long2, order: { qtyLots: 3 }, expect: 'RISK_OK' },
      { name: 'with long 2: outside (4)', cfg, setup: long2, order: { qtyLots: 4 }, expect: 'RISK_POSITION_LIMIT' },
      {
        name: 'with open buy 2: outside (4) — open orders count as filled',
        cfg,
        setup: (e) => e.onOrderOpened(order({ qtyLots: 2 })),
        order: { qtyLots: 4 },
        expect: 'RISK_POSITION_LIMIT',
      },
      { name: 'short side: at (sell 5)', cfg, order: { side: 'sell', qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'short side: outside (sell 6)', cfg, order: { side: 'sell', qtyLots: 6 }, expect: 'RISK_POSITION_LIMIT' },
      {
        name: 'over the limit after a price move, a reducing sell still passes',
        cfg,
        setup: (e) => {
          fillOrder(e, order({ qtyLots: 5 }));
          e.onQuote('v1', 'A/USDT', 105);
        },
        order: { side: 'sell', qtyLots: 1, priceTicks: 105 },
        expect: 'RISK_OK',
      },
      {
        name: 'over the limit after a price move, adding is denied',
        cfg,
        setup: (e) => {
          fillOrder(e, order({ qtyLots: 5 }));
          e.onQuote('v1', 'A/USDT', 105);
        },
        order: { qtyLots: 1, priceTicks: 105 },
        expect: 'RISK_POSITION_LIMIT',
      },
    ]);
  });

  describe('gross and net exposure', () => {
    const vg = { venues: { v1: { maxGrossExposure: '500' } } };
    const b2 = (e: RiskEngine): void => e.onOrderOpened(order({ symbol: 'B/USDT', qtyLots: 2 }));
    const vn = { venues: { v1: { maxNetExposure: '300' } } };
    const a2 = (e: RiskEngine): void => fillOrder(e, order({ qtyLots: 2 }));
    const pg = { portfolio: { maxGrossExposure: '500' } };
    const v2a2 = (e: RiskEngine): void => fillOrder(e, order({ venue: 'v2', qtyLots: 2 }));
    const pn = { portfolio: { maxNetExposure: '300' } };
    run([
      { name: 'venue gross 500 with B open 200: inside (A 2)', cfg: vg, setup: b2, order: { qtyLots: 2 }, expect: 'RISK_OK' },
      { name: 'venue gross: at (A 3)', cfg: vg, setup: b2, order: { qtyLots: 3 }, expect: 'RISK_OK' },
      { name: 'venue gross: outside (A 4)', cfg: vg, setup: b2, order: { qtyLots: 4 }, expect: 'RISK_EXPOSURE_GROSS' },
      { name: 'venue gross: other venue unaffected', cfg: vg, setup: b2, order: { venue: 'v2', qtyLots: 4 }, expect: 'RISK_OK' },
      { name: 'venue net 300 with A long 200: sell B 4 (net -200)', cfg: vn, setup: a2, order: { symbol: 'B/USDT', side: 'sell', qtyLots: 4 }, expect: 'RISK_OK' },
      { name: 'venue net: at (sell B 5, net -300)', cfg: vn, setup: a2, order: { symbol: 'B/USDT', side: 'sell', qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'venue net: outside (sell B 6)', cfg: vn, setup: a2, order: { symbol: 'B/USDT', side: 'sell', qtyLots: 6 }, expect: 'RISK_EXPOSURE_NET' },
      { name: 'venue net: long side at (buy B 1, net 300)', cfg: vn, setup: a2, order: { symbol: 'B/USDT', qtyLots: 1 }, expect: 'RISK_OK' },
      { name: 'venue net: long side outside (buy B 2)', cfg: vn, setup: a2, order: { symbol: 'B/USDT', qtyLots: 2 }, expect: 'RISK_EXPOSURE_NET' },
      { name: 'portfolio gross 500 with v2 long 200: inside', cfg: pg, setup: v2a2, order: { qtyLots: 2 }, expect: 'RISK_OK' },
      { name: 'portfolio gross: at', cfg: pg, setup: v2a2, order: { qtyLots: 3 }, expect: 'RISK_OK' },
      { name: 'portfolio gross: outside', cfg: pg, setup: v2a2, order: { qtyLots: 4 }, expect: 'RISK_EXPOSURE_GROSS' },
      { name: 'portfolio net 300 with v2 long 200: buy 1 at', cfg: pn, setup: v2a2, order: { qtyLots: 1 }, expect: 'RISK_OK' },
      { name: 'portfolio net: buy 2 outside', cfg: pn, setup: v2a2, order: { qtyLots: 2 }, expect: 'RISK_EXPOSURE_NET' },
      { name: 'portfolio net: a sell across venues hedges (sell 5 → net -300)', cfg: pn, setup: v2a2, order: { side: 'sell', qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'portfolio net: sell 6 outside', cfg: pn, setup: v2a2, order: { side: 'sell', qtyLots: 6 }, expect: 'RISK_EXPOSURE_NET' },
    ]);
  });

  describe('open orders (symbol 2, venue 3, total 4)', () => {
    const cfg: RiskConfigInput = { instruments: { 'v1:A/USDT': { maxOpenOrders: 2 } }, venues: { v1: { maxOpenOrders: 3 } }, portfolio: { maxOpenOrders: 4 } };
    const open = (n: number, over: Partial<OrderIntent> = {}) => (e: RiskEngine) => {
      for (let k = 0; k < n; k++) e.onOrderOpened(order(over));
    };
    run([
      { name: 'symbol: 0 open (inside)', cfg, expect: 'RISK_OK' },
      { name: 'symbol: 1 open (at)', cfg, setup: open(1), expect: 'RISK_OK' },
      { name: 'symbol: 2 open (outside)', cfg, setup: open(2), expect: 'RISK_OPEN_ORDERS' },
      {
        name: 'symbol: a closed order frees its place',
        cfg,
        setup: (e) => {
          open(2)(e);
          e.onOrderClosed(order(), 1);
        },
        expect: 'RISK_OK',
      },
      { name: 'venue: 2 open on B (at)', cfg, setup: open(2, { symbol: 'B/USDT' }), expect: 'RISK_OK' },
      { name: 'venue: 3 open on B (outside)', cfg, setup: open(3, { symbol: 'B/USDT' }), expect: 'RISK_OPEN_ORDERS' },
      {
        name: 'total: 3 open across venues (at)',
        cfg,
        setup: (e) => {
          open(1, { symbol: 'B/USDT' })(e);
          open(2, { venue: 'v2' })(e);
        },
        expect: 'RISK_OK',
      },
      {
        name: 'total: 4 open across venues (outside)',
        cfg,
        setup: (e) => {
          open(1, { symbol: 'B/USDT' })(e);
          open(3, { venue: 'v2' })(e);
        },
        expect: 'RISK_OPEN_ORDERS',
      },
    ]);
  });

  describe('free balance including locked funds (buy 5 @ 100 needs 500 USDT)', () => {
    const bal = (quote: number, base = 0) => (e: RiskEngine) => {
      e.onBalance('v1', 'USDT', quote);
      e.onBalance('v1', 'A', base);
    };
    run([
      { name: 'quote 501 (inside)', setup: bal(501), order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'quote 500 (at)', setup: bal(500), order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'quote 499 (outside)', setup: bal(499), order: { qtyLots: 5 }, expect: 'RISK_BALANCE' },
      {
        name: 'quote 700 with 300 locked by an open buy (outside)',
        setup: (e) => {
          bal(700)(e);
          e.onOrderOpened(order({ symbol: 'A/USDT', qtyLots: 3 }));
        },
        order: { qtyLots: 5 },
        expect: 'RISK_BALANCE',
      },
      {
        name: 'quote 800 with 300 locked (at)',
        setup: (e) => {
          bal(800)(e);
          e.onOrderOpened(order({ symbol: 'A/USDT', qtyLots: 3 }));
        },
        order: { qtyLots: 5 },
        expect: 'RISK_OK',
      },
      { name: 'fee reserve 100 bps: 505 needed, 505 free (at)', cfg: { portfolio: { feeReserveBps: 100 } }, setup: bal(505), order: { qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'fee reserve 100 bps: 504 free (outside)', cfg: { portfolio: { feeReserveBps: 100 } }, setup: bal(504), order: { qtyLots: 5 }, expect: 'RISK_BALANCE' },
      { name: 'sell 5 with 5 base (at)', setup: bal(0, 5), order: { side: 'sell', qtyLots: 5 }, expect: 'RISK_OK' },
      { name: 'sell 5 with 4 base (outside)', setup: bal(0, 4), order: { side: 'sell', qtyLots: 5 }, expect: 'RISK_BALANCE' },
      {
        name: 'sell 5 with 8 base, 4 locked by an open sell (outside)',
        setup: (e) => {
          bal(0, 8)(e);
          e.onOrderOpened(order({ side: 'sell', qtyLots: 4 }));
        },
        order: { side: 'sell', qtyLots: 5 },
        expect: 'RISK_BALANCE',
      },
    ]);
  });

  describe('stale market data (max age 1000 ms)', () => {
    run([
      { name: 'age 999 ms (inside)', setup: (_e, c) => c.advance(999), expect: 'RISK_OK' },
      { name: 'age 1000 ms (at)', setup: (_e, c) => c.advance(1000), expect: 'RISK_OK' },
      { name: 'age 1000 ms + 1 ns (outside)', setup: (_e, c) => c.advanceToNs(c.nowNs() + 1000e6 + 1), expect: 'RISK_STALE_DATA' },
      { name: 'a fresh quote resets the age', setup: (e, c) => (c.advance(5000), e.onQuote('v1', 'A/USDT', 100)), expect: 'RISK_OK' },
      { name: 'disabled by checks.staleData', cfg: { checks: { staleData: false } }, setup: (_e, c) => c.advance(5000), expect: 'RISK_OK' },
    ]);
    it('no quote ever → RISK_STALE_DATA', () => {
      const clock = new SimulatedClock({ startNs: 1e9 });
      const engine = new RiskEngine({ config: looseConfig(), clock, instruments: [unitInstrument('v1', 'A/USDT')] });
      engine.onBalance('v1', 'USDT', 1e9);
      assert.equal(engine.check(order()).code, 'RISK_STALE_DATA');
      engine.onQuote('v1', 'A/USDT', 100);
      assert.equal(engine.check(order()).code, 'RISK_OK');
    });
  });

  describe('venue unavailable (circuit breaker)', () => {
    const breakers: Record<string, { state: string }> = { v1: { state: 'closed' }, v2: { state: 'closed' } };
    const set = (v1: string, v2 = 'closed') => () => {
      breakers.v1!.state = v1;
      breakers.v2!.state = v2;
    };
    const cfg = { killSwitch: { breakerCascadeVenues: 2 } };
    run(
      [
        { name: 'closed', cfg, setup: set('closed'), expect: 'RISK_OK' },
        { name: 'half-open lets trial orders through', cfg, setup: set('half-open'), expect: 'RISK_OK' },
        { name: 'open', cfg, setup: set('open'), expect: 'VENUE_UNAVAILABLE' },
        { name: 'other venue open', cfg, setup: set('closed', 'open'), expect: 'RISK_OK' },
        { name: 'disabled by checks.venueAvailable', cfg: { ...cfg, checks: { venueAvailable: false } }, setup: set('open'), expect: 'RISK_OK' },
      ],
      { breakers: breakers as Record<string, BreakerView> },
    );
  });

  describe('reduce-only and trading state', () => {
    const long5 = (e: RiskEngine): void => fillOrder(e, order({ qtyLots: 5 }));
    run([
      { name: 'reduce-only sell 5 of long 5 (at)', setup: long5, order: { side: 'sell', qtyLots: 5, reduceOnly: true }, expect: 'RISK_OK' },
      { name: 'reduce-only sell 6 of long 5 (would flip)', setup: long5, order: { side: 'sell', qtyLots: 6, reduceOnly: true }, expect: 'RISK_REDUCE_ONLY' },
      { name: 'reduce-only buy on a long', setup: long5, order: { qtyLots: 1, reduceOnly: true }, expect: 'RISK_REDUCE_ONLY' },
      { name: 'reduce-only when flat', order: { side: 'sell', reduceOnly: true }, expect: 'RISK_REDUCE_ONLY' },
      {
        name: 'reduce-only counts pending reducing orders (3 pending + 3 > 5)',
        setup: (e) => {
          long5(e);
          e.onOrderOpened(order({ side: 'sell', qtyLots: 3 }));
        },
        order: { side: 'sell', qtyLots: 3, reduceOnly: true },
        expect: 'RISK_REDUCE_ONLY',
      },
      { name: 'REDUCING: reducing sell passes', setup: (e) => (long5(e), e.killSwitch.reduce('test')), order: { side: 'sell', qtyLots: 2 }, expect: 'RISK_OK' },
      { name: 'REDUCING: adding buy denied', setup: (e) => (long5(e), e.killSwitch.reduce('test')), order: { qtyLots: 1 }, expect: 'RISK_REDUCING' },
      { name: 'HALTED: new order denied', setup: (e) => e.killSwitch.halt('test'), expect: 'RISK_HALTED' },
      { name: 'HALTED: reducing order denied too', setup: (e) => (long5(e), e.killSwitch.halt('test')), order: { side: 'sell' }, expect: 'RISK_HALTED' },
    ]);
    it('HALTED: modifications are denied and cancels pass', () => {
      const { engine } = makeEngine();
      engine.killSwitch.halt('test');
      assert.equal(engine.check(order(), { action: 'modify' }).code, 'RISK_HALTED');
      assert.equal(engine.check(order(), { action: 'cancel' }), APPROVED);
      engine.killSwitch.resume('test');
      assert.equal(engine.check(order(), { action: 'modify' }), APPROVED);
    });
  });

  describe('correlated exposure (fixed ρ: A–B 0.5)', () => {
    // Series A and B on v1; v2:A/USDT shares series A.
    const m = new Float64Array([1, 0.5, 0.5, 1]);
    const extra = { correlation: { source: new FixedCorrelation(2, m), symbols: ['A/USDT', 'B/USDT'] } };
    const cfg = { correlation: { maxWeightedExposure: '500' } };
    const b4 = (e: RiskEngine): void => {
      e.refreshCorrelation();
      fillOrder(e, order({ symbol: 'B/USDT', qtyLots: 4 }));
    };
    // Buying q of A: weighted(A) = 100·q + 0.5·400, weighted(B) = 400 + 0.5·100·q; B binds first.
    run(
      [
        { name: 'inside (A 1 → B 450)', cfg, setup: b4, order: { qtyLots: 1 }, expect: 'RISK_OK' },
        { name: 'at (A 2 → B 500)', cfg, setup: b4, order: { qtyLots: 2 }, expect: 'RISK_OK' },
        { name: 'outside (A 3 → B 550, A itself 500)', cfg, setup: b4, order: { qtyLots: 3 }, expect: 'RISK_CORRELATION' },
        { name: 'a short in A offsets (sell A 4 → |−200|)', cfg, setup: b4, order: { side: 'sell', qtyLots: 4 }, expect: 'RISK_OK' },
        { name: 'same symbol on another venue adds to the series (v2 A 4)', cfg, setup: b4, order: { venue: 'v2', qtyLots: 4 }, expect: 'RISK_CORRELATION' },
        { name: 'disabled by checks.correlation', cfg: { ...cfg, checks: { correlation: false } }, setup: b4, order: { qtyLots: 4 }, expect: 'RISK_OK' },
      ],
      extra,
    );
    it('before the first refresh the matrix is the identity', () => {
      const { engine } = makeEngine(merge(looseConfig(), cfg), extra);
      fillOrder(engine, order({ symbol: 'B/USDT', qtyLots: 4 }));
      assert.equal(engine.check(order({ qtyLots: 5 })).code, 'RISK_OK');
      engine.refreshCorrelation();
      assert.equal(engine.check(order({ qtyLots: 5 })).code, 'RISK_CORRELATION');
    });
  });

  describe('correlated positions (|ρ| > 0.7, at most 3)', () => {
    const syms = ['A/USDT', 'B/USDT', 'C/USDT', 'D/USDT', 'E/USDT'];
    const instruments = syms.map((s) => unitInstrument('v1', s));
    const matrix = (rho: number): Float64Array => {
      const m = new Float64Array(25).fill(rho);
      for (let k = 0; k < 5; k++) m[k * 5 + k] = 1;
      return m;
    };
    const openPositions = (n: number) => (e: RiskEngine) => {
      e.refreshCorrelation();
      for (let k = 1; k <= n; k++) fillOrder(e, order({ symbol: syms[k]!, qtyLots: 1 }));
    };
    const with_ = (rho: number) => ({ instruments, correlation: { source: new FixedCorrelation(5, matrix(rho)), symbols: syms } });
    describe('ρ = 0.8', () => {
      run(
        [
          { name: '2 correlated open: a 3rd (inside)', setup: openPositions(2), expect: 'RISK_OK' },
          { name: '3 correlated open: a 4th (outside)', setup: openPositions(3), expect: 'RISK_CORRELATED_POSITIONS' },
          {
            name: '3 open, adding to one of them is not a new position',
            setup: openPositions(3),
            order: { symbol: 'B/USDT' },
            expect: 'RISK_OK',
          },
        ],
        with_(0.8),
      );
    });
    describe('ρ = -0.8 (|ρ| counts)', () => {
      run([{ name: '3 anti-correlated open: a 4th', setup: openPositions(3), expect: 'RISK_CORRELATED_POSITIONS' }], with_(-0.8));
    });
    describe('ρ = 0.7 (at the threshold: not above it)', () => {
      run([{ name: '3 open: a 4th', setup: openPositions(3), expect: 'RISK_OK' }], with_(0.7));
    });
    describe('ρ = 0.71 (just above)', () => {
      run([{ name: '3 open: a 4th', setup: openPositions(3), expect: 'RISK_CORRELATED_POSITIONS' }], with_(0.71));
    });
  });

  it('live RollingCorrelation: perfectly co-moving series count as one exposure', () => {
    const rc = new RollingCorrelation(2, 50);
    for (let t = 0; t < 50; t++) rc.push(new Float64Array([100 + Math.sin(t), 200 + 2 * Math.sin(t)]));
    const { engine } = makeEngine(merge(looseConfig(), { correlation: { maxWeightedExposure: '500' } }), {
      correlation: { source: rc, symbols: ['A/USDT', 'B/USDT'] },
    });
    engine.refreshCorrelation();
    fillOrder(engine, order({ symbol: 'B/USDT', qtyLots: 3 }));
    assert.equal(engine.check(order({ qtyLots: 2 })).code, 'RISK_OK');
    assert.equal(engine.check(order({ qtyLots: 3 })).code, 'RISK_CORRELATION');
    // Anti-correlated: B's long hedges A's long.
    const rc2 = new RollingCorrelation(2, 50);
    for (let t = 0; t < 50; t++) rc2.push(new Float64Array([100 + Math.sin(t), 200 - 2 * Math.sin(t)]));
    const h = makeEngine(merge(looseConfig(), { correlation: { maxWeightedExposure: '500' } }), { correlation: { source: rc2, symbols: ['A/USDT', 'B/USDT'] } });
    h.engine.refreshCorrelation();
    fillOrder(h.engine, order({ symbol: 'B/USDT', qtyLots: 3 }));
    assert.equal(h.engine.check(order({ qtyLots: 8 })).code, 'RISK_OK');
    assert.equal(h.engine.check(order({ qtyLots: 9 })).code, 'RISK_CORRELATION');
  });

  it('a flat series (NaN row) counts as uncorrelated', () => {
    const rc = new RollingCorrelation(2, 10);
    for (let t = 0; t < 10; t++) rc.push(new Float64Array([100, 200 + t]));
    const { engine } = makeEngine(merge(looseConfig(), { correlation: { maxWeightedExposure: '500' } }), { correlation: { source: rc, symbols: ['A/USDT', 'B/USDT'] } });
    engine.refreshCorrelation();
    fillOrder(engine, order({ symbol: 'B/USDT', qtyLots: 5 }));
    assert.equal(engine.check(order({ qtyLots: 5 })).code, 'RISK_OK');
  });

  it('onDenied receives every denial with its order; approvals are the shared constant', () => {
    const seen: string[] = [];
    const { engine } = makeEngine(looseConfig(), { onDenied: (o, d) => seen.push(`${o.symbol}:${d.code}`) });
    assert.equal(engine.check(order()), engine.check(order()));
    engine.check(order({ symbol: 'Q/USDT' }));
    engine.check(order({ qtyLots: 0 }));
    assert.deepEqual(seen, ['Q/USDT:RISK_INSTRUMENT_UNKNOWN', 'A/USDT:RISK_QTY_PRECISION']);
  });

  it('every denial code is distinct and namespaced', () => {
    assert.equal(new Set(DENIAL_CODES).size, DENIAL_CODES.length);
    for (const c of DENIAL_CODES) assert.match(c, /^(RISK|VENUE)_[A-Z_]+$/);
  });
});
