import assert from 'node:assert/strict';
import { OrderStore } from '../../../../actors/orders/order-store.js';
import { DuplicateOrderError, OrderNotFoundError, OutcomeUnknownError } from '../../../../actors/orders/errors.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { ConfigError } from '../../../../common/errors.js';

const intent = (venue: string, symbol: string): OrderIntent => ({ strategy: 's', venue, symbol, side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 10, qtyLots: 5 });

describe('OrderStore', () => {
  it('indexes by client id, venue id and open orders per venue/symbol', () => {
    const s = new OrderStore();
    s.create('a.1', intent('v1', 'X/Y'), 0);
    s.create('a.2', intent('v1', 'Z/Y'), 0);
    s.create('a.3', intent('v2', 'X/Y'), 0);
    for (const id of ['a.1', 'a.2', 'a.3']) s.apply(id, { kind: 'submit' }, 1);
    s.apply('a.1', { kind: 'accept', venueOrderId: '77' }, 2);
    assert.equal(s.getByVenueOrderId('v1', '77')?.clientOrderId, 'a.1');
    assert.equal(s.getByVenueOrderId('v2', '77'), undefined);
    assert.deepEqual([...s.openOrders('v1')].map((o) => o.clientOrderId), ['a.1', 'a.2']);
    assert.deepEqual([...s.openOrders(undefined, 'X/Y')].map((o) => o.clientOrderId), ['a.1', 'a.3']);
    assert.equal(s.openCountFor('v1', 'X/Y'), 1);
    s.apply('a.1', { kind: 'fill', lots: 5, priceTicks: 10 }, 3);
    assert.equal(s.openCountFor('v1', 'X/Y'), 0);
    assert.equal(s.openCount, 2);
    assert.equal(s.get('a.1')?.state, 'filled');
    assert.throws(() => s.create('a.1', intent('v1', 'X/Y'), 0), (e: unknown) => e instanceof DuplicateOrderError && e.code === 'B4_ORDER_DUPLICATE');
    assert.throws(() => s.apply('a.2', { kind: 'accept', venueOrderId: '77' }, 4), DuplicateOrderError);
    assert.throws(() => s.require('nope'), (e: unknown) => e instanceof OrderNotFoundError && e.code === 'B4_ORDER_NOT_FOUND');
  });

  it('never allows a re-send while the first attempt is in flight or unknown', () => {
    const s = new OrderStore();
    assert.equal(s.canResubmit('k'), true);
    s.create('a.1', intent('v', 'X/Y'), 0, 'k');
    assert.equal(s.canResubmit('k'), false, 'initialized');
    s.apply('a.1', { kind: 'submit' }, 1);
    assert.equal(s.canResubmit('k'), false, 'submitted');
    s.apply('a.1', { kind: 'unknown', reason: 'timeout' }, 2);
    assert.equal(s.canResubmit('k'), false, 'unknown');
    assert.throws(() => s.assertCanResubmit('k'), (e: unknown) => e instanceof OutcomeUnknownError && e.code === 'B4_ORDER_OUTCOME_UNKNOWN');
    s.apply('a.1', { kind: 'reconcile', to: 'rejected', filledLots: 0, cumTickLots: 0n }, 3);
    assert.equal(s.canResubmit('k'), true);
    s.assertCanResubmit('k');
    s.create('a.2', intent('v', 'X/Y'), 4, 'k');
    assert.equal(s.latestAttempt('k')?.clientOrderId, 'a.2');
  });

  it('evicts closed orders beyond maxClosed in closing order and round-trips through toJSON', () => {
    const s = new OrderStore({ maxClosed: 2 });
    for (let i = 1; i <= 4; i++) {
      s.create(`a.${i}`, intent('v', 'X/Y'), i, `k${i}`);
      s.apply(`a.${i}`, { kind: 'submit' }, i);
    }
    s.apply('a.3', { kind: 'reject', reason: 'r' }, 10);
    s.apply('a.1', { kind: 'accept', venueOrderId: 'v1' }, 11);
    s.apply('a.1', { kind: 'expire' }, 12);
    s.apply('a.2', { kind: 'reject', reason: 'r' }, 13);
    assert.equal(s.get('a.3'), undefined, 'first closed, first evicted');
    assert.deepEqual([...s.closedOrders()].map((o) => o.clientOrderId), ['a.1', 'a.2']);
    const copy = new OrderStore({ maxClosed: 2 });
    copy.restore(JSON.parse(JSON.stringify(s.toJSON())));
    assert.deepEqual(JSON.stringify(copy.toJSON()), JSON.stringify(s.toJSON()));
    assert.equal(copy.getByVenueOrderId('v', 'v1')?.clientOrderId, 'a.1');
    s.apply('a.4', { kind: 'reject', reason: 'r' }, 14);
    copy.apply('a.4', { kind: 'reject', reason: 'r' }, 14);
    assert.deepEqual(JSON.stringify(copy.toJSON()), JSON.stringify(s.toJSON()));
    assert.equal(s.getByVenueOrderId('v', 'v1'), undefined);
  });

  it('keeps exactly the newest maxClosed closed orders, in closing order, over many evictions', () => {
    const s = new OrderStore({ maxClosed: 100 });
    for (let i = 0; i < 10_000; i++) {
      s.create(`b.${i}`, intent('v', 'X/Y'), i);
      s.apply(`b.${i}`, { kind: 'submit' }, i);
      s.apply(`b.${i}`, { kind: 'reject', reason: 'r' }, i);
    }
    const kept = [...s.closedOrders()].map((o) => o.clientOrderId);
    assert.deepEqual(kept, Array.from({ length: 100 }, (_, k) => `b.${9_900 + k}`));
    assert.equal(s.size, 100);
    assert.equal(s.get('b.9899'), undefined);
  });

  it('validates options', () => {
    assert.throws(() => new OrderStore({ maxClosed: -1 }), (e: unknown) => e instanceof ConfigError && /orderStore\.maxClosed/.test(e.message));
  });
});
