import assert from 'node:assert/strict';
import type { OrderUpdate } from '../../../actors/messages.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { counterMachine } from '../../unit/actors/runtime/helpers.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { startHarness, waitFor, type Harness } from '../../fixtures/exchange/harness.js';
import { restClient } from '../simulators/helpers.js';

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 'test', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_000_000, qtyLots: 100, ...over };
}

describe('venue actor against the simulator (real ccxt, real sockets)', function () {
  this.timeout(60_000);
  let h: Harness;
  const updates: OrderUpdate[] = [];

  before(async () => {
    h = await startHarness();
    h.system.spawn('probe.orders', counterMachine, {
      handle: (e) => {
        if (e.type === 'order.update') updates.push(e.payload as OrderUpdate);
      },
    });
    h.system.subscribe('orders.all', 'probe.orders');
    await waitFor(() => h.venues.get('sim-a')!.actor.state === 'running', 10_000, 'venue running');
  });
  after(async () => {
    await h?.close();
  });

  it('places a resting limit order (journaled, accepted with the venue id), then cancels it', async () => {
    const ack = await h.system.ask<{ accepted: boolean; clientOrderId: string }>('exchange.sim-a', { type: 'order.submit', payload: { intent: intent() } }, { timeoutMs: 5000 });
    assert.equal(ack.accepted, true);
    const id = ack.clientOrderId;
    await waitFor(() => h.journal.orders.get(id)?.state === 'accepted', 5000, 'accepted');
    const led = h.sim.ledger('sim-a', 'user:bot4-demo-key');
    const row = led.orders.find((o) => o.clientOrderId === id);
    assert.ok(row !== undefined, 'the venue has the order under the journal client id');
    assert.equal(String(row.orderId), h.journal.orders.get(id)!.venueOrderId);
    h.system.send('exchange.sim-a', { type: 'order.cancel', payload: { clientOrderId: id }, lane: 'control' });
    await waitFor(() => h.journal.orders.get(id)?.state === 'canceled', 5000, 'canceled');
    assert.equal(h.sim.ledger('sim-a', 'user:bot4-demo-key').orders.find((o) => o.clientOrderId === id)?.status, 'CANCELED');
    assert.ok(updates.some((u) => u.clientOrderId === id && u.state === 'canceled'));
  });

  it('a marketable order fills; fills, position and the venue ledger agree exactly', async () => {
    const ack = await h.system.ask<{ accepted: boolean; clientOrderId: string }>('exchange.sim-a', { type: 'order.submit', payload: { intent: intent({ type: 'market', tif: 'GTC', priceTicks: 3_000_000, qtyLots: 50 }) } }, { timeoutMs: 5000 });
    assert.equal(ack.accepted, true);
    await waitFor(() => h.journal.orders.get(ack.clientOrderId)?.state === 'filled', 5000, 'filled');
    const o = h.journal.orders.get(ack.clientOrderId)!;
    const row = h.sim.ledger('sim-a', 'user:bot4-demo-key').orders.find((x) => x.clientOrderId === ack.clientOrderId)!;
    assert.equal(row.status, 'FILLED');
    assert.equal(o.filledLots, 50);
    const ins = h.instruments.find((i) => i.symbol === 'BTC/USDT')!;
    assert.equal(row.executedQty.replace(/0+$/, '').replace(/\.$/, ''), (o.filledLots * Number(ins.lotSize)).toFixed(5).replace(/0+$/, '').replace(/\.$/, ''));
    assert.equal(h.journal.portfolio.position('sim-a', 'BTC/USDT').qtyLots, 50n);
  });

  it('publishes depth (md.book, chained by update id, sorted, uncrossed) and public trades (md.trade)', async () => {
    const books: { bids: [number, number][]; asks: [number, number][]; nonce: number }[] = [];
    const trades: { priceTicks: number; lots: number }[] = [];
    h.system.spawn('probe.md', counterMachine, {
      handle: (e) => {
        if (e.type === 'md.book') books.push(e.payload as (typeof books)[number]);
        if (e.type === 'md.trade') trades.push(e.payload as (typeof trades)[number]);
      },
    });
    h.system.subscribe('md.book.sim-a.BTC/USDT', 'probe.md');
    h.system.subscribe('md.trade.sim-a.>', 'probe.md');
    await waitFor(() => books.length >= 3 && trades.length >= 1, 20_000, () => `book updates (${books.length}) and a trade (${trades.length})`);
    for (const b of books) {
      assert.ok(b.bids.length > 0 && b.asks.length > 0);
      assert.ok(b.bids[0]![0] < b.asks[0]![0], 'uncrossed');
      for (let i = 1; i < b.bids.length; i++) assert.ok(b.bids[i]![0] < b.bids[i - 1]![0], 'bids best first');
      for (let i = 1; i < b.asks.length; i++) assert.ok(b.asks[i]![0] > b.asks[i - 1]![0], 'asks best first');
    }
    for (let i = 1; i < books.length; i++) assert.ok(books[i]!.nonce >= books[i - 1]!.nonce, 'update ids never go back');
    assert.ok(trades.every((t) => Number.isSafeInteger(t.priceTicks) && t.priceTicks > 0 && t.lots > 0));
  });

  it("keeps no ccxt stream history once updates are consumed (issue 16: ccxt's order, fill and trade caches were the daemon's growing retainers)", async () => {
    const ex = (h.venues.get('sim-a')!.adapter as unknown as { conn: { ex: { orders?: unknown[]; myTrades?: unknown[]; trades?: Record<string, unknown[]> } } }).conn.ex;
    const seen: number[] = [];
    h.system.spawn('probe.trades', counterMachine, { handle: (e) => void (e.type === 'md.trade' && seen.push(1)) });
    h.system.subscribe('md.trade.sim-a.BTC/USDT', 'probe.trades');
    await waitFor(() => seen.length >= 10, 30_000, () => `10 public trades (${seen.length})`);
    // the orders of the tests above were placed, filled and cancelled: all their updates consumed
    assert.equal(ex.orders, undefined, 'the order cache is dropped after each consumed batch');
    assert.equal(ex.myTrades, undefined, 'the fill cache is dropped after each consumed batch');
    // public trades keep coming: at most the ones not consumed yet, never the ${seen.length} seen
    assert.ok((ex.trades?.['BTC/USDT']?.length ?? 0) <= 3, `trade cache holds ${ex.trades?.['BTC/USDT']?.length}`);
  });

  it('after a supervised restart (a fault injected by the runtime) the streams run again: tickers keep arriving', async () => {
    let tickers = 0;
    h.system.spawn('probe.ticks', counterMachine, { handle: (e) => void (e.type === 'md.ticker' && tickers++) });
    h.system.subscribe('md.ticker.sim-a.>', 'probe.ticks');
    await waitFor(() => tickers > 0, 10_000, 'tickers before the crash');
    const restarts = h.system.stats('exchange.sim-a').restarts;
    h.system.injectFault('exchange.sim-a', new Error('crash'));
    await waitFor(() => h.system.stats('exchange.sim-a').restarts === restarts + 1, 5000, 'restarted');
    await waitFor(() => h.venues.get('sim-a')!.actor.state === 'running', 10_000, 'running again');
    const after = tickers;
    await waitFor(() => tickers > after + 2, 10_000, () => `tickers after the restart (${tickers - after})`);
  });

  it('denies with a stable code instead of throwing (unknown instrument → ORDER_INVALID)', async () => {
    const ack = await h.system.ask<{ accepted: boolean; reason: string }>('exchange.sim-a', { type: 'order.submit', payload: { intent: intent({ symbol: 'DOGE/USDT' }) } }, { timeoutMs: 5000 });
    assert.equal(ack.accepted, false);
    assert.equal(ack.reason, 'ORDER_INVALID');
  });
});

describe('venue actor adopts orders it finds at the venue that the journal lacks', function () {
  this.timeout(60_000);

  it('an order placed on the account behind the engine is journaled (strategy "adopted") and the ledger check passes', async () => {
    const h = await startHarness({ venue: { reconcileEveryMs: 200 } });
    try {
      await waitFor(() => h.venues.get('sim-a')!.actor.state === 'running', 10_000, 'venue running');
      const ex = restClient(h.sim.venues[0]!);
      await ex.loadMarkets();
      const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20000, { clientOrderId: 'manual-1' });
      await waitFor(() => h.venues.get('sim-a')!.actor.stats().adopted === 1, 10_000, 'adopted');
      const o = h.journal.orders.get('manual-1')!;
      assert.equal(o.intent.strategy, 'adopted');
      assert.equal(o.venueOrderId, placed.id);
      assert.equal(o.state, 'accepted');
      assert.deepEqual([o.intent.side, o.intent.type, o.intent.priceTicks, o.intent.qtyLots], ['buy', 'limit', 2_000_000, 100]);
      const report = checkLedger({ orders: h.journal.orders }, [{ venue: 'sim-a', ledger: h.sim.ledger('sim-a', userAccount('bot4-demo-key')), account: userAccount('bot4-demo-key') }], { instruments: h.instruments });
      assert.deepEqual(report.anomalies, []);
    } finally {
      await h.close();
    }
  });
});
