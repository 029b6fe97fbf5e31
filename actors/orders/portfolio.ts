import { decimals, fromUnits, toUnits, type Instrument } from './instrument.js';
import type { Side } from './intent.js';
import { UnknownInstrumentError } from './errors.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { parseOptions, z } from '../../common/validate.js';

/** Options of a {@link Portfolio}. */
export const portfolioOptionsSchema = z
  .object({
    /** Decimals of an asset's atom, overriding the derived ones (must be >= the derived ones). */
    assetDecimals: z.record(z.string(), z.number().int().min(0).max(36)).default({}),
    /** Decimals for assets no instrument mentions (fee assets such as BNB). */
    defaultAssetDecimals: z.number().int().min(0).max(36).default(8),
  })
  .strict();

/** Options accepted by the {@link Portfolio} constructor. */
export type PortfolioOptions = z.input<typeof portfolioOptionsSchema>;

/** A balance in atoms of its asset. `free = total - locked`. */
export interface Balance {
  total: bigint;
  locked: bigint;
}

/**
 * A position on one venue/symbol, average-cost method. `qtyLots` is signed (short < 0); `costAtoms`
 * is the signed quote cost of the open quantity (long: what was paid, short: minus what was
 * received), so the average entry price is `costAtoms / qtyLots` exactly.
 */
export interface Position {
  qtyLots: bigint;
  costAtoms: bigint;
  /** Realized PnL in quote atoms, fees excluded. */
  realizedAtoms: bigint;
}

interface InstrumentInfo {
  inst: Instrument;
  /** Quote atoms of one tick × one lot. */
  quotePerTickLot: bigint;
  /** Base atoms of one lot. */
  basePerLot: bigint;
}

/**
 * Exact positions, balances (total and locked), realized/unrealized PnL and fees per venue and
 * asset, all integers. Each asset has one atom size per portfolio: the finest any instrument needs
 * (base: lot decimals; quote: tick + lot decimals), so a fill's quote amount
 * `priceTicks × qtyLots × tickSize × lotSize` is an exact integer of quote atoms. Decimal strings
 * appear only at the edges ({@link toAtoms}/{@link fromAtoms}).
 *
 * Average cost: a fill that grows a position adds its notional to the cost; one that shrinks it
 * realizes `proceeds − cost × closed / open` where the released cost is truncated toward zero and
 * the remainder stays in the cost of what is still open, so nothing is created or lost: when a
 * position is flat again, realized PnL equals the net cash flow of its fills exactly. A fill that
 * crosses zero is split in the same way (the closing part's notional truncated, the rest opens).
 */
export class Portfolio {
  private readonly opts: Readonly<z.output<typeof portfolioOptionsSchema>>;
  private readonly instruments = new Map<string, InstrumentInfo>();
  private lastInfo: InstrumentInfo | undefined;
  private readonly decimalsOf = new Map<string, number>();
  private readonly balances = new Map<string, Map<string, Balance>>();
  private readonly positions = new Map<string, Map<string, Position>>();
  private readonly feesPaid = new Map<string, Map<string, bigint>>();

  constructor(instruments: readonly Instrument[], options?: PortfolioOptions) {
    this.opts = parseOptions(portfolioOptionsSchema, options, 'portfolio');
    const need = (asset: string, d: number): void => {
      this.decimalsOf.set(asset, Math.max(this.decimalsOf.get(asset) ?? 0, d));
    };
    for (const i of instruments) {
      need(i.base, decimals(i.lotSize));
      need(i.quote, decimals(i.tickSize) + decimals(i.lotSize));
    }
    for (const [asset, d] of Object.entries(this.opts.assetDecimals)) {
      const derived = this.decimalsOf.get(asset) ?? 0;
      if (d < derived) throw new InvalidArgumentError(`portfolio.assetDecimals.${asset}: expected >= ${derived} (an instrument needs it), got ${d}`);
      this.decimalsOf.set(asset, d);
    }
    for (const i of instruments) {
      const bd = this.assetDecimals(i.base);
      const qd = this.assetDecimals(i.quote);
      const tick = toUnits(i.tickSize, atomStep(decimals(i.tickSize)), 'tickSize');
      const lot = toUnits(i.lotSize, atomStep(decimals(i.lotSize)), 'lotSize');
      this.instruments.set(key(i.venue, i.symbol), {
        inst: i,
        quotePerTickLot: tick * lot * 10n ** BigInt(qd - decimals(i.tickSize) - decimals(i.lotSize)),
        basePerLot: lot * 10n ** BigInt(bd - decimals(i.lotSize)),
      });
    }
  }

  /** Decimals of one atom of `asset`. */
  assetDecimals(asset: string): number {
    return this.decimalsOf.get(asset) ?? this.opts.defaultAssetDecimals;
  }

  /** Exact decimal string → atoms of `asset` (throws when finer than an atom). */
  toAtoms(asset: string, amount: string): bigint {
    const neg = amount.startsWith('-');
    const v = toUnits(neg ? amount.slice(1) : amount, atomStep(this.assetDecimals(asset)), asset);
    return neg ? -v : v;
  }

  /** Atoms of `asset` → exact decimal string. */
  fromAtoms(asset: string, atoms: bigint): string {
    return fromUnits(atoms, atomStep(this.assetDecimals(asset)));
  }

  /** The instrument; throws {@link UnknownInstrumentError}. */
  instrument(venue: string, symbol: string): Instrument {
    return this.info(venue, symbol).inst;
  }

  /** Quote atoms of `lots` at `priceTicks` (= priceTicks × lots × tickSize × lotSize, exact). */
  quoteAtoms(venue: string, symbol: string, priceTicks: number | bigint, lots: number | bigint): bigint {
    return BigInt(priceTicks) * BigInt(lots) * this.info(venue, symbol).quotePerTickLot;
  }

  /** Base atoms of `lots`. */
  baseAtoms(venue: string, symbol: string, lots: number | bigint): bigint {
    return BigInt(lots) * this.info(venue, symbol).basePerLot;
  }

  /** Adds `deltaAtoms` (may be negative) to a balance: deposits, withdrawals, reconciliation. */
  adjustBalance(venue: string, asset: string, deltaAtoms: bigint): void {
    this.balanceRef(venue, asset).total += deltaAtoms;
  }

  /**
   * Locks (positive `lots`) or releases (negative) the funds an order of this side and price
   * reserves: a buy locks its quote notional at the order price, a sell its base quantity.
   */
  lockForOrder(venue: string, symbol: string, side: Side, priceTicks: number, lots: number): void {
    const i = this.info(venue, symbol);
    if (side === 'buy') this.balanceRef(venue, i.inst.quote).locked += BigInt(priceTicks) * BigInt(lots) * i.quotePerTickLot;
    else this.balanceRef(venue, i.inst.base).locked += BigInt(lots) * i.basePerLot;
  }

  /**
   * Applies a fill: moves base and quote, charges the fee (atoms of `feeAsset`), and updates the
   * position and realized PnL (average cost, see the class comment). Locks are separate
   * ({@link lockForOrder}). Throws {@link UnknownInstrumentError} for an unknown instrument.
   */
  applyFill(venue: string, symbol: string, side: Side, lots: number | bigint, priceTicks: number | bigint, feeAsset?: string, feeAtoms?: bigint): void {
    this.applyFillTickLots(venue, symbol, side, lots, BigInt(priceTicks) * BigInt(lots), feeAsset, feeAtoms);
  }

  /**
   * {@link applyFill} with the fill's size as Σ priceTicks × lots (`tickLots`), for aggregated fills
   * (a reconciliation's delta) whose average price need not be a whole number of ticks.
   */
  applyFillTickLots(venue: string, symbol: string, side: Side, lots: number | bigint, tickLots: bigint, feeAsset?: string, feeAtoms?: bigint): void {
    const i = this.info(venue, symbol);
    const l = BigInt(lots);
    const notional = tickLots * i.quotePerTickLot;
    const base = l * i.basePerLot;
    const b = this.balanceRef(venue, i.inst.base);
    const q = this.balanceRef(venue, i.inst.quote);
    if (side === 'buy') {
      b.total += base;
      q.total -= notional;
    } else {
      b.total -= base;
      q.total += notional;
    }
    if (feeAsset !== undefined && feeAtoms !== undefined) this.chargeFee(venue, feeAsset, feeAtoms);
    const p = this.positionRef(venue, symbol);
    const dq = side === 'buy' ? l : -l;
    const signedNotional = side === 'buy' ? notional : -notional;
    if (p.qtyLots === 0n || p.qtyLots > 0n === dq > 0n) {
      p.qtyLots += dq;
      p.costAtoms += signedNotional;
      return;
    }
    const open = abs(p.qtyLots);
    const closing = l < open ? l : open;
    // Cost released and notional of the closing part, truncated; the remainders stay in the books.
    const released = (p.costAtoms * closing) / open;
    const closeNotional = closing === l ? signedNotional : (signedNotional * closing) / l;
    // Closing a long (sell): realized = proceeds − cost. Closing a short (buy): cost is negative.
    p.realizedAtoms += -closeNotional - released;
    p.costAtoms -= released;
    p.qtyLots += side === 'buy' ? closing : -closing;
    if (closing < l) {
      p.qtyLots += side === 'buy' ? l - closing : -(l - closing);
      p.costAtoms += signedNotional - closeNotional;
    }
  }

  /** Debits a fee (atoms of `asset`) and adds it to the fees paid on `venue`. */
  chargeFee(venue: string, asset: string, atoms: bigint): void {
    if (atoms === 0n) return;
    this.balanceRef(venue, asset).total -= atoms;
    let f = this.feesPaid.get(venue);
    if (f === undefined) this.feesPaid.set(venue, (f = new Map()));
    f.set(asset, (f.get(asset) ?? 0n) + atoms);
  }

  /** A copy of the balance (zero when never touched). */
  balance(venue: string, asset: string): Balance {
    const b = this.balances.get(venue)?.get(asset);
    return b === undefined ? { total: 0n, locked: 0n } : { total: b.total, locked: b.locked };
  }

  /** Total minus locked. */
  freeBalance(venue: string, asset: string): bigint {
    const b = this.balances.get(venue)?.get(asset);
    return b === undefined ? 0n : b.total - b.locked;
  }

  /** A copy of the position (flat when never touched). */
  position(venue: string, symbol: string): Position {
    const p = this.positions.get(venue)?.get(symbol);
    return p === undefined ? { qtyLots: 0n, costAtoms: 0n, realizedAtoms: 0n } : { ...p };
  }

  /** Unrealized PnL in quote atoms at mark price `markTicks`: market value − cost. */
  unrealizedAtoms(venue: string, symbol: string, markTicks: number | bigint): bigint {
    const p = this.positions.get(venue)?.get(symbol);
    if (p === undefined) return 0n;
    return p.qtyLots * BigInt(markTicks) * this.info(venue, symbol).quotePerTickLot - p.costAtoms;
  }

  /** Fees paid on `venue` in `asset`, in atoms. */
  fees(venue: string, asset: string): bigint {
    return this.feesPaid.get(venue)?.get(asset) ?? 0n;
  }

  /** Every venue/asset balance (for reconciliation against a venue's ledger). */
  *allBalances(): IterableIterator<{ venue: string; asset: string; balance: Balance }> {
    for (const [venue, m] of this.balances) for (const [asset, b] of m) yield { venue, asset, balance: { ...b } };
  }

  /** Every venue/symbol position. */
  *allPositions(): IterableIterator<{ venue: string; symbol: string; position: Position }> {
    for (const [venue, m] of this.positions) for (const [symbol, p] of m) yield { venue, symbol, position: { ...p } };
  }

  /** JSON-safe state (bigints as decimal strings) for snapshots and comparisons. */
  toJSON(): PortfolioState {
    const out: PortfolioState = { balances: [], positions: [], fees: [] };
    for (const [venue, m] of this.balances) for (const [asset, b] of m) out.balances.push([venue, asset, b.total.toString(), b.locked.toString()]);
    for (const [venue, m] of this.positions) {
      for (const [symbol, p] of m) out.positions.push([venue, symbol, p.qtyLots.toString(), p.costAtoms.toString(), p.realizedAtoms.toString()]);
    }
    for (const [venue, m] of this.feesPaid) for (const [asset, f] of m) out.fees.push([venue, asset, f.toString()]);
    return out;
  }

  /** Replaces the state with one from {@link toJSON}. */
  restore(s: PortfolioState): void {
    this.balances.clear();
    this.positions.clear();
    this.feesPaid.clear();
    for (const [venue, asset, total, locked] of s.balances) {
      const b = this.balanceRef(venue, asset);
      b.total = BigInt(total);
      b.locked = BigInt(locked);
    }
    for (const [venue, symbol, qty, cost, realized] of s.positions) {
      const p = this.positionRef(venue, symbol);
      p.qtyLots = BigInt(qty);
      p.costAtoms = BigInt(cost);
      p.realizedAtoms = BigInt(realized);
    }
    for (const [venue, asset, f] of s.fees) {
      let m = this.feesPaid.get(venue);
      if (m === undefined) this.feesPaid.set(venue, (m = new Map()));
      m.set(asset, BigInt(f));
    }
  }

  private info(venue: string, symbol: string): InstrumentInfo {
    // The order path asks for the same instrument several times per order: the last answer is
    // kept, so those lookups build no key string.
    const last = this.lastInfo;
    if (last !== undefined && last.inst.venue === venue && last.inst.symbol === symbol) return last;
    const i = this.instruments.get(key(venue, symbol));
    if (i === undefined) throw new UnknownInstrumentError(venue, symbol);
    this.lastInfo = i;
    return i;
  }

  private balanceRef(venue: string, asset: string): Balance {
    let m = this.balances.get(venue);
    if (m === undefined) this.balances.set(venue, (m = new Map()));
    let b = m.get(asset);
    if (b === undefined) m.set(asset, (b = { total: 0n, locked: 0n }));
    return b;
  }

  private positionRef(venue: string, symbol: string): Position {
    let m = this.positions.get(venue);
    if (m === undefined) this.positions.set(venue, (m = new Map()));
    let p = m.get(symbol);
    if (p === undefined) m.set(symbol, (p = { qtyLots: 0n, costAtoms: 0n, realizedAtoms: 0n }));
    return p;
  }
}

/** Serialized {@link Portfolio} state: tuples with bigints as decimal strings. */
export interface PortfolioState {
  balances: [venue: string, asset: string, total: string, locked: string][];
  positions: [venue: string, symbol: string, qtyLots: string, costAtoms: string, realizedAtoms: string][];
  fees: [venue: string, asset: string, atoms: string][];
}

function key(venue: string, symbol: string): string {
  return `${venue}\u0000${symbol}`;
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function atomStep(d: number): string {
  return d === 0 ? '1' : `0.${'0'.repeat(d - 1)}1`;
}
