import assert from 'node:assert/strict';
import type { SimOrder } from '../../../../simulators/venue/order.js';
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
