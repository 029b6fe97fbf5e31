import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  CLIENT_ORDER_ID_PATTERN,
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
  it('formats <prefix>.<sequence base 36> and parses it back', () => {
    assert.equal(formatClientOrderId('mm-btc', 100), 'mm-btc.2s');
    assert.equal(formatClientOrderId('a', 0), 'a.0');
    assert.deepEqual(parseClientOrderId('mm-btc.2s'), { prefix: 'mm-btc', sequence: 100 });
    assert.equal(parseClientOrderId('x-abc'), undefined);
    assert.equal(parseClientOrderId('a.01'), undefined);
    assert.equal(parseClientOrderId('a.b.c!'), undefined);
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
      assert.deepEqual(ia, ib, 'deterministic');
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });
});
