import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RiskState, PF } from '../../../../actors/risk/risk-state.js';
import { RiskOverflowError, RiskStateError, RiskUnknownKeyError } from '../../../../actors/risk/errors.js';
import { mulDivTrunc } from '../../../../actors/risk/units.js';
import { LiveClock, SimulatedClock } from '../../../../common/clock.js';
import { order, unitInstrument } from './fixtures.js';

function state(): { s: RiskState; clock: SimulatedClock } {
  const clock = new SimulatedClock();
  const s = new RiskState([unitInstrument('v1', 'A/USDT'), unitInstrument('v2', 'A/USDT')], '1', clock, ['A/USDT']);
  s.onQuote('v1', 'A/USDT', 100);
  s.onQuote('v2', 'A/USDT', 100);
  return { s, clock };
}

function fill(s: RiskState, side: 'buy' | 'sell', lots: number, price: number, fee = 0, venue = 'v1'): void {
  const o = order({ side, qtyLots: lots, priceTicks: price, venue });
  s.onOrderOpened(o);
  s.onFill(o, lots, price, fee);
  s.onOrderClosed(o, 0);
}

describe('RiskState (hot-path mirror)', () => {
  it('average-cost PnL is exact in integers, including partial closes that do not divide evenly', () => {
    const { s } = state();
    fill(s, 'buy', 3, 100);
    fill(s, 'buy', 3, 101); // pos 6, cost 603
    fill(s, 'sell', 4, 100); // removes trunc(603·4/6) = 402 → realized 400 − 402 = −2
    assert.equal(s.portfolio[PF.REALIZED], -2);
    assert.equal(s.cost[0], 201);
    fill(s, 'sell', 2, 100); // removes the remaining 201 → −1
    assert.equal(s.portfolio[PF.REALIZED], -3, 'bought 603, sold 600: exactly −3 over the round trip');
    assert.equal(s.position[0], 0);
    assert.equal(s.cost[0], 0);
  });

  it('flips through zero and tracks a short; fees and unrealized at the reference price', () => {
    const { s } = state();
    fill(s, 'buy', 2, 100, 1);
    fill(s, 'sell', 5, 110, 2); // realize +20 on 2, open short 3 @ 110
    assert.equal(s.position[0], -3);
    assert.equal(s.cost[0], -330);
    assert.equal(s.portfolio[PF.REALIZED], 20);
    s.onQuote('v1', 'A/USDT', 105);
    assert.equal(s.portfolio[PF.UNREALIZED], 15);
    // The peak was 47 while the reference was still 100 (short 3 from 110: +30 unrealized).
    assert.deepEqual(s.pnl(), { realized: 20, fees: 3, unrealized: 15, total: 32, daily: 32, drawdown: 15 });
    fill(s, 'buy', 3, 100); // close the short: +30
    assert.equal(s.portfolio[PF.REALIZED], 50);
    assert.equal(s.portfolio[PF.UNREALIZED], 0);
  });

  it('locks funds for open orders at the limit price and releases them on fill and close', () => {
    const { s } = state();
    s.onBalance('v1', 'USDT', 10_000);
    s.onBalance('v1', 'A', 50);
    const b = order({ qtyLots: 10, priceTicks: 100 });
    const sell = order({ side: 'sell', qtyLots: 5, priceTicks: 120 });
    s.onOrderOpened(b);
    s.onOrderOpened(sell);
    const q = s.balanceIndex('v1', 'USDT');
    const a = s.balanceIndex('v1', 'A');
    assert.equal(s.balLocked[q], 1000);
    assert.equal(s.balLocked[a], 5);
    s.onFill(b, 4, 99, 2); // filled better than the limit
    assert.equal(s.balLocked[q], 600);
    assert.equal(s.balTotal[q], 10_000 - 396 - 2);
    assert.equal(s.balTotal[a], 54);
    s.onOrderClosed(b, 6);
    assert.equal(s.balLocked[q], 0);
    assert.equal(s.free(q), 10_000 - 398);
    s.onOrderClosed(sell, 5);
    assert.equal(s.balLocked[a], 0);
    assert.equal(s.portfolio[PF.OPEN], 0);
  });

  it('worst-case exposures: hi if every buy fills, lo if every sell fills, summed per venue and portfolio', () => {
    const { s } = state();
    fill(s, 'buy', 2, 100); // +200
    s.onOrderOpened(order({ qtyLots: 3 })); // hi +500
    s.onOrderOpened(order({ side: 'sell', qtyLots: 7 })); // lo −500
    s.onOrderOpened(order({ venue: 'v2', side: 'sell', qtyLots: 1 })); // v2 lo −100
    assert.deepEqual([s.expHi[0], s.expLo[0], s.expGross[0]], [500, -500, 500]);
    assert.deepEqual([s.venueGross[0], s.venueNetHi[0], s.venueNetLo[0]], [500, 500, -500]);
    assert.deepEqual([s.portfolio[PF.GROSS], s.portfolio[PF.NET_HI], s.portfolio[PF.NET_LO]], [600, 500, -600]);
    assert.deepEqual([s.seriesHi[0], s.seriesLo[0], s.seriesGross[0]], [500 + 0, -500 + -100, 500 + 100]);
    s.onQuote('v1', 'A/USDT', 200);
    assert.deepEqual([s.expHi[0], s.expLo[0]], [1000, -1000]);
  });

  it('aggregates always equal a recomputation from scratch (random updates)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ v: fc.constantFrom('v1', 'v2'), op: fc.constantFrom('open', 'fill', 'quote'), side: fc.constantFrom('buy' as const, 'sell' as const), q: fc.integer({ min: 1, max: 50 }), p: fc.integer({ min: 50, max: 150 }) }),
          { maxLength: 60 },
        ),
        (ops) => {
          const { s } = state();
          for (const o of ops) {
            if (o.op === 'quote') s.onQuote(o.v, 'A/USDT', o.p);
            else if (o.op === 'open') s.onOrderOpened(order({ venue: o.v, side: o.side, qtyLots: o.q, priceTicks: o.p }));
            else fill(s, o.side, o.q, o.p, 1, o.v);
          }
          let gross = 0;
          let hi = 0;
          let lo = 0;
          let unreal = 0;
          for (let i = 0; i < 2; i++) {
            const r = s.refPrice[i]!;
            const h = (s.position[i]! + s.openBuy[i]!) * r;
            const l = (s.position[i]! - s.openSell[i]!) * r;
            gross += Math.max(Math.abs(h), Math.abs(l));
            hi += h;
            lo += l;
            unreal += s.position[i]! * r - s.cost[i]!;
          }
          assert.equal(s.portfolio[PF.GROSS], gross);
          assert.equal(s.portfolio[PF.NET_HI], hi);
          assert.equal(s.portfolio[PF.NET_LO], lo);
          assert.equal(s.portfolio[PF.UNREALIZED], unreal);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it('broken invariants throw typed errors', () => {
    const { s } = state();
    assert.throws(() => s.onQuote('v9', 'A/USDT', 1), (e: unknown) => e instanceof RiskUnknownKeyError && e.code === 'B4_RISK_UNKNOWN_KEY');
    assert.throws(() => s.onQuote('v1', 'A/USDT', 1.5), (e: unknown) => e instanceof RiskStateError && e.code === 'B4_RISK_STATE_INVARIANT');
    assert.throws(() => s.onOrderOpened(order({ qtyLots: 0.5 })), /expected a positive integer number of lots, got 0.5/);
    assert.throws(() => s.onOrderClosed(order(), 0), /no open order to close/);
    s.onOrderOpened(order({ qtyLots: 2 }));
    assert.throws(() => s.onFill(order(), 3, 100), /releasing 3 buy lots but only 2 are open/);
    assert.throws(() => s.onFill(order(), 1, 100, 0.5), /expected an integer fee/);
    assert.throws(() => s.onFill(order(), 1, 0), /expected a positive integer price/);
    assert.equal(s.onBalance('v1', 'DOGE', 5), false, 'unknown asset is ignored');
    assert.throws(() => s.onBalance('v1', 'USDT', 2 ** 53), (e: unknown) => e instanceof RiskOverflowError && e.code === 'B4_RISK_OVERFLOW');
    assert.throws(() => s.setPosition('v1', 'A/USDT', 2 ** 52, 0), RiskOverflowError);
  });

  it('mulDivTrunc is exact on both the double and the bigint path', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 2 ** 40 }), (a, b, c) => {
        const want = (BigInt(a) * BigInt(b)) / BigInt(c);
        fc.pre(want <= BigInt(Number.MAX_SAFE_INTEGER) && want >= -BigInt(Number.MAX_SAFE_INTEGER));
        assert.equal(mulDivTrunc(a, b, c), Number(want));
      }),
      { numRuns: 2000, seed: 7 },
    );
    assert.equal(Object.is(mulDivTrunc(-1, 1, 3), 0), true, 'no negative zero');
  });
});

/** A LiveClock whose readings the test sets (the state takes the live path: `…Into` reads, the wall clock at most once a second). */
class SteeredLiveClock extends LiveClock {
  ns = 1e9;
  ms = Date.UTC(2026, 11, 5, 23, 59, 58, 500);
  wallReads = 0;
  override nowNs(): number {
    return this.ns;
  }
  override nowNsInto(cell: Float64Array, i = 0): void {
    cell[i] = this.ns;
  }
  override epochMs(): number {
    this.wallReads++;
    return this.ms;
  }
  override epochMsInto(cell: Float64Array, i = 0): void {
    this.wallReads++;
    cell[i] = this.ms;
  }
  advance(ms: number): void {
    this.ns += ms * 1e6;
    this.ms += ms;
  }
}

describe('RiskState with the live clock: the daily PnL roll reads the wall clock at most once a second (issue 16)', () => {
  it('starts a new day at UTC midnight, seen on the first update past it, with one wall-clock read per second of updates', () => {
    const clock = new SteeredLiveClock();
    const s = new RiskState([unitInstrument('v1', 'A/USDT')], '1', clock);
    s.onQuote('v1', 'A/USDT', 100);
    fill(s, 'buy', 2, 100, 5); // fee 5: total −5 today
    const reads = clock.wallReads;
    for (let k = 0; k < 100; k++) s.onQuote('v1', 'A/USDT', 100); // within the same second
    assert.equal(clock.wallReads, reads, 'no wall-clock read within the second');
    assert.equal(s.dailyPnl(), -5);
    clock.advance(1_000); // 23:59:59.500: still the same day
    s.onQuote('v1', 'A/USDT', 100);
    assert.equal(clock.wallReads, reads + 1);
    assert.equal(s.dailyPnl(), -5);
    clock.advance(500); // 00:00:00.000: the next read is due exactly at the predicted midnight
    s.onQuote('v1', 'A/USDT', 100);
    assert.equal(s.dailyPnl(), 0, 'a new UTC day starts from the total before the update');
    assert.equal(s.portfolio[PF.DAY], Math.floor(clock.ms / 86_400_000));
  });

  it('a wall-clock jump past midnight (monotonic time barely moved) is seen within a second', () => {
    const clock = new SteeredLiveClock();
    const s = new RiskState([unitInstrument('v1', 'A/USDT')], '1', clock);
    s.onQuote('v1', 'A/USDT', 100);
    fill(s, 'buy', 1, 100, 3);
    assert.equal(s.dailyPnl(), -3);
    clock.ms += 3_600_000; // NTP step: an hour later on the wall clock, no time on the monotonic one
    s.onQuote('v1', 'A/USDT', 100);
    assert.equal(s.dailyPnl(), -3, 'not read yet: the monotonic clock says the second is not over');
    clock.ns += 1e9;
    s.onQuote('v1', 'A/USDT', 100);
    assert.equal(s.dailyPnl(), 0, 'read at the next second: the new day started');
  });
});
