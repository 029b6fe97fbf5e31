import type { OrderIntent, Side } from './orders/intent.js';
import type { OrderState } from './orders/order-state.js';
import type { DenialCode as RiskDenialCode } from './risk/decision.js';
import type { VenueDenialCode } from './exchange/venue-actor.js';

/**
 * Messages of the order path (strategy → risk → venue actor) and the venue actor's events.
 * Every payload is plain JSON-serialisable data (bigint as decimal strings) so the same messages
 * can cross a process boundary later (NATS). Prices are integer ticks, quantities integer lots.
 */

/** `order.submit` (to `risk` or directly to `exchange.<venue>`): place one order. */
export interface OrderSubmit {
  intent: OrderIntent;
  /**
   * Idempotency key of the intent: an intent key whose last attempt is in flight or unknown is
   * never re-sent under a new id (the venue actor answers `ORDER_OUTCOME_UNKNOWN`).
   */
  intentKey?: string;
  /** Client order id prefix (default: the strategy id). */
  prefix?: string;
}

/** `order.cancel` (control lane): cancel one order by client order id. */
export interface OrderCancel {
  clientOrderId: string;
}

/** `order.cancel-all` (control lane): cancel every open order (optionally filtered). */
export interface OrderCancelAll {
  reason: string;
  symbol?: string;
  strategy?: string;
}

/**
 * `order.update`, published on `orders.<strategy>` and `orders.all` whenever an order changes
 * state or fills; also the reply to an `order.submit` ask.
 */
export interface OrderUpdate {
  clientOrderId: string;
  venueOrderId?: string;
  strategy: string;
  venue: string;
  symbol: string;
  side: Side;
  state: OrderState;
  priceTicks: number;
  qtyLots: number;
  filledLots: number;
  /** Why: venue reason, reconciliation note, denial code. */
  reason?: string;
  /** Clock time of the change (ns). */
  tNs: number;
}

/** `order.fill`, published on `fills.<strategy>` and `fills.all` for every execution. */
export interface OrderFill {
  clientOrderId: string;
  strategy: string;
  venue: string;
  symbol: string;
  side: Side;
  lots: number;
  priceTicks: number;
  tradeId?: string;
  feeAsset?: string;
  /** Fee in atoms of `feeAsset` (decimal string of an integer). */
  feeAtoms?: string;
  tNs: number;
}

/** Who denied an order: the risk engine, a venue actor, the journal (through the venue actor) or a strategy host. */
export type DenialSource = OrderDenied['source'];

/** Fields every `order.denied` carries, whoever denied it. */
interface OrderDeniedBase {
  intent: OrderIntent;
  detail: string;
  clientOrderId?: string;
  tNs: number;
}

/**
 * `order.denied`, published on `risk.denials` and `orders.<strategy>`: an order that never left the
 * process. `source` says who denied it and `code` is a stable code of that source's union
 * (`RiskDenialCode` for `risk`, `VenueDenialCode` for `venue`, ...). Consumers decide by `source`,
 * never by a code's spelling: `VENUE_UNAVAILABLE` is a code of both the risk engine and the venue actor.
 */
export type OrderDenied =
  | (OrderDeniedBase & { source: 'risk'; code: RiskDenialCode })
  | (OrderDeniedBase & { source: 'venue'; code: Exclude<VenueDenialCode, 'JOURNAL_FAILED'> })
  | (OrderDeniedBase & { source: 'journal'; code: 'JOURNAL_FAILED' })
  | (OrderDeniedBase & { source: 'strategy'; code: 'STRATEGY_RISK_UNREACHABLE' });

/** Top of book, published on `md.ticker.<venue>.<symbol>` (conflated by symbol). */
export interface Ticker {
  venue: string;
  symbol: string;
  bidTicks: number;
  bidLots: number;
  askTicks: number;
  askLots: number;
  /** Venue event time (epoch ms) if known, else 0. */
  venueTimeMs: number;
  /** Local receive time (clock ns): quote age = now − this. */
  recvNs: number;
  /** Token name of the external feed that produced it (a trusted `/feed` producer); absent for the venue's own data. */
  source?: string;
}

/** A public trade, published on `md.trade.<venue>.<symbol>`. */
export interface Trade {
  venue: string;
  symbol: string;
  priceTicks: number;
  lots: number;
  side: Side;
  venueTimeMs: number;
  recvNs: number;
}

/** Venue actor connection states (XState), published as `venue.state` on `venues.<venue>`. */
export type VenueConnState = 'disconnected' | 'connecting' | 'syncing' | 'running' | 'degraded' | 'halted';

/** `venue.state` payload. */
export interface VenueStateEvent {
  venue: string;
  state: VenueConnState;
  previous: VenueConnState;
  reason: string;
  tNs: number;
}

/** `balance.update`, published on `balances.<venue>` after each venue sync: the journal's total per asset. */
export interface BalanceUpdate {
  venue: string;
  asset: string;
  /** Total (free + locked) in atoms of the asset, decimal string of an integer. */
  totalAtoms: string;
  tNs: number;
}

/** Topic helpers (general → specific). */
export const topics = {
  ticker: (venue: string, symbol: string): string => `md.ticker.${venue}.${symbol}`,
  trade: (venue: string, symbol: string): string => `md.trade.${venue}.${symbol}`,
  book: (venue: string, symbol: string): string => `md.book.${venue}.${symbol}`,
  orders: (strategy: string): string => `orders.${strategy}`,
  fills: (strategy: string): string => `fills.${strategy}`,
  venue: (venue: string): string => `venues.${venue}`,
  balances: (venue: string): string => `balances.${venue}`,
  denials: 'risk.denials',
  allOrders: 'orders.all',
  allFills: 'fills.all',
} as const;

/** Address of a venue actor. */
export const venueAddress = (venue: string): string => `exchange.${venue}`;
/** Address of a strategy actor. */
export const strategyAddress = (id: string): string => `strategy.${id}`;
/** Address of the risk actor. */
export const RISK_ADDRESS = 'risk';
