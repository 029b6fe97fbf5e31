/**
 * Binance adapter, part 2 of 4 (the template in `../adapter.ts`): instrument metadata. Loads
 * `exchangeInfo` once into {@link Instrument}s (tick, lot, min/max quantity, min notional from the
 * venue's filters), indexes them by unified symbol and by venue id, and holds the exact decimal
 * helpers the other parts use to turn the venue's strings into ticks and lots. The same
 * `exchangeInfo` carries the venue's `rateLimits`: they go to the connection's budget once, here
 * (`./rate-limits.ts`).
 */
import { logger } from '../../../common/log.js';
import { toUnits, unitsFast, type Instrument } from '../../orders/instrument.js';
import { VenueCallError } from '../errors.js';
import type { BinanceConnection, Raw } from './client.js';
import { applyBinanceRateLimits } from './rate-limits.js';

/** Removes trailing zeros of a decimal string ("0.01000000" → "0.01", "5.00" → "5"). */
export function trimDecimal(s: string): string {
  if (!s.includes('.')) return s;
  const t = s.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

/** The last {@link stepProduct} asked (every order reply of one instrument asks the same). */
let lastA = '';
let lastB = '';
let lastProduct = '';

/** The product of two decimal steps as an exact decimal string (tick × lot). */
export function stepProduct(a: string, b: string): string {
  if (a === lastA && b === lastB) return lastProduct;
  const p = stepProductOf(a, b);
  lastA = a;
  lastB = b;
  lastProduct = p;
  return p;
}

function stepProductOf(a: string, b: string): string {
  const da = a.includes('.') ? a.length - a.indexOf('.') - 1 : 0;
  const db = b.includes('.') ? b.length - b.indexOf('.') - 1 : 0;
  const v = BigInt(a.replace('.', '')) * BigInt(b.replace('.', ''));
  const d = da + db;
  const s = v.toString().padStart(d + 1, '0');
  return trimDecimal(d === 0 ? s : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}`) || '0';
}

/**
 * A venue decimal as a whole number of `step` (venues print more digits than the step: trailing
 * zeros); throws when it is not a multiple. Plain decimals that fit a double exactly take
 * `unitsFast` (no bigint, no string work).
 */
export function units(value: string, step: string, field: string): bigint {
  const fast = unitsFast(value, step);
  if (fast >= 0) return BigInt(fast);
  return toUnits(trimDecimal(value) === '' ? '0' : trimDecimal(value), step, field);
}

/** {@link units} as a number (ticks and lots, which the engine keeps as numbers), without a bigint on the fast path. */
export function unitsNumber(value: string, step: string, field: string): number {
  const fast = unitsFast(value, step);
  return fast >= 0 ? fast : Number(units(value, step, field));
}

/** Binance's symbol id of an instrument (`BTCUSDT`). */
export function venueId(ins: Instrument): string {
  return `${ins.base}${ins.quote}`;
}

/** The venue's instruments, loaded once, by unified symbol and by Binance symbol id. */
export class BinanceInstruments {
  /** Unified symbol (`BTC/USDT`) → instrument. */
  readonly bySymbol = new Map<string, Instrument>();
  /** Binance symbol id (`BTCUSDT`) → instrument. */
  readonly byId = new Map<string, Instrument>();
  private loaded: Instrument[] | undefined;

  constructor(private readonly conn: BinanceConnection) {}

  /**
   * Loads the venue's instruments once; later calls (every reconnect of the venue actor) return the
   * same list without spending request weight (`exchangeInfo` and ccxt's markets cost 40 weight).
   * The venue's advertised rate limits are handed to the budget on that first load.
   */
  async load(): Promise<Instrument[]> {
    if (this.loaded !== undefined) return this.loaded;
    const conn = this.conn;
    const info = (await conn.call(() => conn.ex.publicGetExchangeInfo(), 20)) as { symbols: Raw[]; rateLimits?: unknown };
    if (conn.budget !== undefined) applyBinanceRateLimits(conn.budget, info.rateLimits, logger.child({ component: 'exchange', venue: conn.venue }));
    await conn.ex.loadHttpProxyAgent();
    const out: Instrument[] = [];
    for (const s of info.symbols) {
      if (s.status !== 'TRADING') continue;
      const f = new Map<string, Raw>();
      for (const x of s.filters as Raw[]) f.set(String(x.filterType), x);
      const pf = f.get('PRICE_FILTER');
      const ls = f.get('LOT_SIZE');
      const nf = f.get('NOTIONAL') ?? f.get('MIN_NOTIONAL');
      if (pf === undefined || ls === undefined) continue;
      const tickSize = trimDecimal(String(pf.tickSize));
      const lotSize = trimDecimal(String(ls.stepSize));
      const ins: Instrument = {
        venue: conn.venue,
        symbol: `${String(s.baseAsset)}/${String(s.quoteAsset)}`,
        base: String(s.baseAsset),
        quote: String(s.quoteAsset),
        tickSize,
        lotSize,
        minQtyLots: unitsNumber(String(ls.minQty), lotSize, 'minQty'),
        maxQtyLots: unitsNumber(String(ls.maxQty), lotSize, 'maxQty'),
        minNotional: trimDecimal(String(nf?.minNotional ?? '0')) || '0',
      };
      this.bySymbol.set(ins.symbol, ins);
      this.byId.set(String(s.symbol), ins);
      out.push(ins);
    }
    // ccxt.pro's watchers need its own market table.
    await conn.call(() => conn.ex.loadMarkets(), 20);
    this.loaded = out;
    return out;
  }

  /** Instrument by unified symbol (after {@link load}). */
  get(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  /** Instrument by unified symbol; a symbol the venue does not list is a `rejected` call. */
  require(symbol: string): Instrument {
    const ins = this.bySymbol.get(symbol);
    if (ins === undefined) throw new VenueCallError(this.conn.venue, 'rejected', `unknown symbol ${symbol} on ${this.conn.venue}`, undefined);
    return ins;
  }
}
