import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { listSegments, listSnapshots, snapshotName } from '../../../../actors/journal/segments.js';
import { readSnapshot, writeSnapshot } from '../../../../actors/journal/snapshot.js';
import { digest, open, runWorkload, tempDir } from './helpers.js';

describe('journal snapshots and compaction', () => {
  it('snapshot + tail replay equals full replay, and compaction deletes covered segments', async () => {
    const full = tempDir();
    const snap = tempDir();
    try {
      // The same seeded workload on the same simulated clock into two journals.
      const a = await open({ dir: full.dir, snapshotEvery: 0, segmentBytes: 4096, fsync: 'never' });
      const b = await open({ dir: snap.dir, snapshotEvery: 100, keepSnapshots: 2, segmentBytes: 4096, fsync: 'never' });
      const da = await runWorkload(a, 1000, 21);
      const db = await runWorkload(b, 1000, 21);
      assert.equal(da, db);
      // Automatic snapshots are skipped while one is in progress (how many ran depends on disk and
      // CPU speed): two explicit ones make sure there were more than `keepSnapshots`.
      await b.snapshot();
      await b.snapshot();
      await a.close();
      await b.close();
      const snaps = listSnapshots(snap.dir);
      assert.equal(snaps.length, 2, 'older snapshots compacted away');
      assert.ok(listSegments(snap.dir).length < listSegments(full.dir).length, 'covered segments deleted');
      assert.ok(listSegments(snap.dir)[0]!.seq <= snaps[0]!.seq + 1, 'the oldest kept snapshot still has its tail');
      const ra = await open({ dir: full.dir });
      const rb = await open({ dir: snap.dir });
      assert.equal(ra.report.snapshotSeq, 0);
      assert.equal(rb.report.snapshotSeq, snaps[1]!.seq);
      assert.ok(rb.report.records < ra.report.records);
      assert.equal(digest(rb.state), digest(ra.state));
      assert.equal(rb.nextSequence, ra.nextSequence);
      await ra.close();
      await rb.close();
    } finally {
      full.cleanup();
      snap.cleanup();
    }
  });

  it('falls back to the older snapshot when the newest fails its CRC', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, segmentBytes: 4096, fsync: 'never' });
      await runWorkload(j, 150, 4);
      await j.snapshot();
      await runWorkload(j, 150, 5);
      await j.snapshot();
      await runWorkload(j, 50, 6);
      const want = digest(j.state);
      await j.close();
      const newest = listSnapshots(t.dir).at(-1)!;
      const bytes = readFileSync(newest.path);
      bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x04;
      writeFileSync(newest.path, bytes);
      const k = await open({ dir: t.dir });
      assert.equal(k.report.warnings[0]?.kind, 'snapshot-unusable');
      assert.equal(k.report.warnings[0]?.reason, 'crc mismatch');
      assert.equal(k.report.snapshotSeq, listSnapshots(t.dir)[0]!.seq);
      assert.equal(digest(k.state), want);
      await k.close();
    } finally {
      t.cleanup();
    }
  });

  it('writes atomically with its own CRC; a leftover temp file is removed and reported', async () => {
    const t = tempDir();
    try {
      const file = await writeSnapshot(t.dir, 7, { hello: 'world' });
      assert.equal(path.basename(file), snapshotName(7));
      assert.deepEqual(readSnapshot(file), { ok: true, seq: 7, state: { hello: 'world' }, version: 1 });
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length - 1));
      assert.deepEqual(readSnapshot(file), { ok: false, reason: `length ${bytes.length - 8} does not match file size ${bytes.length - 1}` });
      // An interrupted snapshot (temp file) and an empty one: both reported, neither used.
      writeFileSync(path.join(t.dir, `${snapshotName(9)}.tmp`), 'partial');
      writeFileSync(file, Buffer.alloc(0));
      const j = await open({ dir: t.dir });
      assert.deepEqual(
        j.report.warnings.map((w) => w.kind),
        ['temp-removed', 'snapshot-unusable'],
      );
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('replays quickly from a snapshot after many records (10k, bounded)', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 2000, fsync: 'never' });
      const want = await runWorkload(j, 10_000, 8);
      await j.close();
      const k = await open({ dir: t.dir });
      assert.ok(k.report.snapshotSeq >= 8000);
      assert.ok(k.report.records <= 2100);
      assert.equal(digest(k.state), want);
      await k.close();
    } finally {
      t.cleanup();
    }
  });
});
