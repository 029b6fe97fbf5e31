import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  CLIENT_ORDER_ID_PATTERN,
  EPOCH_BASE_MS,
  STRATEGY_PREFIX_SAFE_MAX,
  chooseEpoch,
  formatClientOrderId,
  parseClientOrderId,
  validateStrategyPrefix,
} from '../../../../actors/orders/client-order-id.js';
import { ClientOrderIdError } from '../../../../actors/orders/errors.js';
import { OrderJournal } from '../../../../actors/journal/order-journal.js';
import { SimulatedClock } from '../../../../common/clock.js';
import type { Instrument } from '../../../../actors/orders/instrument.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';

const instruments: Instrument[] = [
  { venue: 'sim', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQtyLots: 1, maxQtyLots: 1e9, minNotional: '5' },
];
const intent: OrderIntent = { strategy: 'mm', venue: 'sim', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 1 };
const prefixChars = 'ABCXYZabcxyz0189:/_-'.split('');

describe('client order ids', () => {
  it('formats <prefix>.<epoch>.<sequence> (base 36) and parses it back; old <prefix>.<sequence> ids still parse', () => {
    assert.equal(formatClientOrderId('mm-btc', 100, '1a2b3c4d'), 'mm-btc.1a2b3c4d.2s');
    assert.deepEqual(parseClientOrderId('mm-btc.1a2b3c4d.2s'), { prefix: 'mm-btc', epoch: '1a2b3c4d', sequence: 100 });
    assert.equal(parseClientOrderId('mm.01.2'), undefined, 'leading zero in the epoch');
    assert.equal(parseClientOrderId('mm.a.b.c'), undefined, 'too many parts');
    assert.throws(() => formatClientOrderId('mm', 1, 'A'), (e: unknown) => e instanceof ClientOrderIdError);
    assert.throws(() => formatClientOrderId('mm', 1, ''), (e: unknown) => e instanceof ClientOrderIdError);
    // legacy format (journals written before epochs existed):
    assert.equal(formatClientOrderId('mm-btc', 100), 'mm-btc.2s');
    assert.equal(formatClientOrderId('a', 0), 'a.0');
    assert.deepEqual(parseClientOrderId('mm-btc.2s'), { prefix: 'mm-btc', sequence: 100 });
    assert.equal(parseClientOrderId('x-abc'), undefined);
    assert.equal(parseClientOrderId('a.01'), undefined);
    assert.equal(parseClientOrderId('a.b.c!'), undefined);
  });

  it('chooses an epoch above every epoch seen and from the wall clock (a restored journal still gets a fresh one)', () => {
    const now = EPOCH_BASE_MS + 123_456_789;
    assert.equal(chooseEpoch(now), (123_456_789).toString(36));
    assert.equal(chooseEpoch(now, (123_456_789).toString(36)), (123_456_790).toString(36), 'same millisecond: one above the last');
    assert.equal(chooseEpoch(now, 'zz'), (123_456_789).toString(36), 'an old journal epoch: the clock decides');
    assert.equal(chooseEpoch(0), '0', 'a clock before the base (simulated clocks) gives 0');
    assert.equal(chooseEpoch(0, '0'), '1');
    // The epoch of the year 2114 is still 8 digits, so a prefix of STRATEGY_PREFIX_SAFE_MAX fits a 5-digit sequence.
    const e2114 = chooseEpoch(Date.UTC(2114, 0, 1));
    assert.equal(e2114.length, 8);
    assert.equal(formatClientOrderId('p'.repeat(STRATEGY_PREFIX_SAFE_MAX), 36 ** 5 - 1, e2114).length, 36);
    assert.throws(() => formatClientOrderId('p'.repeat(STRATEGY_PREFIX_SAFE_MAX + 1), 36 ** 5 - 1, e2114), (e: unknown) => e instanceof ClientOrderIdError && /at most 21/.test(e.message));
  });

  it('with an epoch: always valid for Binance and round-trips (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...prefixChars), { minLength: 1, maxLength: STRATEGY_PREFIX_SAFE_MAX }), fc.nat({ max: 36 ** 5 - 1 }), fc.nat({ max: 36 ** 8 - 1 }), (chars, seq, ep) => {
        const prefix = chars.join('');
        const epoch = ep.toString(36);
        const id = formatClientOrderId(prefix, seq, epoch);
        assert.match(id, CLIENT_ORDER_ID_PATTERN);
        assert.deepEqual(parseClientOrderId(id), { prefix, epoch, sequence: seq });
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('is always valid for Binance and round-trips (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...prefixChars), { minLength: 1, maxLength: 24 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (chars, seq) => {
        const prefix = chars.join('');
        const id = formatClientOrderId(prefix, seq);
        assert.match(id, CLIENT_ORDER_ID_PATTERN);
        assert.ok(id.length <= 36);
        assert.deepEqual(parseClientOrderId(id), { prefix, sequence: seq });
        assert.equal(formatClientOrderId(prefix, seq), id, 'deterministic');
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('rejects bad prefixes and ids that would not fit (B4_ORDER_CLIENT_ID_INVALID)', () => {
    const isErr = (e: unknown): boolean => e instanceof ClientOrderIdError && e.code === 'B4_ORDER_CLIENT_ID_INVALID';
    for (const p of ['', 'a.b', 'has space', 'é', 'x'.repeat(35), 'semi;colon']) assert.throws(() => validateStrategyPrefix(p), isErr, p);
    assert.throws(() => formatClientOrderId('a', -1), isErr);
    assert.throws(() => formatClientOrderId('a', 1.5), isErr);
    // 34-char prefix + '.' + 2 base-36 digits = 37 > 36
    assert.throws(() => formatClientOrderId('p'.repeat(34), 36), isErr);
    assert.equal(formatClientOrderId('p'.repeat(34), 35).length, 36);
  });

  it('stays unique across restarts and is the same for the same history', async () => {
    const run = async (dir: string): Promise<string[]> => {
      const ids: string[] = [];
      const clock = new SimulatedClock();
      for (let restart = 0; restart < 3; restart++) {
        const j = await OrderJournal.open({ dir, fsync: 'never', snapshotEvery: 3 }, { clock, instruments });
        for (let k = 0; k < 5; k++) {
          const o = await j.submit(k % 2 ? 'mm' : 'arb', intent);
          ids.push(o.clientOrderId);
          await j.record(o.clientOrderId, { kind: 'reject', reason: 'x' });
        }
        await j.close();
      }
      return ids;
    };
    const a = mkdtempSync(path.join(os.tmpdir(), 'b4-coid-'));
    const b = mkdtempSync(path.join(os.tmpdir(), 'b4-coid-'));
    try {
      const ia = await run(a);
      const ib = await run(b);
      assert.equal(new Set(ia).size, ia.length, 'unique');
      for (const id of ia) assert.match(id, CLIENT_ORDER_ID_PATTERN);
      for (const id of ia) assert.ok(parseClientOrderId(id)?.epoch !== undefined, `${id} carries an epoch`);
      assert.deepEqual(ia, ib, 'deterministic');
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('never reuses an id when the journal loses its tail (an old copy is restored)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'b4-coid-'));
    const copy = mkdtempSync(path.join(os.tmpdir(), 'b4-coid-'));
    try {
      const clock = new SimulatedClock({ startEpochMs: Date.UTC(2026, 0, 1) });
      const seen = new Set<string>();
      let j = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments });
      seen.add((await j.submit('mm', intent)).clientOrderId);
      await j.close();
      cpSync(dir, copy, { recursive: true });
      clock.advance(5); // 5 ms later
      j = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments });
      const lost = (await j.submit('mm', intent)).clientOrderId;
      seen.add(lost);
      await j.close();
      // The tail with `lost` is gone: restore the older copy and start again.
      rmSync(dir, { recursive: true, force: true });
      cpSync(copy, dir, { recursive: true });
      clock.advance(5);
      j = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments });
      const next = (await j.submit('mm', intent)).clientOrderId;
      await j.close();
      assert.equal(parseClientOrderId(next)?.sequence, parseClientOrderId(lost)?.sequence, 'the sequence went back');
      assert.ok(!seen.has(next), `${next} is fresh`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
