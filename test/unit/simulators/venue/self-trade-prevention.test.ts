import assert from 'node:assert/strict';
import type { PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import type { SimOrder, StpMode } from '../../../../simulators/venue/order.js';
import { makeRig, UNIT, type EngineRig } from './fixtures.js';

const req = (account: string, side: 'BUY' | 'SELL', priceTicks: number, lots: number, extra: Partial<PlaceRequest> = {}): PlaceRequest => ({
  account,
  symbol: 'AAAUSDT',
  side,
  type: 'LIMIT',
  timeInForce: 'GTC',
  priceTicks,
  lots,
  quoteOrderQty: 0n,
  clientOrderId: `${account}-${side}-${priceTicks}-${lots}-${Math.random().toString(36).slice(2, 8)}`,
  ...extra,
});

function funded(): EngineRig {
  const rig = makeRig();
  for (const a of ['user:a', 'user:b']) {
    rig.accounts.deposit(a, 'USDT', 10_000n * UNIT);
    rig.accounts.deposit(a, 'AAA', 100n * UNIT);
  }
  return rig;
}

function place(rig: EngineRig, r: PlaceRequest): SimOrder {
  const res = rig.engine.place(r);
  if (!res.ok) assert.fail(`rejected: ${res.code} ${res.msg}`);
  return res.order;
}

/** Resting ask of user:a at 200 (10 lots), then a crossing bid of user:a (10 lots at 201) with `mode`. */
function selfCross(mode: StpMode | undefined, defaultStp?: StpMode): { rig: EngineRig; maker: SimOrder; taker: SimOrder } {
  const rig = funded();
  if (defaultStp !== undefined) rig.engine.defaultStp = defaultStp;
  const maker = place(rig, req('user:a', 'SELL', 200, 10));
  const taker = place(rig, req('user:a', 'BUY', 201, 10, { stp: mode }));
  return { rig, maker, taker };
}

describe('MatchingEngine self-trade prevention (Binance selfTradePreventionMode)', () => {
  it('NONE: the account trades with itself (what the engine does when no mode is set)', () => {
    const { rig, maker, taker } = selfCross('NONE');
    assert.equal(maker.status, 'FILLED');
    assert.equal(taker.status, 'FILLED');
    assert.equal(maker.fills[0]!.tradeId, taker.fills[0]!.tradeId);
    assert.equal(taker.preventedMatchId, undefined);
    assert.deepEqual(rig.engine.lastPrevented, []);
  });

  it('EXPIRE_MAKER: the resting order expires (EXPIRED_IN_MATCH, funds unlocked), the taker rests; no trade', () => {
    const { rig, maker, taker } = selfCross('EXPIRE_MAKER');
    assert.equal(maker.status, 'EXPIRED_IN_MATCH');
    assert.equal(maker.preventedMatchId, 1);
    assert.equal(maker.preventedLots, 10);
    assert.equal(maker.locked, 0n);
    assert.equal(maker.fills.length, 0);
    assert.equal(taker.status, 'NEW');
    assert.equal(taker.fills.length, 0);
    assert.equal(taker.preventedMatchId, undefined);
    assert.equal(rig.accounts.balance('user:a', 'AAA').locked, 0n);
    assert.equal(rig.engine.books.get('AAAUSDT')!.bestAsk(), undefined);
    assert.deepEqual(rig.engine.lastPrevented, [{ preventedMatchId: 1, takerOrderId: taker.orderId, makerOrderId: maker.orderId, priceTicks: 200, makerPreventedLots: 10, takerPreventedLots: 0, mode: 'EXPIRE_MAKER' }]);
    const ev = rig.events.find((e) => e.order === maker && e.exec === 'TRADE_PREVENTION');
    assert.ok(ev !== undefined, 'the maker gets a TRADE_PREVENTION event');
    assert.equal(rig.events.filter((e) => e.exec === 'TRADE').length, 0);
    rig.accounts.checkConservation();
  });

  it('EXPIRE_TAKER: the incoming order expires, the resting one stays on the book untouched', () => {
    const { rig, maker, taker } = selfCross('EXPIRE_TAKER');
    assert.equal(taker.status, 'EXPIRED_IN_MATCH');
    assert.equal(taker.preventedLots, 10);
    assert.equal(taker.locked, 0n);
    assert.equal(maker.status, 'NEW');
    assert.equal(maker.preventedMatchId, undefined);
    assert.equal(rig.engine.books.get('AAAUSDT')!.bestAsk()!.totalLots, 10);
    assert.equal(rig.accounts.balance('user:a', 'USDT').locked, 0n);
    assert.ok(rig.events.some((e) => e.order === taker && e.exec === 'TRADE_PREVENTION'));
    rig.accounts.checkConservation();
  });

  it('EXPIRE_BOTH: both expire with the same preventedMatchId', () => {
    const { rig, maker, taker } = selfCross('EXPIRE_BOTH');
    assert.equal(maker.status, 'EXPIRED_IN_MATCH');
    assert.equal(taker.status, 'EXPIRED_IN_MATCH');
    assert.equal(maker.preventedMatchId, taker.preventedMatchId);
    assert.equal(rig.engine.openOrders('user:a').length, 0);
    rig.accounts.checkConservation();
  });

  it('an order that names no mode gets the engine default (a venue sets Binance spot default EXPIRE_MAKER)', () => {
    const { maker, taker } = selfCross(undefined, 'EXPIRE_MAKER');
    assert.equal(taker.stp, 'EXPIRE_MAKER');
    assert.equal(maker.status, 'EXPIRED_IN_MATCH');
  });

  it('only the same account is prevented: the taker trades the other account first, then STP stops it at its own order', () => {
    const rig = funded();
    const other = place(rig, req('user:b', 'SELL', 199, 4));
    const own = place(rig, req('user:a', 'SELL', 200, 10));
    const behind = place(rig, req('user:b', 'SELL', 200, 5));
    const taker = place(rig, req('user:a', 'BUY', 200, 12, { stp: 'EXPIRE_TAKER' }));
    assert.equal(other.status, 'FILLED');
    assert.equal(taker.executedLots, 4);
    assert.equal(taker.status, 'EXPIRED_IN_MATCH');
    assert.equal(taker.preventedLots, 8);
    assert.equal(own.status, 'NEW');
    assert.equal(behind.status, 'NEW');
    // EXPIRE_MAKER instead: own order expires, the taker goes on to the other account's order behind it
    const t2 = place(rig, req('user:a', 'BUY', 200, 8, { stp: 'EXPIRE_MAKER' }));
    assert.equal(own.status, 'EXPIRED_IN_MATCH');
    assert.equal(behind.status, 'FILLED');
    assert.equal(t2.executedLots, 5);
    assert.equal(t2.status, 'PARTIALLY_FILLED');
    assert.equal(t2.fills.every((f) => f.tradeId !== own.fills[0]?.tradeId), true);
    rig.accounts.checkConservation();
  });

  it('a MARKET taker with EXPIRE_TAKER stops at its own order; the preventedMatchId counter is per symbol and increases', () => {
    const rig = funded();
    place(rig, req('user:a', 'SELL', 200, 3));
    const m = place(rig, req('user:a', 'BUY', 0, 3, { type: 'MARKET', stp: 'EXPIRE_TAKER' }));
    assert.equal(m.status, 'EXPIRED_IN_MATCH');
    assert.equal(m.preventedMatchId, 1);
    const m2 = place(rig, req('user:a', 'BUY', 0, 3, { type: 'MARKET', stp: 'EXPIRE_TAKER' }));
    assert.equal(m2.preventedMatchId, 2);
    assert.equal(rig.accounts.balance('user:a', 'USDT').locked, 0n);
    rig.accounts.checkConservation();
  });
});
