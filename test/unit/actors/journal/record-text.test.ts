import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { captureOrderBook, encodeOrderEvent, orderEventText, renderOrderBook, renderOrderBookBuffers, restoreOrderBook, serializeOrderBook, serializeOrderBookText, type OrderBookState } from '../../../../actors/journal/order-records.js';
import { OrderStore } from '../../../../actors/orders/order-store.js';
import { Portfolio } from '../../../../actors/orders/portfolio.js';
import { decodeRecordAt, encodeRecord, encodeRecordText } from '../../../../actors/journal/record.js';
import { listSegments, snapshotName } from '../../../../actors/journal/segments.js';
import { readSnapshot, SnapshotParts, SnapshotText, writeSnapshot } from '../../../../actors/journal/snapshot.js';
import type { OrderEvent } from '../../../../actors/orders/order-state.js';
import { SeededRandom } from '../../../../common/random.js';
import { INSTRUMENTS, workloadStep } from '../../../fixtures/journal/workload.js';
import { digest, open, runWorkload, tempDir } from './helpers.js';

/** Every event kind, with and without optional fields, bigints, and strings JSON must escape. */
const EVENTS: OrderEvent[] = [
  { kind: 'submit' },
  { kind: 'deny', reason: 'RISK_BALANCE' },
  { kind: 'accept' },
  { kind: 'accept', venueOrderId: '12345' },
  { kind: 'accept', venueOrderId: undefined },
  { kind: 'reject', reason: 'quote "x"\n\\ tab\t ctl\u0001 ünï €' },
  { kind: 'unknown', reason: 'restart: lone surrogate \ud800 end' },
  { kind: 'fill', lots: 3, priceTicks: 1_000_001 },
  { kind: 'fill', lots: 3, priceTicks: 1_000_001, tradeId: 't1', feeAsset: 'USDT', feeAtoms: 123456789012345678901234567890n },
  { kind: 'fill', lots: 3, priceTicks: 1_000_001, feeAsset: 'BNB', feeAtoms: 0n, tradeId: undefined },
  { kind: 'cancel-request' },
  { kind: 'cancel-reject', reason: 'unknown order' },
  { kind: 'canceled' },
  { kind: 'canceled', reason: 'venue' },
  { kind: 'expire' },
  { kind: 'reconcile', to: 'partially-filled', filledLots: 7, cumTickLots: 7_000_007n, venueOrderId: 'v1', feeAsset: 'USDT', feeAtoms: 9n },
  { kind: 'reconcile', to: 'rejected', filledLots: 0, cumTickLots: 0n },
];

describe('journal record and snapshot text (the hand-rendered hot records)', () => {
  it('orderEventText gives the bytes of JSON.stringify({ id, e: encodeOrderEvent(e) }) for every event kind', () => {
    for (const e of EVENTS) {
      const id = 'mm-btc.lq3x0.1a';
      assert.equal(orderEventText(id, e), JSON.stringify({ id, e: encodeOrderEvent(e) }), JSON.stringify(encodeOrderEvent(e)));
      const generic = encodeRecord(42, 1_796_429_682_615, 'order.event', { id, e: encodeOrderEvent(e) });
      const text = encodeRecordText(42, 1_796_429_682_615, 'order.event', orderEventText(id, e));
      assert.ok(generic.equals(text), `record bytes of ${e.kind}`);
    }
  });

  it('a live journal writes exactly the bytes the generic encoder gives for each record, and replays to the live state', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' });
      const live = await runWorkload(j, 1500, 7);
      await j.close();
      let records = 0;
      let events = 0;
      for (const seg of listSegments(t.dir)) {
        const buf = readFileSync(seg.path);
        for (let off = 0; off < buf.length; ) {
          const r = decodeRecordAt(buf, off, buf.length, 1 << 20);
          assert.ok(r.ok, `record at ${off} of ${seg.path}`);
          const { seq, tMs, type, data } = r.record;
          // What the generic (pre-text) encoder writes for the decoded record: the same bytes.
          const again = encodeRecord(seq, tMs, type, data);
          assert.ok(again.equals(buf.subarray(off, off + r.bytes)), `record ${seq} (${type}) is byte-identical to the generic encoding`);
          if (type === 'order.event') events++;
          records++;
          off += r.bytes;
        }
      }
      assert.ok(events > 500, `the workload journaled order events (${events} of ${records})`);
      const r = await open({ dir: t.dir });
      assert.equal(digest(r.state), live);
      await r.close();
    } finally {
      t.cleanup();
    }
  });

  it('the snapshot text equals JSON.stringify of the snapshot value, also after orders changed', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' }, { orderStore: { maxClosed: 50 } });
      const rng = new SeededRandom(3);
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 300; i++) await workloadStep(j, rng);
        // Renders (and caches) every order's text, then compares with the generic serialization.
        assert.equal(serializeOrderBookText(j.state), JSON.stringify(serializeOrderBook(j.state)), `round ${round}`);
      }
      await j.recordTradingState('HALTED', 'manual', 'operator "stop"');
      assert.equal(serializeOrderBookText(j.state), JSON.stringify(serializeOrderBook(j.state)), 'with a trading state');
      const seq = await j.snapshot();
      const before = digest(j.state);
      await j.close();
      const r = await open({ dir: t.dir }, { orderStore: { maxClosed: 50 } });
      assert.equal(r.report.snapshotSeq, seq, 'replay starts from the text-rendered snapshot');
      assert.equal(digest(r.state), before);
      await r.close();
    } finally {
      t.cleanup();
    }
  });

  it('a capture renders the state as of its instant, though orders change, close and are evicted while it renders in slices', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' }, { orderStore: { maxClosed: 40 } });
      const rng = new SeededRandom(5);
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 200; i++) await workloadStep(j, rng);
        const expected = JSON.stringify(serializeOrderBook(j.state));
        const cap = captureOrderBook(j.state);
        let open = 0;
        for (const o of j.orders.openOrders()) if (o.state !== 'initialized') open++;
        assert.ok(open > 0, 'open orders are captured');
        // The table moves on while the capture renders a few orders at a time.
        let done = false;
        for (let i = 0; i < 400; i++) {
          await workloadStep(j, rng);
          if (!done) done = cap.orders.renderSlice(3);
        }
        assert.notEqual(JSON.stringify(serializeOrderBook(j.state)), expected, 'the state changed meanwhile');
        assert.equal(cap.text(), expected, `round ${round}`);
        assert.equal(await renderOrderBook(captureOrderBook(j.state), 5), JSON.stringify(serializeOrderBook(j.state)));
      }
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('a snapshot written from rendered pieces (more pieces than one writev takes) has the bytes of the text form, and replays to the same state', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' }, { orderStore: { maxClosed: 600, hotClosed: 20 } });
      const rng = new SeededRandom(11);
      for (let i = 0; i < 3000; i++) await workloadStep(j, rng);
      const expected = JSON.stringify(serializeOrderBook(j.state));
      // One order per slice: a piece per order plus the commas between them, past IOV_MAX (1024).
      const parts = await renderOrderBookBuffers(captureOrderBook(j.state), 1);
      assert.ok(parts.length > 1024, `${parts.length} pieces`);
      assert.equal(Buffer.concat(parts).toString('utf8'), expected);
      const fromParts = await writeSnapshot(t.dir, 90, new SnapshotParts(parts));
      const fromText = await writeSnapshot(t.dir, 91, new SnapshotText(expected));
      assert.ok(readFileSync(fromParts).subarray(8).equals(Buffer.from(`{"seq":90,"state":${expected}}`)), 'the payload, byte for byte');
      assert.equal(readFileSync(fromParts).readUInt32LE(0), readFileSync(fromText).length - 8, 'same length field');
      const r = readSnapshot(fromParts);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(JSON.stringify(r.state), expected);
      await j.close();
    } finally {
      t.cleanup();
    }
  });

  it('a snapshot larger than many checksum slices (64 KiB each) is written and verified whole', async () => {
    const t = tempDir();
    try {
      const big = { rows: Array.from({ length: 120_000 }, (_, i) => ({ i, s: `row ${i} ünï €` })) };
      const file = await writeSnapshot(t.dir, 7, new SnapshotText(JSON.stringify(big)));
      assert.ok(statSync(file).size > 3 * 2 ** 20, 'several checksum slices');
      const r = readSnapshot(file);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.seq, 7);
      assert.deepEqual(r.state, big);
      const file2 = await writeSnapshot(t.dir, 8, big);
      // The generic form (a value) writes the same payload as the text form.
      assert.equal(readFileSync(file2).toString('utf8', 8), `{"seq":8,"state":${JSON.stringify(big)}}`);
      assert.equal(readFileSync(file).toString('utf8', 8), `{"seq":7,"state":${JSON.stringify(big)}}`);
      assert.ok(readSnapshot(file2).ok);
    } finally {
      t.cleanup();
    }
  });

  it('a snapshot file holds {"seq":n,"state":...} (the order table as its binary image) readable by readSnapshot', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0, fsync: 'never' });
      await runWorkload(j, 200, 11);
      const seq = await j.snapshot();
      const snap = readSnapshot(path.join(t.dir, snapshotName(seq)));
      assert.ok(snap.ok);
      assert.equal(snap.seq, seq);
      assert.equal(snap.version, 2);
      const { orders, ...rest } = JSON.parse(JSON.stringify(serializeOrderBook(j.state))) as Record<string, unknown>;
      assert.ok(orders !== undefined);
      assert.deepEqual(snap.state, { orders: { image: 1, bytes: snap.binary!.length }, ...rest });
      const back: OrderBookState = { orders: new OrderStore(), portfolio: new Portfolio(INSTRUMENTS) };
      restoreOrderBook(back, snap.state, snap.binary);
      assert.equal(digest(back), digest(j.state));
      await j.close();
    } finally {
      t.cleanup();
    }
  });
});
