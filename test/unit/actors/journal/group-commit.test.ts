import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CircuitBreaker } from '../../../../actors/exchange/circuit-breaker.js';
import { VenueActor } from '../../../../actors/exchange/index.js';
import { JournalIoError } from '../../../../actors/journal/errors.js';
import { LATER_MS } from '../../../../actors/journal/journal.js';
import { nodeFileOps, type JournalFileOps } from '../../../../actors/journal/fs-util.js';
import type { OrderJournal, SubmitListener } from '../../../../actors/journal/order-journal.js';
import { decodeRecordAt } from '../../../../actors/journal/record.js';
import { listSegments } from '../../../../actors/journal/segments.js';
import type { OrderDenied } from '../../../../actors/messages.js';
import { parseClientOrderId } from '../../../../actors/orders/client-order-id.js';
import type { Order } from '../../../../actors/orders/order-state.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { ActorSystem, type Envelope } from '../../../../actors/runtime/index.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { logger } from '../../../../common/log.js';
import { FakeAdapter, gate, type Gate } from '../../../fixtures/exchange/fake-adapter.js';
import { INSTRUMENTS } from '../../../fixtures/journal/workload.js';
import { counterMachine } from '../runtime/helpers.js';
import { open, tempDir } from './helpers.js';

/**
 * Group commit per event-loop turn: the records appended in one turn reach the kernel in one
 * `writev` (counted through the file-operations seam; the writes themselves are real), their
 * callers are released after it (under `always` after its fdatasync), and the venue actor hands an
 * order to the adapter only from its record's commit.
 */

const SIM_A = INSTRUMENTS.filter((i) => i.venue === 'sim-a');
const intent = (qtyLots = 1): OrderIntent => ({ strategy: 't', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_000_000, qtyLots });

interface Disk {
  ops: JournalFileOps;
  /** One entry per writev: the sequences of the records it carried. */
  writes: number[][];
  /** Shared event log: `writev:<seqs>`, `sync`, and what the test adds. */
  log: string[];
  /** While set, writev writes a torn prefix of the batch and fails with ENOSPC. */
  full: boolean;
  /** While set, fdatasync waits for this gate. */
  syncGate: Gate | undefined;
}

/** The sequences of the records in one written piece (the journal writes a turn's records as one). */
const seqsOf = (b: Buffer): number[] => {
  const seqs: number[] = [];
  for (let off = 0; off < b.length; ) {
    const r = decodeRecordAt(b, off, b.length, 2 ** 20);
    assert.ok(r.ok);
    seqs.push(r.record.seq);
    off += r.bytes;
  }
  return seqs;
};

/** The real file operations, observed: every writev and fdatasync is logged. */
function observedDisk(): Disk {
  const d: Disk = { writes: [], log: [], full: false, syncGate: undefined, ops: undefined as unknown as JournalFileOps };
  d.ops = {
    ...nodeFileOps,
    writev(fd, bufs, bytes) {
      const seqs = bufs.flatMap(seqsOf);
      d.writes.push(seqs);
      if (d.full) {
        const torn = Buffer.concat(bufs, bytes).subarray(0, Math.max(1, (bytes >> 1) - 3));
        void nodeFileOps.writev(fd, [torn], torn.length);
        throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
      }
      void nodeFileOps.writev(fd, bufs, bytes);
      d.log.push(`writev:${seqs.join(',')}`);
    },
    async datasync(fd) {
      const g = d.syncGate;
      if (g !== undefined) await g.promise;
      await nodeFileOps.datasync(fd);
      d.log.push('sync');
    },
  };
  return d;
}

/** Every record on disk, checked to be a clean gapless sequence. */
function onDisk(dir: string): { seq: number; type: string; data: { id?: string; e?: { kind?: string } } }[] {
  const out: { seq: number; type: string; data: { id?: string; e?: { kind?: string } } }[] = [];
  for (const s of listSegments(dir)) {
    const buf = readFileSync(s.path);
    for (let off = 0; off < buf.length; ) {
      const r = decodeRecordAt(buf, off, buf.length, 2 ** 20);
      assert.ok(r.ok, `a clean record at ${off} of ${s.path}`);
      out.push({ seq: r.record.seq, type: r.record.type, data: r.record.data as { id?: string } });
      off += r.bytes;
    }
  }
  out.forEach((r, i) => assert.equal(r.seq, i + 1, 'gapless sequence'));
  return out;
}

/** A listener that logs `released:<id>` (and the error, if any). */
function listener(log: string[], got: { err: Error | undefined; order: Order }[]): SubmitListener {
  return {
    journaled(err, order) {
      got.push({ err, order });
      log.push(`released:${order.clientOrderId}${err === undefined ? '' : `:${(err as JournalIoError).code}`}`);
    },
  };
}

describe('journal group commit per event-loop turn (one writev, callbacks, no promise per record)', () => {
  let level: string;
  before(() => {
    level = logger.level;
    logger.level = 'silent';
  });
  after(() => {
    logger.level = level;
  });

  it('fsync never: 64 orders and 16 events appended in one turn go out in exactly one writev; each caller is released after it, in sequence order, never synchronously', async () => {
    const t = tempDir();
    const disk = observedDisk();
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0 }, { fileOps: disk.ops });
      const warm = await j.submit('mm', intent());
      const before = disk.writes.length;
      const writesBefore = j.writer.stats.writes;
      const got: { err: Error | undefined; order: Order }[] = [];
      const ids: string[] = [];
      const events: Promise<Order>[] = [];
      for (let i = 0; i < 64; i++) ids.push(j.submitThen('mm', intent(i + 1), undefined, listener(disk.log, got)).clientOrderId);
      for (let i = 0; i < 16; i++) events.push(j.record(i === 0 ? warm.clientOrderId : ids[i]!, { kind: 'accept', venueOrderId: `v${i}` }));
      assert.equal(got.length, 0, 'no caller is released before the commit');
      assert.equal(disk.writes.length, before, 'nothing written before the end of the turn');
      await Promise.all(events);
      assert.equal(disk.writes.length - before, 1, 'one writev for the turn');
      assert.equal(j.writer.stats.writes - writesBefore, 1);
      const seqs = disk.writes.at(-1)!;
      assert.equal(seqs.length, 80);
      assert.deepEqual(seqs, Array.from({ length: 80 }, (_, i) => seqs[0]! + i), 'in sequence order');
      assert.deepEqual(
        got.map((g) => [g.err, g.order.clientOrderId]),
        ids.map((id) => [undefined, id]),
      );
      const w = disk.log.findIndex((e) => e.startsWith(`writev:${seqs[0]},`));
      assert.ok(w >= 0 && disk.log.findIndex((e) => e.startsWith('released:')) > w, 'released after the writev');
      // The next turn is the next writev.
      await j.submit('mm', intent());
      assert.equal(disk.writes.length - before, 2);
      await j.close();
      assert.equal(onDisk(t.dir).length, 82);
    } finally {
      t.cleanup();
    }
  });

  it('recordThen: applied at once, its record joins the turn\'s one write, its callback runs after it with its sequence; a refused event throws with nothing journaled', async () => {
    const t = tempDir();
    const disk = observedDisk();
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0 }, { fileOps: disk.ops });
      const a = await j.submit('mm', intent(1));
      const b = await j.submit('mm', intent(2));
      const before = disk.writes.length;
      const done: string[] = [];
      const fn = (err: Error | undefined, seq: number, id: string, kind: string): void => {
        done.push(`${id}:${kind}:${seq}:${err === undefined ? 'ok' : 'err'}`);
      };
      const next = j.nextSequence;
      j.recordThen(a.clientOrderId, { kind: 'accept', venueOrderId: 'va' }, fn, a.clientOrderId, 'accept');
      j.recordThen(b.clientOrderId, { kind: 'accept', venueOrderId: 'vb' }, fn, b.clientOrderId, 'accept');
      assert.equal(j.orders.require(a.clientOrderId).state, 'accepted', 'applied synchronously');
      // An invalid transition: thrown now, no sequence used, nothing queued.
      assert.throws(() => j.recordThen(a.clientOrderId, { kind: 'accept', venueOrderId: 'vx' }, fn, a.clientOrderId, 'accept'));
      assert.equal(j.nextSequence, next + 2);
      assert.deepEqual(done, [], 'never called synchronously');
      await j.flush();
      assert.deepEqual(done, [`${a.clientOrderId}:accept:${next}:ok`, `${b.clientOrderId}:accept:${next + 1}:ok`]);
      assert.deepEqual(disk.writes.slice(before), [[next, next + 1]], 'one write for both');
      await j.close();
      assert.throws(() => j.recordThen(b.clientOrderId, { kind: 'canceled' }, fn, b.clientOrderId, 'canceled'), (e: unknown) => (e as { code?: string }).code === 'B4_JOURNAL_CLOSED');
      const disk2 = onDisk(t.dir);
      assert.deepEqual(
        disk2.slice(-2).map((r) => r.data.e?.kind),
        ['accept', 'accept'],
      );
    } finally {
      t.cleanup();
    }
  });

  it(`recordThen does not start a write of its own: alone it is written LATER_MS (${LATER_MS} ms) of the clock later, or at once when flushed; with an order appended before then, both share the order's one write`, async () => {
    const t = tempDir();
    const disk = observedDisk();
    const clock = new SimulatedClock();
    const checkPhases = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    };
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0 }, { fileOps: disk.ops, clock });
      const a = await j.submit('mm', intent(1));
      const b = await j.submit('mm', intent(2));
      const c = await j.submit('mm', intent(3));
      const done: number[] = [];
      const fn = (err: Error | undefined, seq: number): void => {
        assert.equal(err, undefined);
        done.push(seq);
      };
      // Alone: no write at the end of the turn nor in later turns, until the clock moves LATER_MS.
      const before = disk.writes.length;
      const s1 = j.nextSequence;
      j.recordThen(a.clientOrderId, { kind: 'accept', venueOrderId: 'va' }, fn, undefined, undefined);
      await checkPhases();
      assert.equal(disk.writes.length, before, 'no write of its own before LATER_MS');
      clock.advance(LATER_MS);
      await checkPhases();
      assert.deepEqual(disk.writes.slice(before), [[s1]], 'written LATER_MS later');
      assert.deepEqual(done, [s1]);
      // Followed by an order: one write at the end of that turn carries both, in order.
      const before2 = disk.writes.length;
      const s2 = j.nextSequence;
      j.recordThen(b.clientOrderId, { kind: 'accept', venueOrderId: 'vb' }, fn, undefined, undefined);
      await checkPhases();
      const got: { err: Error | undefined; order: Order }[] = [];
      j.submitThen('mm', intent(4), undefined, listener([], got));
      await checkPhases();
      assert.deepEqual(disk.writes.slice(before2), [[s2, s2 + 1]], 'one write for the answer and the order');
      clock.advance(LATER_MS);
      await checkPhases();
      assert.equal(disk.writes.length, before2 + 1, 'no timer commit left over');
      assert.deepEqual(done, [s1, s2]);
      assert.equal(got.length, 1);
      // Waited for: flush() writes it without the clock moving.
      const s3 = j.nextSequence;
      j.recordThen(c.clientOrderId, { kind: 'accept', venueOrderId: 'vc' }, fn, undefined, undefined);
      await j.flush();
      assert.deepEqual(disk.writes.at(-1), [s3]);
      assert.deepEqual(done, [s1, s2, s3]);
      // And close() writes what was appended later.
      j.recordThen(c.clientOrderId, { kind: 'canceled' }, fn, undefined, undefined);
      await j.close();
      assert.equal(onDisk(t.dir).length, 8);
    } finally {
      t.cleanup();
    }
  });

  it('a turn larger than the reused batch buffer (over 4 MiB) grows it, is written whole and in order, and later turns are written after it', async () => {
    const t = tempDir();
    const disk = observedDisk();
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0 }, { fileOps: disk.ops });
      const big = 'x'.repeat(200_000);
      const ps: Promise<number>[] = [];
      for (let i = 0; i < 24; i++) ps.push(j.writer.append('balance.adjust', { v: 'sim-a', a: 'USDT', x: '0', pad: `${i}${big}` }));
      await Promise.all(ps);
      assert.deepEqual(disk.writes.at(-1), Array.from({ length: 24 }, (_, i) => i + 1));
      for (let k = 0; k < 3; k++) {
        for (let i = 0; i < 10; i++) ps.push(j.writer.append('balance.adjust', { v: 'sim-a', a: 'USDT', x: '0', n: k * 10 + i }));
        await Promise.all(ps);
      }
      await j.close();
      const recs = onDisk(t.dir);
      assert.equal(recs.length, 54);
      assert.equal((recs[23]!.data as { pad?: string }).pad, `23${big}`);
      assert.deepEqual(
        recs.slice(24).map((r) => (r.data as { n?: number }).n),
        Array.from({ length: 30 }, (_, i) => i),
      );
    } finally {
      t.cleanup();
    }
  });

  it('a turn with more records than IOV_MAX (1024) is still one writev call, every record on disk in order', async () => {
    const t = tempDir();
    const disk = observedDisk();
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0 }, { fileOps: disk.ops });
      const got: { err: Error | undefined; order: Order }[] = [];
      for (let i = 0; i < 1500; i++) j.submitThen('mm', intent(), undefined, listener([], got));
      await j.flush();
      assert.deepEqual(
        disk.writes.map((w) => w.length),
        [1500],
      );
      assert.equal(got.length, 1500);
      await j.close();
      assert.equal(onDisk(t.dir).length, 1500);
    } finally {
      t.cleanup();
    }
  });

  it('fsync always: the batch is written once, fdatasynced once, and no caller is released before that fdatasync returns', async () => {
    const t = tempDir();
    const disk = observedDisk();
    try {
      const j = await open({ dir: t.dir, fsync: 'always', snapshotEvery: 0 }, { fileOps: disk.ops });
      await j.submit('mm', intent());
      const w0 = disk.writes.length;
      const s0 = j.writer.stats.syncs;
      disk.syncGate = gate();
      const got: { err: Error | undefined; order: Order }[] = [];
      for (let i = 0; i < 10; i++) j.submitThen('mm', intent(), undefined, listener(disk.log, got));
      // The writev happened; the fdatasync is held: however many turns pass, nobody is released.
      for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
      assert.equal(disk.writes.length - w0, 1, 'written to the kernel');
      assert.equal(got.length, 0, 'not released before the fdatasync');
      // Appends meanwhile wait for the next commit (group commit behind the sync in flight).
      const later = j.submit('mm', intent());
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
      assert.equal(disk.writes.length - w0, 1, 'the next batch waits for the fdatasync in flight');
      disk.syncGate.open();
      disk.syncGate = undefined;
      await later;
      assert.equal(got.length, 10);
      assert.ok(got.every((g) => g.err === undefined));
      const firstSync = disk.log.indexOf('sync', disk.log.findIndex((e) => e.startsWith('writev:') && e.split(',').length === 10));
      assert.ok(firstSync >= 0 && disk.log.findIndex((e) => e.startsWith('released:')) > firstSync, 'released after the fdatasync');
      assert.equal(disk.writes.length - w0, 2);
      assert.equal(j.writer.stats.syncs - s0, 2, 'one fdatasync per batch');
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('a caller awaiting one append after another does not starve the event loop (each later commit of a turn waits for the check phase)', async () => {
    const t = tempDir();
    const disk = observedDisk();
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0 }, { fileOps: disk.ops });
      let ticks = 0;
      let stop = false;
      const tick = (): void => {
        ticks++;
        if (!stop) setImmediate(tick);
      };
      setImmediate(tick);
      for (let i = 0; i < 20; i++) await j.adjustBalance('sim-a', 'USDT', 1n);
      stop = true;
      assert.ok(ticks >= 10, `the event loop turned while records were awaited one by one (${ticks} turns)`);
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('appendThen: a throwing callback does not stop the others of its batch; during an episode the callback gets the error later, never synchronously; after close it throws (no sequence used)', async () => {
    const t = tempDir();
    const disk = observedDisk();
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0, retryMs: 100 }, { fileOps: disk.ops });
      const w = j.writer;
      const calls: string[] = [];
      const fn = (err: Error | undefined, seq: number, tag: string, boom: boolean): void => {
        calls.push(`${tag}:${seq}:${err === undefined ? 'ok' : (err as JournalIoError).code}`);
        if (boom) throw new Error('a buggy caller');
      };
      const s1 = w.appendThen('balance.adjust', { v: 'sim-a', a: 'USDT', x: '1' }, 1, fn, 'a', true);
      const s2 = w.appendThen('balance.adjust', { v: 'sim-a', a: 'USDT', x: '2' }, 1, fn, 'b', false);
      await w.flush();
      assert.deepEqual(calls, [`a:${s1}:ok`, `b:${s2}:ok`]);

      disk.full = true;
      w.appendThen('balance.adjust', { v: 'sim-a', a: 'USDT', x: '3' }, 1, fn, 'c', false);
      for (let i = 0; i < 10 && calls.length < 3; i++) await new Promise<void>((r) => setImmediate(r));
      assert.equal(w.health.writable, false);
      const s4 = w.appendThen('balance.adjust', { v: 'sim-a', a: 'USDT', x: '4' }, 1, fn, 'd', false);
      assert.equal(calls.length, 3, 'not called from inside appendThen');
      await Promise.resolve();
      assert.equal(calls.at(-1), `d:${s4}:B4_JOURNAL_IO`);
      assert.equal(w.health.waiting, 2, 'both records kept, in order');
      disk.full = false;
      assert.equal(await w.recover(), true);
      await j.close();
      assert.deepEqual(
        onDisk(t.dir).map((r) => (r.data as { x?: string }).x),
        ['1', '2', '3', '4'],
      );
      const seq = w.nextSequence;
      assert.throws(() => w.appendThen('balance.adjust', {}, 1, fn, 'e', false), (e: unknown) => (e as { code?: string }).code === 'B4_JOURNAL_CLOSED');
      assert.throws(() => j.submitThen('mm', intent(), undefined, listener([], [])), (e: unknown) => (e as { code?: string }).code === 'B4_JOURNAL_CLOSED');
      assert.equal(w.nextSequence, seq, 'no sequence used after close');
    } finally {
      t.cleanup();
    }
  });

  it('a writev failure mid-batch (ENOSPC after a torn prefix): every order of the batch is told B4_JOURNAL_IO and rejected; the records wait in order and recovery writes them after the cut-back', async () => {
    const t = tempDir();
    const disk = observedDisk();
    const clock = new SimulatedClock();
    try {
      const j = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0, retryMs: 100 }, { fileOps: disk.ops, clock });
      await j.submit('mm', intent());
      disk.full = true;
      const got: { err: Error | undefined; order: Order }[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(j.submitThen('mm', intent(), undefined, listener(disk.log, got)).clientOrderId);
      for (let i = 0; i < 10 && got.length < 8; i++) await new Promise<void>((r) => setImmediate(r));
      assert.equal(got.length, 8);
      assert.ok(got.every((g) => g.err instanceof JournalIoError && g.err.code === 'B4_JOURNAL_IO' && g.err.errno === 'ENOSPC'));
      assert.deepEqual(
        got.map((g) => g.order.clientOrderId),
        ids,
      );
      assert.ok(
        ids.every((id) => j.orders.require(id).state === 'rejected'),
        'every order of the failed batch ends rejected',
      );
      assert.equal(j.writer.health.writable, false);
      assert.throws(() => j.submitThen('mm', intent(), undefined, listener(disk.log, got)), JournalIoError, 'refused synchronously during the episode');
      disk.full = false;
      assert.equal(await j.writer.recover(), true);
      await j.close();
      const recs = onDisk(t.dir);
      for (const id of ids) {
        assert.deepEqual(
          recs.filter((r) => r.data.id === id).map((r) => (r.type === 'order.event' ? r.data.e?.kind : r.type)),
          ['order.submit', 'reject'],
        );
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('venue actor on the group-commit path (fake adapter, simulated clock, real journal writes)', () => {
  interface Rig {
    clock: SimulatedClock;
    system: ActorSystem;
    journal: OrderJournal;
    fake: FakeAdapter;
    actor: VenueActor;
    disk: Disk;
    denials: OrderDenied[];
    close(): Promise<void>;
  }
  let h: Rig | undefined;
  let level: string;
  before(() => {
    level = logger.level;
    logger.level = 'silent';
  });
  after(() => {
    logger.level = level;
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function rig(): Promise<Rig> {
    const t = tempDir();
    const clock = new SimulatedClock();
    const disk = observedDisk();
    const journal = await open({ dir: t.dir, fsync: 'never', snapshotEvery: 0 }, { clock, fileOps: disk.ops, portfolio: { assetDecimals: { BTC: 8, ETH: 8, USDT: 8 } } });
    const system = new ActorSystem({ clock });
    // The adapter's `place:<id>` entries go to the same log as the journal's writes.
    const fake = new FakeAdapter('sim-a', clock, SIM_A, disk.log);
    const breaker = new CircuitBreaker({ name: 'sim-a', consecutiveFailures: 100, minimumCalls: 100, openDurationMs: 100, maxOpenDurationMs: 500, jitter: 0 }, clock);
    const actor = new VenueActor({ adapter: fake, journal, clock, breaker, instruments: SIM_A, options: { probeBaseMs: 20, probeCapMs: 200, reconcileEveryMs: 0, books: false, notFoundGraceMs: 1000 } });
    const denials: OrderDenied[] = [];
    system.spawn('probe.events', counterMachine, {
      handle: (e: Envelope) => {
        if (e.type === 'order.denied') denials.push(e.payload as OrderDenied);
      },
    });
    system.subscribe('risk.denials', 'probe.events');
    actor.spawn(system);
    return {
      clock,
      system,
      journal,
      fake,
      actor,
      disk,
      denials,
      async close() {
        await actor.close();
        await system.shutdown();
        await journal.close();
        t.cleanup();
      },
    };
  }

  async function until(r: Rig, cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 2000; i++) {
      if (cond()) return;
      await new Promise<void>((res) => setImmediate(res));
      r.clock.advance(1);
      await new Promise<void>((res) => setImmediate(res));
    }
    assert.fail(`timed out waiting for: ${what}`);
  }

  const submitMany = (r: Rig, n: number): void => {
    for (let i = 0; i < n; i++) r.system.send('exchange.sim-a', { type: 'order.submit', payload: { intent: intent(i + 1) } });
  };

  it('orders submitted together are journaled in one writev, and each is handed to the adapter only after the writev that carried its record', async () => {
    h = await rig();
    await until(h, () => h!.actor.state === 'running', 'running');
    const w0 = h.disk.writes.length;
    submitMany(h, 20);
    await until(h, () => h!.actor.stats().accepted === 20, '20 accepted');
    const submits = h.disk.writes.slice(w0).filter((seqs) => seqs.length === 20);
    assert.equal(submits.length, 1, `the 20 submit records shared one writev (writes: ${JSON.stringify(h.disk.writes.slice(w0))})`);
    for (const o of h.journal.orders.values()) {
      const seq = String(parseClientOrderId(o.clientOrderId)!.sequence);
      const written = h.disk.log.findIndex((e) => e.startsWith('writev:') && e.slice(7).split(',').includes(seq));
      const placed = h.disk.log.indexOf(`place:${o.clientOrderId}`);
      assert.ok(written >= 0 && placed > written, `${o.clientOrderId}: written (${written}) before placed (${placed})`);
    }
  });

  it('a writev failure of the batch denies every order in it JOURNAL_FAILED and sends none of them', async () => {
    h = await rig();
    await until(h, () => h!.actor.state === 'running', 'running');
    h.disk.full = true;
    submitMany(h, 12);
    await until(h, () => h!.denials.length === 12, '12 denials');
    assert.ok(
      h.denials.every((d) => d.code === 'JOURNAL_FAILED' && d.source === 'journal'),
      JSON.stringify(h.denials.map((d) => d.code)),
    );
    assert.equal(h.fake.count('placeOrder'), 0, 'no order left the process');
    assert.ok([...h.journal.orders.values()].every((o) => o.state === 'rejected'));
    // Space back: the journal recovers and orders flow again.
    h.disk.full = false;
    assert.equal(await h.journal.writer.recover(), true);
    submitMany(h, 1);
    await until(h, () => h!.actor.stats().accepted === 1, 'accepted after recovery');
    assert.equal(h.fake.count('placeOrder'), 1);
  });
});
