import assert from 'node:assert/strict';
import { PlacedOrders } from '../../../../actors/exchange/placed-orders.js';
import { OrderStore } from '../../../../actors/orders/order-store.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';

const intent: OrderIntent = { strategy: 's', venue: 'v', symbol: 'X/Y', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 10, qtyLots: 1 };

describe('PlacedOrders: the venue actor placedHere window (issue 16)', () => {
  it('keeps every open or in-flight id whatever its age, and only the newest `limit` closed ones', () => {
    const store = new OrderStore({ maxClosed: 100 });
    const inflight = new Set<string>();
    const placed = new PlacedOrders(64, (id) => inflight.has(id) || store.isOpen(id));
    // an order that stays open, and one whose request stays in flight (not in the table yet)
    store.create('open.1', intent, 0);
    store.apply('open.1', { kind: 'submit' }, 1);
    placed.add('open.1');
    inflight.add('flight.1');
    placed.add('flight.1');
    for (let i = 0; i < 20_000; i++) {
      const id = `c.${i}`;
      inflight.add(id);
      placed.add(id);
      store.create(id, intent, i);
      inflight.delete(id);
      store.apply(id, { kind: 'submit' }, i);
      store.apply(id, { kind: 'reject', reason: 'r' }, i);
      assert.ok(placed.size <= 66, `${placed.size} ids held after ${i + 1}`);
    }
    assert.equal(placed.has('open.1'), true, 'an open order placed here stays known however many followed it');
    assert.equal(placed.has('flight.1'), true, 'so does one whose request is in flight');
    assert.equal(placed.has('c.19999'), true);
    assert.equal(placed.has('c.0'), false, 'old closed ones are forgotten');
    // once closed, the open one leaves with the next evictions
    store.apply('open.1', { kind: 'reject', reason: 'r' }, 2);
    inflight.delete('flight.1');
    for (let i = 0; i < 200; i++) placed.add(`d.${i}`);
    assert.equal(placed.has('open.1'), false);
    assert.equal(placed.has('flight.1'), false);
    assert.equal(placed.size, 64);
  });

  it('holds more than `limit` while more are still needed, and never evicts the id just added', () => {
    const placed = new PlacedOrders(4, () => true);
    for (let i = 0; i < 50; i++) placed.add(`o.${i}`);
    assert.equal(placed.size, 50);
    for (let i = 0; i < 50; i++) assert.equal(placed.has(`o.${i}`), true);
    placed.add('o.0');
    assert.equal(placed.size, 50, 'adding a known id changes nothing');
  });

  it('with more open than `limit`, a trim pass (which visits every id held) runs only each time the set has doubled: O(1) per id', () => {
    const open = new Set<string>();
    let visits = 0;
    const placed = new PlacedOrders(16, (id) => {
      visits++;
      return open.has(id);
    });
    for (let i = 0; i < 10_000; i++) {
      open.add(`r.${i}`);
      placed.add(`r.${i}`);
    }
    assert.equal(placed.size, 10_000, 'every open id kept');
    assert.ok(visits < 4 * 10_000, `${visits} stillNeeded calls for 10,000 ids (a pass per id would be ~50,000,000)`);
    // once they close, the next trim brings it back to the window
    open.clear();
    const before = placed.size;
    for (let i = 0; i < before + 1; i++) placed.add(`n.${i}`);
    assert.equal(placed.size, 16);
  });

  it('refuses a limit below 1, naming the field', () => {
    assert.throws(() => new PlacedOrders(0, () => false), /PlacedOrders\.limit: expected an integer ≥ 1, got 0/);
  });
});
