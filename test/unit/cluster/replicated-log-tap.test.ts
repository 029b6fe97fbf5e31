import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JournalIoError } from '../../../actors/journal/errors.js';
import { nodeFileOps, type JournalFileOps } from '../../../actors/journal/fs-util.js';
import { decodeRecordAt } from '../../../actors/journal/record.js';
import { listSegments } from '../../../actors/journal/segments.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { SimulatedClock } from '../../../common/clock.js';
import { open, tempDir } from '../actors/journal/helpers.js';

// The journal tap the replicated order log hangs off (actors/journal/journal.ts JournalTap): it must
// see exactly the bytes on disk, every record once, in sequence order, including the records a
// failure episode writes when it ends.

const intent = (qtyLots: number): OrderIntent => ({ strategy: 'mm', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots });

describe('journal tap (what the replicated order log forwards)', () => {
  it('sees every record once, in order, with the bytes written to disk; records written when a failure episode ends are tapped too', async () => {
    const t = tempDir();
    let full = false;
    const ops: JournalFileOps = {
      ...nodeFileOps,
      writev(fd, bufs, bytes) {
        if (full) throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
        return nodeFileOps.writev(fd, bufs, bytes);
      },
    };
    const clock = new SimulatedClock();
    const tapped: Buffer[] = [];
    const firsts: number[] = [];
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, retryMs: 100, fsync: 'never' }, { clock, fileOps: ops });
      j.writer.setTap({
        records(firstSeq, bufs) {
          firsts.push(firstSeq);
          assert.equal(firstSeq, tapped.length + 1, 'no gap, no repeat');
          tapped.push(...bufs);
        },
      });
      await j.adjustBalance('sim-a', 'USDT', 10n ** 12n);
      const a = await j.submit('mm', intent(1));
      // One turn, several records: one tap call.
      const before = firsts.length;
      await Promise.all([j.record(a.clientOrderId, { kind: 'accept', venueOrderId: 'v1' }), j.submit('mm', intent(2)), j.submit('mm', intent(3))]);
      assert.equal(firsts.length, before + 1, 'a group commit is tapped once');
      const tappedBeforeFailure = tapped.length;

      full = true;
      await assert.rejects(j.submit('mm', intent(4)), JournalIoError);
      assert.equal(tapped.length, tappedBeforeFailure, 'a record that did not reach the kernel is not tapped');
      full = false;
      clock.advance(100);
      for (let i = 0; i < 400 && !j.writer.health.writable; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(j.writer.health.writable, true);
      assert.ok(tapped.length > tappedBeforeFailure, 'the records written at recovery (never acknowledged, but on disk) are tapped');
      await j.submit('mm', intent(5));
      await j.close();

      const disk = Buffer.concat(listSegments(t.dir).map((s) => readFileSync(s.path)));
      assert.ok(Buffer.concat(tapped).equals(disk), 'the tapped bytes are exactly the journal on disk');
      let off = 0;
      let n = 0;
      while (off < disk.length) {
        const r = decodeRecordAt(disk, off, disk.length, 2 ** 20);
        assert.ok(r.ok);
        n++;
        off += r.bytes;
      }
      assert.equal(n, tapped.length);
    } finally {
      t.cleanup();
    }
  });
});
