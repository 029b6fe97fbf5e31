import assert from 'node:assert/strict';
import { DuplicateOrderError } from '../../../../actors/orders/errors.js';
import { INSTRUMENTS } from '../../../fixtures/journal/workload.js';
import { digest, open, tempDir } from './helpers.js';

describe('journal: adopting an order found at the venue', () => {
  it('journals it under the venue client id as accepted, with its funds locked, and replays it', async () => {
    const t = tempDir();
    try {
      const ins = INSTRUMENTS[0]!;
      const j = await open({ dir: t.dir, fsync: 'never' });
      const intent = { strategy: 'adopted', venue: ins.venue, symbol: ins.symbol, side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 1000, qtyLots: 3 };
      const o = await j.adopt('manual-1', intent, '4242');
      assert.deepEqual([o.clientOrderId, o.state, o.venueOrderId], ['manual-1', 'accepted', '4242']);
      assert.ok(j.portfolio.balance(ins.venue, ins.quote).locked > 0n, 'its quote funds are locked like any open buy');
      await assert.rejects(j.adopt('manual-1', intent, '4242'), DuplicateOrderError);
      const before = digest(j.state);
      await j.close();
      const r = await open({ dir: t.dir });
      assert.equal(r.orders.get('manual-1')?.state, 'accepted');
      assert.equal(digest(r.state), before);
      await r.close();
    } finally {
      t.cleanup();
    }
  });
});
