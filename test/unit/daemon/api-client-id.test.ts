import assert from 'node:assert/strict';
import { API_INTENT_PREFIX, apiClientOrderId } from '../../../daemon/engine-api.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { OrderStore } from '../../../actors/orders/order-store.js';

/*
 * The retention docs/daemon.md promises for API client order ids: the id lives in the order's own
 * intent key, so it is known exactly as long as the order table holds the order: every open order,
 * and the most recent `maxClosed` closed ones, the same after a snapshot restore.
 */

const intent: OrderIntent = { strategy: 'api', venue: 'v', symbol: 'X/Y', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 10, qtyLots: 5 };

describe('API client order ids (retention)', () => {
  // hotClosed 0: every closed order is held packed (issue 16), the default keeps these as objects
  for (const hotClosed of [256, 0]) it(`open orders always, the last maxClosed closed ones, and the same after a snapshot restore (hotClosed ${hotClosed})`, () => {
    const s = new OrderStore({ maxClosed: 2, hotClosed });
    s.create('api.1', intent, 0, `${API_INTENT_PREFIX}open-one`);
    s.apply('api.1', { kind: 'submit' }, 0);
    for (let i = 2; i <= 5; i++) {
      s.create(`api.${i}`, intent, 0, `${API_INTENT_PREFIX}closed-${i}`);
      s.apply(`api.${i}`, { kind: 'submit' }, 0);
      s.apply(`api.${i}`, { kind: 'reject', reason: 'x' }, 0);
    }
    s.create('mm.6', intent, 0, 'bid.0.r.1');
    const known = (st: OrderStore): string[] => ['open-one', 'closed-2', 'closed-3', 'closed-4', 'closed-5'].filter((c) => st.latestAttempt(API_INTENT_PREFIX + c) !== undefined);
    assert.deepEqual(known(s), ['open-one', 'closed-4', 'closed-5']);
    assert.equal(apiClientOrderId(s.get('api.1')!), 'open-one');
    assert.equal(apiClientOrderId(s.get('mm.6')!), undefined, 'a strategy order has no API client id');
    assert.equal(s.packedCount, hotClosed === 0 ? 2 : 0);
    assert.equal(apiClientOrderId(s.get('api.5')!), 'closed-5');
    const restored = new OrderStore({ maxClosed: 2, hotClosed });
    restored.restore(JSON.parse(JSON.stringify(s.toJSON())));
    assert.deepEqual(known(restored), known(s));
    assert.equal(restored.latestAttempt(`${API_INTENT_PREFIX}closed-5`)?.clientOrderId, 'api.5');
    // a used id of a closed (packed) order is still a duplicate
    assert.throws(() => restored.create('api.5', intent, 0), /B4_ORDER_DUPLICATE|already/);
  });
});
