/** Binance order sides. */
export type Side = 'BUY' | 'SELL';
/** Order types the simulator accepts (Binance spot names). */
export type OrderType = 'LIMIT' | 'MARKET' | 'LIMIT_MAKER';
/** Time in force (Binance spot names). */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';
/** Binance order statuses the simulator produces (`EXPIRED_IN_MATCH`: expired by self-trade prevention). */
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH' | 'REJECTED';

/**
 * Binance's `selfTradePreventionMode`. Only the taker's mode decides what happens when it would
 * trade with a resting order of the same account: `NONE` trades, `EXPIRE_TAKER` expires the taker's
 * remaining quantity, `EXPIRE_MAKER` the resting order's, `EXPIRE_BOTH` both.
 */
export type StpMode = 'NONE' | 'EXPIRE_TAKER' | 'EXPIRE_MAKER' | 'EXPIRE_BOTH';
/** Every {@link StpMode}, in Binance's order. */
export const STP_MODES: readonly StpMode[] = Object.freeze(['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH']);

/** One fill of one order (one side of a trade). */
export interface SimFill {
  /** Per-symbol trade id, shared by the maker's and the taker's fill. */
  tradeId: number;
  priceTicks: number;
  lots: number;
  /** Quote atoms exchanged. */
  quoteAtoms: bigint;
  /** Fee atoms charged, in {@link SimFill.commissionAsset}. */
  commission: bigint;
  commissionAsset: string;
  isMaker: boolean;
  time: number;
}

/**
 * An order as the venue keeps it. Mutable: the matching engine updates it in place, the wire layer
 * renders it. Quantities are lots, prices ticks, money atoms (see instruments.ts).
 */
export interface SimOrder {
  orderId: number;
  clientOrderId: string;
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Limit price in ticks (0 for MARKET). */
  priceTicks: number;
  /** Ordered lots (for a MARKET buy by quote amount: 0 until filled). */
  origLots: number;
  /** MARKET buy by quote amount (`quoteOrderQty`), in quote atoms; 0n otherwise. */
  quoteOrderQty: bigint;
  executedLots: number;
  cumQuoteAtoms: bigint;
  status: OrderStatus;
  /** Atoms still locked for this order (quote for buys, base for sells). */
  locked: bigint;
  /** Epoch ms of creation and of the last change (venue clock). */
  time: number;
  updateTime: number;
  /** Arrival sequence: price-time priority within a level. */
  seq: number;
  fills: SimFill[];
  /** W3C `traceparent` header of the request that placed the order, when it carried one. */
  traceparent: string | undefined;
  /** Whether the order belongs to a background participant (not kept in the ledger once closed). */
  house: boolean;
  /** Self-trade prevention mode the order was placed with. */
  stp: StpMode;
  /** Id of the last prevented match this order took part in (Binance `preventedMatchId`), or undefined. */
  preventedMatchId: number | undefined;
  /** Lots expired by self-trade prevention (Binance `preventedQuantity`). */
  preventedLots: number;
}

/** Whether an order can still trade. */
export function isOpen(o: SimOrder): boolean {
  return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
}
