/**
 * What the matching engine reports while it works: Binance's execution types ({@link ExecType})
 * and the {@link EngineListener} the venue implements to fan them out to streams, the WebSocket
 * API and statistics.
 */
import type { SimFill, SimOrder } from './order.js';

/** Execution types of Binance's `executionReport` (`TRADE_PREVENTION`: expired by self-trade prevention). */
export type ExecType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'TRADE_PREVENTION';

/** Receives what the engine does (streams, WS-API user data, statistics). */
export interface EngineListener {
  /** An order changed: accepted, traded (with the fill), cancelled or expired. */
  onOrderEvent(order: SimOrder, exec: ExecType, fill: SimFill | undefined): void;
  /** A trade printed: `buyerIsMaker` as in Binance's trade stream field `m`. */
  onTrade(symbol: string, tradeId: number, priceTicks: number, lots: number, buyerIsMaker: boolean, time: number): void;
  /** Balances of `account` changed in `assets` (once per operation). */
  onBalances(account: string, assets: readonly string[]): void;
  /** An order closed as FILLED by its last unlock (no `onOrderEvent` follows: the TRADE event said it). */
  onOrderClosed?(order: SimOrder): void;
  /** A public mutator (`place`, `cancel`, `cancelAll`) finished: everything it changed is final. */
  onCommit?(): void;
}
