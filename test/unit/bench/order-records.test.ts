import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import type { Instrument } from '../../../actors/orders/instrument.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { applyOrderEvent, createOrder, type Order, type OrderEvent } from '../../../actors/orders/order-state.js';
import { SimulatedClock } from '../../../common/clock.js';
import { DEFAULT_INSTRUMENTS, DEMO_API_KEY, DEMO_BALANCES, Simulator, type LedgerSnapshot, type SimFill, type SimOrder, type VenueCore } from '../../../simulators/index.js';
import { checkLedger, instrumentsFromSpecs, userAccount, type LedgerCheckReport, type LedgerEngineOrder } from '../../../chaos/ledger-check/ledger-check.js';
import { OrderRecords } from '../../../bench/fixtures/order-records.js';

const VENUE = 'sim-a';
const ACCOUNT = userAccount(DEMO_API_KEY);
const CP = userAccount('counterparty');
const INSTRUMENTS: Instrument[] = instrumentsFromSpecs(VENUE, DEFAULT_INSTRUMENTS);
const ASSET_DECIMALS = Object.fromEntries(Object.keys(DEMO_BALANCES).map((a) => [a, 8]));
/** BTC/USDT: tick 0.01. */
const px = (usdt: number): number => usdt * 100;

function intent(side: 'buy' | 'sell', priceTicks: number, qtyLots: number, tif: 'GTC' | 'IOC'): OrderIntent {
  return { strategy: 't', venue: VENUE, symbol: 'BTC/USDT', side, type: 'limit', tif, priceTicks, qtyLots };
}

function request(account: string, side: 'buy' | 'sell', priceTicks: number, lots: number, tif: 'GTC' | 'IOC', clientOrderId: string): Parameters<VenueCore['engine']['place']>[0] {
  return { account, symbol: 'BTCUSDT', side: side === 'buy' ? 'BUY' : 'SELL', type: 'LIMIT', timeInForce: tif, priceTicks, lots, quoteOrderQty: 0n, clientOrderId };
}

const copy = (l: LedgerSnapshot): LedgerSnapshot => JSON.parse(JSON.stringify(l)) as LedgerSnapshot;

/**
 * A real simulator venue (no participants) and an engine journal fed the venue's execution reports
 * for the engine's account, as in the ledger check's own tests; every order the engine hands over is
 * also tracked by an {@link OrderRecords}, the way the throughput bench does.
 */
describe('bench/fixtures/order-records: compact records give the ledger check the same report as the orders', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let core: VenueCore;
  let journal: OrderJournal;
  let dir: string;
  const records = new OrderRecords();
  const reports: { order: SimOrder; exec: string; fill: SimFill | undefined }[] = [];
  const deaf = new Set<string>();
  const ids: Record<string, string> = {};

  const drain = async (): Promise<void> => {
    for (const { order, exec, fill } of reports.splice(0)) {
      const id = order.clientOrderId;
      if (exec === 'NEW') await journal.record(id, { kind: 'accept', venueOrderId: String(order.orderId) });
      else if (exec === 'TRADE') await journal.record(id, { kind: 'fill', lots: fill!.lots, priceTicks: fill!.priceTicks, tradeId: String(fill!.tradeId), feeAsset: fill!.commissionAsset, feeAtoms: fill!.commission });
      else if (exec === 'CANCELED') await journal.record(id, { kind: 'canceled' });
      else if (exec === 'EXPIRED') await journal.record(id, { kind: 'expire' });
    }
  };
  const place = async (side: 'buy' | 'sell', priceTicks: number, qtyLots: number, tif: 'GTC' | 'IOC' = 'GTC', intentKey?: string): Promise<string> => {
    const o = await journal.submit('t', intent(side, priceTicks, qtyLots, tif), intentKey);
    records.track(o); // the live object, handed over (still open)
    const r = core.engine.place(request(ACCOUNT, side, priceTicks, qtyLots, tif, o.clientOrderId));
    if (!r.ok && !deaf.has(o.clientOrderId)) await journal.record(o.clientOrderId, { kind: 'reject', reason: `${r.code} ${r.msg}` });
    await drain();
    return o.clientOrderId;
  };
  const counterparty = (side: 'buy' | 'sell', priceTicks: number, lots: number, id: string): void => {
    assert.ok(core.engine.place(request(CP, side, priceTicks, lots, 'GTC', id)).ok);
  };
  const full = (ledger: LedgerSnapshot): LedgerCheckReport => checkLedger({ orders: journal.orders, portfolio: journal.portfolio }, [{ venue: VENUE, ledger, account: ACCOUNT }], { instruments: INSTRUMENTS });
  /** The records, plus what the engine's table holds that was never handed over (denied), as the bench reads them. */
  const compact = (ledger: LedgerSnapshot, skip?: string): LedgerCheckReport => {
    const handed = new Set<string>();
    for (const r of records) handed.add(r.clientOrderId);
    const orders = {
      *[Symbol.iterator](): Generator<LedgerEngineOrder> {
        for (const r of records) if (r.clientOrderId !== skip) yield r;
        for (const o of journal.orders.values()) if (!handed.has(o.clientOrderId)) yield o;
      },
    };
    return checkLedger({ orders, portfolio: journal.portfolio }, [{ venue: VENUE, ledger, account: ACCOUNT }], { instruments: INSTRUMENTS });
  };

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 1, port: 0, participants: false });
    core = sim.venue(VENUE);
    core.addUser({ apiKey: 'counterparty', apiSecret: 'cp-secret', balances: { USDT: '100000', BTC: '2' } });
    core.addListener({
      onOrderEvent: (order, exec, fill) => {
        if (order.account === ACCOUNT && !deaf.has(order.clientOrderId)) reports.push({ order, exec, fill });
      },
      onTrade: () => {},
      onBalances: () => {},
    });
    dir = mkdtempSync(path.join(tmpdir(), 'b4-order-records-'));
    journal = await OrderJournal.open({ dir, fsync: 'never' }, { clock: new SimulatedClock(), instruments: INSTRUMENTS, portfolio: { assetDecimals: ASSET_DECIMALS } });
    for (const [asset, amount] of Object.entries(DEMO_BALANCES)) await journal.adjustBalance(VENUE, asset, journal.portfolio.toAtoms(asset, amount));
    // Filled in two trades (fees on each).
    ids.filled = await place('buy', px(60000), 100);
    counterparty('sell', px(60000), 40, 'cp-1');
    counterparty('sell', px(60000), 60, 'cp-2');
    await drain();
    // Canceled by the engine.
    ids.canceled = await place('sell', px(61000), 200);
    await journal.record(ids.canceled, { kind: 'cancel-request' });
    assert.ok(core.engine.cancel(ACCOUNT, 'BTCUSDT', undefined, ids.canceled).ok);
    await drain();
    // Denied by risk: never handed over (read from the table).
    ids.denied = (await journal.deny('t', intent('buy', px(60000), 100, 'GTC'), 'B4_RISK_MAX_NOTIONAL')).clientOrderId;
    // Rejected by the venue.
    ids.rejected = await place('buy', px(60000), 10_000_000);
    // Unknown, then resolved by client order id: the response was lost, the order filled.
    counterparty('buy', px(59000), 50, 'cp-3');
    const next = journal.nextClientOrderId('t');
    deaf.add(next);
    ids.unknown = await place('sell', px(59000), 50, 'IOC');
    assert.equal(ids.unknown, next);
    await journal.record(next, { kind: 'unknown', reason: 'timeout' });
    const v = core.engine.getByClientId(ACCOUNT, 'BTCUSDT', next)!;
    let cum = 0n;
    let fee = 0n;
    for (const f of v.fills) {
      cum += BigInt(f.priceTicks) * BigInt(f.lots);
      fee += f.commission;
    }
    await journal.record(next, { kind: 'reconcile', to: 'filled', venueOrderId: String(v.orderId), filledLots: v.executedLots, cumTickLots: cum, feeAsset: v.fills[0]!.commissionAsset, feeAtoms: fee });
    // IOC partly filled, the rest expired.
    counterparty('sell', px(60500), 30, 'cp-4');
    ids.expired = await place('buy', px(60500), 100, 'IOC');
    // Two attempts of one intent, both resting at the venue (a duplicate intent), and one open order.
    ids.twinA = await place('buy', px(50000), 10, 'GTC', 'intent-1');
    ids.twinB = await place('buy', px(50001), 10, 'GTC', 'intent-1');
    ids.open = await place('buy', px(50002), 100);
    records.flush(); // the end of the run: open ones as they are now
  });
  after(async () => {
    await journal?.close();
    await sim?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('the scenario reached its states, and each record reads back as its order', () => {
    const s = (id: string): string => journal.orders.require(id).state;
    assert.deepEqual(Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, s(id)])), {
      filled: 'filled',
      canceled: 'canceled',
      denied: 'denied',
      rejected: 'rejected',
      unknown: 'filled',
      expired: 'expired',
      twinA: 'accepted',
      twinB: 'accepted',
      open: 'accepted',
    });
    assert.equal(records.size, 8);
    assert.equal(records.pendingCount, 0);
    for (const r of records) {
      const o = journal.orders.require(r.clientOrderId);
      assert.deepEqual(
        { ...r, intent: { ...r.intent }, history: r.history.length > 0 },
        {
          clientOrderId: o.clientOrderId,
          venueOrderId: o.venueOrderId,
          intentKey: o.intentKey,
          intent: { venue: o.intent.venue, symbol: o.intent.symbol, side: o.intent.side, type: o.intent.type, priceTicks: o.intent.priceTicks, qtyLots: o.intent.qtyLots },
          state: o.state,
          filledLots: o.filledLots,
          cumTickLots: o.cumTickLots,
          fees: o.fees,
          history: o.history.some((h) => h.to === 'unknown'),
        },
      );
    }
    assert.ok(Object.keys(journal.orders.require(ids.filled!).fees).length > 0, 'fees were charged');
  });

  it('the same report when the ledger agrees except the duplicate intent (which both must flag)', () => {
    const l = sim.ledger(VENUE, ACCOUNT);
    const a = full(l);
    assert.deepEqual(a.anomalies.map((x) => x.kind), ['DUPLICATE']);
    assert.equal(a.anomalies[0]!.clientOrderId, ids.twinB);
    assert.equal(a.counts.orders, 9);
    assert.equal(a.counts.unknownResolved, 1);
    assert.deepEqual(compact(l), a);
  });

  it('the same FAIL report for a lost order', () => {
    const l = copy(sim.ledger(VENUE, ACCOUNT));
    l.orders = l.orders.filter((o) => o.clientOrderId !== ids.canceled);
    const a = full(l);
    assert.ok(a.anomalies.some((x) => x.kind === 'LOST' && x.clientOrderId === ids.canceled));
    assert.deepEqual(compact(l), a);
  });

  it('the same FAIL report for a fee mismatch', () => {
    const l = copy(sim.ledger(VENUE, ACCOUNT));
    const o = l.orders.find((x) => x.clientOrderId === ids.filled)!;
    o.fills[0]!.commission = (BigInt(o.fills[0]!.commission.replace('.', '')) + 1n).toString().padStart(9, '0').replace(/(\d{8})$/, '.$1');
    const a = full(l);
    assert.ok(a.anomalies.some((x) => x.kind === 'FEE_MISMATCH' && x.clientOrderId === ids.filled), JSON.stringify(a.anomalies));
    assert.deepEqual(compact(l), a);
  });

  it('an order missing from the records is a phantom to the check (a capture that lost one cannot pass)', () => {
    const r = compact(sim.ledger(VENUE, ACCOUNT), ids.expired);
    assert.ok(r.anomalies.some((x) => x.kind === 'PHANTOM' && x.clientOrderId === ids.expired), JSON.stringify(r.anomalies));
    assert.equal(r.ok, false);
  });
});

describe('bench/fixtures/order-records: columns and side maps', () => {
  const t = (o: Order, e: OrderEvent): void => void applyOrderEvent(o, e, 1);

  it('ids, venue ids, Σ price × lots and fees that do not fit a column round-trip exactly', () => {
    const recs = new OrderRecords();
    const a = createOrder('manual-id', intent('sell', 123, 7, 'GTC'), 0, 'k-1');
    t(a, { kind: 'submit' } as OrderEvent);
    t(a, { kind: 'accept', venueOrderId: 'abc-9' });
    t(a, { kind: 'fill', lots: 7, priceTicks: 123, tradeId: 'x', feeAsset: 'USDT', feeAtoms: 5n });
    const b = createOrder('t.1a2b.zz', intent('buy', 1, 1, 'IOC'), 0);
    t(b, { kind: 'submit' } as OrderEvent);
    t(b, { kind: 'unknown', reason: 'timeout' });
    t(b, { kind: 'reconcile', to: 'filled', venueOrderId: '007', filledLots: 1, cumTickLots: 2n ** 70n });
    const c = createOrder('t.1a2b.10', intent('buy', 2, 3, 'GTC'), 0);
    recs.track(a);
    recs.track(b);
    recs.track(a); // handed over twice: recorded once
    recs.track(c);
    recs.flush();
    const got = [...recs];
    assert.equal(got.length, 3);
    assert.deepEqual([got[0]!.clientOrderId, got[0]!.venueOrderId, got[0]!.intentKey, got[0]!.state, got[0]!.fees, got[0]!.cumTickLots], ['manual-id', 'abc-9', 'k-1', 'filled', { USDT: 5n }, 861n]);
    assert.deepEqual([got[1]!.clientOrderId, got[1]!.venueOrderId, got[1]!.cumTickLots, got[1]!.history.map((h) => h.to)], ['t.1a2b.zz', '007', 2n ** 70n, ['unknown']]);
    assert.deepEqual([got[2]!.clientOrderId, got[2]!.venueOrderId, got[2]!.state, got[2]!.intent.priceTicks, got[2]!.intent.qtyLots, got[2]!.history], ['t.1a2b.10', undefined, 'initialized', 2, 3, []]);
  });

  it('captures an order only once it is terminal, from its live object', () => {
    const recs = new OrderRecords();
    const os: Order[] = [];
    for (let i = 0; i < 1500; i++) {
      const o = createOrder(`t.e.${i.toString(36)}`, intent('buy', 100 + i, 1, 'IOC'), 0);
      t(o, { kind: 'submit' } as OrderEvent);
      os.push(o);
      recs.track(o);
      if (i === 10) t(os[5]!, { kind: 'expire' }); // closes before the first capture
    }
    // The first capture (at 1024 pending) took the one closed order only.
    assert.equal(recs.size, 1);
    assert.equal(recs.at(0).clientOrderId, 't.e.5');
    assert.equal(recs.at(0).state, 'expired');
    recs.flush();
    assert.equal(recs.size, 1500);
    assert.equal(recs.pendingCount, 0);
  });
});
