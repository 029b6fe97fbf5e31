import assert from 'node:assert/strict';
import { GcraSet } from '../../../../actors/risk/gcra.js';
import { APPROVED, type RiskDenial } from '../../../../actors/risk/decision.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';
import { looseConfig, makeEngine, merge, order, unitInstrument } from './fixtures.js';

describe('GCRA rate limits', () => {
  describe('GcraSet (process-local)', () => {
    it('allows a burst, then one request per emission interval', () => {
      const clock = new SimulatedClock({ startNs: 1e9 });
      const g = new GcraSet(1, clock);
      g.configure(0, 10, 3); // T = 100 ms, burst 3
      const now = (): number => clock.nowNs();
      assert.deepEqual([g.take(0, now()), g.take(0, now()), g.take(0, now()), g.take(0, now())], [true, true, true, false]);
      clock.advance(99);
      assert.equal(g.take(0, now()), false, 'just before one interval');
      assert.ok(g.retryAfterNs(0, now()) > 0);
      clock.advance(1);
      assert.equal(g.retryAfterNs(0, now()), 0);
      assert.equal(g.take(0, now()), true, 'at one interval');
      assert.equal(g.take(0, now()), false);
      clock.advance(1000); // idle long: the full burst is back, never more
      assert.deepEqual([g.take(0, now()), g.take(0, now()), g.take(0, now()), g.take(0, now())], [true, true, true, false]);
    });

    it('wouldAllow does not consume', () => {
      const clock = new SimulatedClock();
      const g = new GcraSet(1, clock);
      g.configure(0, 1, 1);
      assert.equal(g.wouldAllow(0, 0), true);
      assert.equal(g.wouldAllow(0, 0), true);
      assert.equal(g.take(0, 0), true);
      assert.equal(g.wouldAllow(0, 0), false);
    });

    it('a steady rate exactly at the limit always conforms over 10 s', () => {
      const clock = new SimulatedClock();
      const g = new GcraSet(1, clock);
      g.configure(0, 50, 1);
      let ok = 0;
      for (let k = 0; k < 500; k++) {
        if (g.take(0, clock.nowNs())) ok++;
        clock.advance(20);
      }
      assert.equal(ok, 500);
    });
  });

  describe('in the engine', () => {
    const cfg = merge(looseConfig(), {
      defaults: { strategy: { rate: { perSecond: 10, burst: 2 } }, venue: { rate: { perSecond: 1000, burst: 1000 } } },
      venues: { v2: { rate: { perSecond: 10, burst: 3 } } },
    });

    it('per strategy: s1 exhausts its burst, s2 is unaffected, and s1 recovers after one interval', () => {
      const { engine, clock } = makeEngine(cfg);
      assert.equal(engine.check(order()), APPROVED);
      assert.equal(engine.check(order()), APPROVED);
      const d = engine.check(order()) as RiskDenial;
      assert.equal(d.code, 'RISK_RATE_LIMIT');
      assert.match(d.detail, /strategy s1: order rate limit; retry in 100\.000 ms/);
      assert.equal(engine.check(order({ strategy: 's2' })), APPROVED);
      clock.advance(99);
      assert.equal(engine.check(order()).code, 'RISK_RATE_LIMIT');
      clock.advance(1);
      engine.onQuote('v1', 'A/USDT', 100);
      assert.equal(engine.check(order()), APPROVED);
    });

    it('per venue: v2 allows 3 in a burst across strategies', () => {
      const { engine } = makeEngine(merge(cfg, { defaults: { strategy: { rate: { perSecond: 1000, burst: 1000 } } } }));
      const codes = ['s1', 's2', 's1', 's2'].map((s) => engine.check(order({ venue: 'v2', strategy: s })).code);
      assert.deepEqual(codes, ['RISK_OK', 'RISK_OK', 'RISK_OK', 'RISK_RATE_LIMIT']);
      assert.equal(engine.check(order({ venue: 'v1' })), APPROVED);
    });

    it('a venue denial does not burn the strategy budget', () => {
      const { engine, clock } = makeEngine(merge(cfg, { venues: { v2: { rate: { perSecond: 10, burst: 1 } } } }));
      assert.equal(engine.check(order({ venue: 'v2' })), APPROVED);
      assert.equal(engine.check(order({ venue: 'v2' })).code, 'RISK_RATE_LIMIT'); // venue
      assert.equal(engine.check(order({ venue: 'v1' })), APPROVED, 's1 still has its second token');
      assert.equal(engine.check(order({ venue: 'v1' })).code, 'RISK_RATE_LIMIT');
      clock.advance(100);
      for (const ins of ['v1', 'v2']) engine.onQuote(ins, 'A/USDT', 100);
    });

    it('denials earlier in the check consume no rate budget', () => {
      const { engine } = makeEngine(cfg);
      for (let k = 0; k < 5; k++) assert.equal(engine.check(order({ qtyLots: 0 })).code, 'RISK_QTY_PRECISION');
      assert.equal(engine.check(order()), APPROVED);
      assert.equal(engine.check(order()), APPROVED);
    });

    it('host-wide: two engines sharing a block share the venue budget; a process-local budget is not shared', () => {
      const shared = merge(cfg, { venues: { v2: { rate: { perSecond: 10, burst: 3, hostWide: true } } }, defaults: { strategy: { rate: { perSecond: 1000, burst: 1000 } } } });
      const instruments = [unitInstrument('v1', 'A/USDT'), unitInstrument('v1', 'B/USDT'), unitInstrument('v2', 'A/USDT')];
      const counters = AtomicCounters.create(RiskEngine.slotsNeeded(instruments, shared));
      const clock = new SimulatedClock({ startNs: 1e9 });
      const a = makeEngine(shared, { counters, clock }).engine;
      const b = makeEngine(shared, { counters, clock }).engine;
      const v2 = order({ venue: 'v2' });
      assert.deepEqual([a.check(v2).code, b.check(v2).code, a.check(v2).code, b.check(v2).code], ['RISK_OK', 'RISK_OK', 'RISK_OK', 'RISK_RATE_LIMIT']);
      clock.advance(100);
      for (const e of [a, b]) e.onQuote('v2', 'A/USDT', 100);
      assert.deepEqual([b.check(v2).code, a.check(v2).code], ['RISK_OK', 'RISK_RATE_LIMIT']);
      // v1 stays process-local: each engine has its own 1000/s budget (not exhausted by the other).
      const local = merge(shared, { venues: { v1: { rate: { perSecond: 10, burst: 1 } } } });
      const counters2 = AtomicCounters.create(RiskEngine.slotsNeeded(instruments, local));
      const c = makeEngine(local, { counters: counters2, clock }).engine;
      const d = makeEngine(local, { counters: counters2, clock }).engine;
      assert.deepEqual([c.check(order()).code, d.check(order()).code, c.check(order()).code], ['RISK_OK', 'RISK_OK', 'RISK_RATE_LIMIT']);
    });

    it('host-wide TAT lives in the shared slot (1 + venue index) as integer µs of host time', () => {
      const shared = merge(cfg, { venues: { v2: { rate: { perSecond: 10, burst: 1, hostWide: true } } } });
      const { engine, counters, clock } = makeEngine(shared);
      const slot = 1 + engine.state.venueIndexOf('v2');
      assert.equal(counters.load(slot), 0);
      assert.equal(engine.check(order({ venue: 'v2' })), APPROVED);
      const hostUs = Math.floor(clock.epochMs() * 1000);
      assert.equal(counters.load(slot), hostUs + 100_000);
    });
  });
});
