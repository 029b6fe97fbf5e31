import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clientIdHash, OpenIndex } from '../../../../simulators/venue/open-index.js';
import type { SimOrder } from '../../../../simulators/venue/order.js';

const order = (orderId: number, clientOrderId: string): SimOrder => ({ orderId, clientOrderId }) as SimOrder;

/** Two different ids with the same {@link clientIdHash} (birthday search over 30 bits: ~2^15 tries). */
function collidingIds(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; i < 1_000_000; i++) {
    const s = `x${i}`;
    const h = clientIdHash(s);
    const other = seen.get(h);
    if (other !== undefined) return [other, s];
    seen.set(h, s);
  }
  throw new Error('no collision found');
}

describe('simulator venue: OpenIndex (resting orders by client order id)', () => {
  it('answers like a Map over random add / remove / get, through growth and tombstone rebuilds', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'remove', 'get'), fc.integer({ min: 0, max: 200 })), { maxLength: 2000 }), (steps) => {
        const idx = new OpenIndex();
        const model = new Map<string, SimOrder>();
        let n = 0;
        for (const [what, k] of steps) {
          const cid = `id-${k}`;
          if (what === 'add') {
            if (model.has(cid)) continue; // the engine refuses a duplicate before adding
            const o = order(++n, cid);
            idx.add(o);
            model.set(cid, o);
          } else if (what === 'remove') {
            const o = model.get(cid) ?? order(-1, cid);
            idx.remove(o);
            model.delete(cid);
          }
          assert.equal(idx.get(cid), model.get(cid));
          assert.equal(idx.size, model.size);
        }
        assert.deepEqual(new Set(idx.values()), new Set(model.values()));
      }),
      { numRuns: 100, seed: 13 },
    );
  });

  it('keeps two different ids with the same hash apart, and finds each after the other is removed', () => {
    const [a, b] = collidingIds();
    assert.notEqual(a, b);
    assert.equal(clientIdHash(a), clientIdHash(b));
    const idx = new OpenIndex();
    const oa = order(1, a);
    const ob = order(2, b);
    idx.add(oa);
    assert.equal(idx.get(b), undefined, 'same hash, different id: not a duplicate');
    idx.add(ob);
    assert.equal(idx.get(a), oa);
    assert.equal(idx.get(b), ob);
    idx.remove(oa);
    assert.equal(idx.get(a), undefined);
    assert.equal(idx.get(b), ob, 'found past the tombstone');
    idx.remove(order(3, b)); // another order object with the same id is not the resting one
    assert.equal(idx.get(b), ob);
    idx.remove(ob);
    assert.equal(idx.size, 0);
  });

  it('shrinks back after a burst: its table follows the orders resting now (1,000,000 add/remove cycles with a few long-lived orders)', () => {
    const idx = new OpenIndex();
    const keep = [order(1, 'keep-1'), order(2, 'keep-2'), order(3, 'keep-3')];
    for (const o of keep) idx.add(o);
    // a burst: a ladder of 20,000 resting orders, then all of it cancelled
    const ladder: SimOrder[] = [];
    for (let i = 0; i < 20_000; i++) {
      const o = order(10 + i, `ladder-${i}`);
      ladder.push(o);
      idx.add(o);
    }
    assert.ok(idx.capacity >= 20_003 * 4 / 3, `grew for the ladder (${idx.capacity})`);
    for (const o of ladder) idx.remove(o);
    assert.equal(idx.size, 3);
    assert.ok(idx.capacity <= 64, `shrank after the ladder went (${idx.capacity} slots for 3 orders)`);
    let maxCap = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const o = order(100_000 + i, `c-${i}`);
      idx.add(o);
      idx.remove(o);
      if (i % 1024 === 0) maxCap = Math.max(maxCap, idx.capacity);
    }
    assert.ok(maxCap <= 64, `table stayed at most 64 slots through 1,000,000 cycles (max ${maxCap})`);
    for (const o of keep) assert.equal(idx.get(o.clientOrderId), o);
    assert.deepEqual(new Set(idx.values()), new Set(keep));
  });
});
