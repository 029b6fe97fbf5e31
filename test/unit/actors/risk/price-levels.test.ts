import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PriceLevels } from '../../../../actors/risk/price-levels.js';
import { RiskStateError } from '../../../../actors/risk/errors.js';

/** The obvious model: a sorted array of every held price (with repeats). */
class Model {
  readonly held: number[] = [];
  add(p: number): void {
    this.held.push(p);
    this.held.sort((a, b) => a - b);
  }
  remove(p: number): boolean {
    const i = this.held.indexOf(p);
    if (i < 0) return false;
    this.held.splice(i, 1);
    return true;
  }
}

describe('risk/price-levels', () => {
  it('agrees with a sorted-array model on random adds and removes (min, max, distinct count, refusals)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 })), { maxLength: 400 }), fc.integer({ min: 1, max: 16 }), (ops, cap) => {
        const l = new PriceLevels(cap);
        const m = new Model();
        for (const [isAdd, p] of ops) {
          if (isAdd) {
            l.add(p);
            m.add(p);
          } else if (m.remove(p)) l.remove(p);
          else assert.throws(() => l.remove(p), RiskStateError);
          assert.equal(l.min(), m.held.length === 0 ? Infinity : m.held[0]);
          assert.equal(l.max(), m.held.length === 0 ? -Infinity : m.held.at(-1));
          assert.equal(l.size, new Set(m.held).size);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('orders placed at rising prices and closed oldest first: min and max stay right through 100k of them', () => {
    const l = new PriceLevels();
    for (let p = 1; p <= 5_000; p++) l.add(p);
    for (let p = 5_001; p <= 100_000; p++) {
      l.add(p);
      l.remove(p - 5_000);
      if (p % 9_973 === 0) assert.deepEqual([l.min(), l.max(), l.size], [p - 4_999, p, 5_000]);
    }
    for (let p = 95_001; p <= 100_000; p++) l.remove(p);
    assert.deepEqual([l.min(), l.max(), l.size], [Infinity, -Infinity, 0]);
  });
});
