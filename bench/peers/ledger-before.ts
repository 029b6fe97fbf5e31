/** Peer for bench/matching-engine.bench.ts: as it was before issue 13 (verbatim copy, imports adjusted). Not used by the product. */
import { type Accounts, type BalanceObserver, FEE_ACCOUNT } from '../../simulators/venue/accounts.js';
import { formatAtoms, type InstrumentRegistry } from './instruments-before.js';
import type { SimOrder } from '../../simulators/venue/order.js';

/** Accounts of background participants start with this prefix; their closed orders are not kept. */
export const HOUSE_PREFIX = 'house:';

/** One balance change of a client account, in decimal strings (exact, 8 decimals). */
export interface LedgerEntry {
  seq: number;
  /** Venue epoch ms. */
  time: number;
  account: string;
  asset: string;
  freeDelta: string;
  lockedDelta: string;
  /** `deposit`, `lock`, `unlock`, `trade`, `fee`, ... */
  reason: string;
  /** Order id the change belongs to (0 for deposits). */
  orderId: number;
}

/** A fill as the ledger JSON prints it. */
export interface LedgerFill {
  tradeId: number;
  price: string;
  qty: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  isMaker: boolean;
  time: number;
}

/** An order as the ledger JSON prints it (Binance field names where Binance has one). */
export interface LedgerOrder {
  orderId: number;
  clientOrderId: string;
  account: string;
  symbol: string;
  side: string;
  type: string;
  timeInForce: string;
  price: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: string;
  time: number;
  updateTime: number;
  traceparent: string | null;
  fills: LedgerFill[];
}

/** The full ledger of one venue, stable JSON for reconciliation (issue 8's chaos runner). */
export interface LedgerSnapshot {
  venue: string;
  time: number;
  orders: LedgerOrder[];
  balances: Record<string, Record<string, { free: string; locked: string }>>;
  entries: LedgerEntry[];
  /** Fees collected by the venue, per asset. */
  fees: Record<string, string>;
  /** Per asset: sum of all balances (house and fee account included) and net deposits. Equal when reconciled. */
  totals: Record<string, { balances: string; deposits: string }>;
  reconciled: boolean;
}

/** A balance change as recorded: integers, formatted only when a snapshot is taken (off the order path). */
export interface RawEntry {
  seq: number;
  time: number;
  account: string;
  asset: string;
  freeDelta: bigint;
  lockedDelta: bigint;
  reason: string;
  orderId: number;
}

/**
 * Records every order, fill and balance change of the client accounts of one venue. Background
 * participants' (`house:`) closed orders and balance moves are not kept (they would grow without
 * bound); their balances still appear in `balances` and in the conservation totals.
 */
export class Ledger implements BalanceObserver {
  private readonly orders = new Map<number, SimOrder>();
  private readonly entries: RawEntry[] = [];
  private seq = 0;
  private readonly now: () => number;
  /** Receives every recorded entry as it is recorded (a durable venue's log). */
  sink: ((e: RawEntry) => void) | undefined;

  constructor(
    private readonly venue: string,
    private readonly accounts: Accounts,
    private readonly instruments: InstrumentRegistry,
    now: () => number,
  ) {
    this.now = now;
    accounts.observe(this);
  }

  /** Called by {@link Accounts} on every change. */
  onBalanceChange(account: string, asset: string, freeDelta: bigint, lockedDelta: bigint, reason: string, ref: number): void {
    if (account.startsWith(HOUSE_PREFIX) || account === FEE_ACCOUNT) return;
    const e: RawEntry = { seq: ++this.seq, time: this.now(), account, asset, freeDelta, lockedDelta, reason, orderId: ref };
    this.entries.push(e);
    this.sink?.(e);
  }

  /** Puts back entries restored from a durable venue's log (balances are restored separately). */
  restoreEntries(entries: readonly RawEntry[]): void {
    for (const e of entries) {
      this.entries.push(e);
      if (e.seq > this.seq) this.seq = e.seq;
    }
  }

  /** Every recorded entry (a durable venue's snapshot). */
  rawEntries(): readonly RawEntry[] {
    return this.entries;
  }

  /** Every client order the ledger keeps (a durable venue's snapshot). */
  clientOrders(): SimOrder[] {
    return [...this.orders.values()].filter((o) => !o.house);
  }

  /** Registers an order (client orders are kept for good; house orders only while open). */
  recordOrder(o: SimOrder): void {
    this.orders.set(o.orderId, o);
  }

  /** Called when an order closes; house orders are forgotten then. */
  closeOrder(o: SimOrder): void {
    if (o.house) this.orders.delete(o.orderId);
  }

  /** Number of balance entries recorded. */
  get entryCount(): number {
    return this.entries.length;
  }

  /** Full JSON-safe snapshot; `account` restricts orders, entries and balances to one account. */
  snapshot(account?: string): LedgerSnapshot {
    const orders: LedgerOrder[] = [];
    for (const o of this.orders.values()) {
      if (o.house || (account !== undefined && o.account !== account)) continue;
      orders.push(this.renderOrder(o));
    }
    orders.sort((a, b) => a.orderId - b.orderId);
    const balances: LedgerSnapshot['balances'] = {};
    for (const acct of this.accounts.accounts().sort()) {
      if (account !== undefined && acct !== account) continue;
      const row: Record<string, { free: string; locked: string }> = {};
      for (const [asset, b] of [...this.accounts.of(acct)].sort((x, y) => (x[0] < y[0] ? -1 : 1))) row[asset] = { free: formatAtoms(b.free), locked: formatAtoms(b.locked) };
      balances[acct] = row;
    }
    const fees: Record<string, string> = {};
    for (const [asset, b] of this.accounts.of(FEE_ACCOUNT)) fees[asset] = formatAtoms(b.free + b.locked);
    const totals: LedgerSnapshot['totals'] = {};
    const t = this.accounts.totals();
    const d = this.accounts.deposits();
    let reconciled = true;
    for (const asset of [...new Set([...t.keys(), ...d.keys()])].sort()) {
      const bal = t.get(asset) ?? 0n;
      const dep = d.get(asset) ?? 0n;
      if (bal !== dep) reconciled = false;
      totals[asset] = { balances: formatAtoms(bal), deposits: formatAtoms(dep) };
    }
    const entries: LedgerEntry[] = [];
    for (const e of this.entries) {
      if (account !== undefined && e.account !== account) continue;
      entries.push({ seq: e.seq, time: e.time, account: e.account, asset: e.asset, freeDelta: formatAtoms(e.freeDelta), lockedDelta: formatAtoms(e.lockedDelta), reason: e.reason, orderId: e.orderId });
    }
    return { venue: this.venue, time: this.now(), orders, balances, entries, fees, totals, reconciled };
  }

  private renderOrder(o: SimOrder): LedgerOrder {
    const ins = this.instruments.get(o.symbol)!;
    return {
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      account: o.account,
      symbol: o.symbol,
      side: o.side,
      type: o.type,
      timeInForce: o.timeInForce,
      price: ins.priceString(o.priceTicks),
      origQty: ins.qtyString(o.origLots),
      executedQty: ins.qtyString(o.executedLots),
      cummulativeQuoteQty: formatAtoms(o.cumQuoteAtoms),
      status: o.status,
      time: o.time,
      updateTime: o.updateTime,
      traceparent: o.traceparent ?? null,
      fills: o.fills.map((f) => ({
        tradeId: f.tradeId,
        price: ins.priceString(f.priceTicks),
        qty: ins.qtyString(f.lots),
        quoteQty: formatAtoms(f.quoteAtoms),
        commission: formatAtoms(f.commission),
        commissionAsset: f.commissionAsset,
        isMaker: f.isMaker,
        time: f.time,
      })),
    };
  }
}
