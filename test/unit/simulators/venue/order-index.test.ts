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

  it('drops a page once every order in it is deleted, and a later insert there is still found (in the overflow map)', () => {
    const idx = new OrderIndex();
    for (let id = 4096; id < 8192; id++) idx.set(id, order(id));
    idx.set(9000, order(9000));
    for (let id = 4096; id < 8192; id++) idx.delete(id);
    assert.equal((idx as unknown as { pages: Map<number, unknown> }).pages.size, 1, 'only the page of 9000 is left');
    assert.deepEqual([...idx.values()].map((o) => o.orderId), [9000]);
    idx.set(5000, order(5000));
    assert.deepEqual([...idx.values()].map((o) => o.orderId), [5000, 9000]);
  });

  it('behaves like a Map when ids ascend as the venue issues them and most are deleted soon (pages retired, survivors in the overflow map)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ gap: fc.integer({ min: 1, max: 600 }), keep: fc.integer({ min: 0, max: 99 }), del: fc.integer({ min: 0, max: 99 }) }), { maxLength: 300 }), (steps) => {
        const idx = new OrderIndex();
        const model = new Map<number, SimOrder>();
        const live: number[] = [];
        let id = 0;
        for (const s of steps) {
          // a burst of ids, each deleted at once but one in 100 (a long-lived order)
          for (let g = 0; g < s.gap; g++) {
            id++;
            const o = order(id);
            idx.set(id, o);
            if (g % 100 === s.keep) {
              model.set(id, o);
              live.push(id);
            } else idx.delete(id);
          }
          // and sometimes an older survivor goes
          if (live.length > 0 && s.del < 30) {
            const victim = live.splice(s.del % live.length, 1)[0]!;
            idx.delete(victim);
            model.delete(victim);
            assert.equal(idx.get(victim), undefined);
          }
        }
        assert.deepEqual([...idx.values()], [...model.keys()].sort((a, b) => a - b).map((k) => model.get(k)));
        for (const [k, o] of model) assert.equal(idx.get(k), o);
        assert.equal(idx.footprint().size, model.size);
      }),
      { numRuns: 100 },
    );
  });

  it('stays bounded by the orders kept over 1,000,000 set/delete cycles with a few long-lived orders spread over the ids', () => {
    const idx = new OrderIndex();
    const longLived: number[] = [];
    let maxPages = 0;
    for (let id = 1; id <= 1_000_000; id++) {
      idx.set(id, order(id));
      // one order in 50,000 stays (a house order resting far from the mid): 20 survivors, each on its own page
      if (id % 50_000 === 7) longLived.push(id);
      else idx.delete(id);
      if (id % 4096 === 0) maxPages = Math.max(maxPages, idx.footprint().pages);
    }
    const f = idx.footprint();
    assert.equal(f.size, longLived.length);
    // the newest page and one spare: each survivor would otherwise keep its 4096-slot page alive
    assert.ok(maxPages <= 2, `pages stayed at most 2 (max seen ${maxPages})`);
    assert.ok(f.pages <= 2, `pages ${f.pages}`);
    assert.ok(f.overflow <= longLived.length, `overflow ${f.overflow}`);
    for (const id of longLived) assert.equal(idx.get(id)?.orderId, id);
    assert.deepEqual([...idx.values()].map((o) => o.orderId), longLived);
    for (const id of longLived) idx.delete(id);
    assert.deepEqual(idx.footprint(), { size: 0, pages: 1, overflow: 0 }, 'everything gone: only the spare page is left');
  });

  it('keeps a page with many orders kept (retained client orders) and retires it once few are left', () => {
    const idx = new OrderIndex();
    for (let id = 0; id < 4096; id++) idx.set(id, order(id)); // page 0 full
    idx.set(4096, order(4096)); // page 1 is the newest now; page 0 keeps 4096 orders
    assert.equal(idx.footprint().pages, 2);
    for (let id = 0; id < 4096 - 256; id++) idx.delete(id);
    assert.deepEqual(idx.footprint(), { size: 257, pages: 2, overflow: 256 }, 'page 0 retired at 256 orders: its survivors in the overflow map, its slots the spare beside page 1');
    for (let id = 4096 - 256; id < 4096; id++) assert.equal(idx.get(id)?.orderId, id);
    idx.set(8192, order(8192)); // a new page reuses the spare, and page 1 (one order) is retired into the spare
    assert.deepEqual(idx.footprint(), { size: 258, pages: 2, overflow: 257 });
    assert.deepEqual([...idx.values()].map((o) => o.orderId), [...Array.from({ length: 256 }, (_, i) => 4096 - 256 + i), 4096, 8192]);
  });
});
