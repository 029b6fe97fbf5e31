import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FEE_ACCOUNT } from '../../../../simulators/venue/accounts.js';
import { REJECT, type PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import { isOpen, type OrderType, type Side, type SimOrder, type TimeInForce } from '../../../../simulators/venue/order.js';
import type { OrderBook } from '../../../../simulators/venue/order-book.js';
import { makeRig, UNIT, type EngineRig } from './fixtures.js';

/*
 * Properties of the matching engine under random order flow from several accounts (one of them a
 * background `house:` account, whose closed orders the engine forgets). Every expected figure is
 * recomputed here from the test's own records: deposits it made, orders it placed, the book as it
 * was just before each order. Nothing is read back from the engine's own totals to judge it.
 */

const ACCOUNTS = ['user:a', 'user:b', 'user:c', 'house:mm'];
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'BBBAAA'];
/** Centre of the random prices per symbol, in ticks (AAA ≈ 100 USDT, BBB ≈ 1 USDT ≈ 0.01 AAA). */
const MID = [200, 100, 10];

type PlaceCmd = { t: 'place'; acct: number; sym: number; side: Side; type: OrderType; tif: TimeInForce; dp: number; lots: number; quoteUnits: number };
type Cmd = PlaceCmd | { t: 'cancel'; acct: number; pick: number } | { t: 'cancelAll'; acct: number; sym: number | undefined };

const placeArb: fc.Arbitrary<PlaceCmd> = fc.record({
  t: fc.constant('place' as const),
  acct: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }),
  sym: fc.integer({ min: 0, max: SYMBOLS.length - 1 }),
  side: fc.constantFrom<Side>('BUY', 'SELL'),
  type: fc.constantFrom<OrderType>('LIMIT', 'LIMIT', 'LIMIT', 'MARKET', 'LIMIT_MAKER'),
  tif: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'IOC', 'FOK'),
  dp: fc.integer({ min: -6, max: 6 }),
  lots: fc.integer({ min: 1, max: 40 }),
  // MARKET buys: by quote amount when > 0 (whole quote units), else by lots.
  quoteUnits: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
});

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: placeArb },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cancel' as const), acct: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancelAll' as const), acct: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }), sym: fc.option(fc.integer({ min: 0, max: SYMBOLS.length - 1 }), { nil: undefined }) }) },
);

/** Starting funds per account, whole units; small enough that "insufficient balance" happens. */
const fundsArb = fc.array(fc.record({ USDT: fc.integer({ min: 0, max: 3000 }), AAA: fc.integer({ min: 0, max: 30 }), BBB: fc.integer({ min: 0, max: 3000 }) }), {
  minLength: ACCOUNTS.length,
  maxLength: ACCOUNTS.length,
});

const feesArb = fc.record({ makerBps: fc.constantFrom(0, 1, 7, 10), takerBps: fc.constantFrom(0, 3, 10, 25) });

interface World {
  rig: EngineRig;
  deposits: Map<string, bigint>;
  /** Every order the engine accepted, in placement order (house ones included). */
  orders: SimOrder[];
}

function setup(funds: { USDT: number; AAA: number; BBB: number }[], fees: { makerBps: number; takerBps: number }): World {
  const rig = makeRig(fees);
  const deposits = new Map<string, bigint>();
  ACCOUNTS.forEach((acct, i) => {
    for (const [asset, units] of Object.entries(funds[i]!)) {
      const atoms = BigInt(units) * UNIT;
      rig.accounts.deposit(acct, asset, atoms);
      deposits.set(asset, (deposits.get(asset) ?? 0n) + atoms);
    }
  });
  return { rig, deposits, orders: [] };
}

/** Lots on the side a taker would hit, at or better than `limit` (all levels when undefined), from the book's levels. */
function liquidity(book: OrderBook, buy: boolean, limit: number | undefined): number {
  let n = 0;
  for (const l of buy ? book.asks : book.bids) {
    if (limit !== undefined && (buy ? l.priceTicks > limit : l.priceTicks < limit)) break;
    n += l.totalLots;
  }
  return n;
}

function balancesOf(w: World): Map<string, string> {
  const m = new Map<string, string>();
  for (const acct of w.rig.accounts.accounts()) for (const [asset, b] of w.rig.accounts.of(acct)) m.set(`${acct}/${asset}`, `${b.free}/${b.locked}`);
  return m;
}

const lockAsset = (w: World, o: SimOrder): string => {
  const ins = w.rig.instruments.get(o.symbol)!;
  return o.side === 'BUY' ? ins.quote : ins.base;
};

/** Invariants that hold between any two operations. */
function checkState(w: World): void {
  const { accounts, engine } = w.rig;
  // No negative balance, and each asset conserved exactly (fee account included).
  const sums = new Map<string, bigint>();
  const fees = [...w.orders].flatMap((o) => o.fills.map((f) => f.commission));
  for (const acct of accounts.accounts()) {
    for (const [asset, b] of accounts.of(acct)) {
      assert.ok(b.free >= 0n && b.locked >= 0n, `negative balance ${acct}/${asset}: ${b.free}/${b.locked}`);
      sums.set(asset, (sums.get(asset) ?? 0n) + b.free + b.locked);
    }
  }
  for (const [asset, dep] of w.deposits) assert.equal(sums.get(asset) ?? 0n, dep, `asset ${asset} not conserved`);
  assert.equal(sums.size, w.deposits.size, 'an asset appeared from nowhere');
  if (fees.some((f) => f > 0n)) assert.ok(accounts.has(FEE_ACCOUNT));

  // Locked funds are exactly the sum of what open orders hold; closed orders hold nothing.
  const lockedByOrders = new Map<string, bigint>();
  for (const o of w.orders) {
    assert.ok(o.executedLots >= 0 && o.executedLots <= o.origLots, `order ${o.orderId} executed ${o.executedLots} of ${o.origLots}`);
    if (!o.house) {
      assert.equal(
        o.fills.reduce((s, f) => s + f.lots, 0),
        o.executedLots,
        `order ${o.orderId}: fills do not add up to executedLots`,
      );
      assert.equal(
        o.fills.reduce((s, f) => s + f.quoteAtoms, 0n),
        o.cumQuoteAtoms,
        `order ${o.orderId}: fills do not add up to cummulativeQuoteQty`,
      );
    }
    if (isOpen(o)) {
      const k = `${o.account}/${lockAsset(w, o)}`;
      lockedByOrders.set(k, (lockedByOrders.get(k) ?? 0n) + o.locked);
    } else {
      assert.equal(o.locked, 0n, `closed order ${o.orderId} (${o.status}) still holds ${o.locked}`);
    }
  }
  for (const acct of accounts.accounts()) {
    for (const [asset, b] of accounts.of(acct)) assert.equal(b.locked, lockedByOrders.get(`${acct}/${asset}`) ?? 0n, `locked ${acct}/${asset}`);
  }

  // Books: never crossed, levels sorted, each level's total = remaining lots of its open orders.
  for (const sym of SYMBOLS) {
    const book = engine.books.get(sym)!;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    if (bb !== undefined && ba !== undefined) assert.ok(bb.priceTicks < ba.priceTicks, `${sym} crossed: ${bb.priceTicks} >= ${ba.priceTicks}`);
    for (let i = 1; i < book.bids.length; i++) assert.ok(book.bids[i - 1]!.priceTicks > book.bids[i]!.priceTicks, 'bids not sorted');
    for (let i = 1; i < book.asks.length; i++) assert.ok(book.asks[i - 1]!.priceTicks < book.asks[i]!.priceTicks, 'asks not sorted');
    const want = new Map<string, number>();
    for (const o of w.orders) if (o.symbol === sym && isOpen(o)) want.set(`${o.side}@${o.priceTicks}`, (want.get(`${o.side}@${o.priceTicks}`) ?? 0) + o.origLots - o.executedLots);
    const got = new Map<string, number>();
    for (const l of book.bids) got.set(`BUY@${l.priceTicks}`, l.totalLots);
    for (const l of book.asks) got.set(`SELL@${l.priceTicks}`, l.totalLots);
    assert.deepEqual(got, want, `${sym} levels differ from open orders`);
  }
}

function run(w: World, cmds: Cmd[]): void {
  const rig = w.rig;
  const { engine, instruments } = rig;
  for (const c of cmds) {
    if (c.t === 'cancel') {
      const acct = ACCOUNTS[c.acct]!;
      const mine = w.orders.filter((o) => o.account === acct);
      if (mine.length === 0) continue;
      const o = mine[c.pick % mine.length]!;
      const wasOpen = isOpen(o);
      const r = engine.cancel(acct, o.symbol, o.orderId, undefined);
      assert.equal(r.ok, wasOpen, `cancel of ${o.status} order ${o.orderId}`);
      if (r.ok) assert.equal(o.status, 'CANCELED');
      else assert.deepEqual(r, REJECT.unknownCancel);
    } else if (c.t === 'cancelAll') {
      const acct = ACCOUNTS[c.acct]!;
      const sym = c.sym === undefined ? undefined : SYMBOLS[c.sym];
      engine.cancelAll(acct, sym);
      for (const o of w.orders) if (o.account === acct && (sym === undefined || o.symbol === sym)) assert.ok(!isOpen(o), `order ${o.orderId} survived cancelAll`);
    } else {
      placeOne(w, c, engine, instruments, rig);
    }
    checkState(w);
  }
  // The ledger's own reconciliation agrees with ours at the end.
  assert.equal(rig.ledger.snapshot().reconciled, true);
}

function placeOne(w: World, c: PlaceCmd, engine: EngineRig['engine'], instruments: EngineRig['instruments'], rig: EngineRig): void {
  const symbol = SYMBOLS[c.sym]!;
  const book = engine.books.get(symbol)!;
  const buy = c.side === 'BUY';
  const priceTicks = c.type === 'MARKET' ? 0 : MID[c.sym]! + c.dp;
  const byQuote = c.type === 'MARKET' && buy && c.quoteUnits > 0;
  const req: PlaceRequest = {
    account: ACCOUNTS[c.acct]!,
    symbol,
    side: c.side,
    type: c.type,
    timeInForce: c.tif,
    priceTicks,
    lots: byQuote ? 0 : c.lots,
    quoteOrderQty: byQuote ? BigInt(c.quoteUnits) * UNIT : 0n,
    clientOrderId: `c${w.orders.length}-${c.acct}`,
  };
  const before = balancesOf(w);
  const avail = liquidity(book, buy, c.type === 'MARKET' ? undefined : priceTicks);
  const bestOpposite = (buy ? book.bestAsk() : book.bestBid())?.priceTicks;
  const eventsFrom = rig.events.length;
  const violations: string[] = [];
  rig.onEvent = (e) => {
    if (e.exec !== 'TRADE' || e.fill === undefined) return;
    const o = e.order;
    if (e.fill.isMaker) {
      // Price-time priority: when a resting order fills, no open resting order on its side is
      // better priced, or equally priced and older.
      assert.equal(e.fill.priceTicks, o.priceTicks, 'a maker fills at its own price');
      for (const other of w.orders) {
        if (other === o || other.symbol !== o.symbol || other.side !== o.side || !isOpen(other)) continue;
        const better = o.side === 'BUY' ? other.priceTicks > o.priceTicks : other.priceTicks < o.priceTicks;
        if (better || (other.priceTicks === o.priceTicks && other.seq < o.seq)) violations.push(`order ${o.orderId}@${o.priceTicks} filled before ${other.orderId}@${other.priceTicks}`);
      }
    } else {
      if (o.type === 'LIMIT_MAKER') violations.push(`LIMIT_MAKER ${o.orderId} took liquidity`);
      if (o.type === 'LIMIT' && (o.side === 'BUY' ? e.fill.priceTicks > o.priceTicks : e.fill.priceTicks < o.priceTicks)) violations.push(`taker ${o.orderId} filled through its limit`);
    }
  };
  const r = engine.place(req);
  rig.onEvent = undefined;
  assert.deepEqual(violations, []);
  if (!r.ok) {
    assert.equal(rig.events.length, eventsFrom, 'a rejected order emits no event');
    assert.deepEqual(balancesOf(w), before, 'a rejected order changes no balance');
    if (c.type === 'LIMIT_MAKER' && r.msg === REJECT.wouldTake.msg) {
      assert.ok(bestOpposite !== undefined && (buy ? bestOpposite <= priceTicks : bestOpposite >= priceTicks), 'wouldTake only when crossing');
    }
    return;
  }
  const o = r.order;
  w.orders.push(o);
  // Fills never exceed the order quantity, and the taker takes all it can: the expected executed
  // quantity follows from the liquidity that was on the book just before.
  if (c.type === 'LIMIT_MAKER') {
    assert.ok(bestOpposite === undefined || (buy ? bestOpposite > priceTicks : bestOpposite < priceTicks), 'accepted LIMIT_MAKER must not cross');
    assert.equal(o.executedLots, 0);
    assert.equal(o.status, 'NEW');
  } else if (c.type === 'LIMIT' && c.tif === 'FOK') {
    if (avail >= c.lots) {
      assert.equal(o.status, 'FILLED');
      assert.equal(o.executedLots, c.lots);
    } else {
      assert.equal(o.status, 'EXPIRED');
      assert.equal(o.executedLots, 0, 'FOK must fill fully or not at all');
      assert.deepEqual(balancesOf(w), before, 'an unfilled FOK leaves balances as they were');
    }
  } else if (c.type === 'LIMIT') {
    assert.equal(o.executedLots, Math.min(c.lots, avail));
    if (c.tif === 'IOC') assert.ok(!isOpen(o), 'IOC never rests');
    else assert.equal(isOpen(o), o.executedLots < c.lots);
  } else if (byQuote) {
    const ins = instruments.get(symbol)!;
    assert.ok(o.cumQuoteAtoms <= req.quoteOrderQty, 'quoteOrderQty buy spent more than asked');
    assert.ok(!isOpen(o));
    // It stops only when the book is empty or one more lot at the best ask is unaffordable.
    const ask = book.bestAsk();
    if (ask !== undefined) assert.ok(req.quoteOrderQty - o.cumQuoteAtoms < ins.notional(ask.priceTicks, 1), 'quoteOrderQty buy left affordable liquidity');
  } else {
    assert.equal(o.executedLots, Math.min(c.lots, avail));
    assert.ok(!isOpen(o), 'MARKET never rests');
  }
}

describe('MatchingEngine properties (random order flow, several accounts)', function () {
  this.timeout(120_000);

  it('conserves every asset, never goes negative, keeps price-time priority, FOK and LIMIT_MAKER semantics', () => {
    fc.assert(
      fc.property(fundsArb, feesArb, fc.array(cmdArb, { minLength: 1, maxLength: 80 }), (funds, fees, cmds) => {
        const w = setup(funds, fees);
        checkState(w);
        run(w, cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('deep books: long sequences of resting orders then sweeping takers', () => {
    const rest = fc.array(
      placeArb.map((p) => ({ ...p, type: 'LIMIT' as const, tif: 'GTC' as const })),
      { minLength: 20, maxLength: 120 },
    );
    const sweep = fc.array(
      placeArb.map((p) => ({ ...p, lots: p.lots * 5, dp: p.side === 'BUY' ? 6 : -6 })),
      { minLength: 1, maxLength: 20 },
    );
    fc.assert(
      fc.property(fundsArb, feesArb, rest, sweep, (funds, fees, a, b) => {
        const w = setup(
          funds.map((f) => ({ USDT: f.USDT * 10, AAA: f.AAA * 10, BBB: f.BBB * 10 })),
          fees,
        );
        run(w, [...a, ...b]);
      }),
      { numRuns: 100 },
    );
  });
});
