import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c } from '../../../../actors/journal/crc32c.js';

/** Bit-by-bit reference (no tables) to check the slicing-by-8 implementation against. */
function reference(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value and RFC 3720 vectors', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
  });

  it('equals a bitwise reference on random data, whole and in pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cut) => {
        const whole = crc32c(data);
        assert.equal(whole, reference(data));
        const k = data.length === 0 ? 0 : cut % data.length;
        assert.equal(crc32c(data, crc32c(data, 0, 0, k), k), whole);
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});
