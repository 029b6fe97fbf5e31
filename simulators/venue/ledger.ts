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

/** Entries per chunk of {@link EntryColumns} (a power of two: index → chunk by shift and mask). */
const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

/** One fixed-size block of entry columns. */
class EntryChunk {
  readonly seq = new Float64Array(CHUNK);
  readonly time = new Float64Array(CHUNK);
  readonly orderId = new Float64Array(CHUNK);
  readonly free = new BigInt64Array(CHUNK);
  readonly locked = new BigInt64Array(CHUNK);
  /** Account, asset and reason as ids into the string table (a handful of distinct values, repeated). */
  readonly account = new Uint32Array(CHUNK);
  readonly asset = new Uint32Array(CHUNK);
  readonly reason = new Uint32Array(CHUNK);
}

/**
 * Balance entries in columns: numbers in typed arrays, deltas in `BigInt64Array`s (a bigint written
 * there is copied, not kept), strings as ids into a table of the distinct ones. A client operation
 * records several entries and the ledger keeps them all, so one object (plus two heap bigints) per
 * entry was most of what the old-generation GC had to trace; here an entry costs no object at all.
 * The columns are fixed-size chunks added as the ledger grows: nothing is ever copied to grow (a
 * doubling array copied every column again at each doubling). A delta beyond int64 (9.2e10 units
 * of an asset at 1e-8) is kept exactly in a side map instead.
 */
class EntryColumns {
  length = 0;
  private readonly chunks: EntryChunk[] = [];
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  /** Last string interned per column and its id: consecutive entries mostly repeat them (same object, compared by reference first). */
  private lastAccount = '';
  private lastAccountId = -1;
  private lastAsset = '';
  private lastAssetId = -1;
  private lastReason = '';
  private lastReasonId = -1;
  /** Entries whose deltas do not fit int64: index → [free, locked]. */
  private readonly wide = new Map<number, [bigint, bigint]>();

  push(seq: number, time: number, account: string, asset: string, freeDelta: bigint, lockedDelta: bigint, reason: string, orderId: number): void {
    const n = this.length;
    const j = n & CHUNK_MASK;
    if (j === 0 && n >>> CHUNK_BITS === this.chunks.length) this.chunks.push(new EntryChunk());
    const c = this.chunks[n >>> CHUNK_BITS]!;
    c.seq[j] = seq;
    c.time[j] = time;
    c.orderId[j] = orderId;
    if (freeDelta > MAX_I64 || freeDelta < MIN_I64 || lockedDelta > MAX_I64 || lockedDelta < MIN_I64) {
      this.wide.set(n, [freeDelta, lockedDelta]);
      c.free[j] = 0n;
      c.locked[j] = 0n;
    } else {
      c.free[j] = freeDelta;
      c.locked[j] = lockedDelta;
    }
    if (account !== this.lastAccount || this.lastAccountId < 0) {
      this.lastAccount = account;
      this.lastAccountId = this.intern(account);
    }
    c.account[j] = this.lastAccountId;
    if (asset !== this.lastAsset || this.lastAssetId < 0) {
      this.lastAsset = asset;
      this.lastAssetId = this.intern(asset);
    }
    c.asset[j] = this.lastAssetId;
    if (reason !== this.lastReason || this.lastReasonId < 0) {
      this.lastReason = reason;
      this.lastReasonId = this.intern(reason);
    }
    c.reason[j] = this.lastReasonId;
    this.length = n + 1;
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
    const c = this.chunks[i >>> CHUNK_BITS]!;
    const j = i & CHUNK_MASK;
    const w = this.wide.size === 0 ? undefined : this.wide.get(i);
    const freeDelta = w === undefined ? c.free[j]! : w[0];
    const lockedDelta = w === undefined ? c.locked[j]! : w[1];
    return { seq: c.seq[j]!, time: c.time[j]!, account: this.strings[c.account[j]!]!, asset: this.strings[c.asset[j]!]!, freeDelta, lockedDelta, reason: this.strings[c.reason[j]!]!, orderId: c.orderId[j]! };
  }

  accountAt(i: number): string {
    return this.strings[this.chunks[i >>> CHUNK_BITS]!.account[i & CHUNK_MASK]!]!;
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

  /** Number of client orders kept. */
  get orderCount(): number {
    return this.orders.length;
  }

  /** Client order `i` in recording order (ascending order id), without copying the list. */
  orderAt(i: number): SimOrder {
    return this.orders[i]!;
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
