import type { Instrument } from '../../orders/instrument.js';
import type { OrderIntent } from '../../orders/intent.js';
import type { ExchangeAdapter, StreamSinks, VenueBalance, VenueOrder, VenueTrade } from '../adapter.js';
import type { WeightBudget } from '../weight-budget.js';
import { BinanceConnection, type BinanceAdapterOptions } from './client.js';
import { BinanceExecution } from './execution.js';
import { BinanceInstruments } from './instruments.js';
import { BinanceMarketData } from './market-data.js';

export { classify, type BinanceAdapterOptions } from './client.js';
export { stepProduct, trimDecimal } from './instruments.js';

/**
 * Binance spot through ccxt (REST and ccxt.pro streams), pointed at api.binance.com or at a
 * simulator venue. This class only composes the four parts of the adapter template
 * (`../adapter.ts`): `connection.ts` (the ccxt client, call path, probe, close),
 * `instruments.ts` (instrument metadata), `execution.ts` (orders, balances, the user-data stream)
 * and `market-data.ts` (ticker, book and trade streams). Execution uses ccxt's implicit Binance
 * endpoints so requests and replies carry exact decimal strings; the W3C `traceparent` of an
 * order's trace is sent as an HTTP header on the signed request that carries its client order id.
 */
export class BinanceAdapter implements ExchangeAdapter {
  readonly venue: string;
  readonly budget: WeightBudget | undefined;
  private readonly conn: BinanceConnection;
  private readonly instruments: BinanceInstruments;
  private readonly execution: BinanceExecution;
  private readonly marketData: BinanceMarketData;

  constructor(opts: BinanceAdapterOptions) {
    this.venue = opts.venue;
    this.budget = opts.budget;
    this.conn = new BinanceConnection(opts);
    this.instruments = new BinanceInstruments(this.conn);
    this.execution = new BinanceExecution(this.conn, this.instruments);
    this.marketData = new BinanceMarketData(this.conn, this.instruments);
  }

  /** Instrument by unified symbol (after {@link loadInstruments}). */
  instrument(symbol: string): Instrument | undefined {
    return this.instruments.get(symbol);
  }

  // --- connection ---
  probe(): Promise<number> {
    return this.conn.probe();
  }

  async close(): Promise<void> {
    this.stopStreams();
    await this.conn.close();
  }

  // --- instrument metadata ---
  /**
   * Loads the venue's instruments once; later calls (every reconnect of the venue actor) return the
   * same list without spending request weight (`exchangeInfo` and ccxt's markets cost 40 weight).
   */
  loadInstruments(): Promise<Instrument[]> {
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
