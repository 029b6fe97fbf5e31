import assert from 'node:assert/strict';
import { OrderStore } from '../../../../actors/orders/order-store.js';
import { DuplicateOrderError, OrderNotFoundError, OutcomeUnknownError } from '../../../../actors/orders/errors.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { ConfigError } from '../../../../common/errors.js';
import { InvalidTransitionError } from '../../../../actors/orders/errors.js';
import { PackStrings, packOrder, unpackOrder } from '../../../../actors/orders/closed-pack.js';
import type { Order } from '../../../../actors/orders/order-state.js';

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
    assert.throws(() => new OrderStore({ hotClosed: 1.5 }), (e: unknown) => e instanceof ConfigError && /orderStore\.hotClosed/.test(e.message));
  });
});

/** Drives `n` orders of varied shape through `s`: fills with trade ids and fees, cancels, rejects, denials; every 7th stays open. */
function drive(s: OrderStore, n: number): void {
  for (let i = 0; i < n; i++) {
    const id = `p.${i}`;
    const it: OrderIntent = { strategy: `st${i % 3}`, venue: i % 2 === 0 ? 'v1' : 'v2', symbol: i % 5 === 0 ? 'Z/Y' : 'X/Y', side: i % 2 === 0 ? 'buy' : 'sell', type: 'limit', tif: 'GTC', priceTicks: 1000 + i, qtyLots: 10 };
    if (i % 4 === 1) it.reduceOnly = true;
    if (i % 4 === 2) it.reduceOnly = false;
    const t = 1_733_000_000_000_000_000 + i * 1_000_003;
    s.create(id, it, t, i % 3 === 0 ? `k${i}` : undefined);
    if (i % 11 === 3) {
      s.apply(id, { kind: 'deny', reason: `denied "quoted" ${i}` }, t + 1);
      continue;
    }
    s.apply(id, { kind: 'submit' }, t + 2);
    if (i % 13 === 4) {
      s.apply(id, { kind: 'reject', reason: 'insufficient balance' }, t + 3);
      continue;
    }
    s.apply(id, { kind: 'accept', venueOrderId: `V${i}` }, t + 5);
    if (i % 7 === 6) continue;
    if (i % 3 === 0) {
      s.apply(id, { kind: 'fill', lots: 4, priceTicks: 1000 + i, tradeId: `T${i}a`, feeAsset: 'BNB', feeAtoms: 123456789012345678901n + BigInt(i) }, t + 7);
      s.apply(id, { kind: 'fill', lots: 6, priceTicks: 999 + i, tradeId: `T${i}b`, feeAsset: 'USDT', feeAtoms: 5n }, t + 9);
    } else {
      s.apply(id, { kind: 'cancel-request' }, t + 7);
      s.apply(id, { kind: 'canceled', reason: i % 2 === 0 ? 'by strategy' : undefined }, t + 11);
    }
  }
}

describe('OrderStore: closed orders kept packed past hotClosed (issue 16)', () => {
  it('answers every lookup exactly as a store of objects does: get, venue id, attempts, states, duplicates, snapshots', () => {
    const ref = new OrderStore({ maxClosed: 70, hotClosed: 1000 });
    const s = new OrderStore({ maxClosed: 70, hotClosed: 5 });
    drive(ref, 120);
    drive(s, 120);
    assert.equal(ref.packedCount, 0);
    assert.equal(s.packedCount, 65, 'closed beyond the 5 newest are packed');
    assert.equal(s.size, ref.size);
    assert.equal(s.openCount, ref.openCount);
    for (let i = 0; i < 120; i++) {
      const id = `p.${i}`;
      assert.deepStrictEqual(s.get(id), ref.get(id), id);
      const v = ref.get(id)?.venueOrderId;
      if (v !== undefined) assert.deepStrictEqual(s.getByVenueOrderId(ref.get(id)!.intent.venue, v), ref.get(id), `venue id of ${id}`);
      if (i % 3 === 0) assert.deepStrictEqual(s.latestAttempt(`k${i}`), ref.latestAttempt(`k${i}`), `attempt k${i}`);
    }
    assert.equal(s.get('p.0'), undefined, 'evicted past maxClosed');
    assert.equal(s.getByVenueOrderId('v1', 'V0'), undefined);
    assert.deepStrictEqual([...s.countByState()].sort(), [...ref.countByState()].sort());
    assert.deepStrictEqual([...s.closedOrders()], [...ref.closedOrders()]);
    assert.deepStrictEqual(s.toJSON().closed, ref.toJSON().closed);
    assert.deepStrictEqual(new Set(s.toJSON().orders.map((o) => o.clientOrderId)), new Set(ref.toJSON().orders.map((o) => o.clientOrderId)));
    // snapshots: the capture renders exactly toJSON; a restore gives the same table and text
    const text = s.toJSONText();
    assert.equal(text, JSON.stringify(s.toJSON()));
    const r = new OrderStore({ maxClosed: 70, hotClosed: 5 });
    r.restore(JSON.parse(text));
    assert.equal(r.toJSONText(), text);
    assert.equal(r.packedCount, 65);
    for (let i = 50; i < 120; i++) assert.deepStrictEqual(r.get(`p.${i}`), ref.get(`p.${i}`));
    // a restore into a store of objects (and back) agrees too
    const o = new OrderStore({ maxClosed: 70, hotClosed: 1000 });
    o.restore(JSON.parse(text));
    for (let i = 50; i < 120; i++) assert.deepStrictEqual(o.get(`p.${i}`), ref.get(`p.${i}`));
  });

  it('refuses a duplicate client or venue order id of a packed order, and any event on it (nothing changes)', () => {
    const s = new OrderStore({ maxClosed: 70, hotClosed: 2 });
    drive(s, 40);
    const packedId = 'p.22'; // canceled, venue id V22 on v1
    assert.equal(s.get(packedId)?.state, 'canceled');
    const before = s.toJSONText();
    assert.throws(() => s.create(packedId, intent('v1', 'X/Y'), 0), (e: unknown) => e instanceof DuplicateOrderError && e.code === 'B4_ORDER_DUPLICATE');
    s.create('n.1', intent('v1', 'X/Y'), 0);
    s.apply('n.1', { kind: 'submit' }, 1);
    assert.throws(() => s.apply('n.1', { kind: 'accept', venueOrderId: 'V22' }, 2), DuplicateOrderError);
    assert.throws(() => s.apply(packedId, { kind: 'fill', lots: 1, priceTicks: 1 }, 3), InvalidTransitionError);
    assert.equal(s.get(packedId)?.history.length, 4);
    s.apply('n.1', { kind: 'reject', reason: 'x' }, 4);
    s.restore(JSON.parse(before));
    assert.equal(s.toJSONText(), before);
  });

  it('packs a closed order into a short record and back to an equal order', () => {
    const s = new OrderStore({ hotClosed: 1000 });
    drive(s, 10);
    const t = new PackStrings();
    for (const o of s.values()) {
      const record = packOrder(o, t);
      const back: Order = unpackOrder(o.clientOrderId, record, t);
      assert.deepStrictEqual(back, o);
      assert.equal(JSON.stringify(Object.keys(back.intent)), JSON.stringify(Object.keys(o.intent)), 'intent fields in the declared order');
      // the compact form: a filled order with two fills, fees and trade ids is < 200 bytes
      assert.ok(record.length < 200, `${record.length} bytes`);
    }
    // times that are not exact as differences (far apart magnitudes) come back exactly too
    const o = s.get('p.1')!;
    const odd: Order = { ...o, createdNs: 0.1, updatedNs: 1e300, history: [{ ...o.history[0]!, tNs: 2 ** 60 + 0.5 * 0 }, { ...o.history[1]!, tNs: 123.456 }] };
    assert.deepStrictEqual(unpackOrder(odd.clientOrderId, packOrder(odd, t), t), odd);
  });
});
