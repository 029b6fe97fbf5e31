import assert from 'node:assert/strict';
import { Accounts } from '../../../../simulators/venue/accounts.js';
import { InstrumentRegistry } from '../../../../simulators/venue/instruments.js';
import { Ledger, type RawEntry } from '../../../../simulators/venue/ledger.js';
import type { PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import type { SimOrder } from '../../../../simulators/venue/order.js';
import { isClosed } from '../../../../simulators/venue/retention.js';
import { makeRig, UNIT, type EngineRig } from './fixtures.js';

const CLIENTS = ['user:a', 'user:b'];

/** A deterministic stream of LIMIT orders (GTC and IOC) around 200 ticks on AAAUSDT: many cross, some rest. */
function placeMany(rig: EngineRig, n: number, seed: number, after?: () => void): SimOrder[] {
  let x = seed >>> 0;
  const next = (m: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % m;
  };
  const placed: SimOrder[] = [];
  for (let i = 0; i < n; i++) {
    const account = next(5) === 0 ? 'house:mm' : CLIENTS[next(2)]!;
    const r: PlaceRequest = {
      account,
      symbol: 'AAAUSDT',
      side: next(2) === 0 ? 'BUY' : 'SELL',
      type: 'LIMIT',
      timeInForce: next(3) === 0 ? 'GTC' : 'IOC',
      priceTicks: 195 + next(11),
      lots: 1 + next(20),
      quoteOrderQty: 0n,
      clientOrderId: `o${seed}-${i}`,
      stp: 'NONE',
    };
    const res = rig.engine.place(r);
    if (res.ok && !res.order.house) placed.push(res.order);
    after?.();
  }
  return placed;
}

function fund(rig: EngineRig): void {
  for (const a of [...CLIENTS, 'house:mm']) {
    rig.accounts.deposit(a, 'USDT', 10_000_000n * UNIT);
    rig.accounts.deposit(a, 'AAA', 100_000n * UNIT);
  }
}

/** compacted entry sums + kept entries must give every client balance exactly (free and locked apart). */
function assertEntriesGiveBalances(rig: EngineRig): void {
  const sums = new Map<string, { free: bigint; locked: bigint }>();
  for (const [account, c] of rig.ledger.compacted.accounts) for (const [asset, b] of c.entries) sums.set(`${account}/${asset}`, { free: b.free, locked: b.locked });
  for (const e of rig.ledger.rawEntries()) {
    const k = `${e.account}/${e.asset}`;
    const s = sums.get(k) ?? { free: 0n, locked: 0n };
    s.free += e.freeDelta;
    s.locked += e.lockedDelta;
    sums.set(k, s);
  }
  for (const account of CLIENTS) {
    for (const [asset, b] of rig.accounts.of(account)) {
      const s = sums.get(`${account}/${asset}`) ?? { free: 0n, locked: 0n };
      assert.equal(s.free, b.free, `${account} ${asset} free: compacted + kept entries`);
      assert.equal(s.locked, b.locked, `${account} ${asset} locked: compacted + kept entries`);
    }
  }
}

describe('simulator ledger retention (compaction into running sums)', () => {
  it('compacts closed client orders past the count window and the oldest entries; balances, flows, fees and counts still add up exactly', () => {
    const rig = makeRig({ makerBps: 7, takerBps: 13 }, undefined, { orders: 8, entries: 0, maxAgeMs: 0 });
    fund(rig);
    let compacted = 0;
    let maxKept = 0;
    let maxOpen = 0;
    const placed = placeMany(rig, 6000, 7, () => {
      // as the venue does after every operation
      compacted += rig.engine.compactHistory(Date.now());
      maxKept = Math.max(maxKept, rig.ledger.orderCount);
      maxOpen = Math.max(maxOpen, rig.ledger.clientOrders().filter((o) => !isClosed(o)).length);
    });
    assert.ok(compacted > 0, 'some orders were compacted');
    assert.equal(rig.ledger.compacted.orders, compacted);
    assert.ok(rig.ledger.compacted.entries > 0, 'entries were compacted too (more than one chunk of 16,384 was recorded)');
    // the window (8), the open orders (never compacted) and the slack (256) before the next compaction
    assert.ok(maxKept <= 8 + maxOpen + 256 + 1, `kept orders stay bounded: max ${maxKept} (open at most ${maxOpen})`);
    assert.equal(rig.ledger.compacted.orders + rig.ledger.orderCount, placed.length, 'every client order is either kept or counted in the sums');

    const snap = rig.ledger.snapshot();
    assert.equal(snap.reconciled, true);
    assert.equal(rig.ledger.compacted.entries + rig.ledger.entryCount, rig.ledger.compacted.throughSeq + rig.ledger.entryCount, 'entry seqs are dense');
    assertEntriesGiveBalances(rig);

    // Every open order is kept and found; every compacted one is found neither by id nor by client id.
    const kept = new Set(rig.ledger.clientOrders());
    for (const o of placed) {
      if (!isClosed(o)) assert.ok(kept.has(o), `open order ${o.orderId} is kept`);
      if (kept.has(o)) {
        assert.equal(rig.engine.getById(o.account, o.orderId), o);
        assert.equal(rig.engine.getByClientId(o.account, o.symbol, o.clientOrderId), o);
      } else {
        assert.ok(isClosed(o));
        assert.ok(o.orderId <= rig.ledger.compacted.throughOrderId);
        assert.equal(rig.engine.getById(o.account, o.orderId), undefined, `compacted ${o.orderId} by id`);
        assert.equal(rig.engine.getByClientId(o.account, o.symbol, o.clientOrderId), undefined, `compacted ${o.orderId} by client id`);
      }
    }

    // Flows and fees: the sums plus the kept orders' fills equal every fill the orders ever had.
    for (const account of CLIENTS) {
      let bought = 0n;
      let sold = 0n;
      let quote = 0n;
      const fees = new Map<string, bigint>();
      for (const o of placed) {
        if (o.account !== account || kept.has(o)) continue;
        for (const f of o.fills) {
          if (o.side === 'BUY') bought += BigInt(f.lots);
          else sold += BigInt(f.lots);
          quote += o.side === 'BUY' ? f.quoteAtoms : -f.quoteAtoms;
          fees.set(f.commissionAsset, (fees.get(f.commissionAsset) ?? 0n) + f.commission);
        }
      }
      const c = rig.ledger.compacted.accounts.get(account)!;
      const fl = c.symbols.get('AAAUSDT')!;
      assert.equal(fl.boughtLots, bought, `${account} bought lots`);
      assert.equal(fl.soldLots, sold, `${account} sold lots`);
      assert.equal(fl.boughtQuote - fl.soldQuote, quote, `${account} net quote`);
      assert.ok(bought + sold > 0n, 'compacted orders traded');
      for (const [asset, v] of fees) assert.equal(c.commissions.get(asset) ?? 0n, v, `${account} fees in ${asset}`);
      assert.equal([...c.statuses.values()].reduce((a, b) => a + b, 0), c.orders);
    }
    // The JSON form shows the same, in decimals.
    const a = snap.compacted.accounts['user:a']!;
    assert.equal(a.orders, rig.ledger.compacted.accounts.get('user:a')!.orders);
    assert.match(a.symbols.AAAUSDT!.boughtQty, /^\d+\.\d{8}$/);
  });

  it('keeps the client-order-id index right when it was built before a compaction', () => {
    const rig = makeRig(undefined, undefined, { orders: 0, entries: 1_000_000, maxAgeMs: 0 });
    fund(rig);
    const first = placeMany(rig, 40, 3);
    // builds the history index over all 40
    const closed = first.find(isClosed)!;
    assert.equal(rig.engine.getByClientId(closed.account, closed.symbol, closed.clientOrderId), closed);
    const n = rig.engine.compactHistory(Date.now(), true);
    assert.equal(n, first.filter(isClosed).length, 'a window of 0 compacts every closed order');
    assert.equal(rig.engine.getByClientId(closed.account, closed.symbol, closed.clientOrderId), undefined);
    // later orders are indexed from the right position
    const later = placeMany(rig, 20, 4).filter(isClosed);
    for (const o of later) assert.equal(rig.engine.getByClientId(o.account, o.symbol, o.clientOrderId), o);
  });

  it('compacts by age: closed orders unchanged for longer than maxAgeMs, whatever the count; open ones stay', () => {
    const rig = makeRig(undefined, undefined, { orders: 1_000_000, entries: 1_000_000, maxAgeMs: 1_000 });
    fund(rig);
    const placed = placeMany(rig, 30, 5);
    const last = Math.max(...placed.map((o) => o.updateTime));
    assert.equal(rig.engine.compactHistory(last + 1, false), 0, 'without force only the count is checked');
    assert.equal(rig.engine.compactHistory(last + 500, true), 0, 'nothing is older than 1 s yet');
    const n = rig.engine.compactHistory(last + 5_000, true);
    assert.equal(n, placed.filter(isClosed).length);
    assert.equal(rig.ledger.orderCount, placed.filter((o) => !isClosed(o)).length);
    assertEntriesGiveBalances(rig);
  });

  it('does not rescan after every operation when open orders alone fill the window', () => {
    const rig = makeRig(undefined, undefined, { orders: 10, entries: 1_000_000, maxAgeMs: 0 });
    fund(rig);
    // 600 resting orders, far from each other's prices: none crosses, none can be compacted
    let compactions = 0;
    for (let i = 0; i < 600; i++) {
      const buy = i % 2 === 0;
      const r = rig.engine.place({ account: 'user:a', symbol: 'AAAUSDT', side: buy ? 'BUY' : 'SELL', type: 'LIMIT', timeInForce: 'GTC', priceTicks: buy ? 100 - (i % 50) : 300 + (i % 50), lots: 1, quoteOrderQty: 0n, clientOrderId: `rest-${i}` });
      assert.ok(r.ok);
      if (rig.ledger.compactionDue) {
        compactions++;
        assert.equal(rig.engine.compactHistory(Date.now()), 0);
        assert.equal(rig.ledger.compactionDue, false, 'a compaction that removed nothing moves the next trigger a slack further');
      }
    }
    // the window plus slack is 266: due at 267, then every 256 orders more at most
    assert.ok(compactions >= 1 && compactions <= 2, `compactions: ${compactions}`);
    assert.equal(rig.ledger.orderCount, 600);
  });

  it('folds blocks of entries exactly from their 32-bit words: deltas near ±2^63, withdrawals, locks, deposits and deltas wider than int64', () => {
    const accounts = new Accounts();
    let t = 1_700_000_000_000;
    const ledger = new Ledger('test', accounts, new InstrumentRegistry(), () => t++, { orders: 1, entries: 0, maxAgeMs: 0 });
    const seen: RawEntry[] = [];
    ledger.sink = (e) => seen.push(e);
    const big = 2n ** 62n;
    let x = 12345;
    const rnd = (): bigint => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return BigInt(x);
    };
    for (const a of ['user:0', 'user:1', 'user:2']) for (const asset of ['AAA', 'USDT']) accounts.deposit(a, asset, 2n ** 72n);
    // at least 3 full chunks of 16,384 and part of the next: the full ones are folded
    for (let i = 0; i < 60_000; i++) {
      const account = `user:${i % 3}`;
      const asset = i % 7 === 0 ? 'AAA' : 'USDT';
      const k = i % 5;
      if (k === 0) accounts.deposit(account, asset, big + rnd() * 2n ** 29n);
      else if (k === 1) accounts.deposit(account, asset, -(big - 1n - rnd()));
      else if (k === 2) assert.ok(accounts.lock(account, asset, big / 2n + rnd(), i + 1));
      else if (k === 3) accounts.unlock(account, asset, accounts.balance(account, asset).locked, i + 1);
      else accounts.deposit(account, asset, (i % 10 === 4 ? 1n : -1n) * rnd());
      // now and then a delta wider than int64, each way (kept exactly in the side map, folded as bigints)
      if (i % 4999 === 0) {
        accounts.deposit(account, 'WIDE', 2n ** 70n + rnd());
        accounts.deposit(account, 'WIDE', -(2n ** 69n));
      }
    }
    assert.ok(ledger.compacted.entries >= 3 * 16_384 && ledger.compacted.entries % 16_384 === 0, `${ledger.compacted.entries} entries folded`);
    assert.equal(ledger.compacted.entries + ledger.entryCount, seen.length);
    const want = new Map<string, { free: bigint; locked: bigint; deposits: bigint }>();
    for (const e of seen.slice(0, ledger.compacted.entries)) {
      const k = `${e.account}/${e.asset}`;
      const w = want.get(k) ?? { free: 0n, locked: 0n, deposits: 0n };
      w.free += e.freeDelta;
      w.locked += e.lockedDelta;
      if (e.orderId === 0) w.deposits += e.freeDelta + e.lockedDelta;
      want.set(k, w);
    }
    const got = new Map<string, { free: bigint; locked: bigint; deposits: bigint }>();
    for (const [account, c] of ledger.compacted.accounts) for (const [asset, b] of c.entries) got.set(`${account}/${asset}`, { ...b });
    assert.deepEqual(got, want);
    assert.ok([...want.values()].some((w) => w.free > 2n ** 64n || w.free < -(2n ** 64n)), 'some sums are far beyond int64');
    assert.equal(ledger.compacted.throughSeq, seen[ledger.compacted.entries - 1]!.seq);
    // compacted sums + kept entries = balances, per account and asset
    for (const e of ledger.rawEntries()) {
      const w = want.get(`${e.account}/${e.asset}`) ?? { free: 0n, locked: 0n, deposits: 0n };
      w.free += e.freeDelta;
      w.locked += e.lockedDelta;
      want.set(`${e.account}/${e.asset}`, w);
    }
    for (const [k, w] of want) {
      const [account, asset] = k.split('/') as [string, string];
      const b = accounts.balance(account, asset);
      assert.equal(w.free, b.free, `${k} free`);
      assert.equal(w.locked, b.locked, `${k} locked`);
    }
  });

  it('keeps everything without a retention', () => {
    const rig = makeRig();
    fund(rig);
    const placed = placeMany(rig, 50, 9);
    assert.equal(rig.engine.compactHistory(Date.now() + 1e9, true), 0);
    assert.equal(rig.ledger.orderCount, placed.length);
  });
});
