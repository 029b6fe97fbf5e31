import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SimOrder } from '../../../../simulators/venue/order.js';
import { OrderIndex } from '../../../../simulators/venue/order-index.js';

const order = (orderId: number): SimOrder => ({ orderId }) as SimOrder;

describe('OrderIndex (orders by id in pages)', () => {
  it('behaves like a Map<number, SimOrder> and iterates in ascending id order, across pages and after deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ del: fc.boolean(), id: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 4000, max: 13_000 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 2 ** 32 - 5000, max: 2 ** 32 + 5000 }), fc.constant(Number.MAX_SAFE_INTEGER)) }), { maxLength: 400 }), (steps) => {
        const idx = new OrderIndex();
        const model = new Map<number, SimOrder>();
        for (const s of steps) {
          if (s.del) {
            idx.delete(s.id);
            model.delete(s.id);
          } else {
            const o = order(s.id);
            idx.set(s.id, o);
            model.set(s.id, o);
          }
          assert.equal(idx.get(s.id), model.get(s.id));
        }
        assert.deepEqual([...idx.values()], [...model.keys()].sort((a, b) => a - b).map((k) => model.get(k)));
        for (const k of model.keys()) assert.equal(idx.get(k), model.get(k));
      }),
      { numRuns: 200 },
    );
  });

  it('drops a page once every order in it is deleted, and a later insert there starts it again', () => {
    const idx = new OrderIndex();
    for (let id = 4096; id < 8192; id++) idx.set(id, order(id));
    idx.set(9000, order(9000));
    for (let id = 4096; id < 8192; id++) idx.delete(id);
    assert.equal((idx as unknown as { pages: Map<number, unknown> }).pages.size, 1, 'only the page of 9000 is left');
    assert.deepEqual([...idx.values()].map((o) => o.orderId), [9000]);
    idx.set(5000, order(5000));
    assert.deepEqual([...idx.values()].map((o) => o.orderId), [5000, 9000]);
  });
});
