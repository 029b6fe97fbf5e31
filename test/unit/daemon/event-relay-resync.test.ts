import assert from 'node:assert/strict';
import { ExportLog, ImportSequencer, type ReplayPage, type SequencedEvent } from '../../../daemon/event-relay-resync.js';

/** A receiver wired to one exporter: what it applied, and a switch that makes fetches fail. */
function wire(log: ExportLog, opts: { snapshot?: Record<string, unknown>[]; maxPage?: number } = {}) {
  const applied: number[] = [];
  const snapshots: Record<string, unknown>[][] = [];
  const failures: string[] = [];
  let down = false;
  let fetches = 0;
  const seq = new ImportSequencer({
    apply: (_node, ev) => applied.push(ev.seq),
    applySnapshot: (_node, orders) => snapshots.push(orders),
    fetch: async (_node, boot, from): Promise<ReplayPage> => {
      fetches++;
      await Promise.resolve();
      if (down) throw new Error('B4_REMOTE_DISCONNECTED');
      const page = log.replay(boot, from, opts.maxPage);
      return page === undefined ? { boot: log.boot, seq: log.seq, snapshot: opts.snapshot ?? [] } : { boot: log.boot, seq: log.seq, ...page };
    },
    failed: (_node, err) => failures.push((err as Error).message),
  });
  return {
    seq,
    applied,
    snapshots,
    failures,
    setDown: (v: boolean) => (down = v),
    fetches: () => fetches,
  };
}
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
const ev = (log: ExportLog, n: number): SequencedEvent[] => Array.from({ length: n }, (_, i) => log.append('orders', { i }));

describe('daemon/event-relay-resync: events across nodes after a NATS outage', () => {
  it('ExportLog numbers events from 1 and replays what it still keeps, in pages; older than kept → undefined (snapshot)', () => {
    const log = new ExportLog(5);
    ev(log, 8);
    assert.equal(log.seq, 8);
    assert.deepEqual(log.replay(log.boot, 6)?.events.map((e) => e.seq), [6, 7, 8]);
    assert.deepEqual(log.replay(log.boot, 4, 2), { events: [log.replay(log.boot, 4)!.events[0], log.replay(log.boot, 5)!.events[0]], more: true });
    assert.equal(log.replay(log.boot, 3), undefined, 'event 3 is gone');
    assert.deepEqual(log.replay(log.boot, 9), { events: [], more: false });
    assert.equal(log.replay('another-boot', 7), undefined, 'an earlier start of the node: from 1, gone');
    const none = new ExportLog(0);
    assert.deepEqual(none.replay(none.boot, 1), { events: [], more: false }, 'nothing exported: nothing missed');
    none.append('orders', {});
    assert.equal(none.replay(none.boot, 1), undefined, 'capacity 0: always a snapshot');
  });

  it('applies each event once and in order; a gap (events lost while NATS was down) is replayed before what came after it', async () => {
    const log = new ExportLog(100);
    const w = wire(log);
    const evs = ev(log, 10);
    w.seq.event('n', evs[0]!);
    w.seq.event('n', evs[1]!);
    // 3..7 lost; 8 arrives: held, 3..7 replayed, then 8
    w.seq.event('n', evs[7]!);
    w.seq.event('n', evs[8]!); // arrives during the replay: held
    await settle();
    w.seq.event('n', evs[8]!); // a duplicate
    w.seq.event('n', evs[9]!);
    assert.deepEqual(w.applied, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(w.seq.counters.gaps, 1);
    // the replay answers everything the exporter has after 2 (3..10): what arrives live after it is a duplicate
    assert.equal(w.seq.counters.replayed, 8);
    assert.equal(w.seq.counters.duplicates, 4, "8 and 9 held during the replay, 9 again, 10");
  });

  it('an announcement naming a later number than applied (the last events were lost) replays them; pages follow until done', async () => {
    const log = new ExportLog(100);
    const w = wire(log, { maxPage: 2 });
    const evs = ev(log, 7);
    w.seq.event('n', evs[0]!);
    w.seq.announced('n', log.boot, 7);
    await settle();
    assert.deepEqual(w.applied, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(w.fetches(), 3, 'pages of 2: 2-3, 4-5, 6-7');
    w.seq.announced('n', log.boot, 7);
    await settle();
    assert.equal(w.fetches(), 3, 'nothing missed: no replay');
  });

  it('missed events no longer kept: a snapshot of the orders, then the live events after it', async () => {
    const log = new ExportLog(3);
    const w = wire(log, { snapshot: [{ orderId: 'o1', status: 'filled' }] });
    const evs = ev(log, 10);
    w.seq.event('n', evs[0]!);
    w.seq.announced('n', log.boot, 10);
    await settle();
    assert.deepEqual(w.snapshots, [[{ orderId: 'o1', status: 'filled' }]]);
    assert.deepEqual(w.applied, [1]);
    const next = log.append('orders', { i: 11 });
    w.seq.event('n', next);
    assert.deepEqual(w.applied, [1, 11]);
  });

  it('a replay that fails (NATS down again) is retried at the next announcement; a restarted node numbers from 1 again', async () => {
    const log = new ExportLog(100);
    const w = wire(log);
    const evs = ev(log, 4);
    w.seq.event('n', evs[0]!);
    w.setDown(true);
    w.seq.announced('n', log.boot, 4);
    await settle();
    assert.deepEqual(w.failures, ['B4_REMOTE_DISCONNECTED']);
    assert.deepEqual(w.applied, [1]);
    w.setDown(false);
    w.seq.announced('n', log.boot, 4);
    await settle();
    assert.deepEqual(w.applied, [1, 2, 3, 4]);

    // the node restarts: a new boot; its event 2 arrives first → 1 of the new boot is replayed
    const log2 = new ExportLog(100);
    const w2 = wire(log2);
    w2.seq.event('n', evs[3]!);
    const fresh = ev(log2, 2);
    w2.seq.event('n', fresh[1]!);
    await settle();
    assert.deepEqual(w2.applied, [4, 1, 2]);
  });
});
