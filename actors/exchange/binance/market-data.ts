/**
 * Binance adapter, part 4 of 4 (the template in `../adapter.ts`): market data. The ccxt.pro
 * streams of top of book (`watchBidsAsks`), depth (`watchOrderBook`, resynced on a gap) and public
 * trades (`watchTrades`), each a loop that converts the venue's values to ticks and lots, retries
 * on the injected clock after an error, and ends when its stream generation is no longer current.
 */
import type { StreamSinks } from '../adapter.js';
import type { BinanceConnection, Raw } from './client.js';
import { unitsNumber, type BinanceInstruments } from './instruments.js';

/** The public market-data streams of one Binance venue. */
export class BinanceMarketData {
  constructor(
    private readonly conn: BinanceConnection,
    private readonly instruments: BinanceInstruments,
  ) {}

  /** Starts the ticker stream (when there are symbols), and the book and trade streams the sinks ask for. */
  start(gen: number, symbols: readonly string[], sinks: StreamSinks): void {
    if (symbols.length > 0) void this.tickerLoop(gen, symbols, sinks);
    if (sinks.onBook !== undefined) for (const s of symbols) void this.bookLoop(gen, s, sinks);
    if (sinks.onTrade !== undefined) for (const s of symbols) void this.tradeLoop(gen, s, sinks);
  }

  /**
   * Depth stream per symbol through ccxt.pro's `watchOrderBook`, which chains `@depth@100ms` diffs
   * onto a `/depth` snapshot by update id and throws on a gap; the loop then unwatches and watches
   * again, which takes a fresh snapshot (the resync). Each applied state is delivered as top levels.
   */
  private async bookLoop(gen: number, symbol: string, sinks: StreamSinks): Promise<void> {
    const c = this.conn;
    const ins = this.instruments.get(symbol);
    if (ins === undefined) return;
    let up = false;
    while (c.streamsOn && gen === c.streamGen) {
      try {
        const ob = await c.ex.watchOrderBook(symbol, 20);
        if (gen !== c.streamGen) return;
        if (!up) {
          up = true;
          sinks.onStreamUp(`book:${symbol}`);
        }
        const lv = (side: readonly (readonly (number | string | undefined)[])[]): [number, number][] =>
          side.slice(0, 10).map((l) => [unitsNumber(decimalString(l[0]), ins.tickSize, 'price'), unitsNumber(decimalString(l[1]), ins.lotSize, 'qty')]);
        sinks.onBook!({ symbol, bids: lv(ob.bids as never), asks: lv(ob.asks as never), nonce: Number(ob.nonce ?? 0), venueTimeMs: Number(ob.timestamp ?? 0) });
      } catch (e) {
        if (gen !== c.streamGen) return;
        up = false;
        sinks.onStreamError(`book:${symbol}`, e);
        await c.pause(200);
      }
    }
  }

  private async tradeLoop(gen: number, symbol: string, sinks: StreamSinks): Promise<void> {
    const c = this.conn;
    const ins = this.instruments.get(symbol);
    if (ins === undefined) return;
    while (c.streamsOn && gen === c.streamGen) {
      try {
        const trades = await c.ex.watchTrades(symbol);
        if (gen !== c.streamGen) return;
        for (const t of trades) {
          const raw = t.info as Raw;
          sinks.onTrade!({
            symbol,
            priceTicks: unitsNumber(String(raw.p), ins.tickSize, 'p'),
            lots: unitsNumber(String(raw.q), ins.lotSize, 'q'),
            side: raw.m === true ? 'sell' : 'buy',
            venueTimeMs: Number(raw.T ?? raw.E ?? 0),
          });
        }
        // ccxt keeps the last `tradesLimit` (1000) parsed trades of each symbol for its own use;
        // bot4 has forwarded each new one above, so the history is dropped (issue 16: it was a
        // retainer growing ~0.4 MB/min per symbol until full, `npm run bench memory`). The next
        // trade message starts a fresh cache, and `watchTrades` returns only what is new in it.
        const cache = (c.ex as { trades?: Record<string, unknown> }).trades;
        if (cache !== undefined) delete cache[symbol];
      } catch (e) {
        if (gen !== c.streamGen) return;
        sinks.onStreamError(`trades:${symbol}`, e);
        await c.pause(200);
      }
    }
  }

  private async tickerLoop(gen: number, symbols: readonly string[], sinks: StreamSinks): Promise<void> {
    const c = this.conn;
    const bySymbol = this.instruments.bySymbol;
    let up = false;
    while (c.streamsOn && gen === c.streamGen) {
      try {
        const t = await c.ex.watchBidsAsks(symbols as string[]);
        if (gen !== c.streamGen) return;
        if (!up) {
          up = true;
          sinks.onStreamUp('tickers');
        }
        for (const sym of Object.keys(t)) {
          const x = t[sym]!;
          const raw = x.info as Raw;
          const ins = bySymbol.get(sym);
          if (ins === undefined) continue;
          sinks.onTicker({
            symbol: sym,
            bidTicks: unitsNumber(String(raw.b), ins.tickSize, 'bid'),
            bidLots: unitsNumber(String(raw.B), ins.lotSize, 'bidQty'),
            askTicks: unitsNumber(String(raw.a), ins.tickSize, 'ask'),
            askLots: unitsNumber(String(raw.A), ins.lotSize, 'askQty'),
            venueTimeMs: Number(raw.E ?? raw.T ?? 0),
          });
        }
      } catch (e) {
        if (gen !== c.streamGen) return;
        up = false;
        sinks.onStreamError('tickers', e);
        await c.pause(200);
      }
    }
  }
}

/** A level value from ccxt (a float parsed from the venue's string) back to a short exact decimal. */
function decimalString(x: number | string | undefined): string {
  if (typeof x === 'string') return x;
  if (x === undefined || !Number.isFinite(x)) return '0';
  // Levels are multiples of the tick/step: 12 significant digits recover the venue's decimal exactly.
  const s = x.toPrecision(12);
  return s.includes('e') ? x.toFixed(12) : s;
}
