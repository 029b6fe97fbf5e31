import type { Instrument } from '../../orders/instrument.js';
import type { OrderIntent } from '../../orders/intent.js';
import type { ExchangeAdapter, StreamSinks, VenueBalance, VenueOrder, VenueTrade } from '../adapter.js';
import type { WeightBudget } from '../weight-budget.js';
import { BinanceConnection, checkOrderEntry, type BinanceAdapterOptions, type OrderEntry } from './client.js';
import { BinanceExecution } from './execution.js';
import { BinanceInstruments } from './instruments.js';
import { BinanceMarketData } from './market-data.js';
import { BinanceWsOrders } from './ws-orders.js';

export { classify, ORDER_ENTRY, type BinanceAdapterOptions, type OrderEntry } from './client.js';
export { stepProduct, trimDecimal } from './instruments.js';

/**
 * Binance spot through ccxt (REST and ccxt.pro streams), pointed at api.binance.com or at a
 * simulator venue. This class only composes the four parts of the adapter template
 * (`../adapter.ts`): `connection.ts` (the ccxt client, call path, probe, close),
 * `instruments.ts` (instrument metadata), `execution.ts` (orders, balances, the user-data stream)
 * and `market-data.ts` (ticker, book and trade streams). Execution uses ccxt's implicit Binance
 * endpoints so requests and replies carry exact decimal strings; the W3C `traceparent` of an
 * order's trace is sent as an HTTP header on the signed request that carries its client order id.
 * With `orderEntry: 'ws'` orders are placed and cancelled over the WebSocket API (`ws-orders.ts`),
 * REST being the fallback while that connection is down.
 */
export class BinanceAdapter implements ExchangeAdapter {
  readonly venue: string;
  readonly budget: WeightBudget | undefined;
  private readonly conn: BinanceConnection;
  private readonly instruments: BinanceInstruments;
  private readonly execution: BinanceExecution;
  private readonly marketData: BinanceMarketData;
  /** How orders are placed and cancelled (`rest` or `ws`). */
  readonly orderEntry: OrderEntry;
  /** The WebSocket API order entry (`orderEntry: 'ws'`), else undefined. */
  readonly wsOrders: BinanceWsOrders | undefined;

  constructor(opts: BinanceAdapterOptions) {
    this.venue = opts.venue;
    this.budget = opts.budget;
    this.orderEntry = checkOrderEntry(opts.venue, opts.orderEntry, opts.wsApi);
    this.conn = new BinanceConnection(opts);
    this.instruments = new BinanceInstruments(this.conn);
    this.wsOrders =
      this.orderEntry === 'ws' ? new BinanceWsOrders({ venue: opts.venue, url: opts.wsApi!, apiKey: opts.apiKey, secret: opts.secret, timeoutMs: opts.timeoutMs, clock: opts.clock }) : undefined;
    this.execution = new BinanceExecution(this.conn, this.instruments, this.wsOrders);
    this.marketData = new BinanceMarketData(this.conn, this.instruments);
  }

  /** Instrument by unified symbol (after {@link loadInstruments}). */
  instrument(symbol: string): Instrument | undefined {
    return this.instruments.get(symbol);
  }

  // --- connection ---
  probe(): Promise<number> {
    // The WebSocket order entry connects with the venue (and keeps reconnecting on its own).
    this.wsOrders?.start();
    return this.conn.probe();
  }

  async close(): Promise<void> {
    this.stopStreams();
    this.wsOrders?.close();
    await this.conn.close();
  }

  // --- instrument metadata ---
  /**
   * Loads the venue's instruments once; later calls (every reconnect of the venue actor) return the
   * same list without spending request weight (`exchangeInfo` and ccxt's markets cost 40 weight).
   */
  loadInstruments(): Promise<Instrument[]> {
    this.wsOrders?.start();
    return this.instruments.load();
  }

  // --- execution ---
  placeOrder(clientOrderId: string, intent: OrderIntent, traceparent: string): Promise<VenueOrder> {
    return this.execution.placeOrder(clientOrderId, intent, traceparent);
  }

  cancelOrder(clientOrderId: string, symbol: string, traceparent: string): Promise<VenueOrder> {
    return this.execution.cancelOrder(clientOrderId, symbol, traceparent);
  }

  fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder | undefined> {
    return this.execution.fetchOrder(clientOrderId, symbol);
  }

  fetchTrades(symbol: string, venueOrderId: string): Promise<VenueTrade[]> {
    return this.execution.fetchTrades(symbol, venueOrderId);
  }

  fetchOrderHistory(symbol: string, sinceMs: number): Promise<VenueOrder[]> {
    return this.execution.fetchOrderHistory(symbol, sinceMs);
  }

  fetchTradeHistory(symbol: string, sinceMs: number): Promise<(VenueTrade & { venueOrderId: string; timeMs: number })[]> {
    return this.execution.fetchTradeHistory(symbol, sinceMs);
  }

  fetchOpenOrders(symbols: readonly string[]): Promise<VenueOrder[]> {
    return this.execution.fetchOpenOrders(symbols);
  }

  fetchBalances(): Promise<VenueBalance[]> {
    return this.execution.fetchBalances();
  }

  // --- streams: the user-data stream (execution) and market data share one generation ---
  startStreams(symbols: readonly string[], sinks: StreamSinks): void {
    const gen = this.conn.beginStreams();
    if (gen === undefined) return;
    void this.execution.orderLoop(gen, sinks);
    this.marketData.start(gen, symbols, sinks);
  }

  stopStreams(): void {
    this.conn.endStreams();
  }
}
