/**
 * Order validation before the matching engine accepts an order: the parsed request
 * ({@link PlaceRequest}), Binance's business rejections ({@link REJECT}) and the symbol filters
 * (PRICE_FILTER, LOT_SIZE, NOTIONAL) checked by {@link checkFilters}. Runs once per order, before
 * any funds are locked.
 */
import type { Instrument } from './instruments.js';
import type { OrderType, Side, StpMode, TimeInForce } from './order.js';

/** A new order, already parsed into integer units by the wire layer. */
export interface PlaceRequest {
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Limit price in ticks; 0 for MARKET. */
  priceTicks: number;
  /** Quantity in lots; 0 for a MARKET buy by `quoteOrderQty`. */
  lots: number;
  /** MARKET buy by quote amount, quote atoms; 0n when unused. */
  quoteOrderQty: bigint;
  clientOrderId: string;
  traceparent?: string | undefined;
  /** Self-trade prevention mode; the engine's default (`MatchingEngine.defaultStp`) when absent. */
  stp?: StpMode | undefined;
}

/** A business rejection, with Binance's code and message. */
export interface Rejection {
  ok: false;
  code: number;
  msg: string;
}

const reject = (code: number, msg: string): Rejection => ({ ok: false, code, msg });
/** Binance's rejection messages, reused so the wire replies are byte-identical. */
export const REJECT = {
  duplicate: reject(-2010, 'Duplicate order sent.'),
  insufficient: reject(-2010, 'Account has insufficient balance for requested action.'),
  wouldTake: reject(-2010, 'Order would immediately match and take.'),
  unknownCancel: reject(-2011, 'Unknown order sent.'),
  unknownQuery: reject(-2013, 'Order does not exist.'),
  priceFilter: reject(-1013, 'Filter failure: PRICE_FILTER'),
  lotSize: reject(-1013, 'Filter failure: LOT_SIZE'),
  notional: reject(-1013, 'Filter failure: NOTIONAL'),
  closed: reject(-1013, 'Market is closed.'),
  badSymbol: reject(-1121, 'Invalid symbol.'),
} as const;

/** The first symbol filter `r` fails (Binance's -1013), or undefined when it passes them all. */
export function checkFilters(ins: Instrument, r: PlaceRequest): Rejection | undefined {
  if (r.type !== 'MARKET') {
    if (!Number.isSafeInteger(r.priceTicks) || r.priceTicks < ins.minPriceTicks || r.priceTicks > ins.maxPriceTicks) return REJECT.priceFilter;
  }
  if (r.type === 'MARKET' && r.quoteOrderQty > 0n) {
    return r.quoteOrderQty < ins.minNotionalAtoms ? REJECT.notional : undefined;
  }
  if (!Number.isSafeInteger(r.lots) || r.lots < ins.minQtyLots || r.lots > ins.maxQtyLots) return REJECT.lotSize;
  if (r.type !== 'MARKET' && ins.notional(r.priceTicks, r.lots) < ins.minNotionalAtoms) return REJECT.notional;
  return undefined;
}
