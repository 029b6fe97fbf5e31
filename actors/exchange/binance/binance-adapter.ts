import ccxt from 'ccxt';
import type { Clock } from '../../../common/clock.js';
import { fromUnits, toUnits, type Instrument } from '../../orders/instrument.js';
import type { OrderIntent } from '../../orders/intent.js';
import type { ExchangeAdapter, FailureKind, StreamSinks, VenueBalance, VenueOrder, VenueOrderStatus, VenueTrade } from '../adapter.js';
import { VenueCallError } from '../errors.js';
import type { WeightBudget } from '../weight-budget.js';

/** Where and how to reach one Binance-compatible venue. */
export interface BinanceAdapterOptions {
  venue: string;
  apiKey: string;
  secret: string;
  /** REST root (`https://api.binance.com/api/v3`, or a simulator's `…/api/v3`). */
  rest: string;
  /** Market streams root (`wss://stream.binance.com:9443/ws`, or a simulator's `…/ws`). */
  ws?: string;
  /** WebSocket API (`wss://ws-api.binance.com:443/ws-api/v3`, or a simulator's `…/ws-api/v3`). */
  wsApi?: string;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  /** Clock for the streams' retry pauses. */
  clock: Clock;
  /** Request-weight and order budget (so bot4 never earns a 429/418); none: unbudgeted. */
  budget?: WeightBudget;
}

type Raw = Record<string, unknown>;
type Pro = InstanceType<typeof ccxt.pro.binance>;

/** Removes trailing zeros of a decimal string ("0.01000000" → "0.01", "5.00" → "5"). */
export function trimDecimal(s: string): string {
  if (!s.includes('.')) return s;
  const t = s.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

/** The product of two decimal steps as an exact decimal string (tick × lot). */
export function stepProduct(a: string, b: string): string {
  const da = a.includes('.') ? a.length - a.indexOf('.') - 1 : 0;
  const db = b.includes('.') ? b.length - b.indexOf('.') - 1 : 0;
  const v = BigInt(a.replace('.', '')) * BigInt(b.replace('.', ''));
  const d = da + db;
  const s = v.toString().padStart(d + 1, '0');
  return trimDecimal(d === 0 ? s : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}`) || '0';
}

/** Rounds a venue decimal down to a whole number of `step` (venues print more digits than the step). */
function units(value: string, step: string, field: string): bigint {
  return toUnits(trimDecimal(value) === '' ? '0' : trimDecimal(value), step, field);
}

/**
 * Binance spot through ccxt (REST and ccxt.pro streams), pointed at api.binance.com or at a
 * simulator venue. Execution uses ccxt's implicit Binance endpoints (`privatePostOrder`, …) so the
 * request carries exact decimal strings and the reply is Binance's own JSON (exact strings, no
 * floats), while ccxt still signs, times and maps errors. The W3C `traceparent` of the order's
 * trace is sent as an HTTP header (looked up by client order id inside ccxt's `sign`).
 */
export class BinanceAdapter implements ExchangeAdapter {
  readonly venue: string;
  readonly budget: WeightBudget | undefined;
  private readonly ex: Pro;
  private readonly bySymbol = new Map<string, Instrument>();
  private readonly byId = new Map<string, Instrument>();
  private readonly traceparents = new Map<string, string>();
  private streamsOn = false;
  private loaded: Instrument[] | undefined;
  private streamGen = 0;

  constructor(private readonly opts: BinanceAdapterOptions) {
    this.venue = opts.venue;
    this.budget = opts.budget;
    const ws: Record<string, unknown> = {};
    if (opts.ws !== undefined) ws.spot = opts.ws;
    if (opts.wsApi !== undefined) ws['ws-api'] = { spot: opts.wsApi };
    this.ex = new ccxt.pro.binance({
      apiKey: opts.apiKey,
      secret: opts.secret,
      enableRateLimit: false,
      timeout: opts.timeoutMs,
      urls: { api: { public: opts.rest, private: opts.rest, ...(Object.keys(ws).length > 0 ? { ws } : {}) } },
      options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false, adjustForTimeDifference: false },
    });
    // Attach the order's traceparent to the signed request that carries its client order id.
    const sign = this.ex.sign.bind(this.ex);
    this.ex.sign = (path: string, api: unknown = 'public', method = 'GET', params: Raw = {}, headers: unknown = undefined, body: unknown = undefined) => {
      const r = sign(path, api as never, method, params, headers as never, body as never) as { headers?: Record<string, string> };
      const id = (params.newClientOrderId ?? params.origClientOrderId) as string | undefined;
      const tp = id === undefined ? undefined : this.traceparents.get(id);
      if (tp !== undefined && tp !== '') r.headers = { ...(r.headers ?? {}), traceparent: tp };
      return r as never;
    };
  }

  /** Instrument by unified symbol (after {@link loadInstruments}). */
  instrument(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  async probe(): Promise<number> {
    const r = (await this.call(() => this.ex.publicGetTime(), 1)) as Raw;
    return Number(r.serverTime);
  }

  async close(): Promise<void> {
    this.stopStreams();
    try {
      await this.ex.close();
    } catch {
      // closing a half-open socket may throw; nothing to keep
    }
  }

  /**
   * Loads the venue's instruments once; later calls (every reconnect of the venue actor) return the
   * same list without spending request weight (`exchangeInfo` and ccxt's markets cost 40 weight).
   */
  async loadInstruments(): Promise<Instrument[]> {
    if (this.loaded !== undefined) return this.loaded;
    const info = (await this.call(() => this.ex.publicGetExchangeInfo(), 20)) as { symbols: Raw[] };
    await this.ex.loadHttpProxyAgent();
    const out: Instrument[] = [];
    for (const s of info.symbols) {
      if (s.status !== 'TRADING') continue;
      const f = new Map<string, Raw>();
      for (const x of s.filters as Raw[]) f.set(String(x.filterType), x);
      const pf = f.get('PRICE_FILTER');
      const ls = f.get('LOT_SIZE');
      const nf = f.get('NOTIONAL') ?? f.get('MIN_NOTIONAL');
      if (pf === undefined || ls === undefined) continue;
      const tickSize = trimDecimal(String(pf.tickSize));
      const lotSize = trimDecimal(String(ls.stepSize));
      const ins: Instrument = {
        venue: this.venue,
        symbol: `${String(s.baseAsset)}/${String(s.quoteAsset)}`,
        base: String(s.baseAsset),
        quote: String(s.quoteAsset),
        tickSize,
        lotSize,
        minQtyLots: Number(units(String(ls.minQty), lotSize, 'minQty')),
        maxQtyLots: Number(units(String(ls.maxQty), lotSize, 'maxQty')),
        minNotional: trimDecimal(String(nf?.minNotional ?? '0')) || '0',
      };
      this.bySymbol.set(ins.symbol, ins);
      this.byId.set(String(s.symbol), ins);
      out.push(ins);
    }
    // ccxt.pro's watchers need its own market table.
    await this.call(() => this.ex.loadMarkets(), 20);
    this.loaded = out;
    return out;
  }

  async placeOrder(clientOrderId: string, intent: OrderIntent, traceparent: string): Promise<VenueOrder> {
    const ins = this.require(intent.symbol);
    const req: Raw = {
      symbol: venueId(ins),
      side: intent.side === 'buy' ? 'BUY' : 'SELL',
      type: intent.type === 'market' ? 'MARKET' : intent.type === 'limit-maker' ? 'LIMIT_MAKER' : 'LIMIT',
      quantity: fromUnits(intent.qtyLots, ins.lotSize),
      newClientOrderId: clientOrderId,
      newOrderRespType: 'FULL',
    };
    if (intent.type !== 'market') req.price = fromUnits(intent.priceTicks, ins.tickSize);
    if (intent.type === 'limit') req.timeInForce = intent.tif;
    this.traceparents.set(clientOrderId, traceparent);
    try {
      const r = (await this.call(() => this.ex.privatePostOrder(req), 1)) as Raw;
      return this.parseOrder(r, ins);
    } finally {
      this.traceparents.delete(clientOrderId);
    }
  }

  async cancelOrder(clientOrderId: string, symbol: string, traceparent: string): Promise<VenueOrder> {
    const ins = this.require(symbol);
    this.traceparents.set(clientOrderId, traceparent);
    try {
      const r = (await this.call(() => this.ex.privateDeleteOrder({ symbol: venueId(ins), origClientOrderId: clientOrderId }), 1)) as Raw;
      return this.parseOrder(r, ins);
    } finally {
      this.traceparents.delete(clientOrderId);
    }
  }

  async fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder | undefined> {
    const ins = this.require(symbol);
    try {
      const r = (await this.call(() => this.ex.privateGetOrder({ symbol: venueId(ins), origClientOrderId: clientOrderId }), 4)) as Raw;
      return this.parseOrder(r, ins);
    } catch (e) {
      if (e instanceof VenueCallError && e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  async fetchTrades(symbol: string, venueOrderId: string): Promise<VenueTrade[]> {
    const ins = this.require(symbol);
    const rows = (await this.call(() => this.ex.privateGetMyTrades({ symbol: venueId(ins), orderId: venueOrderId }), 20)) as Raw[];
    return rows.map((t) => ({
      tradeId: String(t.id),
      lots: Number(units(String(t.qty), ins.lotSize, 'trade.qty')),
      priceTicks: Number(units(String(t.price), ins.tickSize, 'trade.price')),
      feeAsset: String(t.commissionAsset),
      fee: String(t.commission),
    }));
  }

  /**
   * `allOrders` per page of up to 1000 from `sinceMs` on (Binance answers at most a 24 h window
   * per call when a start time is given: the pages walk forward window by window, at most 60).
   */
  async fetchOrderHistory(symbol: string, sinceMs: number): Promise<VenueOrder[]> {
    const ins = this.require(symbol);
    const out = new Map<string, VenueOrder>();
    await this.walk(sinceMs, async (start, end) => {
      const rows = (await this.call(() => this.ex.privateGetAllOrders({ symbol: venueId(ins), startTime: start, endTime: end, limit: 1000 }), 20)) as Raw[];
      for (const r of rows) out.set(String(r.orderId), this.parseOrder(r, ins));
      return rows.map((r) => Number(r.time ?? r.updateTime ?? 0));
    });
    return [...out.values()];
  }

  async fetchTradeHistory(symbol: string, sinceMs: number): Promise<(VenueTrade & { venueOrderId: string; timeMs: number })[]> {
    const ins = this.require(symbol);
    const out = new Map<string, VenueTrade & { venueOrderId: string; timeMs: number }>();
    await this.walk(sinceMs, async (start, end) => {
      const rows = (await this.call(() => this.ex.privateGetMyTrades({ symbol: venueId(ins), startTime: start, endTime: end, limit: 1000 }), 20)) as Raw[];
      for (const t of rows) {
        out.set(String(t.id), {
          tradeId: String(t.id),
          venueOrderId: String(t.orderId),
          timeMs: Number(t.time ?? 0),
          lots: Number(units(String(t.qty), ins.lotSize, 'trade.qty')),
          priceTicks: Number(units(String(t.price), ins.tickSize, 'trade.price')),
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
    const now = this.opts.clock.epochMs() + 60_000;
    let start = Math.max(0, Math.floor(sinceMs));
    for (let calls = 0; calls < 60 && start <= now; calls++) {
      const end = Math.min(start + DAY, now);
      const times = await page(start, end);
      if (times.length >= 1000) start = Math.max(start, ...times) + 1;
      else start = end + 1;
    }
  }

  async fetchOpenOrders(symbols: readonly string[]): Promise<VenueOrder[]> {
    const out: VenueOrder[] = [];
    for (const sym of symbols) {
      const ins = this.require(sym);
      const rows = (await this.call(() => this.ex.privateGetOpenOrders({ symbol: venueId(ins) }), 6)) as Raw[];
      for (const r of rows) out.push(this.parseOrder(r, ins));
    }
    return out;
  }

  async fetchBalances(): Promise<VenueBalance[]> {
    const r = (await this.call(() => this.ex.privateGetAccount(), 20)) as { balances: Raw[] };
    return r.balances.map((b) => ({ asset: String(b.asset), free: String(b.free), locked: String(b.locked) }));
  }

  startStreams(symbols: readonly string[], sinks: StreamSinks): void {
    if (this.streamsOn) return;
    this.streamsOn = true;
    const gen = ++this.streamGen;
    void this.orderLoop(gen, sinks);
    if (symbols.length > 0) void this.tickerLoop(gen, symbols, sinks);
    if (sinks.onBook !== undefined) for (const s of symbols) void this.bookLoop(gen, s, sinks);
    if (sinks.onTrade !== undefined) for (const s of symbols) void this.tradeLoop(gen, s, sinks);
  }

  stopStreams(): void {
    if (!this.streamsOn) return;
    this.streamsOn = false;
    this.streamGen++;
  }

  private async orderLoop(gen: number, sinks: StreamSinks): Promise<void> {
    let up = false;
    while (this.streamsOn && gen === this.streamGen) {
      try {
        const orders = await this.ex.watchOrders();
        if (gen !== this.streamGen) return;
        if (!up) {
          up = true;
          sinks.onStreamUp('orders');
        }
        for (const o of orders) {
          const raw = o.info as Raw;
          const ins = this.byId.get(String(raw.s));
          if (ins === undefined || raw.e !== 'executionReport') continue;
          sinks.onOrder(this.parseReport(raw, ins));
        }
      } catch (e) {
        if (gen !== this.streamGen) return;
        up = false;
        // Classified like a REST failure, so a refused key (a signed subscription) halts the venue.
        sinks.onStreamError('orders', e instanceof VenueCallError ? e : new VenueCallError(this.venue, classify(e), e instanceof Error ? e.message : String(e), e));
        // ccxt.pro does not resubscribe after a disconnect: wait a little and call again.
        await this.pause(200);
      }
    }
  }

  /**
   * Depth stream per symbol through ccxt.pro's `watchOrderBook`, which chains `@depth@100ms` diffs
   * onto a `/depth` snapshot by update id and throws on a gap; the loop then unwatches and watches
   * again, which takes a fresh snapshot (the resync). Each applied state is delivered as top levels.
   */
  private async bookLoop(gen: number, symbol: string, sinks: StreamSinks): Promise<void> {
    const ins = this.bySymbol.get(symbol);
    if (ins === undefined) return;
    let up = false;
    while (this.streamsOn && gen === this.streamGen) {
      try {
        const ob = await this.ex.watchOrderBook(symbol, 20);
        if (gen !== this.streamGen) return;
        if (!up) {
          up = true;
          sinks.onStreamUp(`book:${symbol}`);
        }
        const lv = (side: readonly (readonly (number | string | undefined)[])[]): [number, number][] =>
          side.slice(0, 10).map((l) => [Number(units(decimalString(l[0]), ins.tickSize, 'price')), Number(units(decimalString(l[1]), ins.lotSize, 'qty'))]);
        sinks.onBook!({ symbol, bids: lv(ob.bids as never), asks: lv(ob.asks as never), nonce: Number(ob.nonce ?? 0), venueTimeMs: Number(ob.timestamp ?? 0) });
      } catch (e) {
        if (gen !== this.streamGen) return;
        up = false;
        sinks.onStreamError(`book:${symbol}`, e);
        await this.pause(200);
      }
    }
  }

  private async tradeLoop(gen: number, symbol: string, sinks: StreamSinks): Promise<void> {
    const ins = this.bySymbol.get(symbol);
    if (ins === undefined) return;
    while (this.streamsOn && gen === this.streamGen) {
      try {
        const trades = await this.ex.watchTrades(symbol);
        if (gen !== this.streamGen) return;
        for (const t of trades) {
          const raw = t.info as Raw;
          sinks.onTrade!({
            symbol,
            priceTicks: Number(units(String(raw.p), ins.tickSize, 'p')),
            lots: Number(units(String(raw.q), ins.lotSize, 'q')),
            side: raw.m === true ? 'sell' : 'buy',
            venueTimeMs: Number(raw.T ?? raw.E ?? 0),
          });
        }
      } catch (e) {
        if (gen !== this.streamGen) return;
        sinks.onStreamError(`trades:${symbol}`, e);
        await this.pause(200);
      }
    }
  }

  private async tickerLoop(gen: number, symbols: readonly string[], sinks: StreamSinks): Promise<void> {
    let up = false;
    while (this.streamsOn && gen === this.streamGen) {
      try {
        const t = await this.ex.watchBidsAsks(symbols as string[]);
        if (gen !== this.streamGen) return;
        if (!up) {
          up = true;
          sinks.onStreamUp('tickers');
        }
        for (const sym of Object.keys(t)) {
          const x = t[sym]!;
          const raw = x.info as Raw;
          const ins = this.bySymbol.get(sym);
          if (ins === undefined) continue;
          sinks.onTicker({
            symbol: sym,
            bidTicks: Number(units(String(raw.b), ins.tickSize, 'bid')),
            bidLots: Number(units(String(raw.B), ins.lotSize, 'bidQty')),
            askTicks: Number(units(String(raw.a), ins.tickSize, 'ask')),
            askLots: Number(units(String(raw.A), ins.lotSize, 'askQty')),
            venueTimeMs: Number(raw.E ?? raw.T ?? 0),
          });
        }
      } catch (e) {
        if (gen !== this.streamGen) return;
        up = false;
        sinks.onStreamError('tickers', e);
        await this.pause(200);
      }
    }
  }

  /** Stream retry pause on the injected clock. */
  private pause(ms: number): Promise<void> {
    return new Promise((r) => {
      this.opts.clock.setTimer(ms, r);
    });
  }

  private require(symbol: string): Instrument {
    const ins = this.bySymbol.get(symbol);
    if (ins === undefined) throw new VenueCallError(this.venue, 'rejected', `unknown symbol ${symbol} on ${this.venue}`, undefined);
    return ins;
  }

  /** REST order JSON (FULL/RESULT, GET order, DELETE order, openOrders) → VenueOrder. */
  private parseOrder(r: Raw, ins: Instrument): VenueOrder {
    const trades: VenueTrade[] = [];
    for (const f of (r.fills as Raw[] | undefined) ?? []) {
      trades.push({
        tradeId: String(f.tradeId),
        lots: Number(units(String(f.qty), ins.lotSize, 'fill.qty')),
        priceTicks: Number(units(String(f.price), ins.tickSize, 'fill.price')),
        feeAsset: String(f.commissionAsset),
        fee: String(f.commission),
      });
    }
    return {
      clientOrderId: String(r.clientOrderId ?? r.origClientOrderId),
      venueOrderId: String(r.orderId),
      symbol: ins.symbol,
      status: String(r.status) as VenueOrderStatus,
      filledLots: Number(units(String(r.executedQty ?? '0'), ins.lotSize, 'executedQty')),
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
        lots: Number(units(String(r.l), ins.lotSize, 'l')),
        priceTicks: Number(units(String(r.L), ins.tickSize, 'L')),
        ...(r.N === null || r.N === undefined ? {} : { feeAsset: String(r.N), fee: String(r.n) }),
      });
    }
    const orig = typeof r.C === 'string' && r.C !== '' ? r.C : String(r.c);
    return {
      clientOrderId: orig,
      venueOrderId: String(r.i),
      symbol: ins.symbol,
      status: String(r.X) as VenueOrderStatus,
      filledLots: Number(units(String(r.z), ins.lotSize, 'z')),
      cumTickLots: units(String(r.Z), stepProduct(ins.tickSize, ins.lotSize), 'Z'),
      trades,
      timeMs: Number(r.E ?? 0),
      ...termsOf(r.S, r.o, r.f, r.p, r.q, ins),
    };
  }

  /**
   * Runs one ccxt call of `weight` (Binance's request weight) and turns its failure into a
   * classified {@link VenueCallError}. With a budget, the weight is taken first (waiting for the
   * next minute when this one is spent: never a 429 of our own making; order placement is budgeted
   * by the venue actor before journaling), and the venue's `X-MBX-USED-WEIGHT-1M` is folded in after.
   */
  private async call<T>(fn: () => Promise<T>, weight: number): Promise<T> {
    const b = this.budget;
    if (b !== undefined) {
      for (let i = 0; !b.tryWeight(weight); i++) {
        if (i >= 3) throw new VenueCallError(this.venue, 'throttled', `request weight budget exhausted (${b.usedWeight()} of ${b.weightLimit} this minute)`, undefined);
        await this.pause(b.msToNextMinute() + 5);
      }
    }
    try {
      return await fn();
    } catch (e) {
      throw new VenueCallError(this.venue, classify(e), e instanceof Error ? e.message : String(e), e);
    } finally {
      if (b !== undefined) {
        const h = (this.ex.last_response_headers ?? {}) as Record<string, string | undefined>;
        const used = h['x-mbx-used-weight-1m'] ?? h['X-MBX-USED-WEIGHT-1M'];
        if (used !== undefined) b.observeWeight(Number(used));
      }
    }
  }
}

/** Maps a ccxt error to what it means for the order's outcome (Binance: 4xx refused, 5xx/timeouts unknown). */
export function classify(e: unknown): FailureKind {
  if (e instanceof ccxt.OrderNotFound) return 'not-found';
  const msg = e instanceof Error ? e.message : String(e);
  // Credentials refused: ccxt maps -1022/-2014/-2015 and HTTP 401 to AuthenticationError (and
  // PermissionDenied, a subclass) on the spot API, but to BadRequest/OperationRejected on others.
  if (e instanceof ccxt.AuthenticationError || /"code":\s*-(1022|2014|2015)\b/.test(msg)) return 'auth';
  if (/Duplicate order/i.test(msg) || /-2010.*[Dd]uplicate/.test(msg)) return 'duplicate';
  if (e instanceof ccxt.DDoSProtection) return 'throttled';
  if (e instanceof ccxt.InvalidNonce) return 'rejected';
  // Binance: -1001 (internal error / disconnected) and -1007 (backend timeout) say "execution status
  // unknown", whatever ccxt class they map to.
  if (/"code":\s*-100[17]\b/.test(msg)) return 'unknown';
  if (e instanceof ccxt.OperationFailed && !(e instanceof ccxt.ExchangeError)) return 'unknown';
  if (e instanceof ccxt.RequestTimeout || e instanceof ccxt.ExchangeNotAvailable || e instanceof ccxt.NetworkError) return 'unknown';
  if (e instanceof ccxt.BaseError) return 'rejected';
  // Anything else (a socket error before ccxt classified it) says nothing about the outcome.
  return 'unknown';
}

/** A level value from ccxt (a float parsed from the venue's string) back to a short exact decimal. */
function decimalString(x: number | string | undefined): string {
  if (typeof x === 'string') return x;
  if (x === undefined || !Number.isFinite(x)) return '0';
  // Levels are multiples of the tick/step: 12 significant digits recover the venue's decimal exactly.
  const s = x.toPrecision(12);
  return s.includes('e') ? x.toFixed(12) : s;
}

/** The order's terms from Binance fields, when present and representable. */
function termsOf(side: unknown, type: unknown, tif: unknown, price: unknown, qty: unknown, ins: Instrument): Pick<VenueOrder, 'terms'> {
  if (typeof side !== 'string' || typeof type !== 'string' || typeof qty !== 'string' || typeof price !== 'string') return {};
  try {
    const t = type === 'MARKET' ? 'market' : type === 'LIMIT_MAKER' ? 'limit-maker' : type === 'LIMIT' ? 'limit' : undefined;
    if (t === undefined) return {};
    const priceTicks = Number(units(price, ins.tickSize, 'price'));
    const qtyLots = Number(units(qty, ins.lotSize, 'origQty'));
    if (qtyLots <= 0) return {};
    const f = tif === 'IOC' || tif === 'FOK' ? tif : 'GTC';
    return { terms: { side: side === 'SELL' ? 'sell' : 'buy', type: t, tif: f, priceTicks: Math.max(1, priceTicks), qtyLots } };
  } catch {
    return {};
  }
}

function venueId(ins: Instrument): string {
  return `${ins.base}${ins.quote}`;
}

