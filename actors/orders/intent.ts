/** Order side. */
export type Side = 'buy' | 'sell';
/** Order types the engine and the simulator support (Binance spot: LIMIT, MARKET, LIMIT_MAKER). */
export type OrderType = 'limit' | 'market' | 'limit-maker';
/** Time in force. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

/**
 * What a strategy (or the API) asks for. Prices are integer ticks and quantities integer lots of
 * the instrument (see `instrument.ts`); decimal strings exist only at the edges.
 */
export interface OrderIntent {
  /** Strategy id that owns the order (`mm-btc`). */
  strategy: string;
  /** Venue id (`sim-a`, `binance`). */
  venue: string;
  /** Unified symbol (`BTC/USDT`). */
  symbol: string;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  /** Limit price in ticks (for market orders: the reference price used for risk, in ticks). */
  priceTicks: number;
  /** Quantity in lots (> 0). */
  qtyLots: number;
  /** Only reduce an existing position (allowed while the kill switch is REDUCING). */
  reduceOnly?: boolean;
}
