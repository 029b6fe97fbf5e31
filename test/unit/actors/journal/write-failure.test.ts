import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JournalIoError, JournalReadOnlyError, openFailure } from '../../../../actors/journal/errors.js';
import { nodeFileOps, type JournalFileOps } from '../../../../actors/journal/fs-util.js';
import { decodeRecordAt } from '../../../../actors/journal/record.js';
import { listSegments } from '../../../../actors/journal/segments.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { open, tempDir } from './helpers.js';

/**
 * A disk that can be "filled" from outside: while `full`, a write puts half of its buffer into the
 * file (a torn record, as a real ENOSPC part-way through a batch does) and fails with ENOSPC; with
 * `syncFails`, fdatasync fails with EIO. Everything else is the real file system.
 */
function faultyDisk(): { ops: JournalFileOps; full: boolean; syncFails: boolean; failedWrites: number } {
  const disk = { full: false, syncFails: false, failedWrites: 0, ops: undefined as unknown as JournalFileOps };
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: simulated`), { code });
  disk.ops = {
    ...nodeFileOps,
    writev(fd, bufs, bytes) {
      if (!disk.full) return nodeFileOps.writev(fd, bufs, bytes);
      disk.failedWrites++;
      // A little less than half: inside the first record of a two-record batch, so always a torn record.
      const torn = Buffer.concat(bufs, bytes).subarray(0, Math.max(1, (bytes >> 1) - 3));
      void nodeFileOps.writev(fd, [torn], torn.length);
      throw errno('ENOSPC');
    },
    async datasync(fd) {
      if (disk.syncFails) throw errno('EIO');
      return nodeFileOps.datasync(fd);
    },
  };
  return disk;
}

const intent = (qtyLots: number): OrderIntent => ({ strategy: 'mm', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots });

/** Every record of the directory's segments, checked to be a clean, gapless sequence. */
function records(dir: string): { seq: number; type: string; data: unknown }[] {
  const out: { seq: number; type: string; data: unknown }[] = [];
  for (const s of listSegments(dir)) {
    const buf = readFileSync(s.path);
    for (let off = 0; off < buf.length; ) {
      const r = decodeRecordAt(buf, off, buf.length, 2 ** 20);
      assert.ok(r.ok, `a clean record at ${off} of ${s.path}`);
      out.push({ seq: r.record.seq, type: r.record.type, data: r.record.data });
      off += r.bytes;
    }
  }
  out.forEach((r, i) => assert.equal(r.seq, i + 1, 'gapless sequence'));
  return out;
}

describe('journal write failure (disk full, I/O error) through the file-operations seam', () => {
  it('ENOSPC: the failed order is denied and ends rejected, later orders are refused without using an id, health is not writable; recovery on the clock writes what waited', async () => {
    const t = tempDir();
    const disk = faultyDisk();
    const clock = new SimulatedClock();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, retryMs: 500 }, { clock, fileOps: disk.ops });
      const a = await j.submit('mm', intent(1));
      assert.equal(j.writer.health.writable, true);

      disk.full = true;
      const bId = j.nextClientOrderId('mm');
      const failed = j.submit('mm', intent(2));
      await assert.rejects(failed, (e: unknown) => e instanceof JournalIoError && e.code === 'B4_JOURNAL_IO' && e.errno === 'ENOSPC');
      assert.equal(j.orders.require(bId).state, 'rejected', 'the order whose write failed is rejected, never left submitted');
      const h = j.writer.health;
      assert.equal(h.writable, false);
      assert.equal(h.episodes, 1);
      assert.equal(h.error?.errno, 'ENOSPC');

      // Every later order: the same coded error, no id or sequence used, nothing added to the book.
      const seqBefore = j.nextSequence;
      const sizeBefore = j.orders.size;
      for (let i = 0; i < 3; i++) await assert.rejects(j.submit('mm', intent(3)), (e: unknown) => e instanceof JournalIoError && e === j.writer.failed);
      assert.equal(j.nextSequence, seqBefore);
      assert.equal(j.orders.size, sizeBefore);
      // A venue event during the episode is applied and kept (not acknowledged).
      await assert.rejects(j.record(a.clientOrderId, { kind: 'accept', venueOrderId: 'v1' }), JournalIoError);
      assert.equal(j.orders.require(a.clientOrderId).state, 'accepted');

      // Still full: a retry fails and the episode goes on (one episode, not one per retry).
      clock.advance(500);
      await j.writer.recover();
      assert.equal(j.writer.health.writable, false);
      assert.equal(j.writer.health.episodes, 1);
      assert.ok(disk.failedWrites >= 2, 'the retry tried to write');

      // Space returns: the clock's retry ends the episode.
      disk.full = false;
      clock.advance(500);
      // The retry does real file I/O: wait for it, bounded.
      for (let i = 0; i < 400 && !j.writer.health.writable; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(j.writer.health.writable, true, 'recovered by the retry on the clock');
      const c = await j.submit('mm', intent(4));
      assert.notEqual(c.clientOrderId, bId, 'a client id is never reused');
      await j.close();

      // On disk: no torn bytes, a gapless sequence, the failed order submitted then rejected, the accept kept.
      const recs = records(t.dir);
      const b = recs.filter((r) => (r.data as { id?: string }).id === bId).map((r) => r.type);
      assert.deepEqual(b, ['order.submit', 'order.event']);
      const k = await open({ dir: t.dir });
      assert.deepEqual(k.report.warnings, [], 'the partial record was cut away before the retry wrote');
      assert.equal(k.orders.require(bId).state, 'rejected');
      assert.equal(k.orders.require(a.clientOrderId).state, 'accepted');
      assert.equal(k.orders.require(c.clientOrderId).state, 'submitted');
      await k.close();
    } finally {
      t.cleanup();
    }
  });

  it('EIO on fdatasync: never retried on the same descriptor; the batch is rewritten after the cut-back, acknowledged records untouched', async () => {
    const t = tempDir();
    const disk = faultyDisk();
    const clock = new SimulatedClock();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, retryMs: 100 }, { clock, fileOps: disk.ops });
      await j.adjustBalance('sim-a', 'USDT', 5n);
      const seg = listSegments(t.dir)[0]!.path;
      const acked = statSync(seg).size;
      disk.syncFails = true;
      await assert.rejects(j.adjustBalance('sim-a', 'USDT', 7n), (e: unknown) => e instanceof JournalIoError && e.errno === 'EIO');
      assert.ok(statSync(seg).size > acked, 'the unsynced batch reached the file');
      assert.equal(await j.writer.recover(), false);
      disk.syncFails = false;
      assert.equal(await j.writer.recover(), true);
      assert.equal(j.writer.health.writable, true);
      await j.close();
      const recs = records(t.dir);
      assert.deepEqual(recs.map((r) => (r.data as { x?: string }).x), ['5', '7']);
      const k = await open({ dir: t.dir });
      assert.equal(k.portfolio.balance('sim-a', 'USDT').total, 12n);
      await k.close();
    } finally {
      t.cleanup();
    }
  });

  it('stopped during an episode: close() resolves, what waited is not acknowledged, replay cuts the torn tail and keeps every acknowledged record', async () => {
    const t = tempDir();
    const disk = faultyDisk();
    const clock = new SimulatedClock();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0 }, { clock, fileOps: disk.ops });
      await j.adjustBalance('sim-a', 'USDT', 5n);
      disk.full = true;
      await assert.rejects(j.adjustBalance('sim-a', 'USDT', 7n), JournalIoError);
      await assert.rejects(j.adjustBalance('sim-a', 'USDT', 11n), JournalIoError);
      assert.equal(j.writer.health.waiting, 2);
      await j.close();
      const k = await open({ dir: t.dir });
      assert.deepEqual(k.report.warnings.map((w) => w.kind), ['torn-tail']);
      assert.equal(k.portfolio.balance('sim-a', 'USDT').total, 5n);
      assert.equal(k.nextSequence, 2);
      await k.close();
    } finally {
      t.cleanup();
    }
  });

  it('an unwritable journal directory is a coded error with path and errno, not a raw fs exception', async () => {
    const t = tempDir();
    try {
      const file = path.join(t.dir, 'not-a-dir');
      writeFileSync(file, 'x');
      await assert.rejects(open({ dir: path.join(file, 'journal') }), (e: unknown) => e instanceof JournalIoError && e.code === 'B4_JOURNAL_IO' && e.errno === 'ENOTDIR' && e.message.includes(file));
      // EROFS/EACCES/EPERM (a read-only mount; root ignores modes, so the real case is the tmpfs test)
      for (const code of ['EROFS', 'EACCES', 'EPERM']) {
        const e = openFailure(Object.assign(new Error(code), { code }), '/j', 'lock');
        assert.ok(e instanceof JournalReadOnlyError && e.code === 'B4_JOURNAL_READONLY' && e.errno === code && e.message.includes('/j'), String(e));
      }
      const bug = new TypeError('a bug');
      assert.equal(openFailure(bug, '/j', 'open'), bug, 'a non-fs error is not disguised');
    } finally {
      t.cleanup();
    }
  });
});
