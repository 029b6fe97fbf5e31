import { formatAtoms, type InstrumentRegistry } from './instruments.js';
import type { SimOrder } from './order.js';

/**
 * How much client history a venue keeps in full (per venue). Closed orders and balance entries
 * past the window are folded into {@link CompactedSums}; open orders are never compacted.
 */
export interface LedgerRetention {
  /** Client orders kept in full (open orders always are; the oldest closed ones are compacted first). */
  orders: number;
  /** Balance entries kept in full (the oldest are compacted in blocks of 16,384). */
  entries: number;
  /** Closed orders whose last change is older than this (venue ms) are compacted whatever the count; 0 = no age limit. */
  maxAgeMs: number;
}

/** Per account and symbol: what the compacted orders traded (lots and quote atoms, per side). */
export interface CompactedFlows {
  boughtLots: bigint;
  soldLots: bigint;
  boughtQuote: bigint;
  soldQuote: bigint;
}

/** Per account and asset: the sum of the compacted balance entries. */
export interface CompactedBalance {
  free: bigint;
  locked: bigint;
  /** The part of free + locked that came from deposits (entries with order id 0). */
  deposits: bigint;
}

/** Per account: what its compacted orders and entries add up to. */
export interface CompactedAccount {
  orders: number;
  statuses: Map<string, number>;
  symbols: Map<string, CompactedFlows>;
  /** Fees charged on the compacted orders' fills, per asset. */
  commissions: Map<string, bigint>;
  entries: Map<string, CompactedBalance>;
}

/** {@link CompactedSums} as JSON (bigints as decimal integer strings): the durable snapshot's form. */
export interface StoredCompacted {
  orders: number;
  throughOrderId: number;
  entries: number;
  throughSeq: number;
  accounts: Record<
    string,
    {
      orders: number;
      statuses: Record<string, number>;
      symbols: Record<string, [string, string, string, string]>;
      commissions: Record<string, string>;
      entries: Record<string, [string, string, string]>;
    }
  >;
}

/** {@link CompactedSums} as the ledger JSON prints it (decimal strings, quantities in the symbol's units). */
export interface LedgerCompacted {
  /** Client orders compacted: closed, no longer listed in `orders`, no longer answered by the API (-2013). */
  orders: number;
  /** Highest compacted order id: a client order id at or below it that `orders` lacks was compacted (or never existed). */
  throughOrderId: number;
  /** Balance entries compacted (not listed in `entries`). */
  entries: number;
  /** Highest compacted entry seq. */
  throughSeq: number;
  accounts: Record<
    string,
    {
      orders: number;
      statuses: Record<string, number>;
      /** Per venue symbol: base quantity bought and sold, quote amount paid and received (before fees). */
      symbols: Record<string, { boughtQty: string; soldQty: string; boughtQuote: string; soldQuote: string }>;
      commissions: Record<string, string>;
      /** Per asset: the sum of the compacted entries (free, locked) and the deposits among them. */
      entries: Record<string, { free: string; locked: string; deposits: string }>;
    }
  >;
}

/**
 * Running sums of what a venue's ledger no longer keeps in full: per account, the compacted
 * orders' count, statuses, traded flows per symbol and fees, and the sum of the compacted balance
 * entries per asset. Integers throughout (lots, atoms), so `sums + Σ kept entries = balance`
 * holds exactly for every account and asset.
 */
export class CompactedSums {
  orders = 0;
  throughOrderId = 0;
  entries = 0;
  throughSeq = 0;
  readonly accounts = new Map<string, CompactedAccount>();
  /** The last account looked up (consecutive orders and entries are mostly one account's). */
  private lastName = '';
  private last: CompactedAccount | undefined;

  private account(a: string): CompactedAccount {
    if (a === this.lastName && this.last !== undefined) return this.last;
    let c = this.accounts.get(a);
    if (c === undefined) {
      c = { orders: 0, statuses: new Map(), symbols: new Map(), commissions: new Map(), entries: new Map() };
      this.accounts.set(a, c);
    }
    this.lastName = a;
    this.last = c;
    return c;
  }

  /** Folds a closed order in (its fills' lots, quote and fees). */
  addOrder(o: SimOrder): void {
    const c = this.account(o.account);
    c.orders++;
    c.statuses.set(o.status, (c.statuses.get(o.status) ?? 0) + 1);
    let f = c.symbols.get(o.symbol);
    if (f === undefined) {
      f = { boughtLots: 0n, soldLots: 0n, boughtQuote: 0n, soldQuote: 0n };
      c.symbols.set(o.symbol, f);
    }
    // The order's totals are the sums of its fills (the engine adds each fill to both): one bigint
    // conversion per order instead of one per fill. Every fill of an order is charged in one asset.
    const fills = o.fills;
    if (fills.length !== 0) {
      if (o.side === 'BUY') {
        f.boughtLots += BigInt(o.executedLots);
        f.boughtQuote += o.cumQuoteAtoms;
      } else {
        f.soldLots += BigInt(o.executedLots);
        f.soldQuote += o.cumQuoteAtoms;
      }
      let fee = 0n;
      for (let i = 0; i < fills.length; i++) {
        const x = fills[i]!;
        if (x.commission === 0n) continue;
        if (x.commissionAsset !== fills[0]!.commissionAsset) c.commissions.set(x.commissionAsset, (c.commissions.get(x.commissionAsset) ?? 0n) + x.commission);
        else fee += x.commission;
      }
      if (fee !== 0n) c.commissions.set(fills[0]!.commissionAsset, (c.commissions.get(fills[0]!.commissionAsset) ?? 0n) + fee);
    }
    this.orders++;
    if (o.orderId > this.throughOrderId) this.throughOrderId = o.orderId;
  }

  /** Folds one balance entry in. */
  addEntry(seq: number, account: string, asset: string, free: bigint, locked: bigint, orderId: number): void {
    this.addEntries(account, asset, free, locked, orderId === 0 ? free + locked : 0n, 1, seq);
  }

  /**
   * Folds `count` balance entries of one account and asset in at once: their summed deltas, the
   * part of them from deposits and their highest seq (a ledger folding a block of entries).
   */
  addEntries(account: string, asset: string, free: bigint, locked: bigint, deposits: bigint, count: number, maxSeq: number): void {
    const c = this.account(account);
    let b = c.entries.get(asset);
    if (b === undefined) {
      b = { free: 0n, locked: 0n, deposits: 0n };
      c.entries.set(asset, b);
    }
    b.free += free;
    b.locked += locked;
    b.deposits += deposits;
    this.entries += count;
    if (maxSeq > this.throughSeq) this.throughSeq = maxSeq;
  }

  /** The durable form. */
  stored(): StoredCompacted {
    const accounts: StoredCompacted['accounts'] = {};
    for (const [a, c] of this.accounts) {
      const symbols: Record<string, [string, string, string, string]> = {};
      for (const [s, f] of c.symbols) symbols[s] = [f.boughtLots.toString(), f.soldLots.toString(), f.boughtQuote.toString(), f.soldQuote.toString()];
      const entries: Record<string, [string, string, string]> = {};
      for (const [s, b] of c.entries) entries[s] = [b.free.toString(), b.locked.toString(), b.deposits.toString()];
      accounts[a] = { orders: c.orders, statuses: Object.fromEntries(c.statuses), symbols, commissions: Object.fromEntries([...c.commissions].map(([k, v]) => [k, v.toString()])), entries };
    }
    return { orders: this.orders, throughOrderId: this.throughOrderId, entries: this.entries, throughSeq: this.throughSeq, accounts };
  }

  /** Replaces the sums with a durable form read back. */
  restore(s: StoredCompacted): void {
    this.orders = s.orders;
    this.throughOrderId = s.throughOrderId;
    this.entries = s.entries;
    this.throughSeq = s.throughSeq;
    this.accounts.clear();
    this.last = undefined;
    for (const [a, x] of Object.entries(s.accounts)) {
      const c = this.account(a);
      c.orders = x.orders;
      for (const [k, v] of Object.entries(x.statuses)) c.statuses.set(k, v);
      for (const [k, v] of Object.entries(x.symbols)) c.symbols.set(k, { boughtLots: BigInt(v[0]), soldLots: BigInt(v[1]), boughtQuote: BigInt(v[2]), soldQuote: BigInt(v[3]) });
      for (const [k, v] of Object.entries(x.commissions)) c.commissions.set(k, BigInt(v));
      for (const [k, v] of Object.entries(x.entries)) c.entries.set(k, { free: BigInt(v[0]), locked: BigInt(v[1]), deposits: BigInt(v[2]) });
    }
  }

  /** The ledger JSON's `compacted` (optionally one account). */
  render(instruments: InstrumentRegistry, account?: string): LedgerCompacted {
    const accounts: LedgerCompacted['accounts'] = {};
    for (const [a, c] of [...this.accounts].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      if (account !== undefined && a !== account) continue;
      const symbols: LedgerCompacted['accounts'][string]['symbols'] = {};
      for (const [s, f] of c.symbols) {
        const ins = instruments.get(s);
        const qty = (lots: bigint): string => (ins === undefined ? lots.toString() : formatAtoms(lots * ins.lotAtoms));
        symbols[s] = { boughtQty: qty(f.boughtLots), soldQty: qty(f.soldLots), boughtQuote: formatAtoms(f.boughtQuote), soldQuote: formatAtoms(f.soldQuote) };
      }
      const entries: Record<string, { free: string; locked: string; deposits: string }> = {};
      for (const [s, b] of c.entries) entries[s] = { free: formatAtoms(b.free), locked: formatAtoms(b.locked), deposits: formatAtoms(b.deposits) };
      accounts[a] = { orders: c.orders, statuses: Object.fromEntries(c.statuses), symbols, commissions: Object.fromEntries([...c.commissions].map(([k, v]) => [k, formatAtoms(v)])), entries };
    }
    return { orders: this.orders, throughOrderId: this.throughOrderId, entries: this.entries, throughSeq: this.throughSeq, accounts };
  }
}

/** Compacted order statuses are closed ones: whether `o` may be compacted. */
export function isClosed(o: SimOrder): boolean {
  return o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED';
}
