import assert from 'node:assert/strict';
import { FEE_ACCOUNT } from '../../../../simulators/venue/accounts.js';
import { parseDecimal } from '../../../../simulators/venue/instruments.js';
import type { PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import { SimulatorLedgerError } from '../../../../simulators/errors.js';
import { limitRequest, makeRig, UNIT, type EngineRig } from './fixtures.js';

/** Signed 8-decimal string → atoms. */
function atoms(s: string): bigint {
  const neg = s.startsWith('-');
  const v = parseDecimal(neg ? s.slice(1) : s);
  assert.notEqual(v, null, `not a decimal: ${s}`);
  return neg ? -v! : v!;
}

const req = (account: string, side: 'BUY' | 'SELL', priceTicks: number, lots: number, extra: Partial<PlaceRequest> = {}): PlaceRequest =>
  limitRequest(account, 'AAAUSDT', side, priceTicks, lots, `${account}-${side}-${priceTicks}-${lots}`, extra);

function trade(rig: EngineRig): void {
  const { accounts, engine } = rig;
  accounts.deposit('user:a', 'USDT', 10_000n * UNIT);
  accounts.deposit('user:b', 'AAA', 50n * UNIT);
  accounts.deposit('house:mm', 'AAA', 50n * UNIT);
  accounts.deposit('house:mm', 'USDT', 10_000n * UNIT);
  assert.ok(engine.place(req('user:b', 'SELL', 201, 30)).ok);
  assert.ok(engine.place(req('house:mm', 'SELL', 202, 40)).ok);
  assert.ok(engine.place(req('house:mm', 'BUY', 190, 10)).ok);
  // sweeps b's ask and part of the house ask, with price improvement on the first level
  assert.ok(engine.place(req('user:a', 'BUY', 203, 50)).ok);
  assert.ok(engine.place(req('user:b', 'SELL', 0, 7, { type: 'MARKET', clientOrderId: 'mkt' })).ok);
  assert.ok(engine.place(req('user:a', 'BUY', 195, 20, { clientOrderId: 'resting' })).ok);
}

describe('Ledger reconciliation', () => {
  it('replaying the recorded entries of each client account gives its balances exactly', () => {
    const rig = makeRig({ makerBps: 7, takerBps: 13 });
    trade(rig);
    const snap = rig.ledger.snapshot();
    assert.equal(snap.reconciled, true);
    const replay = new Map<string, { free: bigint; locked: bigint }>();
    for (const e of snap.entries) {
      assert.ok(!e.account.startsWith('house:') && e.account !== FEE_ACCOUNT, 'house and fee moves are not journaled');
      const k = `${e.account}/${e.asset}`;
      const b = replay.get(k) ?? { free: 0n, locked: 0n };
      b.free += atoms(e.freeDelta);
      b.locked += atoms(e.lockedDelta);
      replay.set(k, b);
    }
    for (const acct of ['user:a', 'user:b']) {
      for (const [asset, bal] of Object.entries(snap.balances[acct]!)) {
        const r = replay.get(`${acct}/${asset}`) ?? { free: 0n, locked: 0n };
        assert.equal(r.free, atoms(bal.free), `${acct}/${asset} free`);
        assert.equal(r.locked, atoms(bal.locked), `${acct}/${asset} locked`);
      }
    }
    // the resting bid of user:a holds exactly its notional
    assert.equal(atoms(snap.balances['user:a']!.USDT!.locked), rig.instruments.get('AAAUSDT')!.notional(195, 20));
  });

  it('fees in the snapshot equal the commissions on the fills of both sides; totals equal deposits', () => {
    const rig = makeRig({ makerBps: 7, takerBps: 13 });
    trade(rig);
    const snap = rig.ledger.snapshot();
    // user:a and user:b traded with each other and with the house; house fills are not kept, so
    // compare the fee account with its balances instead, and client commissions with a lower bound.
    const feeBal = rig.accounts.of(FEE_ACCOUNT);
    for (const [asset, s] of Object.entries(snap.fees)) assert.equal(atoms(s), feeBal.get(asset)!.free);
    let clientCommission = 0n;
    for (const o of snap.orders) for (const f of o.fills) if (f.commissionAsset === 'USDT') clientCommission += atoms(f.commission);
    assert.ok(clientCommission > 0n && clientCommission <= atoms(snap.fees.USDT!));
    for (const [asset, t] of Object.entries(snap.totals)) assert.equal(t.balances, t.deposits, asset);
    assert.deepEqual(Object.keys(snap.totals).sort(), ['AAA', 'USDT']);
  });

  it('keeps client orders for good and forgets closed house orders', () => {
    const rig = makeRig();
    trade(rig);
    const snap = rig.ledger.snapshot();
    assert.ok(snap.orders.length >= 4);
    assert.ok(snap.orders.every((o) => o.account.startsWith('user:')));
    assert.deepEqual(
      snap.orders.map((o) => o.orderId),
      [...snap.orders.map((o) => o.orderId)].sort((a, b) => a - b),
    );
    const mine = rig.ledger.snapshot('user:b');
    assert.ok(mine.orders.every((o) => o.account === 'user:b'));
    assert.ok(mine.entries.every((e) => e.account === 'user:b'));
    assert.deepEqual(Object.keys(mine.balances), ['user:b']);
  });

  it('reports a broken ledger: reconciled false and checkConservation throws B4_SIM_LEDGER_BROKEN', () => {
    const rig = makeRig();
    trade(rig);
    rig.accounts.checkConservation();
    // corrupt one balance behind the engine's back
    rig.accounts.balance('user:a', 'AAA').free += 1n;
    assert.equal(rig.ledger.snapshot().reconciled, false);
    assert.throws(() => rig.accounts.checkConservation(), (e: unknown) => e instanceof SimulatorLedgerError && e.code === 'B4_SIM_LEDGER_BROKEN' && /AAA does not reconcile/.test(e.message));
    rig.accounts.balance('user:a', 'AAA').free -= 1n;
    rig.accounts.balance('user:b', 'USDT').locked = -1n;
    rig.accounts.balance('user:b', 'USDT').free += 1n;
    assert.throws(() => rig.accounts.checkConservation(), /negative balance user:b\/USDT/);
  });

  it('refuses overdrafts on every balance move', () => {
    const rig = makeRig();
    const { accounts } = rig;
    accounts.deposit('user:a', 'USDT', 100n);
    assert.throws(() => accounts.deposit('user:a', 'USDT', -101n), SimulatorLedgerError);
    assert.equal(accounts.lock('user:a', 'USDT', 101n, 1), false);
    assert.equal(accounts.balance('user:a', 'USDT').free, 100n);
    assert.ok(accounts.lock('user:a', 'USDT', 60n, 1));
    assert.throws(() => accounts.unlock('user:a', 'USDT', 61n, 1), /exceeds locked 60/);
    assert.throws(() => accounts.transfer('user:a', true, 'user:b', 'USDT', 61n, 'trade', 1), /exceeds locked 60/);
    assert.throws(() => accounts.transfer('user:a', false, 'user:b', 'USDT', 41n, 'trade', 1), /exceeds free 40/);
    accounts.checkConservation();
    assert.deepEqual(accounts.balance('user:a', 'USDT'), { free: 40n, locked: 60n });
  });

  it('keeps entries exactly in its columns, including deltas beyond int64 and across column chunks', () => {
    const rig = makeRig();
    const huge = 2n ** 70n + 12345n;
    rig.accounts.deposit('user:w', 'USDT', huge);
    rig.accounts.deposit('user:w', 'USDT', -(2n ** 64n));
    // more entries than two column chunks (16,384 each), so entries on both sides of each boundary
    // must keep what they hold; account, asset and reason change from entry to entry in different
    // rhythms, so the per-column interning caches are exercised on every kind of change
    const N = 40_000;
    const acct = (i: number): string => (i % 3 === 0 ? 'user:v' : 'user:w');
    const asset = (i: number): string => (i % 2 === 0 ? 'AAA' : 'BBB');
    const reason = (i: number): string => (i % 5 === 0 ? 'airdrop' : 'deposit');
    for (let i = 0; i < N; i++) rig.accounts.deposit(acct(i), asset(i), BigInt(i), reason(i));
    const raw = rig.ledger.rawEntries();
    assert.equal(raw.length, N + 2);
    assert.equal(rig.ledger.entryCount, N + 2);
    assert.equal(raw[0]!.freeDelta, huge);
    assert.equal(raw[1]!.freeDelta, -(2n ** 64n));
    assert.deepEqual(
      raw.slice(2).map((e) => [e.freeDelta, e.account, e.asset, e.reason]),
      Array.from({ length: N }, (_, i) => [BigInt(i), acct(i), asset(i), reason(i)]),
    );
    assert.deepEqual(raw.map((e) => e.seq), Array.from({ length: N + 2 }, (_, i) => i + 1));
    const snap = rig.ledger.snapshot('user:w');
    assert.equal(atoms(snap.entries[0]!.freeDelta), huge);
    assert.equal(atoms(snap.entries[1]!.freeDelta), -(2n ** 64n));
    assert.equal(snap.entries.length, 2 + Array.from({ length: N }, (_, i) => acct(i)).filter((a) => a === 'user:w').length);
    assert.equal(snap.reconciled, true);
  });
});
