import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32c } from '../../../../actors/journal/crc32c.js';
import { JournalSnapshotVersionError } from '../../../../actors/journal/errors.js';
import { captureOrderBook, renderOrderBookBuffers, renderOrderBookImage, restoreOrderBook, serializeOrderBook, type OrderBookState } from '../../../../actors/journal/order-records.js';
import { listSnapshots, snapshotName } from '../../../../actors/journal/segments.js';
import { readSnapshot, SnapshotParts } from '../../../../actors/journal/snapshot.js';
import { OrderStore, type OrderStoreOptions } from '../../../../actors/orders/order-store.js';
import { Portfolio } from '../../../../actors/orders/portfolio.js';
import { SeededRandom } from '../../../../common/random.js';
import { INSTRUMENTS, workloadStep } from '../../../fixtures/journal/workload.js';
import { digest, open, tempDir } from './helpers.js';

const STORE: OrderStoreOptions = { maxClosed: 300, hotClosed: 20 };

function emptyBook(store: OrderStoreOptions = STORE): OrderBookState {
  return { orders: new OrderStore(store), portfolio: new Portfolio(INSTRUMENTS) };
}

/** Rewrites a snapshot file's payload byte at `at` (payload offset) to `b`, with a valid CRC again. */
function patchPayload(file: string, at: number, b: number): void {
  const buf = readFileSync(file);
  buf[8 + at] = b;
  buf.writeUInt32LE(crc32c(buf, 0, 8, buf.length), 4);
  writeFileSync(file, buf);
}

describe('journal snapshots, version 2: the order table as a binary image (issue 13)', () => {
  it('captures the table at its instant (packed closed orders as their bytes, open orders frozen) though orders change, close and are evicted while it encodes; restores the same table', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' }, { orderStore: STORE });
      const rng = new SeededRandom(13);
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 700; i++) await workloadStep(j, rng);
        assert.ok(j.orders.packedCount > 100, `packed ${j.orders.packedCount}`);
        assert.ok(j.orders.openCount > 0, 'open orders are captured');
        const expected = digest(j.state);
        // captured now; encoded 2 orders per turn while the workload keeps changing the table
        const rendering = renderOrderBookImage(j.state, 2);
        for (let i = 0; i < 300; i++) await workloadStep(j, rng);
        const { parts, binary } = await rendering;
        assert.notEqual(digest(j.state), expected, 'the table changed meanwhile');
        const state = JSON.parse(Buffer.concat(parts).toString('utf8')) as { orders: { image: number; bytes: number } };
        assert.equal(state.orders.image, 1);
        const image = Buffer.concat(binary);
        assert.equal(state.orders.bytes, image.length);
        const back = emptyBook();
        restoreOrderBook(back, state, image);
        assert.equal(digest(back), expected, `round ${round}`);
        // other window sizes restore the same orders (trimmed or packed to their own options)
        const allObjects = emptyBook({ maxClosed: 300, hotClosed: 1000 });
        restoreOrderBook(allObjects, state, image);
        assert.equal(digest(allObjects), expected);
        const smaller = emptyBook({ maxClosed: 100, hotClosed: 0 });
        restoreOrderBook(smaller, state, image);
        const ref = emptyBook({ maxClosed: 100, hotClosed: 0 });
        restoreOrderBook(ref, JSON.parse(JSON.stringify(serializeOrderBook(back))));
        assert.equal(digest(smaller), digest(ref), 'the same closed orders evicted as a JSON restore evicts');
      }
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('a journal writes version-2 snapshots and reopens from them to the live state; lookups answer as before', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' }, { orderStore: STORE });
      const rng = new SeededRandom(29);
      for (let i = 0; i < 2000; i++) await workloadStep(j, rng);
      const seq = await j.snapshot();
      const live = digest(j.state);
      const snap = readSnapshot(path.join(t.dir, snapshotName(seq)));
      assert.ok(snap.ok && snap.version === 2 && snap.binary !== undefined && snap.binary.length > 0, JSON.stringify(snap).slice(0, 200));
      const packed = j.orders.packedCount;
      await j.close();
      const r = await open({ dir: t.dir }, { orderStore: STORE });
      assert.equal(r.report.snapshotSeq, seq);
      assert.equal(r.report.records, 0);
      assert.equal(digest(r.state), live);
      assert.equal(r.orders.packedCount, packed);
      assert.ok(packed > 0, 'packed closed orders went through the image');
      for (const o of j.orders.values()) {
        const back = r.orders.get(o.clientOrderId);
        assert.deepStrictEqual(back, o);
        if (o.venueOrderId !== undefined) assert.equal(r.orders.getByVenueOrderId(o.intent.venue, o.venueOrderId)?.clientOrderId, o.clientOrderId);
      }
      await r.close();
    } finally {
      t.cleanup();
    }
  });

  it('an old (version-1, JSON) snapshot still loads: a journal written by the previous format reopens to the same state', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' }, { orderStore: STORE });
      const rng = new SeededRandom(31);
      for (let i = 0; i < 1500; i++) await workloadStep(j, rng);
      // what the previous build wrote: the whole table as JSON text
      const seq = await j.writer.snapshot(new SnapshotParts(await renderOrderBookBuffers(captureOrderBook(j.state))));
      for (let i = 0; i < 200; i++) await workloadStep(j, rng);
      const live = digest(j.state);
      await j.close();
      const snap = readSnapshot(path.join(t.dir, snapshotName(seq)));
      assert.ok(snap.ok && snap.version === 1 && snap.binary === undefined);
      assert.ok(Array.isArray((snap.state as { orders: { orders: unknown } }).orders.orders), 'the JSON order table');
      const r = await open({ dir: t.dir }, { orderStore: STORE });
      assert.equal(r.report.snapshotSeq, seq);
      assert.ok(r.report.records > 0);
      assert.equal(digest(r.state), live);
      // and the next snapshot it takes is a version-2 one that reopens the same
      const seq2 = await r.snapshot();
      await r.close();
      assert.equal(readSnapshot(path.join(t.dir, snapshotName(seq2))).ok && (readSnapshot(path.join(t.dir, snapshotName(seq2))) as { version: number }).version, 2);
      const r2 = await open({ dir: t.dir }, { orderStore: STORE });
      assert.equal(r2.report.snapshotSeq, seq2);
      assert.equal(digest(r2.state), live);
      await r2.close();
    } finally {
      t.cleanup();
    }
  });

  it('a snapshot of a format version this build does not read stops the open with B4_JOURNAL_SNAPSHOT_VERSION naming the version (file and order table image)', async () => {
    for (const where of ['file', 'image'] as const) {
      const t = tempDir();
      try {
        const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' }, { orderStore: STORE });
        const rng = new SeededRandom(37);
        for (let i = 0; i < 300; i++) await workloadStep(j, rng);
        const seq = await j.snapshot();
        await j.close();
        const file = listSnapshots(t.dir).at(-1)!.path;
        assert.equal(file, path.join(t.dir, snapshotName(seq)));
        if (where === 'file') patchPayload(file, 4, 3); // the payload's version byte
        else {
          // the image version in the JSON: `"image":1` → `"image":7`
          const at = readFileSync(file).indexOf('"image":1') - 8 + '"image":'.length;
          assert.ok(at > 0);
          patchPayload(file, at, 0x37);
        }
        const r = readSnapshot(file);
        if (where === 'file') assert.deepEqual(r, { ok: false, reason: 'format version 3; this build reads 1, 2', version: 3 });
        else assert.ok(r.ok);
        await assert.rejects(
          open({ dir: t.dir }, { orderStore: STORE }),
          (e: unknown) => {
            assert.ok(e instanceof JournalSnapshotVersionError, String(e));
            assert.equal(e.code, 'B4_JOURNAL_SNAPSHOT_VERSION');
            assert.equal(e.version, where === 'file' ? 3 : 7);
            assert.match(e.message, where === 'file' ? /snapshot-\d+\.snap has format version 3; this build reads versions 1, 2/ : /order table image\) has format version 7; this build reads versions 1/);
            return true;
          },
        );
      } finally {
        t.cleanup();
      }
    }
  });
});
