/**
 * Binance adapter, part 3 of 4 (the template in `../adapter.ts`): execution. Place, cancel and
 * look up orders, an order's trades, order and trade history, open orders, balances, and the
 * user-data stream (execution reports). Uses ccxt's implicit Binance endpoints (`privatePostOrder`,
 * …) so the request carries exact decimal strings and the reply is Binance's own JSON (exact
 * strings, no floats), while ccxt still signs, times and maps errors; the order's `traceparent`
 * rides along through the connection's signer.
 *
 * With `orderEntry: 'ws'`, `placeOrder` and `cancelOrder` go over the WebSocket API instead
 * (`ws-orders.ts`: one pipelined connection, our own signer) while it is up, with the same request
 * weight and the same replies; REST takes a request only when the WebSocket connection is not open
 * when the request would be written (never both for one request: one written to the socket and
 * unanswered is `unknown`, resolved by the reconciler by client order id). Lookups, history,
 * balances and reconciliation stay on REST.
 */
import { fromUnits, type Instrument } from '../../orders/instrument.js';
import type { OrderIntent } from '../../orders/intent.js';
import type { StreamSinks, VenueBalance, VenueOrder, VenueOrderStatus, VenueTrade } from '../adapter.js';
import { VenueCallError } from '../errors.js';
import { classify, type BinanceConnection, type Raw } from './client.js';
import { stepProduct, units, unitsNumber, venueId, type BinanceInstruments } from './instruments.js';
import type { BinanceWsOrders } from './ws-orders.js';
import type { SpanAttributes } from '../../../common/span-sink.js';

/** Orders, trades and balances of one Binance account, and its user-data stream. */
export class BinanceExecution {
  constructor(
    private readonly conn: BinanceConnection,
    private readonly instruments: BinanceInstruments,
    /** The WebSocket API order entry (`orderEntry: 'ws'`), else undefined. */
    private readonly ws: BinanceWsOrders | undefined = undefined,
  ) {}

  /**
   * Sends `method` over the WebSocket API when its connection is up (the request's weight taken
   * first, as for REST); `undefined` when it is not (nothing was written: the caller uses REST).
   * A connection lost while waiting for weight costs that request's weight twice (REST takes its
   * own): the budget errs on the safe side.
   */
  private async viaWs(method: string, params: Record<string, string>, traceparent: string, attributes?: SpanAttributes): Promise<Raw | undefined> {
    const ws = this.ws;
    if (ws === undefined || !ws.up) return undefined;
    const w = this.conn.takeWeight(1);
    if (w !== undefined) await w;
    // Carried as a signed parameter (the simulator records it, like the REST header); only when
    // the order has a trace; a sampled one is a CLIENT span (ws-orders.ts sendTraced).
    const p = ws.sendTraced(method, params, traceparent, attributes);
    return p === undefined ? undefined : await p;
  }

  /** Places an order under `clientOrderId` (`newOrderRespType: FULL`). */
  async placeOrder(clientOrderId: string, intent: OrderIntent, traceparent: string): Promise<VenueOrder> {
    const c = this.conn;
    const ins = this.instruments.require(intent.symbol);
    const req: Record<string, string> = {
      symbol: venueId(ins),
      side: intent.side === 'buy' ? 'BUY' : 'SELL',
      type: intent.type === 'market' ? 'MARKET' : intent.type === 'limit-maker' ? 'LIMIT_MAKER' : 'LIMIT',
      quantity: fromUnits(intent.qtyLots, ins.lotSize),
      newClientOrderId: clientOrderId,
      newOrderRespType: 'FULL',
    };
    if (intent.type !== 'market') req.price = fromUnits(intent.priceTicks, ins.tickSize);
    if (intent.type === 'limit') req.timeInForce = intent.tif;
    if (this.ws !== undefined) {
      const r = await this.viaWs('order.place', req, traceparent, { 'bot4.symbol': intent.symbol, 'bot4.side': intent.side });
      if (r !== undefined) return this.parseOrder(r, ins);
    }
    return c.traced(clientOrderId, traceparent, 'POST', '/api/v3/order', { 'bot4.symbol': intent.symbol, 'bot4.side': intent.side }, async () => this.parseOrder((await c.call(() => c.ex.privatePostOrder(req), 1)) as Raw, ins));
  }

  /** Cancels by client order id (`origClientOrderId`). */
  async cancelOrder(clientOrderId: string, symbol: string, traceparent: string): Promise<VenueOrder> {
    const c = this.conn;
    const ins = this.instruments.require(symbol);
    if (this.ws !== undefined) {
      const r = await this.viaWs('order.cancel', { symbol: venueId(ins), origClientOrderId: clientOrderId }, traceparent, { 'bot4.symbol': symbol });
      if (r !== undefined) return this.parseOrder(r, ins);
    }
    return c.traced(clientOrderId, traceparent, 'DELETE', '/api/v3/order', { 'bot4.symbol': symbol }, async () => this.parseOrder((await c.call(() => c.ex.privateDeleteOrder({ symbol: venueId(ins), origClientOrderId: clientOrderId }), 1)) as Raw, ins));
  }

  /** Looks an order up by client order id; `undefined` when the venue says it does not exist. */
  async fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder | undefined> {
    const c = this.conn;
    const ins = this.instruments.require(symbol);
    try {
      const r = (await c.call(() => c.ex.privateGetOrder({ symbol: venueId(ins), origClientOrderId: clientOrderId }), 4)) as Raw;
      return this.parseOrder(r, ins);
    } catch (e) {
      if (e instanceof VenueCallError && e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  /** The executions of one order (`myTrades` by order id). */
  async fetchTrades(symbol: string, venueOrderId: string): Promise<VenueTrade[]> {
    const c = this.conn;
    const ins = this.instruments.require(symbol);
    const rows = (await c.call(() => c.ex.privateGetMyTrades({ symbol: venueId(ins), orderId: venueOrderId }), 20)) as Raw[];
    return rows.map((t) => ({
      tradeId: String(t.id),
      lots: unitsNumber(String(t.qty), ins.lotSize, 'trade.qty'),
      priceTicks: unitsNumber(String(t.price), ins.tickSize, 'trade.price'),
      feeAsset: String(t.commissionAsset),
      fee: String(t.commission),
    }));
  }

  /**
   * `allOrders` per page of up to 1000 from `sinceMs` on (Binance answers at most a 24 h window
   * per call when a start time is given: the pages walk forward window by window, at most 60).
   */
  async fetchOrderHistory(symbol: string, sinceMs: number): Promise<VenueOrder[]> {
    const c = this.conn;
    const ins = this.instruments.require(symbol);
    const out = new Map<string, VenueOrder>();
    await this.walk(sinceMs, async (start, end) => {
      const rows = (await c.call(() => c.ex.privateGetAllOrders({ symbol: venueId(ins), startTime: start, endTime: end, limit: 1000 }), 20)) as Raw[];
      for (const r of rows) out.set(String(r.orderId), this.parseOrder(r, ins));
      return rows.map((r) => Number(r.time ?? r.updateTime ?? 0));
    });
    return [...out.values()];
  }

  /** `myTrades` from `sinceMs` on, walked like {@link fetchOrderHistory}. */
  async fetchTradeHistory(symbol: string, sinceMs: number): Promise<(VenueTrade & { venueOrderId: string; timeMs: number })[]> {
    const c = this.conn;
    const ins = this.instruments.require(symbol);
    const out = new Map<string, VenueTrade & { venueOrderId: string; timeMs: number }>();
    await this.walk(sinceMs, async (start, end) => {
      const rows = (await c.call(() => c.ex.privateGetMyTrades({ symbol: venueId(ins), startTime: start, endTime: end, limit: 1000 }), 20)) as Raw[];
      for (const t of rows) {
        out.set(String(t.id), {
          tradeId: String(t.id),
          venueOrderId: String(t.orderId),
          timeMs: Number(t.time ?? 0),
          lots: unitsNumber(String(t.qty), ins.lotSize, 'trade.qty'),
          priceTicks: unitsNumber(String(t.price), ins.tickSize, 'trade.price'),
          feeAsset: String(t.commissionAsset),
          fee: String(t.commission),
        });
      }
      return rows.map((t) => Number(t.time ?? 0));
    });
    return [...out.values()];
  }

  /**
   * Walks [sinceMs, now] in windows of at most 24 h (Binance's limit for a time range); a full page
   * (1000 rows) continues the same window after its newest row. Bounded: at most 60 calls.
   */
  private async walk(sinceMs: number, page: (start: number, end: number) => Promise<number[]>): Promise<void> {
    const DAY = 24 * 3600 * 1000 - 1;
    const now = this.conn.clock.epochMs() + 60_000;
    let start = Math.max(0, Math.floor(sinceMs));
    for (let calls = 0; calls < 60 && start <= now; calls++) {
      const end = Math.min(start + DAY, now);
      const times = await page(start, end);
      if (times.length >= 1000) start = Math.max(start, ...times) + 1;
      else start = end + 1;
    }
  }

  /** Open orders, one `openOrders` call per symbol. */
  async fetchOpenOrders(symbols: readonly string[]): Promise<VenueOrder[]> {
    const c = this.conn;
    const out: VenueOrder[] = [];
    for (const sym of symbols) {
      const ins = this.instruments.require(sym);
      const rows = (await c.call(() => c.ex.privateGetOpenOrders({ symbol: venueId(ins) }), 6)) as Raw[];
      for (const r of rows) out.push(this.parseOrder(r, ins));
    }
    return out;
  }

  /** Balances from `account`, decimal strings as the venue prints them. */
  async fetchBalances(): Promise<VenueBalance[]> {
    const c = this.conn;
    const r = (await c.call(() => c.ex.privateGetAccount(), 20)) as { balances: Raw[] };
    return r.balances.map((b) => ({ asset: String(b.asset), free: String(b.free), locked: String(b.locked) }));
  }

  /**
   * The user-data stream of generation `gen`: every `executionReport` to `sinks.onOrder` until the
   * streams stop or a newer generation starts.
   */
  async orderLoop(gen: number, sinks: StreamSinks): Promise<void> {
    const c = this.conn;
    const byId = this.instruments.byId;
    let up = false;
    while (c.streamsOn && gen === c.streamGen) {
      try {
        const orders = await c.ex.watchOrders();
        if (gen !== c.streamGen) return;
        if (!up) {
          up = true;
          sinks.onStreamUp('orders');
        }
        for (const o of orders) {
          const raw = o.info as Raw;
          const ins = byId.get(String(raw.s));
          if (ins === undefined || raw.e !== 'executionReport') continue;
          sinks.onOrder(this.parseReport(raw, ins));
        }
        dropStreamCaches(c.ex);
      } catch (e) {
        if (gen !== c.streamGen) return;
        up = false;
        // Classified like a REST failure, so a refused key (a signed subscription) halts the venue.
        sinks.onStreamError('orders', e instanceof VenueCallError ? e : new VenueCallError(c.venue, classify(e), e instanceof Error ? e.message : String(e), e));
        // ccxt.pro does not resubscribe after a disconnect: wait a little and call again.
        await c.pause(200);
      }
    }
  }

  /** REST order JSON (FULL/RESULT, GET order, DELETE order, openOrders) → VenueOrder. */
  private parseOrder(r: Raw, ins: Instrument): VenueOrder {
    const trades: VenueTrade[] = [];
    for (const f of (r.fills as Raw[] | undefined) ?? []) {
      trades.push({
        tradeId: String(f.tradeId),
        lots: unitsNumber(String(f.qty), ins.lotSize, 'fill.qty'),
        priceTicks: unitsNumber(String(f.price), ins.tickSize, 'fill.price'),
        feeAsset: String(f.commissionAsset),
        fee: String(f.commission),
      });
    }
    return {
      clientOrderId: String(r.clientOrderId ?? r.origClientOrderId),
      venueOrderId: String(r.orderId),
      symbol: ins.symbol,
      status: String(r.status) as VenueOrderStatus,
      filledLots: unitsNumber(String(r.executedQty ?? '0'), ins.lotSize, 'executedQty'),
      cumTickLots: units(String(r.cummulativeQuoteQty ?? '0'), stepProduct(ins.tickSize, ins.lotSize), 'cummulativeQuoteQty'),
      trades,
      timeMs: Number(r.updateTime ?? r.transactTime ?? r.time ?? 0),
      ...termsOf(r.side, r.type, r.timeInForce, r.price, r.origQty, ins),
    };
  }

  /** `executionReport` → VenueOrder (a cancel's report names the original id in `C`). */
  private parseReport(r: Raw, ins: Instrument): VenueOrder {
    const trades: VenueTrade[] = [];
    if (r.x === 'TRADE') {
      trades.push({
        tradeId: String(r.t),
        lots: unitsNumber(String(r.l), ins.lotSize, 'l'),
        priceTicks: unitsNumber(String(r.L), ins.tickSize, 'L'),
        ...(r.N === null || r.N === undefined ? {} : { feeAsset: String(r.N), fee: String(r.n) }),
      });
    }
    const orig = typeof r.C === 'string' && r.C !== '' ? r.C : String(r.c);
    return {
      clientOrderId: orig,
      venueOrderId: String(r.i),
      symbol: ins.symbol,
      status: String(r.X) as VenueOrderStatus,
      filledLots: unitsNumber(String(r.z), ins.lotSize, 'z'),
      cumTickLots: units(String(r.Z), stepProduct(ins.tickSize, ins.lotSize), 'Z'),
      trades,
      timeMs: Number(r.E ?? 0),
      ...termsOf(r.S, r.o, r.f, r.p, r.q, ins),
    };
  }
}

/** The order's terms from Binance fields, when present and representable. */
function termsOf(side: unknown, type: unknown, tif: unknown, price: unknown, qty: unknown, ins: Instrument): Pick<VenueOrder, 'terms'> {
  if (typeof side !== 'string' || typeof type !== 'string' || typeof qty !== 'string' || typeof price !== 'string') return {};
  try {
    const t = type === 'MARKET' ? 'market' : type === 'LIMIT_MAKER' ? 'limit-maker' : type === 'LIMIT' ? 'limit' : undefined;
    if (t === undefined) return {};
    const priceTicks = unitsNumber(price, ins.tickSize, 'price');
    const qtyLots = unitsNumber(qty, ins.lotSize, 'origQty');
    if (qtyLots <= 0) return {};
    const f = tif === 'IOC' || tif === 'FOK' ? tif : 'GTC';
    return { terms: { side: side === 'SELL' ? 'sell' : 'buy', type: t, tif: f, priceTicks: Math.max(1, priceTicks), qtyLots } };
  } catch {
    return {};
  }
}

/**
 * Drops ccxt's caches of the user-data stream once its new updates are consumed. ccxt keeps every
 * parsed order (`ordersLimit`, 1000) and fill (`tradesLimit`, 1000) it has seen, about 2 KB each,
 * for its own merging; bot4 reads only each update's raw `info` and keeps its own order table, so
 * the history was the daemon's main growing retainer (issue 16: +2.1 MB of `binance.orders` and
 * +0.5 MB of `binance.myTrades` over 4 minutes of the default workload, heap snapshots of
 * `npm run bench memory`). Safe because this runs synchronously right after the loop consumed what
 * `watchOrders` returned: ccxt recreates an empty cache on the next message, whose new-update
 * counters start from there, so no update is skipped.
 */
function dropStreamCaches(ex: object): void {
  const x = ex as { orders?: unknown; myTrades?: unknown };
  x.orders = undefined;
  x.myTrades = undefined;
}
