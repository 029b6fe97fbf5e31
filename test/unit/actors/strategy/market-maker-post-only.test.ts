import assert from 'node:assert/strict';
import { createMarketMaker } from '../../../../actors/strategy/index.js';
import type { OrderSubmit } from '../../../../actors/messages.js';
import { BTC, Harness } from './helpers.js';

/*
 * Post-only quotes the venue does not reject: kept postOnlyMarginTicks behind the far touch, centred
 * on the market without our own quotes (no chasing ourselves), and after a rejection or a fill the
 * side waits for a fresh ticker instead of re-sending into a book that has moved.
 */
const spec = { id: 'mm-1', kind: 'market-maker', instruments: ['sim-a:BTC/USDT'] };
const side = (subs: OrderSubmit[], s: 'buy' | 'sell'): OrderSubmit[] => subs.filter((x) => x.intent.side === s);

describe('strategy/market-maker: post-only pricing', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('keeps each quote postOnlyMarginTicks behind the best opposite quote', () => {
    // a 4-tick spread, 1 tick half spread: the quotes would sit 1 tick off the far touch
    h = new Harness(spec, createMarketMaker({ halfSpreadTicks: 1, postOnlyMarginTicks: 10, requoteMs: 0 }));
    h.ticker(BTC, 1000, 1004);
    assert.equal(side(h.submits, 'buy')[0]!.intent.priceTicks, 994, 'bid <= best ask 1004 − 10');
    assert.equal(side(h.submits, 'sell')[0]!.intent.priceTicks, 1010, 'ask >= best bid 1000 + 10');
    assert.ok(h.submits.every((s) => s.intent.type === 'limit-maker'));
  });

  it('the default margin of 1 tick keeps the old far-touch clamp', () => {
    h = new Harness(spec, createMarketMaker({ halfSpreadTicks: 1, skewTicksPerLot: 0, requoteMs: 0 }));
    h.ticker(BTC, 1000, 1001);
    assert.deepEqual(h.submits.map((s) => [s.intent.side, s.intent.priceTicks]), [['buy', 999], ['sell', 1002]]);
  });

  it('centres on the market without its own quotes: our bid at the touch does not move the mid', () => {
    h = new Harness(spec, createMarketMaker({ halfSpreadTicks: 2, requoteTicks: 1, requoteMs: 0 }));
    h.ticker(BTC, 1000, 1010);
    const [bid, ask] = [side(h.submits, 'buy')[0]!, side(h.submits, 'sell')[0]!];
    assert.deepEqual([bid.intent.priceTicks, ask.intent.priceTicks], [1003, 1007]);
    h.accept(bid);
    h.accept(ask);
    // The venue's best bid is now our own 1003 (the crowd's 1000 behind it), the ask the crowd's
    // 1010. Centred on 1003/1010 the bid would move up a tick and be re-quoted, then again on the
    // next ticker showing it, chasing itself; centred on the market (1000/1010) nothing moves.
    h.ticker(BTC, 1003, 1010);
    assert.equal(h.cancels.length, 0, 'no re-quote: the market has not moved');
    // The crowd moves for real (its ask down 4, market mid 1005 → 1003): both sides are re-quoted.
    h.ticker(BTC, 1003, 1006);
    assert.equal(h.cancels.length, 2);
  });

  it('after a rejection the side waits for a fresh ticker, and the book it infers keeps the next quote off the touch', () => {
    h = new Harness(spec, createMarketMaker({ halfSpreadTicks: 2, requoteMs: 0, postOnlyMarginTicks: 1 }));
    h.ticker(BTC, 1000, 1010);
    const bid = side(h.submits, 'buy')[0]!;
    const id = h.accept(bid);
    // Rejected as it would have taken: the best ask is at or below 1003 by now.
    h.update(bid, 'rejected', id);
    assert.equal(side(h.submits, 'buy').length, 1, 'no bid re-sent into the same (stale) book');
    h.ticker(BTC, 995, 1001);
    const next = side(h.submits, 'buy');
    assert.equal(next.length, 2, 'a fresh ticker: quoted again');
    assert.ok(next[1]!.intent.priceTicks <= 1000, `bid ${next[1]!.intent.priceTicks} behind the new best ask 1001`);
  });

  it('a plain-limit market maker (postOnly false) re-quotes a rejected side at once', () => {
    h = new Harness(spec, createMarketMaker({ halfSpreadTicks: 2, requoteMs: 0, postOnly: false }));
    h.ticker(BTC, 1000, 1010);
    const bid = side(h.submits, 'buy')[0]!;
    h.update(bid, 'rejected', h.accept(bid));
    assert.equal(side(h.submits, 'buy').length, 2);
  });

  it('validates postOnlyMarginTicks naming the field', () => {
    assert.throws(() => createMarketMaker({ postOnlyMarginTicks: 0 }), /market-maker\.params\.postOnlyMarginTicks: expected a value >= 1, got 0/);
  });
});
