import { type Accounts, type BalanceObserver, FEE_ACCOUNT } from './accounts.js';
import { formatAtoms, type InstrumentRegistry } from './instruments.js';
import type { SimOrder } from './order.js';

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
 * Balance entries in columns: numbers in growable typed arrays, deltas in `BigInt64Array`s (a
 * bigint written there is copied, not kept), strings as ids into a table of the distinct ones. A client operation records
 * several entries and the ledger keeps them all, so one object (plus two heap bigints) per entry
 * was most of what the old-generation GC had to trace; here an entry costs no object at all.
 * A delta beyond int64 (9.2e10 units of an asset at 1e-8) is kept exactly in a side map instead.
 */
class EntryColumns {
  length = 0;
  private cap = 1024;
  private seq = new Float64Array(this.cap);
  private time = new Float64Array(this.cap);
  private orderId = new Float64Array(this.cap);
  private free = new BigInt64Array(this.cap);
  private locked = new BigInt64Array(this.cap);
  /** Account, asset and reason as ids into {@link strings} (a handful of distinct values, repeated). */
  private account = new Uint32Array(this.cap);
  private asset = new Uint32Array(this.cap);
  private reason = new Uint32Array(this.cap);
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  /** Entries whose deltas do not fit int64: index → [free, locked]. */
  private readonly wide = new Map<number, [bigint, bigint]>();

  push(seq: number, time: number, account: string, asset: string, freeDelta: bigint, lockedDelta: bigint, reason: string, orderId: number): void {
    const i = this.length;
    if (i === this.cap) this.grow();
    this.seq[i] = seq;
    this.time[i] = time;
    this.orderId[i] = orderId;
    if (freeDelta > MAX_I64 || freeDelta < MIN_I64 || lockedDelta > MAX_I64 || lockedDelta < MIN_I64) {
      this.wide.set(i, [freeDelta, lockedDelta]);
      this.free[i] = 0n;
      this.locked[i] = 0n;
    } else {
      this.free[i] = freeDelta;
      this.locked[i] = lockedDelta;
    }
    this.account[i] = this.intern(account);
    this.asset[i] = this.intern(asset);
    this.reason[i] = this.intern(reason);
    this.length = i + 1;
  }

  private intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** Entry `i` as an object (off the order path: snapshots and durable state). */
  at(i: number): RawEntry {
    const w = this.wide.size === 0 ? undefined : this.wide.get(i);
    const freeDelta = w === undefined ? this.free[i]! : w[0];
    const lockedDelta = w === undefined ? this.locked[i]! : w[1];
    return { seq: this.seq[i]!, time: this.time[i]!, account: this.strings[this.account[i]!]!, asset: this.strings[this.asset[i]!]!, freeDelta, lockedDelta, reason: this.strings[this.reason[i]!]!, orderId: this.orderId[i]! };
  }

  accountAt(i: number): string {
    return this.strings[this.account[i]!]!;
  }

  private grow(): void {
    this.cap *= 2;
    const f = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(this.cap);
      b.set(a);
      return b;
    };
    const g = (a: BigInt64Array): BigInt64Array<ArrayBuffer> => {
      const b = new BigInt64Array(this.cap);
      b.set(a);
      return b;
    };
    this.seq = f(this.seq);
    this.time = f(this.time);
    this.orderId = f(this.orderId);
    const u = (a: Uint32Array): Uint32Array<ArrayBuffer> => {
      const b = new Uint32Array(this.cap);
      b.set(a);
      return b;
    };
    this.free = g(this.free);
    this.locked = g(this.locked);
    this.account = u(this.account);
    this.asset = u(this.asset);
    this.reason = u(this.reason);
  }
}

const MAX_I64 = 2n ** 63n - 1n;
const MIN_I64 = -(2n ** 63n);

/**
 * Records every order, fill and balance change of the client accounts of one venue. Background
 * participants' (`house:`) orders and balance moves are not kept (they would grow without bound);
 * their balances still appear in `balances` and in the conservation totals.
 */
export class Ledger implements BalanceObserver {
  /** Client orders in the order they were recorded (ascending order id: the engine issues them so). */
  private readonly orders: SimOrder[] = [];
  private readonly entries = new EntryColumns();
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
    const seq = ++this.seq;
    const time = this.now();
    this.entries.push(seq, time, account, asset, freeDelta, lockedDelta, reason, ref);
    if (this.sink !== undefined) this.sink({ seq, time, account, asset, freeDelta, lockedDelta, reason, orderId: ref });
  }

  /** Puts back entries restored from a durable venue's log (balances are restored separately). */
  restoreEntries(entries: readonly RawEntry[]): void {
    for (const e of entries) {
      this.entries.push(e.seq, e.time, e.account, e.asset, e.freeDelta, e.lockedDelta, e.reason, e.orderId);
      if (e.seq > this.seq) this.seq = e.seq;
    }
  }

  /** Every recorded entry (a durable venue's snapshot; builds the objects, so not for a hot path). */
  rawEntries(): readonly RawEntry[] {
    const out: RawEntry[] = new Array<RawEntry>(this.entries.length);
    for (let i = 0; i < this.entries.length; i++) out[i] = this.entries.at(i);
    return out;
  }

  /** Every client order the ledger keeps (a durable venue's snapshot). */
  clientOrders(): SimOrder[] {
    return this.orders.slice();
  }

  /** Registers an order: client orders are kept for good, house orders not at all (no snapshot shows them). */
  recordOrder(o: SimOrder): void {
    if (!o.house) this.orders.push(o);
  }

  /** Number of balance entries recorded. */
  get entryCount(): number {
    return this.entries.length;
  }

  /** Full JSON-safe snapshot; `account` restricts orders, entries and balances to one account. */
  snapshot(account?: string): LedgerSnapshot {
    const orders: LedgerOrder[] = [];
    for (const o of this.orders) {
      if (account !== undefined && o.account !== account) continue;
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
    for (let i = 0; i < this.entries.length; i++) {
      if (account !== undefined && this.entries.accountAt(i) !== account) continue;
      const e = this.entries.at(i);
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
