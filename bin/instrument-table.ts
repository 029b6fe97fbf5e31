import { ConfigError } from '../common/errors.js';
import { describeValue } from '../common/describe.js';
import type { DaemonClient } from '../daemon/client.js';
import type { InstrumentView } from '../gateway/engine-port.js';
import { fromSteps, ratioSteps } from './decimal.js';

/** One row of `instruments.get`: the gateway's `InstrumentView` (one definition of the shape). */
export type InstrumentRow = InstrumentView;

/**
 * The daemon's instruments by `venue:symbol`: what turns ticks and lots into decimals and back.
 * Every command that shows or takes a price or a size asks the daemon for it once (`instruments.get`).
 */
export class InstrumentTable {
  private readonly byKey = new Map<string, InstrumentRow>();

  constructor(readonly rows: readonly InstrumentRow[]) {
    for (const r of rows) this.byKey.set(`${r.venue}:${r.symbol}`, r);
  }

  /** Fetches the daemon's instruments. */
  static async load(c: DaemonClient): Promise<InstrumentTable> {
    return new InstrumentTable(await c.request<InstrumentRow[]>('instruments.get'));
  }

  /** The instrument, or undefined (an order of an instrument the daemon no longer trades). */
  get(venue: string, symbol: string): InstrumentRow | undefined {
    return this.byKey.get(`${venue}:${symbol}`);
  }

  /**
   * The instrument a command names, or a {@link ConfigError} naming `--venue` or `--symbol`, what
   * the daemon trades and what arrived.
   */
  require(venue: string, symbol: string): InstrumentRow {
    const venues = [...new Set(this.rows.map((r) => r.venue))];
    if (!venues.includes(venue)) throw new ConfigError('--venue', `--venue: expected a venue the daemon trades (${venues.join(', ') || 'none'}), got ${describeValue(venue)}`);
    const i = this.get(venue, symbol);
    if (i === undefined) {
      const symbols = this.rows.filter((r) => r.venue === venue).map((r) => r.symbol);
      throw new ConfigError('--symbol', `--symbol: expected a symbol traded on ${venue} (${symbols.join(', ')}), got ${describeValue(symbol)}`);
    }
    return i;
  }

  /** A price in ticks as a decimal string (ticks as they are when the instrument is unknown). */
  price(venue: string, symbol: string, ticks: number | undefined): string | undefined {
    if (ticks === undefined) return undefined;
    const i = this.get(venue, symbol);
    return i === undefined ? `${ticks} ticks` : fromSteps(ticks, i.tickSize);
  }

  /**
   * An average fill price from `cumTickLots` (Σ price × lots, a decimal string) and the filled lots,
   * exact to 4 decimals past the tick size (ticks when the instrument is unknown); undefined before
   * the first fill.
   */
  avgPrice(venue: string, symbol: string, cumTickLots: string | undefined, filledLots: number): string | undefined {
    if (cumTickLots === undefined || filledLots === 0 || !/^-?\d+$/.test(cumTickLots)) return undefined;
    const i = this.get(venue, symbol);
    const r = ratioSteps(BigInt(cumTickLots), BigInt(filledLots), i?.tickSize ?? '1');
    return i === undefined && r !== undefined ? `${r} ticks` : r;
  }

  /** A quantity in lots as a decimal string (lots as they are when the instrument is unknown). */
  qty(venue: string, symbol: string, lots: number | undefined): string | undefined {
    if (lots === undefined) return undefined;
    const i = this.get(venue, symbol);
    return i === undefined ? `${lots} lots` : fromSteps(lots, i.lotSize);
  }
}
