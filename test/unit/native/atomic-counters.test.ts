import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AtomicCounters, nativeCountersAvailable } from '../../../native/atomic-counters.js';
import { CountersError, NativeUnavailableError } from '../../../native/errors.js';
import { InvalidArgumentError } from '../../../common/errors.js';

const impls = (['ts', 'native'] as const).filter((i) => i === 'ts' || nativeCountersAvailable());

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

describe('AtomicCounters', () => {
  for (const implementation of impls) {
    describe(`${implementation} implementation`, () => {
      it('create: zeroed slots, one 64-byte cache line each, in a SharedArrayBuffer', () => {
        const c = AtomicCounters.create(5, { implementation });
        assert.equal(c.implementation, implementation);
        assert.equal(c.slots, 5);
        assert.ok(c.buffer instanceof SharedArrayBuffer);
        assert.equal(c.buffer.byteLength, 5 * 64);
        assert.equal(c.byteOffset, 0);
        for (let s = 0; s < 5; s++) assert.equal(c.load(s), 0);
        c.store(3, 42);
        // slot 3 is the int64 at byte 192: nothing else in the buffer changed
        const raw = new BigInt64Array(c.buffer);
        raw.forEach((v, i) => assert.equal(v, i === 24 ? 42n : 0n, `int64 #${i}`));
      });

      it('add returns the previous value; load sees the sum; negatives work', () => {
        const c = AtomicCounters.create(2, { implementation });
        assert.equal(c.add(1, 5), 0);
        assert.equal(c.add(1, -7), 5);
        assert.equal(c.load(1), -2);
        assert.equal(c.load(0), 0);
        c.store(0, Number.MAX_SAFE_INTEGER - 1);
        assert.equal(c.add(0, 1), Number.MAX_SAFE_INTEGER - 1);
        assert.equal(c.load(0), Number.MAX_SAFE_INTEGER);
        c.store(0, Number.MIN_SAFE_INTEGER);
        assert.equal(c.load(0), Number.MIN_SAFE_INTEGER);
      });

      it('loadBigInt reads values beyond the safe range exactly', () => {
        const c = AtomicCounters.create(1, { implementation });
        c.store(0, Number.MAX_SAFE_INTEGER);
        c.add(0, Number.MAX_SAFE_INTEGER);
        assert.equal(c.loadBigInt(0), 2n * BigInt(Number.MAX_SAFE_INTEGER));
        assert.equal(c.load(0), 2 * Number.MAX_SAFE_INTEGER); // nearest double
      });

      it('compareExchange swaps only when the expected value is there and returns the previous value', () => {
        const c = AtomicCounters.create(1, { implementation });
        c.store(0, 10);
        assert.equal(c.compareExchange(0, 9, 20), 10);
        assert.equal(c.load(0), 10);
        assert.equal(c.compareExchange(0, 10, 20), 10);
        assert.equal(c.load(0), 20);
        assert.equal(c.compareExchange(0, 20, -3), 20);
        assert.equal(c.load(0), -3);
      });

      it('rejects bad slots with B4_COUNTERS_SLOT_RANGE', () => {
        const c = AtomicCounters.create(3, { implementation });
        for (const s of [-1, 3, 1.5, NaN, 2 ** 32, '1' as unknown as number]) {
          for (const call of [() => c.add(s, 1), () => c.load(s), () => c.store(s, 1), () => c.compareExchange(s, 0, 1), () => c.loadBigInt(s)]) {
            assert.throws(call, (e: unknown) => e instanceof CountersError && e.code === 'B4_COUNTERS_SLOT_RANGE' && /0\.\.2/.test(e.message));
          }
        }
      });

      it('rejects unsafe integers with B4_COUNTERS_UNSAFE_INTEGER, naming the argument', () => {
        const c = AtomicCounters.create(1, { implementation });
        for (const v of [2 ** 53, -(2 ** 53), 0.5, NaN, Infinity, '1' as unknown as number]) {
          assert.throws(() => c.add(0, v), (e: unknown) => e instanceof CountersError && e.code === 'B4_COUNTERS_UNSAFE_INTEGER' && /delta/.test(e.message));
          assert.throws(() => c.store(0, v), (e: unknown) => code(e) === 'B4_COUNTERS_UNSAFE_INTEGER' && /value/.test((e as Error).message));
          assert.throws(() => c.compareExchange(0, v, 1), (e: unknown) => code(e) === 'B4_COUNTERS_UNSAFE_INTEGER' && /expected/.test((e as Error).message));
          assert.throws(() => c.compareExchange(0, 0, v), (e: unknown) => code(e) === 'B4_COUNTERS_UNSAFE_INTEGER' && /replacement/.test((e as Error).message));
        }
        assert.equal(c.load(0), 0);
      });

      it('close() makes every later call fail with B4_COUNTERS_BUFFER_INVALID', () => {
        const c = AtomicCounters.create(2, { implementation });
        c.add(0, 1);
        c.close();
        c.close();
        assert.ok(c.isClosed);
        assert.throws(() => c.load(0), (e: unknown) => code(e) === 'B4_COUNTERS_BUFFER_INVALID' && /closed/.test((e as Error).message));
        assert.throws(() => c.add(1, 1), (e: unknown) => code(e) === 'B4_COUNTERS_BUFFER_INVALID');
        // the memory itself is intact for other users of the buffer
        assert.equal(AtomicCounters.fromBuffer(c.buffer as SharedArrayBuffer, { implementation }).load(0), 1);
      });
    });
  }

  it('native and TS twin operate on the same memory at the same time', function () {
    if (!nativeCountersAvailable()) this.skip();
    const n = AtomicCounters.create(4, { implementation: 'native' });
    const t = AtomicCounters.fromBuffer(n.buffer as SharedArrayBuffer, { implementation: 'ts' });
    assert.equal(t.slots, 4);
    let expected = 0;
    for (let i = 0; i < 1000; i++) {
      const d = (i % 7) - 3;
      const prev = i % 2 === 0 ? n.add(2, d) : t.add(2, d);
      assert.equal(prev, expected);
      expected += d;
    }
    assert.equal(n.load(2), expected);
    assert.equal(t.load(2), expected);
    t.store(1, -123456789012);
    assert.equal(n.load(1), -123456789012);
    assert.equal(n.compareExchange(1, -123456789012, 7), -123456789012);
    assert.equal(t.compareExchange(1, 7, 8), 7);
    assert.equal(n.load(1), 8);
    assert.equal(n.loadBigInt(1), 8n);
  });

  it('validates create/fromBuffer arguments', () => {
    for (const s of [0, -1, 1.5, NaN, AtomicCounters.MAX_SLOTS + 1]) {
      assert.throws(() => AtomicCounters.create(s), (e: unknown) => code(e) === 'B4_COUNTERS_SLOT_RANGE' && /create\(slots\)/.test((e as Error).message));
    }
    for (const b of [new ArrayBuffer(64), new SharedArrayBuffer(0), new SharedArrayBuffer(100), {} as SharedArrayBuffer]) {
      assert.throws(() => AtomicCounters.fromBuffer(b as SharedArrayBuffer), (e: unknown) => e instanceof CountersError && e.code === 'B4_COUNTERS_BUFFER_INVALID');
    }
    assert.throws(() => AtomicCounters.create(1, { implementation: 'fast' as 'ts' }), InvalidArgumentError);
  });

  describe('openShared', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'b4-counters-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('the TS twin says it cannot share across processes', () => {
      assert.throws(
        () => AtomicCounters.openShared(path.join(dir, 'ts'), 4, { implementation: 'ts' }),
        (e: unknown) => e instanceof NativeUnavailableError && e.code === 'B4_NATIVE_UNAVAILABLE' && /across processes/.test(e.message),
      );
    });

    it('maps a file with a header; a second mapping sees the same counters', function () {
      if (!nativeCountersAvailable()) this.skip();
      const file = path.join(dir, 'a.counters');
      const a = AtomicCounters.openShared(file, 3);
      const b = AtomicCounters.openShared(file, 3);
      assert.equal(a.byteOffset, 64);
      assert.equal(a.buffer.byteLength, 64 + 3 * 64);
      a.add(2, 5);
      assert.equal(b.add(2, 1), 5);
      assert.equal(a.load(2), 6);
      // the TS twin works on the mapped memory too (JS Atomics on the external buffer)
      const view = new BigInt64Array(a.buffer, a.byteOffset);
      assert.equal(Atomics.load(view, 16), 6n);
      a.close();
      assert.throws(() => a.load(0), (e: unknown) => code(e) === 'B4_COUNTERS_BUFFER_INVALID');
      assert.equal(b.load(2), 6);
      b.close();
    });

    it('a mismatched slot count is a typed error naming both counts', function () {
      if (!nativeCountersAvailable()) this.skip();
      const file = path.join(dir, 'b.counters');
      AtomicCounters.openShared(file, 4).close();
      assert.throws(
        () => AtomicCounters.openShared(file, 5),
        (e: unknown) =>
          e instanceof CountersError && e.code === 'B4_COUNTERS_SHARED_OPEN' && e.details?.reason === 'slots' && e.details.fileSlots === 4 && /4 slots in the file, 5 requested/.test(e.message),
      );
    });

    it('refuses a file that is not a counters file, and a path it cannot open', function () {
      if (!nativeCountersAvailable()) this.skip();
      const file = path.join(dir, 'not-counters');
      writeFileSync(file, 'x'.repeat(512));
      assert.throws(() => AtomicCounters.openShared(file, 4), (e: unknown) => code(e) === 'B4_COUNTERS_SHARED_OPEN' && (e as CountersError).details?.reason === 'magic');
      writeFileSync(file, 'short');
      assert.throws(() => AtomicCounters.openShared(file, 4), (e: unknown) => code(e) === 'B4_COUNTERS_SHARED_OPEN' && (e as CountersError).details?.reason === 'magic');
      assert.throws(() => AtomicCounters.openShared(path.join(dir, 'missing-dir', 'x'), 4), (e: unknown) => code(e) === 'B4_COUNTERS_SHARED_OPEN' && (e as CountersError).details?.reason === 'open');
      assert.throws(() => AtomicCounters.openShared('', 4), InvalidArgumentError);
      assert.throws(() => AtomicCounters.openShared(path.join(dir, 'c'), 0), (e: unknown) => code(e) === 'B4_COUNTERS_SLOT_RANGE');
    });
  });
});
