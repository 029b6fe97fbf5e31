import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JournalCorruptError, JournalRecordTypeError } from '../../../../actors/journal/errors.js';
import { decodeRecordAt, encodeRecord } from '../../../../actors/journal/record.js';
import { listSegments, segmentName } from '../../../../actors/journal/segments.js';
import { digest, open, runWorkload, tempDir } from './helpers.js';

/** Byte offsets where each record of a segment starts, plus its end. */
function boundaries(file: string): number[] {
  const buf = readFileSync(file);
  const out = [0];
  for (let off = 0; off < buf.length; ) {
    const r = decodeRecordAt(buf, off, buf.length, 2 ** 20);
    assert.ok(r.ok);
    off += r.bytes;
    out.push(off);
  }
  return out;
}

/** A small journal of `n` workload records; returns its single segment's bytes and the state digest after each prefix. */
async function smallJournal(n: number): Promise<{ bytes: Buffer; bounds: number[]; digests: string[] }> {
  const t = tempDir();
  try {
    const digests: string[] = [];
    const j = await open({ dir: t.dir, snapshotEvery: 0 });
    digests.push(await runWorkload(j, 0, 5));
    const { SeededRandom } = await import('../../../../common/random.js');
    const { workloadStep } = await import('../../../fixtures/journal/workload.js');
    const rng = new SeededRandom(5);
    for (let i = 0; i < n; i++) {
      await workloadStep(j, rng);
      digests.push(digest(j.state));
    }
    await j.close();
    const seg = path.join(t.dir, segmentName(1));
    return { bytes: readFileSync(seg), bounds: boundaries(seg), digests };
  } finally {
    t.cleanup();
  }
}

async function withSegment<T>(bytes: Buffer, fn: (dir: string, seg: string) => Promise<T>): Promise<T> {
  const t = tempDir();
  try {
    const seg = path.join(t.dir, segmentName(1));
    writeFileSync(seg, bytes);
    return await fn(t.dir, seg);
  } finally {
    t.cleanup();
  }
}

describe('journal replay: torn and corrupt tails, corruption in the middle', () => {
  let fx: { bytes: Buffer; bounds: number[]; digests: string[] };
  before(async () => {
    fx = await smallJournal(8);
  });

  it('detects, reports and truncates a tail torn at every byte offset of the last record', async () => {
    const n = fx.bounds.length - 1;
    const start = fx.bounds[n - 1]!;
    const end = fx.bounds[n]!;
    for (let cut = start + 1; cut < end; cut++) {
      await withSegment(fx.bytes.subarray(0, cut), async (dir, seg) => {
        const j = await open({ dir, fsync: 'never' });
        assert.equal(j.report.warnings.length, 1, `cut at ${cut}`);
        const w = j.report.warnings[0]!;
        assert.equal(w.kind, 'torn-tail');
        assert.equal(w.offset, start);
        assert.equal(w.droppedBytes, cut - start);
        assert.equal(statSync(seg).size, start, 'truncated to the last whole record');
        assert.equal(digest(j.state), fx.digests[n - 1], 'state equals all but the last record');
        assert.equal(j.nextSequence, n);
        // the writer continues on the clean boundary (checked for a sample of cuts: it is slower)
        if ((cut - start) % 16 !== 1) return j.close();
        await j.adjustBalance('sim-a', 'USDT', 1n);
        await j.close();
        const k = await open({ dir, fsync: 'never' });
        assert.deepEqual(k.report.warnings, []);
        assert.equal(k.nextSequence, n + 1);
        await k.close();
      });
    }
  });

  it('detects a corrupted byte in the last record (CRC) and truncates it', async () => {
    const n = fx.bounds.length - 1;
    const start = fx.bounds[n - 1]!;
    for (const at of [start + 2, start + 5, start + 12, fx.bounds[n]! - 2]) {
      const bad = Buffer.from(fx.bytes);
      bad[at] = bad[at]! ^ 0x20;
      await withSegment(bad, async (dir, seg) => {
        const j = await open({ dir });
        assert.equal(j.report.warnings.length, 1);
        assert.ok(['corrupt-tail', 'torn-tail'].includes(j.report.warnings[0]!.kind));
        assert.equal(j.report.warnings[0]!.offset, start);
        assert.equal(statSync(seg).size, start);
        assert.equal(digest(j.state), fx.digests[n - 1]);
        await j.close();
      });
    }
  });

  it('truncates a zero-filled tail (preallocated or lost pages after power loss)', async () => {
    await withSegment(Buffer.concat([fx.bytes, Buffer.alloc(4096)]), async (dir, seg) => {
      const j = await open({ dir });
      assert.equal(j.report.warnings[0]?.kind, 'corrupt-tail');
      assert.equal(j.report.warnings[0]?.reason, 'zero length');
      assert.equal(statSync(seg).size, fx.bytes.length);
      assert.equal(digest(j.state), fx.digests.at(-1));
      await j.close();
    });
  });

  it('refuses corruption in the middle with B4_JOURNAL_CORRUPT (payload byte, length field)', async () => {
    const mid = fx.bounds[3]!;
    for (const [at, val] of [
      [mid + 10, -1],
      [mid + 1, 0x7f],
    ] as const) {
      const bad = Buffer.from(fx.bytes);
      bad[at] = val < 0 ? bad[at]! ^ 0x01 : val;
      await withSegment(bad, async (dir, seg) => {
        await assert.rejects(open({ dir }), (e: unknown) => e instanceof JournalCorruptError && e.code === 'B4_JOURNAL_CORRUPT' && (e.details?.offset as number) === mid);
        assert.equal(statSync(seg).size, bad.length, 'nothing truncated');
        assert.ok(!existsSync(path.join(dir, 'LOCK')), 'lock released after the failed open');
      });
    }
  });

  it('with repair: true moves the damaged part aside and reports it', async () => {
    const mid = fx.bounds[3]!;
    const bad = Buffer.from(fx.bytes);
    bad[mid + 10] = bad[mid + 10]! ^ 0x01;
    await withSegment(bad, async (dir, seg) => {
      const j = await open({ dir, repair: true });
      assert.equal(j.report.warnings[0]?.kind, 'repaired');
      assert.equal(j.report.warnings[0]?.droppedBytes, bad.length - mid);
      assert.equal(statSync(seg).size, mid);
      assert.equal(digest(j.state), fx.digests[3]);
      assert.deepEqual(readFileSync(`${seg}.corrupt-${mid}`), bad.subarray(mid));
      await j.close();
    });
  });

  it('refuses a missing segment and a segment starting at the wrong sequence', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, segmentBytes: 4096, snapshotEvery: 0, fsync: 'never' });
      await runWorkload(j, 200, 9);
      await j.close();
      const segs = listSegments(t.dir);
      assert.ok(segs.length >= 3);
      unlinkSync(segs[1]!.path);
      await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalCorruptError && /expected/.test(e.message));
      unlinkSync(segs[0]!.path);
      await assert.rejects(open({ dir: t.dir }), (e: unknown) => e instanceof JournalCorruptError && /missing/.test(e.message));
    } finally {
      t.cleanup();
    }
  });

  it('refuses a valid record of an unknown type (B4_JOURNAL_RECORD_TYPE)', async () => {
    await withSegment(Buffer.concat([fx.bytes, encodeRecord(fx.bounds.length, 0, 'order.teleport', {})]), async (dir) => {
      await assert.rejects(open({ dir }), (e: unknown) => e instanceof JournalRecordTypeError && e.code === 'B4_JOURNAL_RECORD_TYPE');
    });
  });

  it('treats a record with the wrong sequence as corruption', async () => {
    const n = fx.bounds.length - 1;
    // a valid record numbered n + 5 where n + 1 is due, at the tail: truncated and reported
    await withSegment(Buffer.concat([fx.bytes, encodeRecord(n + 5, 0, 'balance.adjust', { v: 'sim-a', a: 'USDT', x: '1' })]), async (dir) => {
      const j = await open({ dir });
      assert.equal(j.report.warnings[0]?.kind, 'corrupt-tail');
      assert.match(j.report.warnings[0]!.reason, /sequence/);
      assert.equal(j.nextSequence, n + 1);
      await j.close();
    });
  });

  it('leaves no stray files behind on a clean replay', async () => {
    await withSegment(fx.bytes, async (dir) => {
      const j = await open({ dir });
      await j.close();
      assert.deepEqual(readdirSync(dir).sort(), [segmentName(1)]);
    });
  });

  it('replays a journal written across restarts with appends after a truncated tail', async () => {
    await withSegment(fx.bytes.subarray(0, fx.bytes.length - 3), async (dir) => {
      const j = await open({ dir });
      await j.adjustBalance('sim-a', 'USDT', 5n);
      const want = digest(j.state);
      await j.close();
      appendFileSync(path.join(dir, segmentName(1)), Buffer.from([1, 2]));
      const k = await open({ dir });
      assert.equal(digest(k.state), want);
      assert.equal(k.report.warnings[0]?.kind, 'torn-tail');
      await k.close();
    });
  });
});
