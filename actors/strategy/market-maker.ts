import { parseOptions, z } from '../../common/validate.js';
import type { OrderDenied, OrderFill, OrderUpdate, Ticker } from '../messages.js';
import type { Instrument } from '../orders/instrument.js';
import { DenialLog } from './denial-log.js';
import { OrderSlot } from './order-slot.js';
import { PositionTracker } from './position-tracker.js';
import { InstrumentMap } from './instrument-map.js';
import type { Strategy, StrategyContext } from './strategy.js';

/** Defaults of the market maker's params. */
export const MARKET_MAKER_DEFAULTS = Object.freeze({
  /** Distance of each quote from mid, in ticks. */
  halfSpreadTicks: 5,
  /** Size of each quote, in lots. */
  qtyLots: 1,
  /** |position| cap in lots: a quote is never sized to take the position past it. */
  maxInventoryLots: 10,
  /** Quotes shift by round(position × this) ticks against the position (long → both lower). */
  skewTicksPerLot: 1,
  /** A working quote is replaced (cancel, then new) once its target price is this many ticks away. */
  requoteTicks: 2,
  /** Period of the re-quote check timer, ms (0: only on tickers, fills and order updates). */
  requoteMs: 1_000,
  /** `limit-maker` (post-only) quotes, kept off the far touch; false: plain GTC limits. */
  postOnly: true,
  /**
   * A post-only quote stays at least this many ticks behind the best opposite quote (bid <= best
   * ask − this, ask >= best bid + this): the book moves between the ticker and the order's arrival,
   * and a quote that would take is rejected by the venue.
   */
  postOnlyMarginTicks: 1,
  /** A submit or cancel without any answer for this long is re-sent (same intent key), ms. */
  pendingTimeoutMs: 5_000,
  /** After a denial, the side stays unquoted for this long, ms. */
  denyBackoffMs: 1_000,
});

/** Params schema of the market maker (defaults from {@link MARKET_MAKER_DEFAULTS}). */
export const marketMakerParamsSchema = z
  .object({
    halfSpreadTicks: z.number().int().min(1).default(MARKET_MAKER_DEFAULTS.halfSpreadTicks),
    qtyLots: z.number().int().min(1).default(MARKET_MAKER_DEFAULTS.qtyLots),
    maxInventoryLots: z.number().int().min(1).default(MARKET_MAKER_DEFAULTS.maxInventoryLots),
    skewTicksPerLot: z.number().min(0).max(1e6).default(MARKET_MAKER_DEFAULTS.skewTicksPerLot),
    requoteTicks: z.number().int().min(1).default(MARKET_MAKER_DEFAULTS.requoteTicks),
    requoteMs: z.number().int().min(0).default(MARKET_MAKER_DEFAULTS.requoteMs),
    postOnly: z.boolean().default(MARKET_MAKER_DEFAULTS.postOnly),
    postOnlyMarginTicks: z.number().int().min(1).max(1e9).default(MARKET_MAKER_DEFAULTS.postOnlyMarginTicks),
    pendingTimeoutMs: z.number().int().min(1).default(MARKET_MAKER_DEFAULTS.pendingTimeoutMs),
    denyBackoffMs: z.number().int().min(0).default(MARKET_MAKER_DEFAULTS.denyBackoffMs),
  })
  .strict();

/** Validated market maker params. */
export type MarketMakerParams = z.output<typeof marketMakerParamsSchema>;

const TIMER = 'mm.requote';

interface Book {
  readonly instrument: Instrument;
  readonly bid: OrderSlot;
  readonly ask: OrderSlot;
  /** Net position in lots (fills, plus fills that updates already report). */
  readonly position: PositionTracker;
  /** The touch as the latest ticker shows it (our own quotes included). */
  bidTicks: number;
  askTicks: number;
  /**
   * The market without our own quotes: a ticker side at the price of our working quote is ours,
   * and then the market's best on that side is at or behind it (the last one seen, bounded by
   * ours). Quotes are centred on this mid: centring on a touch that is our own quote would chase
   * it (each re-quote moving the mid that moved it).
   */
  mktBidTicks: number;
  mktAskTicks: number;
  hasQuote: boolean;
  /**
   * A post-only quote of this side was rejected (it would have taken) or filled: the book it was
   * priced from has changed, so the side waits for the next ticker rather than re-sending into it.
   */
  bidStale: boolean;
  askStale: boolean;
}

/**
 * A two-sided quoter per instrument: a bid `halfSpreadTicks` under mid and an ask as far above,
 * both shifted by `round(position × skewTicksPerLot)` ticks against the inventory. At most one
 * working order per side (a replacement waits for the cancel to be confirmed); a side is sized
 * so the position cannot pass `maxInventoryLots`, and not quoted at all once it is there.
 */
export class MarketMaker implements Strategy {
  readonly params: Readonly<MarketMakerParams>;
  private readonly books = new InstrumentMap<Book>();
  // Targets of the last evaluation (fields, not a returned object: evaluated on every ticker).
  private tBidTicks = 0;
  private tBidLots = 0;
  private tAskTicks = 0;
  private tAskLots = 0;
  private active = false;
  private readonly denials = new DenialLog('quote denied');

  constructor(params: Readonly<MarketMakerParams>) {
    this.params = params;
  }

  /** Net position of an instrument in lots (from fills). */
  position(venue: string, symbol: string): number {
    return this.books.get(venue, symbol)?.position.lots ?? 0;
  }

  onStart(ctx: StrategyContext): void {
    let i = 0;
    for (const instrument of ctx.instruments.values()) {
      const { venue, symbol } = instrument;
      this.books.add(venue, symbol, { instrument, bid: new OrderSlot(`bid.${i}`), ask: new OrderSlot(`ask.${i}`), position: new PositionTracker(), bidTicks: 0, askTicks: 0, mktBidTicks: 0, mktAskTicks: 0, hasQuote: false, bidStale: false, askStale: false });
      i++;
    }
    this.active = true;
    if (this.params.requoteMs > 0) ctx.setTimer(TIMER, this.params.requoteMs, true);
    for (const b of this.books.values()) this.evaluate(b, ctx);
  }

  onStop(ctx: StrategyContext): void {
    this.active = false;
    this.denials.drain(ctx.log.bind(ctx));
    for (const b of this.books.values()) {
      b.bid.cancel(ctx);
      b.ask.cancel(ctx);
    }
  }

  onTicker(t: Ticker, ctx: StrategyContext): void {
    const b = this.books.get(t.venue, t.symbol);
    if (b === undefined || t.bidTicks <= 0 || t.askTicks <= t.bidTicks) return;
    b.bidTicks = t.bidTicks;
    b.askTicks = t.askTicks;
    const ourBid = b.bid.state !== 'idle' && b.bid.priceTicks === t.bidTicks;
    const ourAsk = b.ask.state !== 'idle' && b.ask.priceTicks === t.askTicks;
    b.mktBidTicks = ourBid && b.hasQuote ? Math.min(b.mktBidTicks, t.bidTicks) : t.bidTicks;
    b.mktAskTicks = ourAsk && b.hasQuote ? Math.max(b.mktAskTicks, t.askTicks) : t.askTicks;
    b.hasQuote = true;
    b.bidStale = false;
    b.askStale = false;
    this.evaluate(b, ctx);
  }

  onOrderUpdate(u: OrderUpdate, ctx: StrategyContext): void {
    const b = this.books.get(u.venue, u.symbol);
    if (b === undefined) return;
    b.position.onUpdate(u);
    const slot = u.side === 'buy' ? b.bid : b.ask;
    if (!slot.onUpdate(u)) return;
    if (u.state === 'rejected' && this.params.postOnly) {
      // Rejected as it would have taken: the opposite touch is at or past its price by now. Take
      // that into the book and wait for a fresh ticker before quoting this side again.
      if (u.side === 'buy') {
        b.bidStale = true;
        b.askTicks = Math.min(b.askTicks, u.priceTicks);
      } else {
        b.askStale = true;
        b.bidTicks = Math.max(b.bidTicks, u.priceTicks);
      }
    }
    this.evaluate(b, ctx);
  }

  onDenied(d: OrderDenied, ctx: StrategyContext): void {
    const b = this.books.get(d.intent.venue, d.intent.symbol);
    if (b === undefined) return;
    const slot = d.intent.side === 'buy' ? b.bid : b.ask;
    if (slot.onDenied(d, ctx.clock.nowNs(), this.params.denyBackoffMs)) this.denials.record(d.code, ctx.clock.nowNs(), { clientOrderId: d.clientOrderId, detail: d.detail, side: d.intent.side }, ctx.log.bind(ctx));
  }

  onFill(f: OrderFill, ctx: StrategyContext): void {
    const b = this.books.get(f.venue, f.symbol);
    if (b === undefined) return;
    b.position.onFill(f);
    // The book changed under the quote that filled: that side is re-quoted from the next ticker.
    if ((f.side === 'buy' ? b.bid : b.ask).onFill(f) && this.params.postOnly) {
      if (f.side === 'buy') b.bidStale = true;
      else b.askStale = true;
    }
    this.evaluate(b, ctx);
  }

  onTimer(name: string, ctx: StrategyContext): void {
    if (name !== TIMER) return;
    this.denials.flush(ctx.clock.nowNs(), ctx.log.bind(ctx));
    for (const b of this.books.values()) {
      b.bid.retry(ctx, this.params.pendingTimeoutMs);
      b.ask.retry(ctx, this.params.pendingTimeoutMs);
      this.evaluate(b, ctx);
    }
  }

  /** Sets the target quotes for `b` right now: prices in ticks and sizes in lots (size 0: do not quote). */
  private targets(b: Book): void {
    const p = this.params;
    // Twice the mid keeps it an integer; the bid rounds down and the ask up, never inside mid.
    const mid2 = b.mktBidTicks + b.mktAskTicks;
    const pos = b.position.expected;
    const skew = Math.round(pos * p.skewTicksPerLot);
    let bidTicks = Math.floor(mid2 / 2) - p.halfSpreadTicks - skew;
    let askTicks = Math.ceil(mid2 / 2) + p.halfSpreadTicks - skew;
    if (p.postOnly) {
      // A quote at or past the far touch would take liquidity (and be rejected as post-only): keep
      // it the margin behind the best opposite quote of the book as the ticker shows it.
      const m = p.postOnlyMarginTicks;
      if (bidTicks > b.askTicks - m) bidTicks = b.askTicks - m;
      if (askTicks < b.bidTicks + m) askTicks = b.bidTicks + m;
    }
    const bidLots = bidTicks >= 1 ? Math.max(0, Math.min(p.qtyLots, p.maxInventoryLots - pos)) : 0;
    const askLots = Math.max(0, Math.min(p.qtyLots, p.maxInventoryLots + pos));
    if (askTicks < 1) askTicks = 1;
    this.tBidTicks = bidTicks;
    this.tBidLots = bidLots;
    this.tAskTicks = askTicks;
    this.tAskLots = askLots;
  }

  private evaluate(b: Book, ctx: StrategyContext): void {
    if (!this.active || !b.hasQuote) return;
    this.targets(b);
    this.side(b, b.bid, 'buy', this.tBidTicks, this.tBidLots, b.bidStale, ctx);
    this.side(b, b.ask, 'sell', this.tAskTicks, this.tAskLots, b.askStale, ctx);
  }

  private side(b: Book, slot: OrderSlot, side: 'buy' | 'sell', priceTicks: number, lots: number, stale: boolean, ctx: StrategyContext): void {
    const p = this.params;
    switch (slot.state) {
      case 'live':
        // Fully filled per its fills: its terminal update is on the way, nothing to cancel.
        if (slot.remainingLots <= 0) return;
        if (lots === 0 || Math.abs(slot.priceTicks - priceTicks) >= p.requoteTicks) slot.cancel(ctx);
        return;
      case 'idle':
        if (lots > 0 && !stale && ctx.clock.nowNs() >= slot.blockedUntilNs) {
          const { venue, symbol } = b.instrument;
          slot.submit(ctx, { venue, symbol, side, type: p.postOnly ? 'limit-maker' : 'limit', tif: 'GTC', priceTicks, qtyLots: lots });
        }
        return;
      default:
        // pending or cancelling: wait for the answer (retries run on the timer).
        return;
    }
  }
}

/**
 * Factory of the built-in `market-maker` strategy. Throws `ConfigError` naming the field for bad
 * params (`where` prefixes it, e.g. `strategies.mm-btc.params`).
 */
export function createMarketMaker(params: Record<string, unknown> = {}, where = 'market-maker.params'): MarketMaker {
  return new MarketMaker(parseOptions(marketMakerParamsSchema, params, where));
}
