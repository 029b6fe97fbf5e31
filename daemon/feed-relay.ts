import type { MarketDataMessage } from '../gateway/engine-port.js';
import type { Ticker, Trade } from '../actors/messages.js';
import type { Message } from '../actors/runtime/envelope.js';
import type { Engine } from '../actors/engine/engine.js';
import type { EventRelay } from './event-relay.js';

const KIND_TYPE = { ticker: 'md.ticker', trade: 'md.trade', book: 'md.book' } as const;

/**
 * External market data (`/feed`) into the actor system, and the trust decision that guards it.
 * For an instrument the engine trades, the venue's own market data is the reference: a record is
 * published on `md.<kind>.<venue>.<symbol>` (where the risk actor and the strategies listen) only
 * when `risk.feeds.trusted` names its producer for that instrument and its price lies within
 * `risk.feeds.bandBps` of the venue's latest mid; any other record goes to
 * `ext.md.<kind>.<venue>.<symbol>` (no engine actor listens there) and is counted by outcome
 * (the public `md*` counters, exposed as `bot4_engine_md_total`), so a `feed` token can never
 * steer trading.
 */
export class FeedRelay {
  /** Records published on a traded instrument's trading topics. */
  mdPublished = 0;
  /** Records a subscriber's full mailbox refused. */
  mdRefused = 0;
  /** Records for an instrument the engine does not trade (only fanned out to `/ws`). */
  mdExternal = 0;
  /** Records for a traded instrument from a producer not trusted for it. */
  mdUntrusted = 0;
  /** Records for a traded instrument before the venue's own first ticker (no band reference). */
  mdNoReference = 0;
  /** Records for a traded instrument priced outside the band around the venue's mid. */
  mdOutOfBand = 0;
  /** Topic → conflation key, for the instruments the engine trades (feed data for others is only fanned out). */
  private readonly mdKeys = new Map<string, string>();
  /** One scratch message per publish: the runtime copies its fields into the envelope. */
  private readonly scratch: Message = { type: '', payload: undefined, key: '' };
  /** `venue:symbol` → feed token names trusted for it (`risk.feeds.trusted`). */
  private readonly trustedFeeds = new Map<string, ReadonlySet<string>>();
  private readonly feedBandBps: number;
  /** Last mid (ticks) of the venue's own tickers per `venue:symbol` (kept by the event relay). */
  private readonly venueMids: ReadonlyMap<string, number>;

  /**
   * @param engine the running engine (its risk config's `feeds` and its instruments)
   * @param events the event relay: the venue's mids, and the `/ws` fan-out of untraded instruments
   */
  constructor(
    private readonly engine: Engine,
    private readonly events: EventRelay,
  ) {
    const feeds = engine.risk.config.feeds;
    for (const [key, names] of Object.entries(feeds.trusted)) this.trustedFeeds.set(key, new Set(names));
    this.feedBandBps = feeds.bandBps;
    this.venueMids = events.venueMids;
    for (const i of engine.instruments) {
      const key = `${i.venue}:${i.symbol}`;
      for (const kind of ['ticker', 'trade', 'book'] as const) this.mdKeys.set(`md.${kind}.${i.venue}.${i.symbol}`, key);
    }
  }

  /** See {@link EnginePort.publishMarketData}. */
  publishMarketData(msg: Readonly<MarketDataMessage>, producer?: string): boolean {
    const key = this.mdKeys.get(msg.topic);
    if (key === undefined) {
      // not an instrument the engine trades: no actor could use it, but /ws subscribers may want it
      this.mdExternal++;
      if (this.events.listeners.size > 0) this.events.emit(msg.topic, { ...msg });
      return true;
    }
    const trusted = producer !== undefined && this.trustedFeeds.get(key)?.has(producer) === true;
    if (!trusted) {
      this.mdUntrusted++;
      return this.publishExternal(msg);
    }
    const mid = this.venueMids.get(key);
    if (mid === undefined) {
      this.mdNoReference++;
      return this.publishExternal(msg);
    }
    if (this.outOfBand(msg, mid)) {
      this.mdOutOfBand++;
      return this.publishExternal(msg);
    }
    const m = this.scratch;
    m.key = key;
    const venueTimeMs = Math.floor(msg.exchTsUs / 1000);
    if (msg.kind === 'ticker') {
      const t: Ticker = { venue: msg.venue, symbol: msg.symbol, bidTicks: msg.bidPx, bidLots: msg.bidQty, askTicks: msg.askPx, askLots: msg.askQty, venueTimeMs, recvNs: msg.recvNs, source: producer! };
      m.payload = t;
    } else if (msg.kind === 'trade') {
      const t: Trade = { venue: msg.venue, symbol: msg.symbol, priceTicks: msg.px, lots: msg.qty, side: msg.side === 'sell' ? 'sell' : 'buy', venueTimeMs, recvNs: msg.recvNs };
      m.payload = t;
      m.key = undefined; // trades are a sequence, never conflated
    } else {
      m.payload = { venue: msg.venue, symbol: msg.symbol, side: msg.side, level: msg.level, priceTicks: msg.px, lots: msg.qty, seq: msg.seq, venueTimeMs, recvNs: msg.recvNs };
      m.key = undefined;
    }
    m.type = KIND_TYPE[msg.kind];
    const n = this.engine.system.publish(msg.topic, m);
    m.payload = undefined;
    if (n === 0 && this.engine.system.subscribers(msg.topic).length > 0) {
      this.mdRefused++;
      return false;
    }
    this.mdPublished++;
    return true;
  }

  /** True when any price of the record lies farther than the band from the venue's mid. */
  private outOfBand(msg: Readonly<MarketDataMessage>, mid: number): boolean {
    const band = this.feedBandBps * mid;
    if (msg.kind === 'ticker') return farFrom(msg.bidPx, mid, band) || farFrom(msg.askPx, mid, band);
    return farFrom(msg.px, mid, band);
  }

  /** Publishes a record no engine actor trades on: `ext.md.…` in the actor system (opt-in subscribers only). */
  private publishExternal(msg: Readonly<MarketDataMessage>): boolean {
    const topic = `ext.${msg.topic}`;
    if (this.engine.system.subscribers(topic).length > 0) this.engine.system.publish(topic, { type: `ext.md.${msg.kind}`, payload: { ...msg } });
    return true;
  }
}

/** |px − mid| · 10 000 > band (band = bandBps · mid): the price lies outside the band. */
function farFrom(px: number, mid: number, band: number): boolean {
  return (px > mid ? px - mid : mid - px) * 10_000 > band;
}
