import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOCK_FILE } from '../../../actors/journal/lock.js';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import type { Instrument } from '../../../actors/orders/instrument.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import type { Order, OrderEvent } from '../../../actors/orders/order-state.js';
import { orderToJSON } from '../../../actors/orders/order-store.js';
import { SimulatedClock } from '../../../common/clock.js';
import { Bot4Error } from '../../../common/errors.js';
import { DEFAULT_INSTRUMENTS, DEMO_API_KEY, DEMO_BALANCES, formatAtoms, Simulator, type LedgerOrder, type LedgerSnapshot, type SimFill, type SimOrder, type VenueCore } from '../../../simulators/index.js';
import {
  checkLedger,
  instrumentsFromSpecs,
  LedgerCheckInputError,
  userAccount,
  type AnomalyKind,
  type LedgerAnomaly,
  type LedgerCheckReport,
  type VenueLedger,
} from '../../../chaos/ledger-check/ledger-check.js';
import { eqDec, formatDec, parseDecimalExact, subDec, toSteps } from '../../../chaos/ledger-check/decimal.js';

const VENUE = 'sim-a';
const ACCOUNT = userAccount(DEMO_API_KEY);
const CP_ACCOUNT = userAccount('counterparty');
const INSTRUMENTS: Instrument[] = instrumentsFromSpecs(VENUE, DEFAULT_INSTRUMENTS);
/** Every asset at the venue's 8 decimals, so the venue's fees are representable in engine atoms. */
const ASSET_DECIMALS = Object.fromEntries(Object.keys(DEMO_BALANCES).map((a) => [a, 8]));

/**
 * A real simulator venue (no background participants, so every trade is one of ours: deterministic)
 * and an engine journal that records what the engine would have seen of the same orders: the
 * venue's execution reports for the engine's account, turned into journal events.
 */
class Run {
  readonly core: VenueCore;
  private readonly reports: { order: SimOrder; exec: string; fill: SimFill | undefined }[] = [];
  /** Client ids whose execution reports the engine "does not receive" (a lost response). */
  readonly deaf = new Set<string>();

  private constructor(
    readonly sim: Simulator,
    readonly journal: OrderJournal,
    readonly dir: string,
  ) {
    this.core = sim.venue(VENUE);
    this.core.addUser({ apiKey: 'counterparty', apiSecret: 'cp-secret', balances: { USDT: '100000', BTC: '2' } });
    this.core.addListener({
      onOrderEvent: (order, exec, fill) => {
        if (order.account === ACCOUNT && !this.deaf.has(order.clientOrderId)) this.reports.push({ order, exec, fill });
      },
      onTrade: () => {},
      onBalances: () => {},
    });
  }

  static async start(): Promise<Run> {
    // The venue runs on its default live clock: `Simulator.start` deep-freezes its options, so an
    // injected SimulatedClock cannot run timers there. Nothing here depends on venue time.
    const clock = new SimulatedClock();
    const sim = await Simulator.start({ venues: 1, seed: 1, port: 0, participants: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'b4-ledger-check-'));
    const journal = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments: INSTRUMENTS, portfolio: { assetDecimals: ASSET_DECIMALS } });
    const run = new Run(sim, journal, dir);
    for (const [asset, amount] of Object.entries(DEMO_BALANCES)) await journal.adjustBalance(VENUE, asset, journal.portfolio.toAtoms(asset, amount));
    return run;
  }

  async stop(): Promise<void> {
    await this.journal.close();
    await this.sim.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Journals the intent, then places it at the venue and records the venue's reports. */
  async place(side: 'buy' | 'sell', priceTicks: number, qtyLots: number, tif: 'GTC' | 'IOC' = 'GTC', intentKey?: string): Promise<Order> {
    const o = await this.journal.submit('t', intent(side, priceTicks, qtyLots, tif), intentKey);
    const r = this.core.engine.place(request(ACCOUNT, side, priceTicks, qtyLots, tif, o.clientOrderId));
    if (!r.ok && !this.deaf.has(o.clientOrderId)) await this.journal.record(o.clientOrderId, { kind: 'reject', reason: `${r.code} ${r.msg}` });
    await this.drain();
    return this.journal.orders.require(o.clientOrderId);
  }

  /** A counterparty order (another account at the venue; the engine never sees it). */
  counterparty(side: 'buy' | 'sell', priceTicks: number, qtyLots: number, clientOrderId: string): void {
    const r = this.core.engine.place(request(CP_ACCOUNT, side, priceTicks, qtyLots, 'GTC', clientOrderId));
    assert.ok(r.ok, `counterparty order ${clientOrderId} placed`);
  }

  async cancel(id: string): Promise<void> {
    await this.journal.record(id, { kind: 'cancel-request' });
    const r = this.core.engine.cancel(ACCOUNT, 'BTCUSDT', undefined, id);
    assert.ok(r.ok);
    await this.drain();
  }

  /** Reconciles an order from the venue's answer to "what happened to client order id X?". */
  async reconcile(id: string): Promise<void> {
    const v = this.core.engine.getByClientId(ACCOUNT, 'BTCUSDT', id);
    if (v === undefined) {
      await this.journal.record(id, { kind: 'reconcile', to: 'rejected', filledLots: 0, cumTickLots: 0n });
      return;
    }
    const to = ({ NEW: 'accepted', PARTIALLY_FILLED: 'partially-filled', FILLED: 'filled', CANCELED: 'canceled', EXPIRED: 'expired' } as const)[v.status as 'NEW'];
    let cum = 0n;
    let fee = 0n;
    for (const f of v.fills) {
      cum += BigInt(f.priceTicks) * BigInt(f.lots);
      fee += f.commission;
    }
    const e: OrderEvent = { kind: 'reconcile', to, venueOrderId: String(v.orderId), filledLots: v.executedLots, cumTickLots: cum };
    if (fee > 0n) Object.assign(e, { feeAsset: v.fills[0]!.commissionAsset, feeAtoms: fee });
    await this.journal.record(id, e);
  }

  async drain(): Promise<void> {
    const list = this.reports.splice(0);
    for (const { order, exec, fill } of list) {
      const id = order.clientOrderId;
      if (exec === 'NEW') await this.journal.record(id, { kind: 'accept', venueOrderId: String(order.orderId) });
      else if (exec === 'TRADE') {
        await this.journal.record(id, { kind: 'fill', lots: fill!.lots, priceTicks: fill!.priceTicks, tradeId: String(fill!.tradeId), feeAsset: fill!.commissionAsset, feeAtoms: fill!.commission });
      } else if (exec === 'CANCELED') await this.journal.record(id, { kind: 'canceled' });
      else if (exec === 'EXPIRED') await this.journal.record(id, { kind: 'expire' });
    }
  }

  ledger(): LedgerSnapshot {
    return this.sim.ledger(VENUE, ACCOUNT);
  }

  check(ledger: LedgerSnapshot = this.ledger(), opts: { healed?: boolean; balances?: 'total' | 'trading' | 'off' } = {}): LedgerCheckReport {
    return checkLedger(this.journal.state, [{ venue: VENUE, ledger, account: ACCOUNT }], { instruments: INSTRUMENTS, ...opts });
  }
}

function intent(side: 'buy' | 'sell', priceTicks: number, qtyLots: number, tif: 'GTC' | 'IOC'): OrderIntent {
  return { strategy: 't', venue: VENUE, symbol: 'BTC/USDT', side, type: 'limit', tif, priceTicks, qtyLots };
}

function request(account: string, side: 'buy' | 'sell', priceTicks: number, lots: number, tif: 'GTC' | 'IOC', clientOrderId: string): Parameters<VenueCore['engine']['place']>[0] {
  return { account, symbol: 'BTCUSDT', side: side === 'buy' ? 'BUY' : 'SELL', type: 'LIMIT', timeInForce: tif, priceTicks, lots, quoteOrderQty: 0n, clientOrderId };
}

/** BTC/USDT: tick 0.01, lot 0.00001. */
const px = (usdt: number): number => usdt * 100;

function copy(l: LedgerSnapshot): LedgerSnapshot {
  return JSON.parse(JSON.stringify(l)) as LedgerSnapshot;
}

function kinds(r: LedgerCheckReport): AnomalyKind[] {
  return r.anomalies.map((a) => a.kind);
}

function only(r: LedgerCheckReport, kind: AnomalyKind): LedgerAnomaly {
  assert.deepEqual(kinds(r), [kind], JSON.stringify(r.anomalies, null, 2));
  assert.equal(r.ok, false);
  return r.anomalies[0]!;
}

function orderOf(l: LedgerSnapshot, id: string): LedgerOrder {
  const o = l.orders.find((x) => x.clientOrderId === id);
  assert.ok(o !== undefined, `ledger has ${id}`);
  return o;
}

describe('chaos/ledger-check', function () {
  this.timeout(20_000);
  let run: Run;
  /** Client ids of the scenario, by role. */
  const ids: Record<string, string> = {};

  before(async () => {
    run = await Run.start();
    // filled: rests, filled by the counterparty in two trades.
    ids.filled = (await run.place('buy', px(60000), 100)).clientOrderId;
    run.counterparty('sell', px(60000), 40, 'cp-1');
    run.counterparty('sell', px(60000), 60, 'cp-2');
    await run.drain();
    // canceled: rests, canceled by the engine.
    ids.canceled = (await run.place('sell', px(61000), 200)).clientOrderId;
    await run.cancel(ids.canceled);
    // denied by risk: never sent.
    ids.denied = (await run.journal.deny('t', intent('buy', px(60000), 100, 'GTC'), 'B4_RISK_MAX_NOTIONAL')).clientOrderId;
    // rejected by the venue: insufficient balance.
    ids.rejected = (await run.place('buy', px(60000), 10_000_000)).clientOrderId;
    // unknown, then reconciled: the response is lost, the order filled at the venue.
    run.counterparty('buy', px(59000), 50, 'cp-3');
    const next = run.journal.nextClientOrderId('t');
    run.deaf.add(next);
    const u = await run.place('sell', px(59000), 50, 'IOC');
    assert.equal(u.clientOrderId, next);
    await run.journal.record(next, { kind: 'unknown', reason: 'timeout' });
    await run.reconcile(next);
    ids.unknownResolved = next;
    // IOC partly filled, rest expired.
    run.counterparty('sell', px(60500), 30, 'cp-4');
    ids.expired = (await run.place('buy', px(60500), 100, 'IOC')).clientOrderId;
    // still open at the end.
    ids.open = (await run.place('buy', px(50000), 100)).clientOrderId;
  });
  after(async () => {
    await run.stop();
  });

  it('the scenario reached the states it was meant to, on both sides', () => {
    const s = (id: string): string => run.journal.orders.require(id).state;
    assert.deepEqual(
      Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, s(id)])),
      { filled: 'filled', canceled: 'canceled', denied: 'denied', rejected: 'rejected', unknownResolved: 'filled', expired: 'expired', open: 'accepted' },
    );
    const l = run.ledger();
    assert.equal(l.orders.length, 5);
    assert.equal(orderOf(l, ids.expired!).executedQty, '0.00030000');
    assert.ok(l.orders.every((o) => o.account === ACCOUNT));
  });

  it('clean run: every order classified, no anomaly; JSON round-trips', () => {
    const r = run.check();
    assert.deepEqual(r.anomalies, []);
    assert.equal(r.ok, true);
    assert.equal(r.counts.orders, 7);
    assert.equal(r.counts.ok, 4);
    assert.equal(r.counts.failed, 2);
    assert.equal(r.counts.unknownResolved, 1);
    assert.equal(r.counts.anomalous, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it('a ledger of every account gives the same verdict and counts the other account as ignored', () => {
    const all = run.sim.ledger(VENUE);
    const r = run.check(all);
    assert.equal(r.ok, true, JSON.stringify(r.anomalies));
    assert.equal(r.counts.ignoredForeign, 4);
    assert.equal(r.counts.ok, 4);
  });

  it('the journal replayed from disk (state.orders, state.portfolio) checks clean too, also from order JSON', async () => {
    await run.journal.flush();
    const dir2 = mkdtempSync(path.join(tmpdir(), 'b4-ledger-check-'));
    try {
      // A second open of the same directory would be refused (lock); replay a copy instead.
      cpSync(run.dir, dir2, { recursive: true });
      rmSync(path.join(dir2, LOCK_FILE), { force: true });
      const j2 = await OrderJournal.open({ dir: dir2, fsync: 'never' }, { clock: new SimulatedClock(), instruments: INSTRUMENTS, portfolio: { assetDecimals: ASSET_DECIMALS } });
      try {
        const v: VenueLedger[] = [{ venue: VENUE, ledger: run.ledger(), account: ACCOUNT }];
        const a = checkLedger(j2.state, v, { instruments: INSTRUMENTS });
        assert.equal(a.ok, true, JSON.stringify(a.anomalies));
        const b = checkLedger({ orders: [...j2.orders.values()].map(orderToJSON), portfolio: j2.portfolio }, v, { instruments: INSTRUMENTS });
        assert.deepEqual(b, a);
      } finally {
        await j2.close();
      }
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('LOST: the venue has no order for a client id the engine saw accepted and canceled', () => {
    const l = copy(run.ledger());
    l.orders = l.orders.filter((o) => o.clientOrderId !== ids.canceled);
    const a = only(run.check(l), 'LOST');
    assert.equal(a.clientOrderId, ids.canceled);
    assert.equal(a.engine, 'canceled');
    assert.equal(run.check(l).counts.lost, 1);
  });

  it('DUPLICATE: two venue orders with one client id', () => {
    const l = copy(run.ledger());
    const twin = { ...orderOf(l, ids.canceled!), orderId: 999 };
    l.orders.push(twin);
    const a = only(run.check(l), 'DUPLICATE');
    assert.equal(a.clientOrderId, ids.canceled);
    assert.deepEqual(a.venueOrderIds, [orderOf(l, ids.canceled!).orderId, 999]);
  });

  it('PHANTOM: a venue order of the account the engine does not know', () => {
    const l = copy(run.ledger());
    l.orders.push({ ...orderOf(l, ids.canceled!), orderId: 998, clientOrderId: 'manual-1' });
    const a = only(run.check(l), 'PHANTOM');
    assert.equal(a.clientOrderId, 'manual-1');
    assert.deepEqual(a.venueOrderIds, [998]);
  });

  it('PHANTOM is not raised for another account or a house order', () => {
    const l = copy(run.ledger());
    l.orders.push({ ...orderOf(l, ids.canceled!), orderId: 997, clientOrderId: 'x-1', account: 'user:someone-else' });
    l.orders.push({ ...orderOf(l, ids.canceled!), orderId: 996, clientOrderId: 'x-2', account: 'house:mm-0' });
    const r = run.check(l);
    assert.equal(r.ok, true);
    assert.equal(r.counts.ignoredForeign, 1);
    assert.equal(r.counts.ignoredHouse, 1);
  });

  it('FILL_MISMATCH: executed quantity one lot off', () => {
    const l = copy(run.ledger());
    orderOf(l, ids.expired!).executedQty = '0.00031000';
    const a = only(run.check(l), 'FILL_MISMATCH');
    assert.equal(a.clientOrderId, ids.expired);
    assert.equal(a.engine, '0.0003');
    assert.equal(a.ledger, '0.00031');
  });

  it('FILL_MISMATCH: executed quote amount one atom off', () => {
    const l = copy(run.ledger());
    const o = orderOf(l, ids.filled!);
    assert.equal(o.cummulativeQuoteQty, '60.00000000');
    o.cummulativeQuoteQty = '60.00000001';
    const a = only(run.check(l), 'FILL_MISMATCH');
    assert.equal(a.engine, '60');
    assert.equal(a.ledger, '60.00000001');
  });

  it('BALANCE_MISMATCH: one atom of USDT more at the venue', () => {
    const l = copy(run.ledger());
    const b = l.balances[ACCOUNT]!.USDT!;
    const free = parseDecimalExact(b.free, 'free');
    assert.equal(free.scale, 8);
    b.free = formatAtoms(free.units + 1n);
    const a = only(run.check(l), 'BALANCE_MISMATCH');
    assert.equal(a.asset, 'USDT');
    assert.ok(eqDec(subDec(parseDecimalExact(a.ledger!, 'l'), parseDecimalExact(a.engine!, 'e')), parseDecimalExact('0.00000001', 'atom')));
  });

  it('BALANCE_MISMATCH on locked funds of the open order', () => {
    const l = copy(run.ledger());
    const b = l.balances[ACCOUNT]!.USDT!;
    assert.equal(b.locked, '50.00000000');
    b.locked = '50.00000001';
    b.free = formatAtoms(parseDecimalExact(b.free, 'free').units - 1n);
    const a = only(run.check(l), 'BALANCE_MISMATCH');
    assert.match(a.detail, /locked/);
  });

  it('balances: "trading" mode compares changes since the deposits, "off" skips them', () => {
    // An engine that never journaled the deposits: every asset's total is off by the deposit.
    const p = run.journal.portfolio;
    const saved = p.toJSON();
    try {
      for (const [asset, amount] of Object.entries(DEMO_BALANCES)) p.adjustBalance(VENUE, asset, -p.toAtoms(asset, amount));
      assert.deepEqual(new Set(run.check().anomalies.map((a) => a.kind)), new Set(['BALANCE_MISMATCH']));
      assert.equal(run.check(run.ledger(), { balances: 'trading' }).ok, true);
      assert.equal(run.check(run.ledger(), { balances: 'off' }).ok, true);
    } finally {
      p.restore(saved);
    }
  });

  it('STATE_MISMATCH: engine filled, venue canceled', () => {
    const l = copy(run.ledger());
    orderOf(l, ids.filled!).status = 'CANCELED';
    const a = only(run.check(l), 'STATE_MISMATCH');
    assert.equal(a.clientOrderId, ids.filled);
    assert.equal(a.engine, 'filled');
    assert.equal(a.ledger, 'CANCELED');
  });

  it('STATE_MISMATCH: engine denied an order the venue has', () => {
    const l = copy(run.ledger());
    l.orders.push({ ...orderOf(l, ids.canceled!), orderId: 995, clientOrderId: ids.denied! });
    const a = only(run.check(l), 'STATE_MISMATCH');
    assert.equal(a.clientOrderId, ids.denied);
    assert.equal(a.engine, 'denied');
  });

  it('POSITION_MISMATCH: one fill lot off; FEE_MISMATCH: one commission atom off', () => {
    const l = copy(run.ledger());
    orderOf(l, ids.expired!).fills[0]!.qty = '0.00029000';
    const a = only(run.check(l), 'POSITION_MISMATCH');
    assert.equal(a.symbol, 'BTC/USDT');
    assert.equal(a.clientOrderId, null);
    const l2 = copy(run.ledger());
    const f = orderOf(l2, ids.filled!).fills[0]!;
    f.commission = formatAtoms(parseDecimalExact(f.commission, 'c').units + 1n);
    const b = only(run.check(l2), 'FEE_MISMATCH');
    assert.equal(b.asset, 'BTC');
  });

  it('INTENT_MISMATCH: the venue holds a different price than the engine sent', () => {
    const l = copy(run.ledger());
    orderOf(l, ids.open!).price = '50000.01000000';
    const a = only(run.check(l), 'INTENT_MISMATCH');
    assert.match(a.detail, /price 50000 vs 50000\.01/);
  });

  it('LEDGER_UNRECONCILED: the venue reports broken conservation', () => {
    const l = copy(run.ledger());
    l.reconciled = false;
    only(run.check(l), 'LEDGER_UNRECONCILED');
  });

  it('healed: false leaves open engine orders indeterminate and skips positions and balances', () => {
    const l = copy(run.ledger());
    orderOf(l, ids.open!).status = 'FILLED';
    const b = l.balances[ACCOUNT]!.USDT!;
    b.free = formatAtoms(parseDecimalExact(b.free, 'free').units + 1n);
    assert.deepEqual(new Set(kinds(run.check(l))), new Set(['STATE_MISMATCH', 'BALANCE_MISMATCH']));
    const r = run.check(l, { healed: false });
    assert.equal(r.ok, true, JSON.stringify(r.anomalies));
    assert.equal(r.counts.indeterminate, 1);
  });

  it('throws LedgerCheckInputError for a venue symbol no instrument maps, or a malformed ledger', () => {
    const l = copy(run.ledger());
    orderOf(l, ids.filled!).symbol = 'DOGEUSDT';
    assert.throws(() => run.check(l), (e: unknown) => e instanceof LedgerCheckInputError && e.code === 'B4_LEDGER_CHECK_INPUT' && /DOGEUSDT/.test(e.message));
    assert.throws(() => run.check({ ...copy(run.ledger()), orders: 'x' as unknown as LedgerOrder[] }), LedgerCheckInputError);
    assert.throws(() => checkLedger(run.journal.state, [], { instruments: INSTRUMENTS, healed: 'yes' as unknown as boolean }), (e: unknown) => e instanceof Bot4Error && e.code === 'B4_CONFIG_INVALID');
  });
});

describe('chaos/ledger-check: engine-side anomalies from real runs', function () {
  this.timeout(20_000);

  it('an unresolved unknown order is a STATE_MISMATCH once healed, indeterminate before', async () => {
    const run = await Run.start();
    try {
      const next = run.journal.nextClientOrderId('t');
      run.deaf.add(next);
      // Rejected at the venue (no funds), response lost: the engine never reconciles it.
      await run.place('buy', px(60000), 10_000_000);
      await run.journal.record(next, { kind: 'unknown', reason: 'timeout' });
      // The engine still holds the lock of an order it may have sent: a true balance finding too.
      const found = run.check().anomalies;
      assert.deepEqual(found.map((x) => x.kind), ['STATE_MISMATCH', 'BALANCE_MISMATCH']);
      const [a, b] = found as [LedgerAnomaly, LedgerAnomaly];
      assert.equal(a.engine, 'unknown');
      assert.equal(a.ledger, 'absent');
      assert.equal(b.asset, 'USDT');
      assert.match(b.detail, /locked/);
      assert.equal(run.check(run.ledger(), { healed: false }).counts.indeterminate, 1);
      await run.reconcile(next);
      const r = run.check();
      assert.equal(r.ok, true);
      assert.equal(r.counts.unknownResolved, 1);
    } finally {
      await run.stop();
    }
  });

  it('DUPLICATE intent: an attempt wrongly reconciled as rejected and resubmitted, both rest at the venue', async () => {
    const run = await Run.start();
    try {
      const first = run.journal.nextClientOrderId('t');
      run.deaf.add(first);
      await run.place('buy', px(50000), 100, 'GTC', 'bid-1');
      await run.journal.record(first, { kind: 'unknown', reason: 'timeout' });
      // A buggy reconciliation decides the first attempt never arrived.
      await run.journal.record(first, { kind: 'reconcile', to: 'rejected', filledLots: 0, cumTickLots: 0n });
      const second = (await run.place('buy', px(50000), 100, 'GTC', 'bid-1')).clientOrderId;
      const r = run.check(run.ledger(), { balances: 'off' });
      const byKind = new Map(r.anomalies.map((a) => [a.kind, a]));
      assert.deepEqual([...byKind.keys()].sort(), ['DUPLICATE', 'STATE_MISMATCH']);
      assert.equal(byKind.get('STATE_MISMATCH')!.clientOrderId, first);
      assert.equal(byKind.get('DUPLICATE')!.clientOrderId, second);
      assert.match(byKind.get('DUPLICATE')!.detail, /bid-1 took effect 2 times/);
      // The balances disagree too: the engine released the first attempt's lock, the venue did not.
      assert.ok(run.check().anomalies.some((a) => a.kind === 'BALANCE_MISMATCH' && a.asset === 'USDT'));
    } finally {
      await run.stop();
    }
  });
});

describe('chaos/ledger-check/decimal', () => {
  it('compares across scales exactly and formats without trailing zeros', () => {
    assert.ok(eqDec(parseDecimalExact('0.00100000', 'a'), parseDecimalExact('0.001', 'b')));
    assert.ok(!eqDec(parseDecimalExact('0.00100001', 'a'), parseDecimalExact('0.001', 'b')));
    assert.equal(formatDec(parseDecimalExact('-0.0500', 'a')), '-0.05');
    assert.equal(formatDec(parseDecimalExact('12.000', 'a')), '12');
    assert.equal(toSteps(parseDecimalExact('0.00030000', 'a'), parseDecimalExact('0.00001', 's'), 'q'), 30n);
    assert.throws(() => toSteps(parseDecimalExact('0.000305', 'a'), parseDecimalExact('0.00001', 's'), 'q'), LedgerCheckInputError);
    assert.throws(() => parseDecimalExact('1e5', 'x'), LedgerCheckInputError);
  });
});
