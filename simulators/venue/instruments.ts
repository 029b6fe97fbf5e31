import { SimulatorInstrumentError } from '../errors.js';

/**
 * Every asset is held in atoms of 10^-8 (Binance prints 8 decimals for spot balances). Prices are
 * integer ticks and quantities integer lots of each instrument, so balances reconcile exactly.
 */
export const ASSET_DECIMALS = 8;
const ATOMS_PER_UNIT = 10n ** BigInt(ASSET_DECIMALS);

/** Plain definition of a spot instrument, in Binance's decimal-string units. */
export interface InstrumentSpec {
  /** Binance symbol, e.g. `BTCUSDT`. */
  symbol: string;
  base: string;
  quote: string;
  /** PRICE_FILTER tickSize, e.g. `"0.01"`. */
  tickSize: string;
  /** LOT_SIZE stepSize, e.g. `"0.00001"`. */
  stepSize: string;
  minQty: string;
  maxQty: string;
  /** NOTIONAL / MIN_NOTIONAL minNotional in quote units. */
  minNotional: string;
  minPrice: string;
  maxPrice: string;
  /** Starting fair value (quote per base) for the price process. */
  initialPrice: number;
  /** Annualised volatility of the fair value in its calm regime. */
  volatility: number;
}

/**
 * Parses a non-negative decimal string into atoms of 10^-`decimals`. Returns `null` for anything
 * that is not a plain decimal (`1e5`, `-1`, `abc`) or carries more precision than an atom.
 */
export function parseDecimal(s: string, decimals = ASSET_DECIMALS): bigint | null {
  if (s.length === 0 || s.length > 40) return null;
  const dot = s.indexOf('.');
  const intPart = dot < 0 ? s : s.slice(0, dot);
  let frac = dot < 0 ? '' : s.slice(dot + 1);
  if (!/^\d+$/.test(intPart) || (dot >= 0 && !/^\d*$/.test(frac))) return null;
  frac = frac.replace(/0+$/, '');
  if (frac.length > decimals) return null;
  return BigInt(intPart) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

/** Formats atoms as a fixed 8-decimal string the way Binance prints amounts (`"0.00100000"`). */
export function formatAtoms(atoms: bigint, decimals = ASSET_DECIMALS): string {
  const neg = atoms < 0n;
  const a = neg ? -atoms : atoms;
  const unit = 10n ** BigInt(decimals);
  const int = a / unit;
  const frac = (a % unit).toString().padStart(decimals, '0');
  return `${neg ? '-' : ''}${int.toString()}.${frac}`;
}

/**
 * A spot instrument with its filters in integer units. `tickAtoms × lotAtoms` must be a multiple of
 * 10^8 so that the quote amount of one tick × one lot is a whole number of quote atoms.
 */
export class Instrument {
  readonly spec: Readonly<InstrumentSpec>;
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** Quote atoms per price tick (price per whole base unit). */
  readonly tickAtoms: bigint;
  /** Base atoms per lot. */
  readonly lotAtoms: bigint;
  readonly minQtyLots: number;
  readonly maxQtyLots: number;
  readonly minPriceTicks: number;
  readonly maxPriceTicks: number;
  readonly minNotionalAtoms: bigint;
  /** Quote atoms of one tick × one lot. */
  readonly quotePerTickLot: bigint;
  /** {@link quotePerTickLot} and {@link lotAtoms} as numbers (Infinity when not safe integers): the exact fast path of {@link notional}. */
  private readonly qptlNum: number;
  private readonly lotNum: number;

  constructor(spec: InstrumentSpec) {
    this.spec = Object.freeze({ ...spec });
    this.symbol = spec.symbol;
    this.base = spec.base;
    this.quote = spec.quote;
    const need = (field: keyof InstrumentSpec): bigint => {
      const v = parseDecimal(String(spec[field]));
      if (v === null) throw new SimulatorInstrumentError(`instrument ${spec.symbol}.${field}: expected a decimal string with <= 8 decimals, got ${JSON.stringify(spec[field])}`);
      return v;
    };
    this.tickAtoms = need('tickSize');
    this.lotAtoms = need('stepSize');
    if (this.tickAtoms <= 0n || this.lotAtoms <= 0n) throw new SimulatorInstrumentError(`instrument ${spec.symbol}: tickSize and stepSize must be > 0`);
    if ((this.tickAtoms * this.lotAtoms) % ATOMS_PER_UNIT !== 0n) {
      throw new SimulatorInstrumentError(`instrument ${spec.symbol}: tickSize × stepSize must be a multiple of 1e-8 quote units`, { tickSize: spec.tickSize, stepSize: spec.stepSize });
    }
    this.quotePerTickLot = (this.tickAtoms * this.lotAtoms) / ATOMS_PER_UNIT;
    this.qptlNum = this.quotePerTickLot <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.quotePerTickLot) : Infinity;
    this.lotNum = this.lotAtoms <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.lotAtoms) : Infinity;
    this.minQtyLots = Number(need('minQty') / this.lotAtoms);
    this.maxQtyLots = Number(need('maxQty') / this.lotAtoms);
    this.minPriceTicks = Number(need('minPrice') / this.tickAtoms);
    this.maxPriceTicks = Number(need('maxPrice') / this.tickAtoms);
    this.minNotionalAtoms = need('minNotional');
    if (!Number.isSafeInteger(this.maxQtyLots) || !Number.isSafeInteger(this.maxPriceTicks)) {
      throw new SimulatorInstrumentError(`instrument ${spec.symbol}: maxQty/stepSize and maxPrice/tickSize must be safe integers`);
    }
  }

  /** Quote atoms of `lots` at `ticks`. */
  notional(ticks: number, lots: number): bigint {
    // Integers multiply exactly in a double while the product is ≤ 2^53; a larger product rounds to
    // ≥ 2^53 (rounding is monotone), fails the safe-integer test and takes the bigint path. One
    // bigint allocated instead of five on the matching hot path.
    const n = ticks * lots * this.qptlNum;
    return Number.isSafeInteger(n) ? BigInt(n) : BigInt(ticks) * BigInt(lots) * this.quotePerTickLot;
  }

  /** Base atoms of `lots`. */
  baseAtoms(lots: number): bigint {
    const n = lots * this.lotNum;
    return Number.isSafeInteger(n) ? BigInt(n) : BigInt(lots) * this.lotAtoms;
  }

  /** Decimal price string of `ticks`. */
  priceString(ticks: number): string {
    return formatAtoms(BigInt(ticks) * this.tickAtoms);
  }

  /** Decimal quantity string of `lots`. */
  qtyString(lots: number): string {
    return formatAtoms(BigInt(lots) * this.lotAtoms);
  }

  /** Nearest tick of a float price (for the price process and background participants only). */
  ticksOf(price: number): number {
    return Math.max(1, Math.round((price * 1e8) / Number(this.tickAtoms)));
  }

  /** Float price of `ticks` (for the price process and statistics only, never for balances). */
  priceOf(ticks: number): number {
    return (ticks * Number(this.tickAtoms)) / 1e8;
  }

  /** The three Binance filters plus the legacy MIN_NOTIONAL, as `exchangeInfo` prints them. */
  filters(): Record<string, unknown>[] {
    const s = this.spec;
    return [
      { filterType: 'PRICE_FILTER', minPrice: formatAtoms(parseDecimal(s.minPrice)!), maxPrice: formatAtoms(parseDecimal(s.maxPrice)!), tickSize: formatAtoms(this.tickAtoms) },
      { filterType: 'LOT_SIZE', minQty: formatAtoms(parseDecimal(s.minQty)!), maxQty: formatAtoms(parseDecimal(s.maxQty)!), stepSize: formatAtoms(this.lotAtoms) },
      { filterType: 'MIN_NOTIONAL', minNotional: formatAtoms(this.minNotionalAtoms), applyToMarket: true, avgPriceMins: 5 },
      { filterType: 'NOTIONAL', minNotional: formatAtoms(this.minNotionalAtoms), applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
    ];
  }
}

const spec = (symbol: string, base: string, tickSize: string, stepSize: string, maxQty: string, initialPrice: number, volatility: number, minPrice = tickSize): InstrumentSpec => ({
  symbol,
  base,
  quote: 'USDT',
  tickSize,
  stepSize,
  minQty: stepSize,
  maxQty,
  minNotional: '5',
  minPrice,
  maxPrice: '1000000',
  initialPrice,
  volatility,
});

/**
 * The default instrument set: the majors plus the three crisis protagonists (LUNA, UST, FTT) so the
 * crisis scripts have something to crash. Ticks and steps follow Binance's 2022–2024 filters,
 * coarsened where Binance's would overflow a safe-integer lot count.
 */
export const DEFAULT_INSTRUMENTS: readonly InstrumentSpec[] = Object.freeze([
  spec('BTCUSDT', 'BTC', '0.01', '0.00001', '9000', 60000, 0.6),
  spec('ETHUSDT', 'ETH', '0.01', '0.0001', '9000', 3000, 0.75),
  spec('SOLUSDT', 'SOL', '0.01', '0.001', '90000', 150, 0.9),
  spec('LUNAUSDT', 'LUNA', '0.0001', '0.01', '9000000', 80, 1.0),
  spec('USTUSDT', 'UST', '0.0001', '0.01', '9000000', 1, 0.02),
  spec('FTTUSDT', 'FTT', '0.001', '0.01', '9000000', 22, 0.9),
]);

/** Symbol → instrument lookup for one venue. */
export class InstrumentRegistry {
  private readonly bySymbol = new Map<string, Instrument>();
  readonly list: readonly Instrument[];

  constructor(specs: readonly InstrumentSpec[] = DEFAULT_INSTRUMENTS) {
    const list: Instrument[] = [];
    for (const s of specs) {
      if (this.bySymbol.has(s.symbol)) throw new SimulatorInstrumentError(`instrument ${s.symbol}: defined twice`);
      const i = new Instrument(s);
      this.bySymbol.set(s.symbol, i);
      list.push(i);
    }
    this.list = list;
  }

  /** The instrument for `symbol`, or undefined. */
  get(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  /** Every asset that appears as base or quote. */
  assets(): string[] {
    const s = new Set<string>();
    for (const i of this.list) {
      s.add(i.base);
      s.add(i.quote);
    }
    return [...s];
  }
}
