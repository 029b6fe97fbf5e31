/** Peer for bench/matching-engine.bench.ts: the engine as it was before issue 13 (verbatim copy, imports adjusted). Not used by the product. */
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
import { type Accounts, FEE_ACCOUNT } from '../../simulators/venue/accounts.js';
import type { Instrument, InstrumentRegistry } from './instruments-before.js';
import { HOUSE_PREFIX, type Ledger } from './ledger-before.js';
import type { EngineListener } from '../../simulators/venue/engine-events.js';
import { isOpen, type SimFill, type SimOrder, type StpMode } from '../../simulators/venue/order.js';
import { OrderBook } from './order-book-before.js';
import { checkFilters, REJECT, type PlaceRequest, type Rejection } from '../../simulators/venue/order-validation.js';
import { expiresMaker, expiresTaker, preventedMatch, type PreventedMatch } from '../../simulators/venue/self-trade.js';

// Split out of this module and re-exported so every name it exported before is still importable here.
export { type ExecType, type EngineListener } from '../../simulators/venue/engine-events.js';
export { REJECT, type PlaceRequest, type Rejection } from '../../simulators/venue/order-validation.js';
export { type PreventedMatch } from '../../simulators/venue/self-trade.js';

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

/**
 * Matching engine of one venue: one {@link OrderBook} per symbol, price-time priority, LIMIT /
 * MARKET / LIMIT_MAKER with GTC / IOC / FOK, partial fills, maker/taker fees charged on the asset
 * received (as Binance does without BNB). Funds are locked when an order is accepted and every
 * fill moves locked funds, so an account can never go negative and each asset is conserved.
 */
export class MatchingEngine {
  readonly books = new Map<string, OrderBook>();
  readonly stats = new Map<string, TickerStats>();
  private readonly byId = new Map<number, SimOrder>();
  private readonly byClient = new Map<string, SimOrder>();
  private readonly openByAccount = new Map<string, Set<SimOrder>>();
  private readonly tradeIds = new Map<string, number>();
  private readonly halted = new Set<string>();
  private readonly preventedIds = new Map<string, number>();
  /** Prevented matches of the order being placed, for its FULL response (reset by every {@link place}). */
  lastPrevented: PreventedMatch[] = [];
  /** Mode of orders that name none (Binance's spot default is `EXPIRE_MAKER`; the engine's alone is `NONE`). */
  defaultStp: StpMode = 'NONE';
  private nextOrderId = 1;
  private seq = 0;
  private listener: EngineListener | undefined;
  private readonly touched = new Map<string, Set<string>>();

  constructor(
    readonly instruments: InstrumentRegistry,
    private readonly accounts: Accounts,
    private readonly ledger: Ledger,
    private readonly fees: FeeSchedule,
    private readonly now: () => number,
  ) {
    for (const i of instruments.list) {
      this.books.set(i.symbol, new OrderBook(i.symbol));
      this.tradeIds.set(i.symbol, 0);
      this.preventedIds.set(i.symbol, 0);
    }
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
    return this.byClient.get(clientKey(account, symbol, clientOrderId));
  }

  /** Open orders of `account` (optionally one symbol), oldest first. */
  openOrders(account: string, symbol?: string): SimOrder[] {
    const s = this.openByAccount.get(account);
    if (s === undefined) return [];
    const out: SimOrder[] = [];
    for (const o of s) if (symbol === undefined || o.symbol === symbol) out.push(o);
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
    this.lastPrevented = [];
    const ins = this.instruments.get(r.symbol);
    if (ins === undefined) return REJECT.badSymbol;
    if (this.halted.has(r.symbol)) return REJECT.closed;
    const f = checkFilters(ins as unknown as Parameters<typeof checkFilters>[0], r);
    if (f !== undefined) return f;
    const existing = this.byClient.get(clientKey(r.account, r.symbol, r.clientOrderId));
    if (existing !== undefined && isOpen(existing)) return REJECT.duplicate;
    const book = this.books.get(r.symbol)!;
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
      fills: [],
      traceparent: r.traceparent,
      house: r.account.startsWith(HOUSE_PREFIX),
      stp: r.stp ?? this.defaultStp,
      preventedMatchId: undefined,
      preventedLots: 0,
    };
    this.byId.set(orderId, o);
    this.byClient.set(clientKey(o.account, o.symbol, o.clientOrderId), o);
    this.ledger.recordOrder(o);
    this.touch(o.account, lockAsset);
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
        let s = this.openByAccount.get(o.account);
        if (s === undefined) {
          s = new Set();
          this.openByAccount.set(o.account, s);
        }
        s.add(o);
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
    const o = orderId !== undefined ? this.getById(account, orderId) : clientOrderId !== undefined ? this.getByClientId(account, symbol, clientOrderId) : undefined;
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
    return { nextOrderId: this.nextOrderId, seq: this.seq, tradeIds: Object.fromEntries(this.tradeIds), preventedIds: Object.fromEntries(this.preventedIds) };
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
      this.byClient.set(clientKey(o.account, o.symbol, o.clientOrderId), o);
      this.ledger.recordOrder(o);
      maxId = Math.max(maxId, o.orderId);
      this.seq = Math.max(this.seq, o.seq);
      if (o.preventedMatchId !== undefined) this.preventedIds.set(o.symbol, Math.max(this.preventedIds.get(o.symbol) ?? 0, o.preventedMatchId));
      for (const f of o.fills) this.tradeIds.set(o.symbol, Math.max(this.tradeIds.get(o.symbol) ?? 0, f.tradeId));
    }
    for (const o of [...orders].filter(isOpen).sort((a, b) => a.seq - b.seq)) {
      this.books.get(o.symbol)?.add(o);
      let s = this.openByAccount.get(o.account);
      if (s === undefined) {
        s = new Set();
        this.openByAccount.set(o.account, s);
      }
      s.add(o);
    }
    this.nextOrderId = Math.max(this.nextOrderId, maxId + 1, counters.nextOrderId);
    this.seq = Math.max(this.seq, counters.seq);
    for (const [sym, v] of Object.entries(counters.tradeIds)) if (this.tradeIds.has(sym)) this.tradeIds.set(sym, Math.max(this.tradeIds.get(sym)!, v));
    for (const [sym, v] of Object.entries(counters.preventedIds)) if (this.preventedIds.has(sym)) this.preventedIds.set(sym, Math.max(this.preventedIds.get(sym)!, v));
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
      this.touch(o.account, asset);
    }
    o.status = status;
    o.updateTime = this.now();
    this.openByAccount.get(o.account)?.delete(o);
    if (o.house) {
      this.byId.delete(o.orderId);
      const k = clientKey(o.account, o.symbol, o.clientOrderId);
      if (this.byClient.get(k) === o) this.byClient.delete(k);
    }
    this.ledger.closeOrder(o);
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
      this.fill(ins, book, taker, maker, level.priceTicks, q);
    }
  }

  /**
   * Self-trade prevention between `taker` and a resting `maker` of the same account, by the taker's
   * mode. The expired side's remaining quantity becomes its prevented quantity; an expired maker
   * leaves the book at once (and the taker goes on matching), an expired taker stops matching and
   * is closed by {@link place}. Returns whether the taker stops.
   */
  private prevent(ins: Instrument, taker: SimOrder, maker: SimOrder, price: number, byQuote: boolean): boolean {
    const id = this.preventedIds.get(ins.symbol)! + 1;
    this.preventedIds.set(ins.symbol, id);
    const m = preventedMatch(id, taker, maker, price, byQuote);
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

  private fill(ins: Instrument, book: OrderBook, taker: SimOrder, maker: SimOrder, price: number, lots: number): void {
    const buyer = taker.side === 'BUY' ? taker : maker;
    const seller = taker.side === 'BUY' ? maker : taker;
    const quote = ins.notional(price, lots);
    const base = ins.baseAtoms(lots);
    const tradeId = this.tradeIds.get(ins.symbol)! + 1;
    this.tradeIds.set(ins.symbol, tradeId);
    const time = this.now();
    // Buyer pays quote from its lock; a limit buyer filled below its limit gets the difference back.
    this.accounts.transfer(buyer.account, true, seller.account, ins.quote, quote, 'trade', buyer.orderId);
    buyer.locked -= quote;
    if (buyer.type !== 'MARKET') {
      const excess = ins.notional(buyer.priceTicks, lots) - quote;
      if (excess > 0n) {
        this.accounts.unlock(buyer.account, ins.quote, excess, buyer.orderId);
        buyer.locked -= excess;
      }
    }
    this.accounts.transfer(seller.account, true, buyer.account, ins.base, base, 'trade', seller.orderId);
    seller.locked -= base;
    const buyerBps = buyer === maker ? this.fees.makerBps : this.fees.takerBps;
    const sellerBps = seller === maker ? this.fees.makerBps : this.fees.takerBps;
    const buyerFee = (base * BigInt(buyerBps)) / 10000n;
    const sellerFee = (quote * BigInt(sellerBps)) / 10000n;
    this.accounts.transfer(buyer.account, false, FEE_ACCOUNT, ins.base, buyerFee, 'fee', buyer.orderId);
    this.accounts.transfer(seller.account, false, FEE_ACCOUNT, ins.quote, sellerFee, 'fee', seller.orderId);
    this.touch(buyer.account, ins.base);
    this.touch(buyer.account, ins.quote);
    this.touch(seller.account, ins.base);
    this.touch(seller.account, ins.quote);

    book.reduce(maker, lots);
    for (const o of [taker, maker]) {
      o.executedLots += lots;
      o.cumQuoteAtoms += quote;
      o.updateTime = time;
      const isBuyer = o === buyer;
      const fill: SimFill = {
        tradeId,
        priceTicks: price,
        lots,
        quoteAtoms: quote,
        commission: isBuyer ? buyerFee : sellerFee,
        commissionAsset: isBuyer ? ins.base : ins.quote,
        isMaker: o === maker,
        time,
      };
      if (!o.house) o.fills.push(fill);
      if (o.quoteOrderQty === 0n && o.executedLots >= o.origLots) {
        if (o === maker) this.close(ins, o, 'FILLED');
        else o.status = 'FILLED';
      } else {
        o.status = 'PARTIALLY_FILLED';
      }
      this.listener?.onOrderEvent(o, 'TRADE', fill);
    }
    const st = this.stats.get(ins.symbol);
    if (st === undefined) {
      this.stats.set(ins.symbol, { openTicks: price, highTicks: price, lowTicks: price, lastTicks: price, lastLots: lots, volumeLots: lots, quoteVolume: quote, count: 1, firstId: tradeId, lastId: tradeId, openTime: time });
    } else {
      if (price > st.highTicks) st.highTicks = price;
      if (price < st.lowTicks) st.lowTicks = price;
      st.lastTicks = price;
      st.lastLots = lots;
      st.volumeLots += lots;
      st.quoteVolume += quote;
      st.count++;
      st.lastId = tradeId;
    }
    this.listener?.onTrade(ins.symbol, tradeId, price, lots, maker === buyer, time);
  }

  private touch(account: string, asset: string): void {
    if (account.startsWith(HOUSE_PREFIX)) return;
    let s = this.touched.get(account);
    if (s === undefined) {
      s = new Set();
      this.touched.set(account, s);
    }
    s.add(asset);
  }

  private flushBalances(): void {
    if (this.touched.size === 0) return;
    for (const [account, assets] of this.touched) this.listener?.onBalances(account, [...assets]);
    this.touched.clear();
  }
}

function clientKey(account: string, symbol: string, clientOrderId: string): string {
  return `${account}\u0000${symbol}\u0000${clientOrderId}`;
}
