import assert from 'node:assert/strict';
import { closeSync, readFileSync } from 'node:fs';
import { OrderJournal } from '../../../../actors/journal/order-journal.js';
import { JournalClosedError, JournalIoError, JournalRecordTooLargeError } from '../../../../actors/journal/errors.js';
import { decodeRecordAt } from '../../../../actors/journal/record.js';
import { listSegments } from '../../../../actors/journal/segments.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { ConfigError } from '../../../../common/errors.js';
import { INSTRUMENTS } from '../../../fixtures/journal/workload.js';
import { digest, open, runWorkload, tempDir } from './helpers.js';

function readAll(dir: string): { seq: number; type: string }[] {
  const out: { seq: number; type: string }[] = [];
  for (const s of listSegments(dir)) {
    const buf = readFileSync(s.path);
    for (let off = 0; off < buf.length; ) {
      const r = decodeRecordAt(buf, off, buf.length, 2 ** 20);
      assert.ok(r.ok, `record at ${off}`);
      out.push({ seq: r.record.seq, type: r.record.type });
      off += r.bytes;
    }
  }
  return out;
}

describe('journal append and replay', () => {
  for (const fsync of ['always', 'interval', 'never'] as const) {
    it(`round-trips the order book under fsync ${fsync}`, async () => {
      const t = tempDir();
      try {
        const j = await open({ dir: t.dir, fsync, snapshotEvery: 0 });
        const live = await runWorkload(j, 300, 1);
        const next = j.nextSequence;
        await j.close();
        const seqs = readAll(t.dir).map((r) => r.seq);
        assert.deepEqual(seqs, Array.from({ length: next - 1 }, (_, i) => i + 1), 'contiguous sequence from 1');
        const k = await open({ dir: t.dir });
        assert.equal(digest(k.state), live);
        assert.equal(k.state.nextSequence, next);
        assert.deepEqual(k.report.warnings, []);
        assert.equal(k.report.records, next - 1);
        await k.close();
      } finally {
        t.cleanup();
      }
    });
  }

  it('rotates segments and replays across them', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, segmentBytes: 4096, snapshotEvery: 0, fsync: 'never' });
      const live = await runWorkload(j, 400, 2);
      await j.close();
      const segs = listSegments(t.dir);
      assert.ok(segs.length > 3, `${segs.length} segments`);
      const k = await open({ dir: t.dir, segmentBytes: 4096 });
      assert.equal(digest(k.state), live);
      assert.equal(k.report.segments, segs.length);
      await k.close();
    } finally {
      t.cleanup();
    }
  });

  it('group-commits appends of the same tick under fsync always (one write, one fdatasync)', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, fsync: 'always', snapshotEvery: 0 });
      const w = j.writer;
      const before = w.stats;
      const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => w.append('balance.adjust', { v: 'sim-a', a: 'USDT', x: String(i) })));
      assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i + 1));
      assert.equal(w.stats.writes - before.writes, 1);
      assert.equal(w.stats.syncs - before.syncs, 1);
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('under fsync interval syncs on the clock, not per append', async () => {
    const t = tempDir();
    try {
      const clock = new SimulatedClock();
      const j = await open({ dir: t.dir, fsync: 'interval', intervalMs: 50, snapshotEvery: 0 }, { clock });
      for (let i = 0; i < 10; i++) await j.adjustBalance('sim-a', 'USDT', 1n);
      assert.equal(j.writer.stats.syncs, 0);
      assert.equal(j.writer.writtenSequence, 10);
      // The interval timer decides (and counts) a sync synchronously; only the fdatasync itself is async.
      clock.advance(50);
      assert.equal(j.writer.stats.syncs, 1);
      clock.advance(50);
      assert.equal(j.writer.stats.syncs, 1, 'nothing new to sync');
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('refuses appends after close and records over maxRecordBytes', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, maxRecordBytes: 64 });
      assert.throws(() => j.writer.append('balance.adjust', { pad: 'x'.repeat(100) }), (e: unknown) => e instanceof JournalRecordTooLargeError && e.code === 'B4_JOURNAL_RECORD_TOO_LARGE');
      assert.equal(j.nextSequence, 1, 'a refused record consumes no sequence');
      await j.close();
      await assert.rejects(j.adjustBalance('sim-a', 'USDT', 1n), (e: unknown) => e instanceof JournalClosedError && e.code === 'B4_JOURNAL_CLOSED');
      await assert.rejects(j.snapshot(), JournalClosedError);
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('a failed write (EBADF) rejects that append and every later one with B4_JOURNAL_IO until it recovers', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0 });
      await j.adjustBalance('sim-a', 'USDT', 1n);
      // Pull the file descriptor out from under the writer: the next write fails with EBADF.
      closeSync(Reflect.get(j.writer, 'fd') as number);
      await assert.rejects(j.adjustBalance('sim-a', 'USDT', 1n), (e: unknown) => e instanceof JournalIoError && e.code === 'B4_JOURNAL_IO');
      await assert.rejects(j.adjustBalance('sim-a', 'USDT', 1n), JournalIoError);
      await assert.rejects(j.flush(), JournalIoError);
      Reflect.set(j.writer, 'fd', -1);
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('validates options with the field, expectation and value in the message', async () => {
    const t = tempDir();
    try {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ dir: t.dir, fsync: 'sometimes' }, /journal\.fsync: expected one of "always", "interval", "never", got "sometimes"/],
        [{ dir: t.dir, segmentBytes: 10 }, /journal\.segmentBytes: expected a value >= 4096, got 10/],
        [{ dir: '' }, /journal\.dir/],
        [{ dir: t.dir, intervalMs: 0 }, /journal\.intervalMs/],
        [{ dir: t.dir, bogus: 1 }, /journal: expected no unknown keys/],
      ];
      for (const [o, re] of cases) {
        await assert.rejects(OrderJournal.open(o as never, { clock: new SimulatedClock(), instruments: INSTRUMENTS }), (e: unknown) => e instanceof ConfigError && re.test(e.message));
      }
    } finally {
      t.cleanup();
    }
  });

  it('journals the intent before the order is handed back, and marks in-flight orders unknown on restart', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir });
      const o = await j.submit('mm', { strategy: 'mm', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 2 }, 'k1');
      // Durable before submit() resolved: the bytes are in the segment now.
      assert.deepEqual(readAll(t.dir).at(-1), { seq: 1, type: 'order.submit' });
      assert.equal(o.clientOrderId, `mm.${j.epoch}.1`);
      const id = o.clientOrderId;
      await assert.rejects(j.submit('mm', o.intent, 'k1'), /B4_ORDER_OUTCOME_UNKNOWN|in flight|reconciled/);
      await j.close();
      const k = await OrderJournal.open({ dir: t.dir }, { clock: new SimulatedClock(), instruments: INSTRUMENTS });
      assert.equal(k.orders.require(id).state, 'unknown');
      assert.notEqual(k.epoch, j.epoch, 'a new incarnation gets a new epoch');
      assert.equal(k.orders.canResubmit('k1'), false);
      await k.record(id, { kind: 'reconcile', to: 'rejected', filledLots: 0, cumTickLots: 0n });
      assert.equal(k.orders.canResubmit('k1'), true);
      assert.equal(k.portfolio.balance('sim-a', 'USDT').locked, 0n, 'lock released on the terminal state');
      await k.close();
    } finally {
      t.cleanup();
    }
  });
});
