import assert from 'node:assert/strict';
import type { OrderUpdate } from '../../../actors/exchange/messages.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { startHarness, waitFor, type Harness } from '../../fixtures/exchange/harness.js';

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 'test', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_000_000, qtyLots: 100, ...over };
}

describe('venue actor against the simulator (real ccxt, real sockets)', function () {
  this.timeout(60_000);
  let h: Harness;
  const updates: OrderUpdate[] = [];

  before(async () => {
    h = await startHarness();
    h.system.spawn('probe.orders', (await import('../../unit/actors/runtime/helpers.js')).counterMachine, {
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

  it('denies with a stable code instead of throwing (unknown instrument → ORDER_INVALID)', async () => {
    const ack = await h.system.ask<{ accepted: boolean; reason: string }>('exchange.sim-a', { type: 'order.submit', payload: { intent: intent({ symbol: 'DOGE/USDT' }) } }, { timeoutMs: 5000 });
    assert.equal(ack.accepted, false);
    assert.equal(ack.reason, 'ORDER_INVALID');
  });
});
