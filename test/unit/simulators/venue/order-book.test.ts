import assert from 'node:assert/strict';
import type { SimOrder } from '../../../../simulators/venue/order.js';
import fc from 'fast-check';
import { OrderBook, PriceLevel } from '../../../../simulators/venue/order-book.js';

let nextId = 1;
function order(side: 'BUY' | 'SELL', priceTicks: number, lots: number): SimOrder {
  const id = nextId++;
  return {
    orderId: id,
    clientOrderId: `o${id}`,
    account: 'user:a',
    symbol: 'AAAUSDT',
    side,
    type: 'LIMIT',
    timeInForce: 'GTC',
    priceTicks,
    origLots: lots,
    quoteOrderQty: 0n,
    executedLots: 0,
    cumQuoteAtoms: 0n,
    status: 'NEW',
    locked: 0n,
    time: 0,
    updateTime: 0,
    seq: id,
    fills: [],
    traceparent: undefined,
    house: false,
    stp: 'NONE',
    preventedMatchId: undefined,
    preventedLots: 0,
  };
}

describe('OrderBook', () => {
  it('keeps bids descending and asks ascending whatever the insertion order', () => {
    const b = new OrderBook('AAAUSDT');
    for (const p of [100, 103, 99, 101, 102]) b.add(order('BUY', p, 1));
    for (const p of [110, 105, 108, 106]) b.add(order('SELL', p, 1));
    assert.deepEqual(b.bids.map((l) => l.priceTicks), [103, 102, 101, 100, 99]);
    assert.deepEqual(b.asks.map((l) => l.priceTicks), [105, 106, 108, 110]);
    assert.equal(b.bestBid()!.priceTicks, 103);
    assert.equal(b.bestAsk()!.priceTicks, 105);
  });

  it('aggregates a level and serves it first-in first-out', () => {
    const b = new OrderBook('AAAUSDT');
    const first = order('SELL', 105, 3);
    const second = order('SELL', 105, 4);
    b.add(first);
    b.add(second);
    assert.equal(b.asks.length, 1);
    assert.equal(b.asks[0]!.totalLots, 7);
    assert.equal(b.asks[0]!.front(), first);
    // first fills completely: the level serves second next
    first.executedLots = 3;
    first.status = 'FILLED';
    b.reduce(first, 3);
    assert.equal(b.asks[0]!.totalLots, 4);
    assert.equal(b.asks[0]!.front(), second);
  });

  it('skips cancelled orders lazily and drops a level when it empties', () => {
    const b = new OrderBook('AAAUSDT');
    const a = order('BUY', 100, 2);
    const c = order('BUY', 100, 5);
    b.add(a);
    b.add(c);
    a.status = 'CANCELED';
    b.reduce(a, 2);
    assert.equal(b.bids[0]!.front(), c);
    c.status = 'CANCELED';
    b.reduce(c, 5);
    assert.equal(b.bids.length, 0);
    assert.equal(b.bestBid(), undefined);
    // a new order at the same price starts a fresh level
    const d = order('BUY', 100, 1);
    b.add(d);
    assert.equal(b.bids[0]!.front(), d);
    assert.equal(b.bids[0]!.totalLots, 1);
  });

  it('reduce on an unknown price is a no-op', () => {
    const b = new OrderBook('AAAUSDT');
    const before = b.updateId;
    b.reduce(order('SELL', 999, 1), 1);
    assert.equal(b.updateId, before);
    assert.equal(b.drainDiff(), null);
  });

  it('compacts a long-consumed queue without losing order', () => {
    const l = new PriceLevel(100);
    const orders = Array.from({ length: 100 }, () => order('BUY', 100, 1));
    for (const o of orders) {
      l.orders.push(o);
      l.totalLots += 1;
    }
    for (let i = 0; i < 70; i++) {
      orders[i]!.status = 'FILLED';
      orders[i]!.executedLots = 1;
    }
    assert.equal(l.front(), orders[70]);
    l.compact();
    assert.equal(l.head, 0);
    assert.equal(l.orders.length, 30);
    assert.equal(l.front(), orders[70]);
  });

  it('counts every level change in updateId and reports diffs chained U..u', () => {
    const b = new OrderBook('AAAUSDT');
    assert.equal(b.drainDiff(), null);
    const x = order('BUY', 100, 2);
    b.add(x);
    b.add(order('SELL', 101, 3));
    const d1 = b.drainDiff()!;
    assert.deepEqual(d1, { U: 1, u: 2, b: [[100, 2]], a: [[101, 3]] });
    x.executedLots = 2;
    x.status = 'FILLED';
    b.reduce(x, 2);
    const d2 = b.drainDiff()!;
    assert.equal(d2.U, d1.u + 1);
    assert.deepEqual(d2.b, [[100, 0]], 'a removed level is reported with 0 lots');
    assert.equal(b.drainDiff(), null);
    assert.equal(b.depth(10).lastUpdateId, d2.u);
  });

  it('depth returns at most `limit` levels per side, best first', () => {
    const b = new OrderBook('AAAUSDT');
    for (let p = 90; p < 100; p++) b.add(order('BUY', p, p - 89));
    for (let p = 100; p < 110; p++) b.add(order('SELL', p, 1));
    const d = b.depth(3);
    assert.deepEqual(d.bids, [
      [99, 10],
      [98, 9],
      [97, 8],
    ]);
    assert.deepEqual(d.asks, [
      [100, 1],
      [101, 1],
      [102, 1],
    ]);
  });
});

describe('OrderBook level queues stay bounded', () => {
  it('sweeps orders cancelled behind a resting front order out of the queue, keeping FIFO', () => {
    const b = new OrderBook('AAAUSDT');
    const all = Array.from({ length: 200 }, () => order('SELL', 500, 1));
    for (const o of all) b.add(o);
    // the front order never trades; 150 behind it are cancelled (engine order: reduce, then status)
    for (let i = 1; i <= 150; i++) {
      b.reduce(all[i]!, 1);
      all[i]!.status = 'CANCELED';
    }
    const late = order('SELL', 500, 1);
    b.add(late);
    const l = b.asks[0]!;
    const live = [all[0]!, ...all.slice(151), late];
    assert.equal(l.live, live.length);
    assert.ok(l.orders.length - l.head <= 2 * live.length, `queue of ${l.orders.length - l.head} for ${live.length} live orders`);
    assert.equal(l.totalLots, live.length);
    const served: SimOrder[] = [];
    for (let o = l.front(); o !== undefined; o = l.front()) {
      served.push(o);
      b.reduce(o, 1);
      o.executedLots = 1;
      o.status = 'FILLED';
    }
    assert.deepEqual(served, live);
  });
});

describe('OrderBook against a naive model (random add / cancel / fill)', () => {
  // The book keeps cancelled orders in a level's queue until they are skipped or swept out; the
  // model keeps plain arrays of live orders. Whatever the sequence, both must agree on every level's
  // total, on FIFO order within a level and on best-first level order, and the queues stay bounded.
  it('agrees with the model and keeps every level queue at most about twice its live orders', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.integer({ min: 0, max: 9 }), price: fc.integer({ min: 98, max: 99 }), lots: fc.integer({ min: 1, max: 5 }), pick: fc.nat() }), { minLength: 50, maxLength: 1000 }),
        (steps) => {
          const b = new OrderBook('AAAUSDT');
          const model = new Map<number, SimOrder[]>();
          for (const s of steps) {
            if (s.op < 5) {
              const o = order('BUY', s.price, s.lots);
              b.add(o);
              const q = model.get(s.price) ?? [];
              q.push(o);
              model.set(s.price, q);
            } else {
              const prices = [...model.keys()];
              if (prices.length === 0) continue;
              const p = prices[s.pick % prices.length]!;
              const q = model.get(p)!;
              if (s.op < 8) {
                // cancel any order of the level (the engine's order: reduce, then the status)
                const o = q.splice(s.pick % q.length, 1)[0]!;
                b.reduce(o, o.origLots - o.executedLots);
                o.status = 'CANCELED';
              } else {
                // fill the front order of the best level, partly or fully
                const best = Math.max(...model.keys());
                const bq = model.get(best)!;
                const o = b.bids[0]!.front()!;
                assert.equal(o, bq[0]);
                const take = Math.min(s.lots, o.origLots - o.executedLots);
                b.reduce(o, take);
                o.executedLots += take;
                if (o.executedLots === o.origLots) {
                  o.status = 'FILLED';
                  bq.shift();
                } else o.status = 'PARTIALLY_FILLED';
                if (bq.length === 0) model.delete(best);
                continue;
              }
              if (q.length === 0) model.delete(p);
            }
          }
          const want = [...model.keys()].sort((x, y) => y - x);
          assert.deepEqual(b.bids.map((l) => l.priceTicks), want);
          for (const l of b.bids) {
            const q = model.get(l.priceTicks)!;
            assert.equal(l.totalLots, q.reduce((n, o) => n + o.origLots - o.executedLots, 0));
            assert.equal(l.live, q.length);
            const live = l.orders.slice(l.head).filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
            assert.deepEqual(live, q, 'FIFO order of the live orders');
            assert.ok(l.orders.length - l.head <= Math.max(64, 2 * q.length + 1), `queue of ${l.orders.length - l.head} for ${q.length} live orders`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
