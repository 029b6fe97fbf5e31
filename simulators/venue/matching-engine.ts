/**
 * The matching engine of one venue: order acceptance (lock funds), the per-order matching loop
 * (`match` → `fill` / `prevent`), closing orders, the order indexes and id counters.
 *
 * Split out: the request, rejections and symbol filters (`order-validation.ts`), self-trade
 * prevention decisions (`self-trade.ts`), the listener and execution types (`engine-events.ts`).
 * Deliberately kept here: fee charging and the 24h ticker statistics run inside `fill` for every
 * trade, and the order indexes are updated in `close` for every filled maker; moving them behind
 * another module's functions would add a call (and a shared-state hand-off) on the matching hot
 * path for no reader's gain, so this file stays somewhat over ~400 lines.
 */
import { type Accounts, FEE_ACCOUNT } from './accounts.js';
import type { Instrument, InstrumentRegistry } from './instruments.js';
import { HOUSE_PREFIX, type Ledger } from './ledger.js';
import type { EngineListener } from './engine-events.js';
import { isOpen, type SimFill, type SimOrder, type StpMode } from './order.js';
import { OrderBook } from './order-book.js';
import { clientIdHash, OpenIndex } from './open-index.js';
import { OrderIndex, type OrderIndexFootprint } from './order-index.js';
import { checkFilters, REJECT, type PlaceRequest, type Rejection } from './order-validation.js';
import { expiresMaker, expiresTaker, preventedMatch, type PreventedMatch } from './self-trade.js';

// Split out of this module and re-exported so every name it exported before is still importable here.
export { type ExecType, type EngineListener } from './engine-events.js';
export { REJECT, type PlaceRequest, type Rejection } from './order-validation.js';
export { type PreventedMatch } from './self-trade.js';

/** Outcome of {@link MatchingEngine.place} / {@link MatchingEngine.cancel}. */
export type EngineResult = { ok: true; order: SimOrder } | Rejection;

/** The engine's id counters, for a durable venue (orders, trades and prevented matches never reuse an id). */
export interface EngineCounters {
  nextOrderId: number;
  seq: number;
  tradeIds: Record<string, number>;
  preventedIds: Record<string, number>;
}

/** Fee schedule in basis points (Binance's default spot tier is 10/10). */
export interface FeeSchedule {
  makerBps: number;
  takerBps: number;
}

/** Running per-symbol statistics for the 24h ticker (kept since start; the simulator runs for hours, not days). */
export interface TickerStats {
  openTicks: number;
  highTicks: number;
  lowTicks: number;
  lastTicks: number;
  lastLots: number;
  volumeLots: number;
  quoteVolume: bigint;
  count: number;
  firstId: number;
  lastId: number;
  openTime: number;
}

/** See {@link MatchingEngine.indexFootprint}. */
export interface EngineIndexFootprint {
  readonly byId: OrderIndexFootprint;
  /** Resting orders in the open-order indexes. */
  readonly resting: number;
  /** Slots of the open-order indexes' tables. */
  readonly openSlots: number;
  /** Open-order indexes (one per account and symbol that ever rested an order). */
  readonly openTables: number;
}

/** Per-symbol engine state, found with one map lookup per operation. */
interface SymbolState {
  readonly ins: Instrument;
  readonly book: OrderBook;
  tradeId: number;
  preventedId: number;
  stats: TickerStats | undefined;
  /**
   * account → clientOrderId → the account's resting order with that id (nested maps: no key string
   * built per lookup). Only orders on the book: a map sized by the book, not by every order ever
   * placed, so the duplicate check of every `place` stays in cache. Closed orders are found through
   * {@link MatchingEngine.history}.
   */
  readonly open: Map<string, OpenIndex>;
  /** account → clientOrderId → latest client order with that id (built from the ledger on the first query, see {@link MatchingEngine.history}). */
  readonly byClient: Map<string, Map<string, SimOrder>>;
}

/** `lastPrevented` of an order that prevented nothing (shared; replaced before anything is added). */
const NO_PREVENTED = Object.freeze([]) as unknown as PreventedMatch[];
/**
 * `fills` of an order that has none yet (shared, frozen). The first fill replaces it with a one-slot
 * array: V8 gives an array literal `[]` 17 slots at its first push, and the venue keeps every client
 * order, so that was ~150 bytes retained per filled order.
 */
const NO_FILLS = Object.freeze([]) as unknown as SimFill[];

/**
 * Matching engine of one venue: one {@link OrderBook} per symbol, price-time priority, LIMIT /
 * MARKET / LIMIT_MAKER with GTC / IOC / FOK, partial fills, maker/taker fees charged on the asset
 * received (as Binance does without BNB). Funds are locked when an order is accepted and every
 * fill moves locked funds, so an account can never go negative and each asset is conserved.
 */
export class MatchingEngine {
  readonly books = new Map<string, OrderBook>();
  readonly stats = new Map<string, TickerStats>();
  private readonly byId = new OrderIndex();
  private readonly sym = new Map<string, SymbolState>();
  /**
   * How many of the ledger's client orders (ascending order id) are in the per-symbol `byClient`
   * indexes. The order path does not maintain those indexes: a query by client order id for an
   * order that is no longer on the book catches them up from here, so their cost is paid only
   * when someone asks, once per order, and nothing is built in a run that never asks.
   */
  private historyIndexed = 0;
  private readonly halted = new Set<string>();
  /** Prevented matches of the order being placed, for its FULL response (reset by every {@link place}). */
  lastPrevented: PreventedMatch[] = NO_PREVENTED;
  /** Mode of orders that name none (Binance's spot default is `EXPIRE_MAKER`; the engine's alone is `NONE`). */
  defaultStp: StpMode = 'NONE';
  private nextOrderId = 1;
  private seq = 0;
  private listener: EngineListener | undefined;
  /** Assets whose balances changed, per client account; kept across operations and cleared, not reallocated. */
  private readonly touched = new Map<string, Set<string>>();
  /** Accounts with a non-empty set in {@link touched}, in first-touch order. */
  private readonly dirty: string[] = [];
  private readonly makerBps: bigint;
  private readonly takerBps: bigint;

  constructor(
    readonly instruments: InstrumentRegistry,
    private readonly accounts: Accounts,
    private readonly ledger: Ledger,
    private readonly fees: FeeSchedule,
    private readonly now: () => number,
  ) {
    for (const i of instruments.list) {
      const book = new OrderBook(i.symbol);
      this.books.set(i.symbol, book);
      this.sym.set(i.symbol, { ins: i, book, tradeId: 0, preventedId: 0, stats: undefined, open: new Map(), byClient: new Map() });
    }
    this.makerBps = BigInt(fees.makerBps);
    this.takerBps = BigInt(fees.takerBps);
  }

  /** Sets the single listener (the venue fans out). */
  listen(l: EngineListener): void {
    this.listener = l;
  }

  /** Stops (or resumes) trading in `symbol`; new orders get Binance's "Market is closed.". */
  setHalted(symbol: string, halted: boolean): void {
    if (halted) this.halted.add(symbol);
    else this.halted.delete(symbol);
  }

  /** Whether `symbol` is halted. */
  isHalted(symbol: string): boolean {
    return this.halted.has(symbol);
  }

  /** An order of `account` by venue id, or undefined. */
  getById(account: string, orderId: number): SimOrder | undefined {
    const o = this.byId.get(orderId);
    return o !== undefined && o.account === account ? o : undefined;
  }

  /** The latest order of `account` in `symbol` with `clientOrderId`, or undefined. */
  getByClientId(account: string, symbol: string, clientOrderId: string): SimOrder | undefined {
    const st = this.sym.get(symbol);
    if (st === undefined) return undefined;
    // A resting order is the latest with its id: a new one is refused while it rests.
    const open = st.open.get(account)?.get(clientOrderId);
    if (open !== undefined) return open;
    this.history();
    return st.byClient.get(account)?.get(clientOrderId);
  }

  /** Brings the per-symbol client-order-id indexes up to the ledger's last recorded order. */
  private history(): void {
    const n = this.ledger.orderCount;
    for (let i = this.historyIndexed; i < n; i++) {
      const o = this.ledger.orderAt(i);
      const st = this.sym.get(o.symbol);
      if (st === undefined) continue;
      let mine = st.byClient.get(o.account);
      if (mine === undefined) {
        mine = new Map();
        st.byClient.set(o.account, mine);
      }
      // Ascending order id: a later order with the same id replaces an earlier one.
      mine.set(o.clientOrderId, o);
    }
    this.historyIndexed = n;
  }

  /**
   * Applies the ledger's retention: compacts closed client orders past the window (see
   * {@link Ledger.compactOrders}) and forgets them here too, so a query by order id or client order
   * id no longer finds them (the wire answers -2013, as Binance does for an unknown order). `force`
   * runs the age pass even when the count is within the window (the venue's tick). Returns how many
   * orders were compacted.
   */
  compactHistory(now: number, force = false): number {
    if (this.ledger.retention === undefined || (!force && !this.ledger.compactionDue)) return 0;
    // The history index, once built, is kept in step: catch it up so its position maps after the cut.
    const indexed = this.historyIndexed > 0;
    if (indexed) this.history();
    const removed = this.ledger.compactOrders(now, this.forget);
    if (indexed) this.historyIndexed = this.ledger.orderCount;
    return removed;
  }

  /** Drops a compacted order from the indexes (made once: handed to every compaction). */
  private readonly forget = (o: SimOrder): void => {
    this.byId.delete(o.orderId);
    // The client-order-id history is built by the first query that needs it: before that it is empty.
    if (this.historyIndexed === 0) return;
    const mine = this.sym.get(o.symbol)?.byClient.get(o.account);
    if (mine !== undefined && mine.get(o.clientOrderId) === o) mine.delete(o.clientOrderId);
  };

  /**
   * What the engine's order indexes hold: the order-id index (orders, pages, overflow) and the
   * open-order indexes (resting orders and table slots over every account and symbol). Both follow
   * what is live (issue 16), for tests and memory reports.
   */
  indexFootprint(): EngineIndexFootprint {
    let resting = 0;
    let openSlots = 0;
    let openTables = 0;
    for (const st of this.sym.values()) {
      for (const t of st.open.values()) {
        resting += t.size;
        openSlots += t.capacity;
        openTables++;
      }
    }
    return { byId: this.byId.footprint(), resting, openSlots, openTables };
  }

  /** Open orders of `account` (optionally one symbol), oldest first. */
  openOrders(account: string, symbol?: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const st of this.sym.values()) {
      if (symbol !== undefined && st.ins.symbol !== symbol) continue;
      const mine = st.open.get(account);
      if (mine !== undefined) for (const o of mine.values()) out.push(o);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** All orders of `account` in `symbol` that the venue still knows, oldest first. */
  ordersOf(account: string, symbol: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const o of this.byId.values()) if (o.account === account && o.symbol === symbol) out.push(o);
    return out;
  }

  /** Validates against the symbol's filters, locks funds, matches and rests or expires the rest. */
  place(r: PlaceRequest): EngineResult {
    try {
      return this.placeOne(r);
    } finally {
      this.listener?.onCommit?.();
    }
  }

  private placeOne(r: PlaceRequest): EngineResult {
    this.lastPrevented = NO_PREVENTED;
    const st = this.sym.get(r.symbol);
    if (st === undefined) return REJECT.badSymbol;
    const ins = st.ins;
    if (this.halted.size !== 0 && this.halted.has(r.symbol)) return REJECT.closed;
    const f = checkFilters(ins, r);
    if (f !== undefined) return f;
    let mine = st.open.get(r.account);
    const cidHash = clientIdHash(r.clientOrderId);
    if (mine !== undefined && mine.get(r.clientOrderId, cidHash) !== undefined) return REJECT.duplicate;
    const book = st.book;
    const buy = r.side === 'BUY';
    if (r.type === 'LIMIT_MAKER' && this.crosses(book, buy, r.priceTicks)) return REJECT.wouldTake;

    // Funds to lock: the full commitment, so every fill pays from locked funds.
    let lock: bigint;
    if (buy) {
      if (r.type === 'MARKET') lock = r.quoteOrderQty > 0n ? r.quoteOrderQty : this.marketBuyCost(ins, book, r.lots);
      else lock = ins.notional(r.priceTicks, r.lots);
    } else {
      lock = ins.baseAtoms(r.lots);
    }
    const now = this.now();
    const orderId = this.nextOrderId++;
    const lockAsset = buy ? ins.quote : ins.base;
    if (!this.accounts.lock(r.account, lockAsset, lock, orderId)) {
      this.nextOrderId--;
      return REJECT.insufficient;
    }
    const o: SimOrder = {
      orderId,
      clientOrderId: r.clientOrderId,
      account: r.account,
      symbol: r.symbol,
      side: r.side,
      type: r.type,
      timeInForce: r.type === 'LIMIT_MAKER' ? 'GTC' : r.timeInForce,
      priceTicks: r.type === 'MARKET' ? 0 : r.priceTicks,
      origLots: r.lots,
      quoteOrderQty: r.quoteOrderQty,
      executedLots: 0,
      cumQuoteAtoms: 0n,
      status: 'NEW',
      locked: lock,
      time: now,
      updateTime: now,
      seq: ++this.seq,
      fills: NO_FILLS,
      traceparent: r.traceparent,
      house: r.account.startsWith(HOUSE_PREFIX),
      stp: r.stp ?? this.defaultStp,
      preventedMatchId: undefined,
      preventedLots: 0,
    };
    this.byId.set(orderId, o);
    this.ledger.recordOrder(o);
    this.touch(o, lockAsset);
    this.listener?.onOrderEvent(o, 'NEW', undefined);

    if (r.type === 'MARKET') {
      this.match(ins, book, o, Number.MAX_SAFE_INTEGER);
      if (o.quoteOrderQty > 0n) o.origLots = o.executedLots + o.preventedLots;
      this.finishTaker(ins, o);
    } else if (r.timeInForce === 'FOK' && r.type === 'LIMIT' && this.available(book, buy, r.priceTicks, r.lots) < r.lots) {
      this.finishTaker(ins, o);
    } else {
      if (r.type === 'LIMIT') this.match(ins, book, o, r.priceTicks);
      if (o.status === 'EXPIRED_IN_MATCH') this.finishTaker(ins, o);
      else if (o.executedLots < o.origLots && o.timeInForce === 'GTC') {
        book.add(o);
        if (mine === undefined) {
          mine = new OpenIndex();
          st.open.set(o.account, mine);
        }
        mine.add(o, cidHash);
      } else {
        this.finishTaker(ins, o);
      }
    }
    this.flushBalances();
    return { ok: true, order: o };
  }

  /** Cancels an open order of `account`; Binance's -2011 when it is unknown or already closed. */
  cancel(account: string, symbol: string, orderId: number | undefined, clientOrderId: string | undefined): EngineResult {
    if (!this.instruments.get(symbol)) return REJECT.badSymbol;
    // By client order id only resting orders can be cancelled: the open map answers, without the history index.
    const o = orderId !== undefined ? this.getById(account, orderId) : clientOrderId !== undefined ? this.sym.get(symbol)?.open.get(account)?.get(clientOrderId) : undefined;
    if (o === undefined || o.symbol !== symbol || !isOpen(o)) return REJECT.unknownCancel;
    this.cancelOrder(o, 'CANCELED');
    this.flushBalances();
    this.listener?.onCommit?.();
    return { ok: true, order: o };
  }

  /** Cancels every open order of `account` (optionally in one symbol); returns them. */
  cancelAll(account: string, symbol?: string): SimOrder[] {
    const list = this.openOrders(account, symbol);
    for (const o of list) this.cancelOrder(o, 'CANCELED');
    this.flushBalances();
    this.listener?.onCommit?.();
    return list;
  }

  /** The id counters (see {@link restore}). */
  counters(): EngineCounters {
    const tradeIds: Record<string, number> = {};
    const preventedIds: Record<string, number> = {};
    for (const [symbol, st] of this.sym) {
      tradeIds[symbol] = st.tradeId;
      preventedIds[symbol] = st.preventedId;
    }
    return { nextOrderId: this.nextOrderId, seq: this.seq, tradeIds, preventedIds };
  }

  /**
   * Puts back the client orders of a durable venue (open ones onto the books, by arrival) and moves
   * every id counter at least to `counters`, so no order id, trade id or prevented-match id is ever
   * issued twice. Call on a fresh engine, before any order is placed.
   */
  restore(orders: readonly SimOrder[], counters: EngineCounters): void {
    let maxId = 0;
    for (const o of [...orders].sort((a, b) => a.orderId - b.orderId)) {
      this.byId.set(o.orderId, o);
      const st = this.sym.get(o.symbol);
      if (st !== undefined) {
        if (o.preventedMatchId !== undefined) st.preventedId = Math.max(st.preventedId, o.preventedMatchId);
        for (const f of o.fills) st.tradeId = Math.max(st.tradeId, f.tradeId);
      }
      this.ledger.recordOrder(o);
      maxId = Math.max(maxId, o.orderId);
      this.seq = Math.max(this.seq, o.seq);
    }
    for (const o of [...orders].filter(isOpen).sort((a, b) => a.seq - b.seq)) {
      const st = this.sym.get(o.symbol);
      if (st === undefined) continue;
      st.book.add(o);
      let mine = st.open.get(o.account);
      if (mine === undefined) {
        mine = new OpenIndex();
        st.open.set(o.account, mine);
      }
      mine.add(o);
    }
    this.nextOrderId = Math.max(this.nextOrderId, maxId + 1, counters.nextOrderId);
    this.seq = Math.max(this.seq, counters.seq);
    for (const [symbol, v] of Object.entries(counters.tradeIds)) {
      const st = this.sym.get(symbol);
      if (st !== undefined) st.tradeId = Math.max(st.tradeId, v);
    }
    for (const [symbol, v] of Object.entries(counters.preventedIds)) {
      const st = this.sym.get(symbol);
      if (st !== undefined) st.preventedId = Math.max(st.preventedId, v);
    }
  }

  private cancelOrder(o: SimOrder, status: 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH'): void {
    const book = this.books.get(o.symbol)!;
    const remaining = o.origLots - o.executedLots;
    book.reduce(o, remaining);
    const ins = this.instruments.get(o.symbol)!;
    this.close(ins, o, status);
  }

  private close(ins: Instrument, o: SimOrder, status: 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH' | 'FILLED'): void {
    const asset = o.side === 'BUY' ? ins.quote : ins.base;
    if (o.locked > 0n) {
      this.accounts.unlock(o.account, asset, o.locked, o.orderId);
      o.locked = 0n;
      this.touch(o, asset);
    }
    o.status = status;
    o.updateTime = this.now();
    const mine = this.sym.get(o.symbol)!.open.get(o.account);
    if (mine !== undefined) mine.remove(o);
    if (o.house) this.byId.delete(o.orderId);
    if (status !== 'FILLED') this.listener?.onOrderEvent(o, status === 'EXPIRED_IN_MATCH' ? 'TRADE_PREVENTION' : status, undefined);
    else this.listener?.onOrderClosed?.(o);
  }

  private finishTaker(ins: Instrument, o: SimOrder): void {
    if (o.status === 'EXPIRED_IN_MATCH') this.close(ins, o, 'EXPIRED_IN_MATCH');
    else if (o.executedLots > 0 && o.executedLots >= o.origLots) this.close(ins, o, 'FILLED');
    else this.close(ins, o, 'EXPIRED');
  }

  private crosses(book: OrderBook, buy: boolean, price: number): boolean {
    const l = buy ? book.bestAsk() : book.bestBid();
    return l !== undefined && (buy ? l.priceTicks <= price : l.priceTicks >= price);
  }

  /** Lots available at or better than `limit` on the side a taker would hit. */
  private available(book: OrderBook, buy: boolean, limit: number, need: number): number {
    const levels = buy ? book.asks : book.bids;
    let n = 0;
    for (let i = 0; i < levels.length && n < need; i++) {
      const l = levels[i]!;
      if (buy ? l.priceTicks > limit : l.priceTicks < limit) break;
      n += l.totalLots;
    }
    return n;
  }

  /** Quote cost of buying `lots` at market now (what is available, if less). */
  private marketBuyCost(ins: Instrument, book: OrderBook, lots: number): bigint {
    let left = lots;
    let cost = 0n;
    for (let i = 0; i < book.asks.length && left > 0; i++) {
      const l = book.asks[i]!;
      const q = Math.min(left, l.totalLots);
      cost += ins.notional(l.priceTicks, q);
      left -= q;
    }
    return cost;
  }

  private match(ins: Instrument, book: OrderBook, taker: SimOrder, limit: number): void {
    const st = this.sym.get(ins.symbol)!;
    const buy = taker.side === 'BUY';
    const levels = buy ? book.asks : book.bids;
    const byQuote = taker.quoteOrderQty > 0n;
    for (;;) {
      const remaining = byQuote ? Number.MAX_SAFE_INTEGER : taker.origLots - taker.executedLots;
      if (remaining <= 0) break;
      const level = levels[0];
      if (level === undefined) break;
      if (taker.type !== 'MARKET' && (buy ? level.priceTicks > limit : level.priceTicks < limit)) break;
      const maker = level.front();
      if (maker === undefined) break;
      if (maker.account === taker.account && taker.stp !== 'NONE') {
        if (this.prevent(ins, taker, maker, level.priceTicks, byQuote)) break;
        continue;
      }
      let q = Math.min(remaining, maker.origLots - maker.executedLots);
      if (byQuote) {
        const per = ins.notional(level.priceTicks, 1);
        const affordable = Number(taker.locked / per);
        q = Math.min(q, affordable);
        if (q <= 0) break;
      }
      this.fill(ins, book, st, taker, maker, level.priceTicks, q);
    }
  }

  /**
   * Self-trade prevention between `taker` and a resting `maker` of the same account, by the taker's
   * mode. The expired side's remaining quantity becomes its prevented quantity; an expired maker
   * leaves the book at once (and the taker goes on matching), an expired taker stops matching and
   * is closed by {@link place}. Returns whether the taker stops.
   */
  private prevent(ins: Instrument, taker: SimOrder, maker: SimOrder, price: number, byQuote: boolean): boolean {
    const st = this.sym.get(ins.symbol)!;
    const id = ++st.preventedId;
    const m = preventedMatch(id, taker, maker, price, byQuote);
    if (this.lastPrevented === NO_PREVENTED) this.lastPrevented = [];
    this.lastPrevented.push(m);
    if (expiresMaker(m.mode)) {
      maker.preventedMatchId = id;
      maker.preventedLots += m.makerPreventedLots;
      this.cancelOrder(maker, 'EXPIRED_IN_MATCH');
    }
    if (expiresTaker(m.mode)) {
      taker.preventedMatchId = id;
      taker.preventedLots += m.takerPreventedLots;
      taker.status = 'EXPIRED_IN_MATCH';
      return true;
    }
    // The maker is gone from the book: the taker may match the next one.
    return false;
  }

  private fill(ins: Instrument, book: OrderBook, st: SymbolState, taker: SimOrder, maker: SimOrder, price: number, lots: number): void {
    const takerBuys = taker.side === 'BUY';
    const buyer = takerBuys ? taker : maker;
    const seller = takerBuys ? maker : taker;
    const quote = ins.notional(price, lots);
    const base = ins.baseAtoms(lots);
    const tradeId = ++st.tradeId;
    const time = this.now();
    // Buyer pays quote from its lock; a limit buyer filled below its limit gets the difference back.
    this.accounts.transfer(buyer.account, true, seller.account, ins.quote, quote, 'trade', buyer.orderId);
    buyer.locked -= quote;
    if (buyer.type !== 'MARKET' && buyer.priceTicks !== price) {
      const excess = ins.notional(buyer.priceTicks, lots) - quote;
      if (excess > 0n) {
        this.accounts.unlock(buyer.account, ins.quote, excess, buyer.orderId);
        buyer.locked -= excess;
      }
    }
    this.accounts.transfer(seller.account, true, buyer.account, ins.base, base, 'trade', seller.orderId);
    seller.locked -= base;
    const buyerFee = (base * (takerBuys ? this.takerBps : this.makerBps)) / 10000n;
    const sellerFee = (quote * (takerBuys ? this.makerBps : this.takerBps)) / 10000n;
    this.accounts.transfer(buyer.account, false, FEE_ACCOUNT, ins.base, buyerFee, 'fee', buyer.orderId);
    this.accounts.transfer(seller.account, false, FEE_ACCOUNT, ins.quote, sellerFee, 'fee', seller.orderId);
    this.touch(buyer, ins.base);
    this.touch(buyer, ins.quote);
    this.touch(seller, ins.base);
    this.touch(seller, ins.quote);

    book.reduce(maker, lots);
    this.applyFill(ins, taker, false, takerBuys, tradeId, price, lots, quote, takerBuys ? buyerFee : sellerFee, time);
    this.applyFill(ins, maker, true, !takerBuys, tradeId, price, lots, quote, takerBuys ? sellerFee : buyerFee, time);
    let s = st.stats;
    if (s === undefined) {
      s = { openTicks: price, highTicks: price, lowTicks: price, lastTicks: price, lastLots: lots, volumeLots: lots, quoteVolume: quote, count: 1, firstId: tradeId, lastId: tradeId, openTime: time };
      st.stats = s;
      this.stats.set(ins.symbol, s);
    } else {
      if (price > s.highTicks) s.highTicks = price;
      if (price < s.lowTicks) s.lowTicks = price;
      s.lastTicks = price;
      s.lastLots = lots;
      s.volumeLots += lots;
      s.quoteVolume += quote;
      s.count++;
      s.lastId = tradeId;
    }
    this.listener?.onTrade(ins.symbol, tradeId, price, lots, !takerBuys, time);
  }

  /** One side of a trade: the order's totals, its fill record (client orders only) and status. */
  private applyFill(ins: Instrument, o: SimOrder, isMaker: boolean, isBuyer: boolean, tradeId: number, price: number, lots: number, quote: bigint, commission: bigint, time: number): void {
    o.executedLots += lots;
    o.cumQuoteAtoms += quote;
    o.updateTime = time;
    // House orders keep no fills; without a listener nobody sees the one of a house order either.
    const fill: SimFill | undefined =
      !o.house || this.listener !== undefined ? { tradeId, priceTicks: price, lots, quoteAtoms: quote, commission, commissionAsset: isBuyer ? ins.base : ins.quote, isMaker, time } : undefined;
    if (!o.house) {
      if (o.fills === NO_FILLS) o.fills = [fill!];
      else o.fills.push(fill!);
    }
    if (o.quoteOrderQty === 0n && o.executedLots >= o.origLots) {
      if (isMaker) this.close(ins, o, 'FILLED');
      else o.status = 'FILLED';
    } else {
      o.status = 'PARTIALLY_FILLED';
    }
    this.listener?.onOrderEvent(o, 'TRADE', fill);
  }

  /** Notes that `o`'s account changed in `asset`, for one `onBalances` per account at the end of the operation. */
  private touch(o: SimOrder, asset: string): void {
    if (o.house || this.listener === undefined) return;
    let s = this.touched.get(o.account);
    if (s === undefined) {
      s = new Set();
      this.touched.set(o.account, s);
    }
    if (s.size === 0) this.dirty.push(o.account);
    s.add(asset);
  }

  private flushBalances(): void {
    const n = this.dirty.length;
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const account = this.dirty[i]!;
      const s = this.touched.get(account)!;
      this.listener?.onBalances(account, [...s]);
      s.clear();
    }
    this.dirty.length = 0;
  }
}
