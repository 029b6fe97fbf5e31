import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InstrumentRegistry as BeforeInstruments } from '../../../../bench/peers/instruments-before.js';
import { Ledger as BeforeLedger } from '../../../../bench/peers/ledger-before.js';
import { MatchingEngine as BeforeEngine } from '../../../../bench/peers/matching-engine-before.js';
import { Accounts } from '../../../../simulators/venue/accounts.js';
import { InstrumentRegistry } from '../../../../simulators/venue/instruments.js';
import { Ledger } from '../../../../simulators/venue/ledger.js';
import { MatchingEngine, type PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import type { OrderType, SimOrder, StpMode, TimeInForce } from '../../../../simulators/venue/order.js';
import { TEST_INSTRUMENTS, UNIT } from './fixtures.js';

/**
 * Issue 13 changed how the engine keeps orders (resting orders by client id in an open-addressing
 * table, closed ones found through an index built from the ledger on the first query) and how the
 * ledger stores entries (fixed chunks). The engine before issue 13 (bench/peers) is the model: on
 * the same random stream of places (client ids reused, so duplicates and re-used ids of closed
 * orders occur), cancels by id and by client id, and cancel-alls, both engines must give the same
 * answer to every operation and to every query the wire serves (by id, by client id, open orders,
 * all orders), the same balances and the same ledger.
 */

const ACCOUNTS = ['user:a', 'user:b', 'house:mm'];
const SYMBOLS = TEST_INSTRUMENTS.map((s) => s.symbol);

type Op =
  | { k: 'place'; account: number; symbol: number; side: boolean; type: OrderType; tif: TimeInForce; price: number; lots: number; cid: number; stp: StpMode | undefined }
  | { k: 'cancelCid'; account: number; symbol: number; cid: number }
  | { k: 'cancelId'; account: number; symbol: number; back: number }
  | { k: 'cancelAll'; account: number }
  | { k: 'query'; account: number; symbol: number; cid: number; back: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('place' as const),
      account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }),
      symbol: fc.integer({ min: 0, max: SYMBOLS.length - 1 }),
      side: fc.boolean(),
      type: fc.constantFrom<OrderType>('LIMIT', 'LIMIT', 'LIMIT', 'MARKET', 'LIMIT_MAKER'),
      tif: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'IOC', 'FOK'),
      price: fc.integer({ min: 195, max: 205 }),
      lots: fc.integer({ min: 1, max: 40 }),
      cid: fc.integer({ min: 0, max: 30 }),
      stp: fc.constantFrom<StpMode | undefined>(undefined, 'NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancelCid' as const), account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }), symbol: fc.integer({ min: 0, max: SYMBOLS.length - 1 }), cid: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancelId' as const), account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }), symbol: fc.integer({ min: 0, max: SYMBOLS.length - 1 }), back: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancelAll' as const), account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('query' as const), account: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }), symbol: fc.integer({ min: 0, max: SYMBOLS.length - 1 }), cid: fc.integer({ min: 0, max: 30 }), back: fc.integer({ min: 1, max: 20 }) }) },
);

interface Side {
  engine: MatchingEngine | BeforeEngine;
  accounts: Accounts;
  ledger: Ledger | BeforeLedger;
}

function rig(before: boolean): Side {
  let t = 1_700_000_000_000;
  const now = (): number => t++;
  const accounts = new Accounts();
  const fees = { makerBps: 10, takerBps: 7 };
  if (before) {
    const instruments = new BeforeInstruments(TEST_INSTRUMENTS);
    const ledger = new BeforeLedger('t', accounts, instruments, now);
    return { engine: new BeforeEngine(instruments, accounts, ledger, fees, now), accounts, ledger };
  }
  const instruments = new InstrumentRegistry(TEST_INSTRUMENTS);
  const ledger = new Ledger('t', accounts, instruments, now);
  return { engine: new MatchingEngine(instruments, accounts, ledger, fees, now), accounts, ledger };
}

/** The fields a client sees of an order (what the wire renders), comparable across engines. */
function view(o: SimOrder | undefined): unknown {
  if (o === undefined) return undefined;
  return { ...o, fills: o.fills.map((f) => ({ ...f })) };
}

function views(list: readonly SimOrder[]): unknown[] {
  return list.map(view);
}

function apply(s: Side, op: Op, placedIds: number[]): unknown {
  const e = s.engine;
  const account = ACCOUNTS[op.account]!;
  switch (op.k) {
    case 'place': {
      const symbol = SYMBOLS[op.symbol]!;
      const r: PlaceRequest = {
        account,
        symbol,
        side: op.side ? 'BUY' : 'SELL',
        type: op.type,
        timeInForce: op.tif,
        priceTicks: op.type === 'MARKET' ? 0 : op.price,
        lots: op.lots,
        quoteOrderQty: 0n,
        clientOrderId: `c${op.cid}`,
        traceparent: undefined,
        stp: op.stp,
      };
      const res = e.place(r);
      if (res.ok) placedIds.push(res.order.orderId);
      return res.ok ? { ok: true, order: view(res.order), prevented: e.lastPrevented.map((m) => ({ ...m })) } : res;
    }
    case 'cancelCid': {
      const res = e.cancel(account, SYMBOLS[op.symbol]!, undefined, `c${op.cid}`);
      return res.ok ? { ok: true, order: view(res.order) } : res;
    }
    case 'cancelId': {
      const id = placedIds[placedIds.length - op.back];
      const res = e.cancel(account, SYMBOLS[op.symbol]!, id ?? 999_999, undefined);
      return res.ok ? { ok: true, order: view(res.order) } : res;
    }
    case 'cancelAll':
      return views(e.cancelAll(account));
    case 'query': {
      const symbol = SYMBOLS[op.symbol]!;
      const id = placedIds[placedIds.length - op.back];
      return {
        byCid: view(e.getByClientId(account, symbol, `c${op.cid}`)),
        byId: view(id === undefined ? undefined : e.getById(account, id)),
        open: views(e.openOrders(account)),
        openSym: views(e.openOrders(account, symbol)),
        all: views(e.ordersOf(account, symbol)),
      };
    }
  }
}

describe('simulator venue: engine after issue 13 vs the engine before it (bench/peers), random order streams', () => {
  it('answers every operation and query alike and ends with the same balances, ledger and books', function () {
    this.timeout(120_000);
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 150 }), (ops) => {
        const a = rig(false);
        const b = rig(true);
        for (const s of [a, b]) {
          for (const acct of ACCOUNTS) {
            s.accounts.deposit(acct, 'USDT', 1_000_000n * UNIT);
            s.accounts.deposit(acct, 'AAA', 1_000_000n * UNIT);
            s.accounts.deposit(acct, 'BBB', 1_000_000n * UNIT);
          }
        }
        const idsA: number[] = [];
        const idsB: number[] = [];
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i]!;
          assert.deepEqual(apply(a, op, idsA), apply(b, op, idsB), `operation ${i}: ${JSON.stringify(op)}`);
        }
        // Every client id of every account and symbol, after the stream (the history index built late).
        for (const acct of ACCOUNTS) {
          for (const symbol of SYMBOLS) {
            for (let c = 0; c <= 30; c++) assert.deepEqual(view(a.engine.getByClientId(acct, symbol, `c${c}`)), view(b.engine.getByClientId(acct, symbol, `c${c}`)), `${acct} ${symbol} c${c}`);
          }
        }
        for (const symbol of SYMBOLS) assert.deepEqual(a.engine.books.get(symbol)!.depth(100), b.engine.books.get(symbol)!.depth(100), `book ${symbol}`);
        // Without a retention nothing is compacted (the before-peer has no `compacted` section).
        const { compacted, ...sa } = (a.ledger as Ledger).snapshot();
        assert.equal(compacted.orders + compacted.entries, 0);
        const sb = b.ledger.snapshot();
        assert.deepEqual(sa, sb);
        assert.equal(sa.reconciled, true);
        assert.deepEqual(a.ledger.rawEntries(), b.ledger.rawEntries());
        assert.deepEqual(a.engine.counters(), b.engine.counters());
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});
