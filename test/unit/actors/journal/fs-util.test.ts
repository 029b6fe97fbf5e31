import assert from 'node:assert/strict';
import { IOV_MAX, writevAll, writevAllSync } from '../../../../actors/journal/fs-util.js';

/** A writev that writes at most `max` bytes per call into `out` (a short write, as ENOSPC or a signal gives). */
function shortWriter(out: number[], max: number, failAfter = Infinity): (fd: number, bufs: Buffer[]) => number {
  let calls = 0;
  return (_fd, bufs) => {
    if (++calls > failAfter) throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
    let n = 0;
    for (const b of bufs) {
      for (const x of b) {
        if (n === max) return n;
        out.push(x);
        n++;
      }
    }
    return n;
  };
}

describe('journal writevAllSync (the batch write)', () => {
  const bufs = [Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('i'), Buffer.from('jklmnop')];
  const all = Buffer.concat(bufs).toString();

  it('continues after short writes until every byte of every buffer is written, in order', () => {
    for (const max of [1, 2, 3, 4, 7, 100]) {
      const out: number[] = [];
      writevAllSync(3, bufs, all.length, shortWriter(out, max));
      assert.equal(Buffer.from(out).toString(), all, `max ${max} bytes per call`);
    }
  });

  it('a write that makes no progress is an EIO error, not a loop; an error after a short write is thrown with the prefix written', () => {
    assert.throws(() => writevAllSync(3, bufs, all.length, shortWriter([], 0)), (e: unknown) => (e as { code?: string }).code === 'EIO');
    const out: number[] = [];
    assert.throws(() => writevAllSync(3, bufs, all.length, shortWriter(out, 4, 1)), (e: unknown) => (e as { code?: string }).code === 'ENOSPC');
    assert.equal(Buffer.from(out).toString(), 'abcd', 'the torn prefix the writer cuts away on recovery');
  });
});

describe('journal writevAll (the snapshot write: many pieces, asynchronous)', () => {
  const bufs = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('defgh'), Buffer.from('i'), Buffer.from('jklmnop')];
  const all = Buffer.concat(bufs).toString();
  const async = (w: (fd: number, bufs: Buffer[]) => number) => (fd: number, b: Buffer[]): Promise<number> => Promise.resolve().then(() => w(fd, b));

  it('continues after short writes until every byte is written, in order, from inside a partly written piece', async () => {
    for (const max of [1, 2, 3, 4, 7, 100]) {
      const out: number[] = [];
      await writevAll(3, bufs, async(shortWriter(out, max)));
      assert.equal(Buffer.from(out).toString(), all, `max ${max} bytes per call`);
    }
  });

  it(`passes at most IOV_MAX (${IOV_MAX}) pieces per call and writes more pieces than that in order`, async () => {
    const many = Array.from({ length: 2 * IOV_MAX + 5 }, (_, i) => Buffer.from(`${i},`));
    const out: number[] = [];
    const sizes: number[] = [];
    const inner = shortWriter(out, Infinity);
    await writevAll(3, many, (fd, b) => {
      sizes.push(b.length);
      return Promise.resolve(inner(fd, b));
    });
    assert.equal(Buffer.from(out).toString(), Buffer.concat(many).toString());
    assert.ok(sizes.every((n) => n <= IOV_MAX), JSON.stringify(sizes));
    assert.equal(sizes.length, 3);
  });

  it('a write that makes no progress is an EIO error, not a loop; an error is passed on with the prefix written', async () => {
    await assert.rejects(writevAll(3, bufs, async(shortWriter([], 0))), (e: unknown) => (e as { code?: string }).code === 'EIO');
    const out: number[] = [];
    await assert.rejects(writevAll(3, bufs, async(shortWriter(out, 4, 1))), (e: unknown) => (e as { code?: string }).code === 'ENOSPC');
    assert.equal(Buffer.from(out).toString(), 'abcd');
  });
});
