/**
 * Self-trade prevention decisions (Binance's `selfTradePreventionMode` for spot): which side a
 * mode expires and the {@link PreventedMatch} record of one prevented self-trade. The engine
 * (`matching-engine.ts`) applies the decision to its books and accounts; this runs only when a taker
 * meets a resting order of its own account, never on an ordinary match.
 */
import type { SimOrder, StpMode } from './order.js';

/** One prevented self-trade (Binance `preventedMatches` of a FULL order response). */
export interface PreventedMatch {
  preventedMatchId: number;
  takerOrderId: number;
  makerOrderId: number;
  priceTicks: number;
  /** Lots of the maker expired by this match (0 for `EXPIRE_TAKER`). */
  makerPreventedLots: number;
  /** Lots of the taker expired by this match (0 for `EXPIRE_MAKER`). */
  takerPreventedLots: number;
  mode: StpMode;
}

/** Whether `mode` expires the resting (maker) order of a self-trade. */
export function expiresMaker(mode: StpMode): boolean {
  return mode === 'EXPIRE_MAKER' || mode === 'EXPIRE_BOTH';
}

/** Whether `mode` expires the incoming (taker) order of a self-trade. */
export function expiresTaker(mode: StpMode): boolean {
  return mode === 'EXPIRE_TAKER' || mode === 'EXPIRE_BOTH';
}

/**
 * The record of prevented match `id` between `taker` and a resting `maker` of the same account, by
 * the taker's mode: the expired side's remaining quantity is its prevented quantity. A taker buying
 * by quote amount (`byQuote`) has no lot quantity left to expire, so its prevented lots are 0.
 */
export function preventedMatch(id: number, taker: SimOrder, maker: SimOrder, priceTicks: number, byQuote: boolean): PreventedMatch {
  const mode = taker.stp;
  const makerPreventedLots = expiresMaker(mode) ? maker.origLots - maker.executedLots : 0;
  const takerPreventedLots = expiresTaker(mode) && !byQuote ? taker.origLots - taker.executedLots : 0;
  return { preventedMatchId: id, takerOrderId: taker.orderId, makerOrderId: maker.orderId, priceTicks, makerPreventedLots, takerPreventedLots, mode };
}
