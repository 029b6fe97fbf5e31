import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base36x7 } from '../../../../simulators/venue/venue.js';

describe('simulator venue: generated client order ids', () => {
  it('base36x7 is toString(36) padded to 7 digits for every 32-bit unsigned value', () => {
    for (const x of [0, 1, 35, 36, 36 ** 6 - 1, 36 ** 6, 2 ** 31, 2 ** 32 - 1]) assert.equal(base36x7(x), x.toString(36).padStart(7, '0'), String(x));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (x) => {
        assert.equal(base36x7(x), x.toString(36).padStart(7, '0'));
      }),
      { numRuns: 20_000, seed: 13 },
    );
  });
});
