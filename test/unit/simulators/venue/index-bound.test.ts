import assert from 'node:assert/strict';
import type { PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import { makeRig, UNIT } from './fixtures.js';

const limit = (account: string, side: 'BUY' | 'SELL', priceTicks: number, clientOrderId: string): PlaceRequest => ({
  account,
  symbol: 'AAAUSDT',
  side,
  type: 'LIMIT',
  timeInForce: 'GTC',
  priceTicks,
  lots: 10,
  quoteOrderQty: 0n,
  clientOrderId,
  stp: 'NONE',
});

describe('simulator venue: the matching engine\'s order indexes are bounded by what is live (issue 16)', () => {
  it('over 200,000 place/cancel cycles of house and client orders, with long-lived house orders resting far from the mid and a retention window, keeps pages and table slots bounded', () => {
    const window = 50;
    const rig = makeRig(undefined, undefined, { orders: window, entries: 10_000, maxAgeMs: 0 });
    for (const a of ['house:mm', 'house:far', 'user:a']) {
      rig.accounts.deposit(a, 'USDT', 10_000_000n * UNIT);
      rig.accounts.deposit(a, 'AAA', 100_000n * UNIT);
    }
    const e = rig.engine;
    let maxPages = 0;
    let maxOverflow = 0;
    let maxOpenSlots = 0;
    let farResting = 0;
    for (let i = 0; i < 200_000; i++) {
      // a burst of a house ladder now and then (the open-order table grows for it, then must shrink)
      if (i % 50_000 === 25_000) {
        for (let j = 0; j < 2_000; j++) assert.ok(e.place(limit('house:mm', 'BUY', 100 + (j % 50), `ladder-${i}-${j}`)).ok);
        e.cancelAll('house:mm', 'AAAUSDT');
      }
      // one house order in 10,000 rests far from the mid for the rest of the run
      if (i % 10_000 === 3) {
        assert.ok(e.place(limit('house:far', 'BUY', 10, `far-${i}`)).ok);
        farResting++;
      }
      const client = i % 5 === 0;
      const account = client ? 'user:a' : 'house:mm';
      const r = e.place(limit(account, i % 2 === 0 ? 'BUY' : 'SELL', i % 2 === 0 ? 150 : 250, `c-${i}`));
      assert.ok(r.ok);
      const c = e.cancel(account, 'AAAUSDT', r.order.orderId, undefined);
      assert.ok(c.ok, `cancel ${i}: ${JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      e.compactHistory(0);
      if (i % 1000 === 0) {
        const f = e.indexFootprint();
        if (i >= 20_000) {
          maxPages = Math.max(maxPages, f.byId.pages);
          maxOverflow = Math.max(maxOverflow, f.byId.overflow);
          maxOpenSlots = Math.max(maxOpenSlots, f.openSlots);
        }
      }
    }
    const f = e.indexFootprint();
    // live: the far house orders and the client window (plus its compaction batch of max(256, window / 8))
    assert.equal(f.resting, farResting);
    assert.ok(f.byId.size <= farResting + window + 256 + 1, `orders by id ${f.byId.size}`);
    // 4096-slot pages: the newest, a spare, and pages holding > 256 live orders (none at this window)
    assert.ok(maxPages <= 3, `order-id pages stayed at most 3 (max ${maxPages}); a page per long-lived order otherwise`);
    assert.ok(maxOverflow <= farResting + window + 256 + 1, `overflow map at most the live orders (max ${maxOverflow})`);
    // 3 tables (house:mm, house:far, user:a): at most 16 slots per resting order besides the minimum
    assert.ok(maxOpenSlots <= 3 * 16 + 16 * farResting * 4, `open-order tables ${maxOpenSlots} slots`);
    assert.ok(f.openSlots <= 3 * 64, `open-order tables shrank after the ladders (${f.openSlots} slots)`);
    // the long-lived orders are still found, by id and by client order id
    for (const o of e.openOrders('house:far', 'AAAUSDT')) {
      assert.equal(e.getById('house:far', o.orderId), o);
      assert.equal(e.getByClientId('house:far', 'AAAUSDT', o.clientOrderId), o);
    }
    assert.equal(e.openOrders('house:far', 'AAAUSDT').length, farResting);
  });
});
