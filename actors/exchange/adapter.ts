import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';
import type { Ticker } from '../messages.js';
import type { WeightBudget } from './weight-budget.js';

/**
 * The exchange adapter template (NautilusTrader's `adapters/_template`): every venue exposes the
 * same four parts — connection (probe, close), instrument metadata, execution (place, cancel,
 * query, balances, the user-data stream) and market data (ticker, book and trade streams). The
 * venue actor only ever talks to this interface; `binance/` implements it with ccxt, and a new
 * venue is a copy of that folder, not a new design:
 *
 * | file in `actors/exchange/<venue>/` | holds |
 * | --- | --- |
 * | `<venue>-adapter.ts` | the thin class implementing {@link ExchangeAdapter}: builds the four parts below and delegates to them; re-exports the venue's public helpers and options type |
 * | `client.ts` | the venue client (construction, URLs, options, request signing), the one call path every request goes through (rate budget, error → {@link FailureKind} classification), `probe`, `close`, the streams' on/off generation |
 * | `instruments.ts` | `loadInstruments` (the venue's filters → {@link Instrument}), lookup by symbol and by venue id, the exact decimal → ticks/lots helpers |
 * | `rate-limits.ts` | the venue's advertised rate limits → `VenueLimits`, handed to the `WeightBudget` when instruments load (config limits win, built-in ones fill gaps) |
 * | `execution.ts` | place, cancel, fetch order, trades, order and trade history, open orders, balances, the user-data stream (execution reports → {@link VenueOrder}) |
 * | `market-data.ts` | ticker, book and public-trade streams (→ {@link VenueTicker}, {@link VenueBook}, {@link VenuePublicTrade}) |
 *
 * Every value crossing it is exact: prices in integer ticks, quantities in integer lots, money in
 * bigint atoms. Adapters convert from the venue's decimal strings (never from floats).
 */
export interface ExchangeAdapter {
  /** Venue id (`sim-a`, `binance`). */
  readonly venue: string;
  /** The venue's rate limits budgeted on our side, when configured (orders check it before journaling). */
  readonly budget?: WeightBudget | undefined;

  // --- connection ---
  /** Cheap health probe (server time). Resolves with the venue's epoch ms. */
  probe(): Promise<number>;
  /** Closes sockets and stops the streams. */
  close(): Promise<void>;

  // --- instrument metadata ---
  /** Loads the venue's instruments with their filters (tick, lot, min/max qty, min notional). */
  loadInstruments(): Promise<Instrument[]>;

  // --- execution ---
  /** Places an order under `clientOrderId`; resolves with the venue's view of it. */
  placeOrder(clientOrderId: string, intent: OrderIntent, traceparent: string): Promise<VenueOrder>;
  /** Cancels by client order id; resolves with the venue's view after the cancel. */
  cancelOrder(clientOrderId: string, symbol: string, traceparent: string): Promise<VenueOrder>;
  /** Looks an order up by client order id; `undefined` when the venue has no such order. */
  fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder | undefined>;
  /** The executions of one order (id, price, quantity, fee), oldest first. */
  fetchTrades(symbol: string, venueOrderId: string): Promise<VenueTrade[]>;
  /**
   * The account's orders on `symbol` updated since `sinceMs` (epoch ms), with their terms, oldest
   * first (Binance `allOrders`). Used after a start to find what a journal that lost its tail lacks.
   */
  fetchOrderHistory(symbol: string, sinceMs: number): Promise<VenueOrder[]>;
  /** The account's executions on `symbol` since `sinceMs` (Binance `myTrades`), oldest first, with their venue order ids. */
  fetchTradeHistory(symbol: string, sinceMs: number): Promise<(VenueTrade & { venueOrderId: string; timeMs: number })[]>;
  /** Every open order of the account on the given symbols. */
  fetchOpenOrders(symbols: readonly string[]): Promise<VenueOrder[]>;
  /** Balances (total and locked) in atoms, per asset. */
  fetchBalances(): Promise<VenueBalance[]>;
  /**
   * Starts the user-data stream (order updates with fills) and the top-of-book streams; calls the
   * sinks for every event and `onStreamError` when a stream breaks (the adapter keeps retrying).
   */
  startStreams(symbols: readonly string[], sinks: StreamSinks): void;
  /** Stops the streams (idempotent). */
  stopStreams(): void;
}

/** Binance order statuses (the other venues map to these). */
export type VenueOrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'PENDING_CANCEL' | 'REJECTED' | 'EXPIRED' | 'EXPIRED_IN_MATCH';

/** One execution of an order, exact. */
export interface VenueTrade {
  tradeId: string;
  lots: number;
  priceTicks: number;
  feeAsset?: string;
  /** Fee amount as the venue prints it (decimal string); converted to atoms by the portfolio. */
  fee?: string;
}

/** The venue's view of one order, exact. */
export interface VenueOrder {
  clientOrderId: string;
  venueOrderId: string;
  symbol: string;
  status: VenueOrderStatus;
  /** Cumulative filled lots. */
  filledLots: number;
  /** Cumulative Σ priceTicks × lots. */
  cumTickLots: bigint;
  /** Executions carried with this view (REST FULL response, or the one in an execution report). */
  trades: VenueTrade[];
  /** Venue time of this view (epoch ms). */
  timeMs: number;
  /** The order's own terms, when the view carries them (needed to adopt an order the journal lacks). */
  terms?: { side: 'buy' | 'sell'; type: 'limit' | 'market' | 'limit-maker'; tif: 'GTC' | 'IOC' | 'FOK'; priceTicks: number; qtyLots: number };
}

/** One balance, decimal strings as the venue prints them. */
export interface VenueBalance {
  asset: string;
  free: string;
  locked: string;
}

/** Top of book in ticks and lots, as the venue gives it (the actor adds venue id and receive time to make a `Ticker`). */
export type VenueTicker = Omit<Ticker, 'venue' | 'recvNs'>;

/** Order book levels in ticks and lots, best first, after the venue's update `nonce`. */
export interface VenueBook {
  symbol: string;
  bids: [number, number][];
  asks: [number, number][];
  /** The venue's last applied update id (Binance `lastUpdateId` / `u`). */
  nonce: number;
  venueTimeMs: number;
}

/** A public trade in ticks and lots. */
export interface VenuePublicTrade {
  symbol: string;
  priceTicks: number;
  lots: number;
  side: 'buy' | 'sell';
  venueTimeMs: number;
}

/** Where the adapter's streams deliver. */
export interface StreamSinks {
  onOrder(o: VenueOrder): void;
  onTicker(t: VenueTicker): void;
  /** Depth (top levels) after each applied diff; a sequence gap makes the adapter resync from a snapshot. */
  onBook?(b: VenueBook): void;
  onTrade?(t: VenuePublicTrade): void;
  /** A stream broke (it is being retried); `stream` names it. */
  onStreamError(stream: string, error: unknown): void;
  /** A stream (re)connected and delivered its first event. */
  onStreamUp(stream: string): void;
}

/**
 * How an adapter call failed, which decides what the venue actor does:
 * - `rejected`: the venue answered and refused (4xx with a business code): the order never existed.
 * - `not-found`: the venue answered that the order does not exist.
 * - `duplicate`: the venue already has an order with this client id ("already there").
 * - `unknown`: no answer, or an answer that does not say (timeout, 5xx, disconnect): the outcome is
 *   ambiguous and only a later query by client order id can resolve it.
 * - `throttled`: 429/418: refused without processing.
 * - `auth`: the venue refused our credentials (Binance -1022 bad signature, -2014 bad API-key
 *   format, -2015 invalid key/IP/permissions, HTTP 401): refused without processing, and every
 *   later signed call will be refused too until an operator fixes the key (the venue actor halts).
 */
export type FailureKind = 'rejected' | 'not-found' | 'duplicate' | 'unknown' | 'throttled' | 'auth';
