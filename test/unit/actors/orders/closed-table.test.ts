import assert from 'node:assert/strict';
import { OrderStore } from '../../../../actors/orders/order-store.js';
import { PackStrings, packOrder, unpackOrder } from '../../../../actors/orders/closed-pack.js';
import { ClosedTable } from '../../../../actors/orders/closed-table.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import type { Order } from '../../../../actors/orders/order-state.js';
import { SeededRandom } from '../../../../common/random.js';

// Id shapes the packed table stores differently: decimal ids as numbers (but not with a leading
// zero or past 15 digits), ASCII, non-ASCII (UTF-8 bytes compared by decoding), long ones.
const ID_SHAPES = [(i: number) => String(1000 + i), (i: number) => `00${i}`, (i: number) => `mm.k3.${i}`, (i: number) => `ordre-é-${i}`, (i: number) => `注文${i}`, (i: number) => `${'x'.repeat(40)}${i}`, (i: number) => String(1_000_000_000_000_000 + i)];

interface Made {
  id: string;
  venue: string;
  vid: string | undefined;
  key: string | undefined;
}

/** Drives both stores through the same random life of `n` orders; returns what was created. */
function drive(stores: OrderStore[], n: number, seed: string): { made: Made[]; keys: string[] } {
  const rng = new SeededRandom(seed);
  const keys = Array.from({ length: 25 }, (_, k) => (k % 3 === 0 ? `clé-${k}` : k % 3 === 1 ? String(k) : `bid.${k}`));
  const made: Made[] = [];
  const open: Made[] = [];
  for (let i = 0; i < n; i++) {
    const venue = i % 2 === 0 ? 'v1' : 'v2';
    const key = rng.next() < 0.8 ? keys[rng.int(keys.length)] : undefined;
    const id = ID_SHAPES[i % ID_SHAPES.length]!(i);
    const it: OrderIntent = { strategy: 's', venue, symbol: 'X/Y', side: i % 2 === 0 ? 'buy' : 'sell', type: 'limit', tif: 'GTC', priceTicks: 100 + rng.int(50), qtyLots: 1 + rng.int(9) };
    // a key whose latest attempt is still open: the store refuses a re-send; skip the key then
    const k = key !== undefined && stores[0]!.canResubmit(key) ? key : undefined;
    for (const s of stores) s.create(id, it, i * 1000, k);
    const m: Made = { id, venue, vid: undefined, key: k };
    made.push(m);
    open.push(m);
    for (const s of stores) s.apply(id, { kind: 'submit' }, i * 1000 + 1);
    // close a random open order or two (some stay open for a while, so keys overlap)
    for (let c = 0; c < 2 && open.length > 3; c++) {
      const j = rng.int(open.length);
      const o = open[j]!;
      open.splice(j, 1);
      const r = rng.int(4);
      // venue ids: numbers, the same number on both venues, strings, non-ASCII, or none
      const vid = r === 0 ? undefined : r === 1 ? String(5000 + made.indexOf(o)) : r === 2 ? `V-${made.indexOf(o)}` : `ид${made.indexOf(o)}`;
      o.vid = vid;
      const cancel = rng.next() < 0.5;
      for (const s of stores) {
        if (r === 0) s.apply(o.id, { kind: 'reject', reason: 'nope: ñ' }, i * 1000 + 5);
        else {
          s.apply(o.id, { kind: 'accept', venueOrderId: vid }, i * 1000 + 2);
          if (cancel) s.apply(o.id, { kind: 'canceled' }, i * 1000 + 3);
          else s.apply(o.id, { kind: 'fill', lots: s.get(o.id)!.intent.qtyLots, priceTicks: 100, tradeId: `${made.indexOf(o)}`, feeAsset: 'BNB', feeAtoms: 12n }, i * 1000 + 4);
        }
      }
    }
  }
  return { made, keys };
}

function same(s: OrderStore, ref: OrderStore, made: Made[], keys: string[]): void {
  assert.equal(s.size, ref.size);
  assert.equal(s.openCount, ref.openCount);
  for (const m of made) {
    assert.deepStrictEqual(s.get(m.id), ref.get(m.id), m.id);
    if (m.vid !== undefined) assert.deepStrictEqual(s.getByVenueOrderId(m.venue, m.vid), ref.getByVenueOrderId(m.venue, m.vid), `venue id ${m.vid}`);
  }
  for (const k of keys) assert.deepStrictEqual(s.latestAttempt(k), ref.latestAttempt(k), `attempt ${k}`);
  assert.deepStrictEqual([...s.countByState()].sort(), [...ref.countByState()].sort());
  // the snapshot: the same orders (packed ones come first, in closing order) and the same closing order
  const a = JSON.parse(s.toJSONText()) as ReturnType<OrderStore['toJSON']>;
  const b = ref.toJSON();
  assert.deepStrictEqual(a.closed, b.closed);
  const byId = (x: typeof a): Map<string, unknown> => new Map(x.orders.map((o) => [o.clientOrderId, JSON.parse(JSON.stringify(o))]));
  assert.deepStrictEqual(byId(a), byId(b));
}

describe('OrderStore: the packed closed-order table (issue 16, ClosedTable)', () => {
  it('answers like a store of objects over thousands of evictions: ids of every shape, shared venue ids, keys reused across attempts', () => {
    const ref = new OrderStore({ maxClosed: 300, hotClosed: 1_000_000 });
    const s = new OrderStore({ maxClosed: 300, hotClosed: 0 });
    const s8 = new OrderStore({ maxClosed: 300, hotClosed: 8 });
    const { made, keys } = drive([ref, s, s8], 3000, 'closed-table');
    assert.equal(s.packedCount, 300, 'every retained closed order is packed');
    assert.ok(s8.packedCount === 292);
    same(s, ref, made, keys);
    same(s8, ref, made, keys);
    // evicted ones are gone from every index (no stale slot answers)
    const gone = made.filter((m) => ref.get(m.id) === undefined);
    assert.ok(gone.length > 2000, `${gone.length}`);
    for (const m of gone) {
      assert.equal(s.get(m.id), undefined);
      if (m.vid !== undefined) assert.equal(s.getByVenueOrderId(m.venue, m.vid), undefined);
    }
    // a snapshot restores into the same table
    const r = new OrderStore({ maxClosed: 300, hotClosed: 0 });
    r.restore(JSON.parse(s.toJSONText()));
    same(r, ref, made, keys);
    assert.equal(r.toJSONText(), s.toJSONText());
    // and so does the binary image a journal snapshot holds (packed records copied as they are)
    for (const src of [s, s8]) {
      const img = src.captureImage();
      while (!img.renderSlice(7));
      const bytes = Buffer.concat(img.buffers());
      const ri = new OrderStore({ maxClosed: 300, hotClosed: 8 });
      ri.restoreImage(bytes);
      same(ri, ref, made, keys);
      assert.equal(ri.toJSONText(), src.toJSONText());
    }
  });

  it('holds the packed orders outside the heap in a bounded buffer once the window is full', () => {
    const s = new OrderStore({ maxClosed: 200, hotClosed: 0 });
    drive([s], 1500, 'bounded');
    const at1500 = s.packedBytes;
    const more = new OrderStore({ maxClosed: 200, hotClosed: 0 });
    drive([more], 6000, 'bounded');
    assert.equal(more.packedCount, 200);
    // same window, 4× the orders through it: the buffers did not grow with them
    assert.ok(more.packedBytes <= at1500 * 2, `${more.packedBytes} vs ${at1500}`);
    assert.ok(more.packedRecordBytes > 0 && more.packedRecordBytes < 200 * 200);
  });

  it('packs every field exactly: −0, fractions, negatives, bigints past 2⁵³, reduceOnly present but undefined, non-ASCII text', () => {
    const t = new PackStrings();
    const base: Order = {
      clientOrderId: 'c',
      venueOrderId: '0123',
      intent: { strategy: 'ß', venue: 'v', symbol: 'X/Y', side: 'sell', type: 'limit', tif: 'IOC', priceTicks: -0, qtyLots: 0.5, reduceOnly: undefined as unknown as boolean },
      intentKey: '',
      state: 'filled',
      filledLots: -3,
      cumTickLots: -(2n ** 70n),
      fees: { BNB: 2n ** 60n, 'é': -1n },
      tradeIds: ['0', '007', '1234567890123456', 't-1'],
      reason: 'reçu',
      createdNs: 1_764_900_000_123_456_768,
      updatedNs: -1,
      history: [
        { tNs: Number.MAX_VALUE, event: 'fill', from: 'accepted', to: 'filled' },
        { tNs: NaN, event: 'reconcile', from: 'expired', to: 'canceled' },
      ],
    };
    const back = unpackOrder('c', packOrder(base, t), t);
    assert.deepStrictEqual(back, base);
    assert.ok('reduceOnly' in back.intent);
    const { reduceOnly: _r, ...noRo } = base.intent;
    const o2: Order = { ...base, intent: noRo, venueOrderId: undefined, intentKey: undefined, reason: undefined, tradeIds: [], fees: {} };
    const back2 = unpackOrder('c', packOrder(o2, t), t);
    assert.deepStrictEqual(back2, o2);
    assert.ok(!('reduceOnly' in back2.intent));
  });

  it('keeps each record\'s hash bits beside it: adds and evictions re-hash no id from the bytes; an index past the stored bits recomputes and answers the same', () => {
    // closed orders of every id shape, from a store of objects
    const ref = new OrderStore({ maxClosed: 1_000_000, hotClosed: 1_000_000 });
    const { made } = drive([ref], 4000, 'stored-hashes');
    const closed = [...ref.closedOrders()];
    assert.ok(closed.length > 3000, `${closed.length}`);
    const WINDOW = 700;
    const stored = new ClosedTable(new PackStrings());
    const small = new ClosedTable(new PackStrings(), 3); // every index past 8 slots recomputes
    const latest = new Map<string, string>();
    for (const o of closed) if (o.intentKey !== undefined) latest.set(o.intentKey, o.clientOrderId);
    const live: Order[] = [];
    const check = (t: ClosedTable): void => {
      assert.equal(t.size, live.length);
      for (const o of live) {
        assert.deepStrictEqual(t.get(o.clientOrderId), o);
        if (o.venueOrderId !== undefined) assert.equal(t.idByVenueOrderId(o.intent.venue, o.venueOrderId), o.clientOrderId);
      }
      const liveIds = new Set(live.map((o) => o.clientOrderId));
      for (const m of made) {
        if (liveIds.has(m.id)) continue;
        assert.equal(t.get(m.id), undefined, m.id);
        assert.equal(t.has(m.id), false);
      }
      for (const [key, id] of latest) {
        const at = t.latestOfKey(key);
        if (liveIds.has(id)) assert.equal(at?.clientOrderId, id, key);
        else assert.equal(at, undefined, key);
      }
    };
    for (let i = 0; i < closed.length; i++) {
      const o = closed[i]!;
      const isLatest = o.intentKey !== undefined && latest.get(o.intentKey) === o.clientOrderId;
      stored.add(o, isLatest);
      small.add(o, isLatest);
      live.push(o);
      if (live.length > WINDOW) {
        const gone = live.shift()!;
        assert.equal(stored.evictOldest(), gone.clientOrderId);
        assert.equal(small.evictOldest(), gone.clientOrderId);
      }
      if (i % 997 === 0) {
        check(stored);
        check(small);
      }
    }
    check(stored);
    check(small);
    assert.equal(stored.hashesRecomputed, 0, 'the default table never re-hashes a record');
    assert.ok(small.hashesRecomputed > closed.length, `${small.hashesRecomputed}`);
    assert.throws(() => new ClosedTable(new PackStrings(), 17), /storedHashBits: expected an integer 1–16, got 17/);
  });
});
