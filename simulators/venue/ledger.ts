import { type Accounts, type BalanceObserver, FEE_ACCOUNT } from './accounts.js';
import { formatAtoms, type InstrumentRegistry } from './instruments.js';
import type { SimOrder } from './order.js';
import { CompactedSums, isClosed, type LedgerCompacted, type LedgerRetention, type StoredCompacted } from './retention.js';

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
  /**
   * What the venue no longer keeps in full (its retention window, docs/simulator.md "Retention"):
   * per account, the closed orders compacted out of `orders` and the entries compacted out of
   * `entries`, as running sums. For every account and asset, the compacted entries' sum plus the
   * listed entries gives the balance exactly.
   */
  compacted: LedgerCompacted;
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
  /** The same deltas as 32-bit words (low word unsigned, high word signed), read when folding without a bigint per entry. */
  readonly freeWords = new Int32Array(this.free.buffer);
  readonly lockedWords = new Int32Array(this.locked.buffer);
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
  /** Global index one past the last entry (entries ever pushed). */
  length = 0;
  /** Global index of the first entry still kept (a multiple of the chunk size). */
  first = 0;
  /** Chunks from global chunk number `first >>> CHUNK_BITS` on. */
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
  /**
   * The last chunk dropped, reused for the next one needed: a bounded ledger drops and adds a chunk
   * every 16,384 entries, and eight fresh typed arrays (~850 KB, zero-filled) each time cost more
   * than the entries folded. Every slot is written before it is read, so the old values need no clearing.
   */
  private spare: EntryChunk | undefined;

  push(seq: number, time: number, account: string, asset: string, freeDelta: bigint, lockedDelta: bigint, reason: string, orderId: number): void {
    const n = this.length;
    const j = n & CHUNK_MASK;
    const k = (n - this.first) >>> CHUNK_BITS;
    if (j === 0 && k === this.chunks.length) {
      this.chunks.push(this.spare ?? new EntryChunk());
      this.spare = undefined;
    }
    const c = this.chunks[k]!;
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

  /** Entries kept. */
  get kept(): number {
    return this.length - this.first;
  }

  /**
   * Drops the oldest chunk when it is full and another follows, folding its entries into `into`
   * first; returns how many. The deltas are summed per account and asset from their 32-bit words
   * in doubles (16,384 words of < 2^32 each sum exactly below 2^53) and turned into bigints once per
   * account and asset, not once per entry: reading a `BigInt64Array` slot allocates a bigint, and
   * each bigint addition another.
   */
  dropChunk(into: CompactedSums): number {
    if (this.chunks.length < 2) return 0;
    const c = this.chunks[0]!;
    const base = this.first;
    const words = LITTLE_ENDIAN && this.strings.length < PAIR_SHIFT;
    const sums = this.sums;
    sums.reset();
    for (let j = 0; j < CHUNK; j++) {
      const w = this.wide.size === 0 ? undefined : this.wide.get(base + j);
      if (w !== undefined || !words) {
        if (w !== undefined) this.wide.delete(base + j);
        into.addEntry(c.seq[j]!, this.strings[c.account[j]!]!, this.strings[c.asset[j]!]!, w === undefined ? c.free[j]! : w[0], w === undefined ? c.locked[j]! : w[1], c.orderId[j]!);
        continue;
      }
      sums.add(c.account[j]! * PAIR_SHIFT + c.asset[j]!, c.freeWords[2 * j]! >>> 0, c.freeWords[2 * j + 1]!, c.lockedWords[2 * j]! >>> 0, c.lockedWords[2 * j + 1]!, c.orderId[j] === 0, c.seq[j]!);
    }
    for (let k = 0; k < sums.n; k++) {
      const key = sums.key[k]!;
      const account = this.strings[Math.floor(key / PAIR_SHIFT)]!;
      const asset = this.strings[key % PAIR_SHIFT]!;
      into.addEntries(account, asset, sums.free(k), sums.locked(k), sums.deposits(k), sums.count[k]!, sums.maxSeq[k]!);
    }
    this.chunks.shift();
    this.spare = c;
    this.first = base + CHUNK;
    return CHUNK;
  }

  /** Per account and asset sums of the chunk being folded (reused). */
  private readonly sums = new WordSums();

  /** Entry `i` (global index, {@link first} ≤ i < {@link length}) as an object (off the order path: snapshots and durable state). */
  at(i: number): RawEntry {
    const c = this.chunks[(i - this.first) >>> CHUNK_BITS]!;
    const j = i & CHUNK_MASK;
    const w = this.wide.size === 0 ? undefined : this.wide.get(i);
    const freeDelta = w === undefined ? c.free[j]! : w[0];
    const lockedDelta = w === undefined ? c.locked[j]! : w[1];
    return { seq: c.seq[j]!, time: c.time[j]!, account: this.strings[c.account[j]!]!, asset: this.strings[c.asset[j]!]!, freeDelta, lockedDelta, reason: this.strings[c.reason[j]!]!, orderId: c.orderId[j]! };
  }

  accountAt(i: number): string {
    return this.strings[this.chunks[(i - this.first) >>> CHUNK_BITS]!.account[i & CHUNK_MASK]!]!;
  }
}

/** Key of an (account id, asset id) pair: account × this + asset (ids below it). */
const PAIR_SHIFT = 1 << 20;
/** Whether an int64 is stored low word first (the word sums read it so; otherwise the bigint path folds). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TWO_32 = 2n ** 32n;

/** Exact sums of int64 deltas kept as separate low-word and high-word doubles, per key. */
class WordSums {
  n = 0;
  readonly key: number[] = [];
  private readonly slot = new Map<number, number>();
  private lastKey = -1;
  private lastSlot = -1;
  /** Per slot, in order: free lo, free hi, locked lo, locked hi, deposit lo, deposit hi (deposit = free + locked of order-id-0 entries). */
  private readonly w: number[] = [];
  readonly count: number[] = [];
  readonly maxSeq: number[] = [];

  reset(): void {
    this.n = 0;
    this.slot.clear();
    this.lastKey = -1;
    this.lastSlot = -1;
  }

  add(key: number, freeLo: number, freeHi: number, lockedLo: number, lockedHi: number, deposit: boolean, seq: number): void {
    let s: number;
    if (key === this.lastKey) s = this.lastSlot;
    else {
      const found = this.slot.get(key);
      if (found === undefined) {
        s = this.n++;
        this.slot.set(key, s);
        this.key[s] = key;
        const b = s * 6;
        for (let i = 0; i < 6; i++) this.w[b + i] = 0;
        this.count[s] = 0;
        this.maxSeq[s] = 0;
      } else s = found;
      this.lastKey = key;
      this.lastSlot = s;
    }
    const b = s * 6;
    const w = this.w;
    w[b] = w[b]! + freeLo;
    w[b + 1] = w[b + 1]! + freeHi;
    w[b + 2] = w[b + 2]! + lockedLo;
    w[b + 3] = w[b + 3]! + lockedHi;
    if (deposit) {
      w[b + 4] = w[b + 4]! + freeLo + lockedLo;
      w[b + 5] = w[b + 5]! + freeHi + lockedHi;
    }
    this.count[s] = this.count[s]! + 1;
    if (seq > this.maxSeq[s]!) this.maxSeq[s] = seq;
  }

  private big(s: number, i: number): bigint {
    return BigInt(this.w[s * 6 + i + 1]!) * TWO_32 + BigInt(this.w[s * 6 + i]!);
  }

  free(s: number): bigint {
    return this.big(s, 0);
  }

  locked(s: number): bigint {
    return this.big(s, 2);
  }

  deposits(s: number): bigint {
    return this.big(s, 4);
  }
}

const MAX_I64 = 2n ** 63n - 1n;
const MIN_I64 = -(2n ** 63n);

/**
 * Records the orders, fills and balance changes of the client accounts of one venue. Background
 * participants' (`house:`) orders and balance moves are not kept (they would grow without bound);
 * their balances still appear in `balances` and in the conservation totals.
 *
 * With a {@link LedgerRetention} the client history is bounded too: closed orders past the window
 * (count, age) and the oldest balance entries are folded into {@link CompactedSums}, so
 * `compacted sums + kept entries = balance` still holds exactly per account and asset. Without
 * one, everything is kept (the matching-engine benches and property tests).
 */
export class Ledger implements BalanceObserver {
  /**
   * Client orders kept, in the order they were recorded (ascending order id: the engine issues them
   * so), from index {@link head} on. Compaction removes from the front: it moves the head instead of
   * copying the kept orders into a new array, and the dead prefix is dropped in one copy once it is
   * more than half of the array (amortised: each copied order is paid for by a removed one).
   */
  private orders: SimOrder[] = [];
  /** Index of the first kept order in {@link orders}; the slots before it are cleared. */
  private head = 0;
  /**
   * {@link compactOrders}' scratch list of the orders that stay, reused by every call: written by
   * index and never truncated (setting an array's length to 0 frees its backing store, and the next
   * call would grow it again), cleared slot by slot after use so it holds no order.
   */
  private readonly keptScratch: SimOrder[] = [];
  private readonly entries = new EntryColumns();
  private seq = 0;
  private readonly now: () => number;
  /** What compaction folded away. */
  readonly compacted = new CompactedSums();
  /** Kept client orders above which {@link compactionDue} says so (the window plus slack, so each compaction removes a batch). */
  private readonly orderLimit: number;
  /** Slack between compactions: at least this many orders are recorded between two count-triggered compactions. */
  private readonly orderSlack: number;
  /**
   * Kept orders at which the next compaction is due: the limit, or more when open orders (never
   * compacted) fill the window, so a book of many resting orders is not rescanned after every operation.
   */
  private nextCompaction: number;
  /** Kept entries above which the oldest chunk is folded. */
  private readonly entryLimit: number;
  /** Receives every recorded entry as it is recorded (a durable venue's log). */
  sink: ((e: RawEntry) => void) | undefined;

  constructor(
    private readonly venue: string,
    private readonly accounts: Accounts,
    private readonly instruments: InstrumentRegistry,
    now: () => number,
    /** Bounded history (see the class comment); undefined keeps everything. */
    readonly retention?: LedgerRetention,
  ) {
    this.now = now;
    accounts.observe(this);
    this.orderSlack = retention === undefined ? Infinity : Math.max(256, retention.orders >>> 3);
    this.orderLimit = retention === undefined ? Infinity : retention.orders + this.orderSlack;
    this.nextCompaction = this.orderLimit;
    this.entryLimit = retention === undefined ? Infinity : retention.entries + CHUNK;
  }

  /** Called by {@link Accounts} on every change. */
  onBalanceChange(account: string, asset: string, freeDelta: bigint, lockedDelta: bigint, reason: string, ref: number): void {
    if (account.startsWith(HOUSE_PREFIX) || account === FEE_ACCOUNT) return;
    const seq = ++this.seq;
    const time = this.now();
    this.entries.push(seq, time, account, asset, freeDelta, lockedDelta, reason, ref);
    if (this.sink !== undefined) this.sink({ seq, time, account, asset, freeDelta, lockedDelta, reason, orderId: ref });
    if (this.entries.kept > this.entryLimit) this.compactEntries();
  }

  /** Puts back entries restored from a durable venue's log (balances are restored separately). */
  restoreEntries(entries: readonly RawEntry[]): void {
    for (const e of entries) {
      this.entries.push(e.seq, e.time, e.account, e.asset, e.freeDelta, e.lockedDelta, e.reason, e.orderId);
      if (e.seq > this.seq) this.seq = e.seq;
      if (this.entries.kept > this.entryLimit) this.compactEntries();
    }
  }

  /** Puts back the compacted sums of a durable venue's snapshot (before {@link restoreEntries}). */
  restoreCompacted(c: StoredCompacted): void {
    this.compacted.restore(c);
    if (c.throughSeq > this.seq) this.seq = c.throughSeq;
  }

  /** Folds the oldest full chunks of entries into {@link compacted} until at most the window (plus one chunk) is kept. */
  private compactEntries(): void {
    while (this.entries.kept > this.entryLimit) {
      if (this.entries.dropChunk(this.compacted) === 0) break;
    }
  }

  /** Whether enough client orders are kept that {@link compactOrders} would remove a batch by count. */
  get compactionDue(): boolean {
    return this.orders.length - this.head > this.nextCompaction;
  }

  /**
   * Folds closed client orders past the window into {@link compacted} and forgets them: the oldest
   * first, until at most `retention.orders` are kept, and every closed one whose last change is
   * older than `retention.maxAgeMs` at `now`. Open orders are never compacted. Each removed order is
   * handed to `onRemoved` as it is folded (the engine drops it from its indexes). Returns how many
   * were removed; none without a retention.
   */
  compactOrders(now: number, onRemoved?: (o: SimOrder) => void): number {
    const r = this.retention;
    if (r === undefined) return 0;
    const list = this.orders;
    const n = list.length;
    const start = this.head;
    const excess = n - start - r.orders;
    const cutoff = r.maxAgeMs > 0 ? now - r.maxAgeMs : -Infinity;
    // Orders before `i` that stay (open ones, or closed ones not old enough): few, moved up to `i`.
    const kept = this.keptScratch;
    let nk = 0;
    let removed = 0;
    let i = start;
    for (; i < n; i++) {
      const o = list[i]!;
      const byCount = removed < excess;
      // Created at or after the cutoff: so is every later order, and none of them is old enough.
      if (!byCount && o.time >= cutoff) break;
      if (isClosed(o) && (byCount || o.updateTime < cutoff)) {
        this.compacted.addOrder(o);
        if (onRemoved !== undefined) onRemoved(o);
        removed++;
      } else kept[nk++] = o;
    }
    if (removed !== 0) {
      // The kept ones go just before `i`, in their order; the slots before them are cleared.
      const h = i - nk;
      for (let k = 0; k < nk; k++) list[h + k] = kept[k]!;
      for (let k = start; k < h; k++) list[k] = undefined as unknown as SimOrder;
      this.head = h;
      if (h >= 1024 && h * 2 >= n) {
        list.copyWithin(0, h);
        list.length = n - h;
        this.head = 0;
      }
    }
    for (let k = 0; k < nk; k++) kept[k] = undefined as unknown as SimOrder;
    const count = this.orders.length - this.head;
    // A slack that grows with what had to stay (open orders): each compaction's scan of the kept
    // orders is paid for by at least a quarter as many new orders.
    this.nextCompaction = Math.max(this.orderLimit, count + Math.max(this.orderSlack, count >>> 2));
    return removed;
  }

  /** Every kept entry (a durable venue's snapshot; builds the objects, so not for a hot path). */
  rawEntries(): readonly RawEntry[] {
    const first = this.entries.first;
    const out: RawEntry[] = new Array<RawEntry>(this.entries.kept);
    for (let i = first; i < this.entries.length; i++) out[i - first] = this.entries.at(i);
    return out;
  }

  /** Every client order the ledger keeps (a durable venue's snapshot). */
  clientOrders(): SimOrder[] {
    return this.orders.slice(this.head);
  }

  /** Number of client orders kept. */
  get orderCount(): number {
    return this.orders.length - this.head;
  }

  /** Client order `i` in recording order (ascending order id), without copying the list. */
  orderAt(i: number): SimOrder {
    return this.orders[this.head + i]!;
  }

  /** Registers an order: client orders are kept (until compacted), house orders not at all (no snapshot shows them). */
  recordOrder(o: SimOrder): void {
    if (!o.house) this.orders.push(o);
  }

  /** Number of balance entries kept (recorded minus compacted). */
  get entryCount(): number {
    return this.entries.kept;
  }

  /** Full JSON-safe snapshot; `account` restricts orders, entries and balances to one account. */
  snapshot(account?: string): LedgerSnapshot {
    const orders: LedgerOrder[] = [];
    for (let i = this.head; i < this.orders.length; i++) {
      const o = this.orders[i]!;
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
    for (let i = this.entries.first; i < this.entries.length; i++) {
      if (account !== undefined && this.entries.accountAt(i) !== account) continue;
      const e = this.entries.at(i);
      entries.push({ seq: e.seq, time: e.time, account: e.account, asset: e.asset, freeDelta: formatAtoms(e.freeDelta), lockedDelta: formatAtoms(e.lockedDelta), reason: e.reason, orderId: e.orderId });
    }
    return { venue: this.venue, time: this.now(), orders, balances, entries, fees, totals, reconciled, compacted: this.compacted.render(this.instruments, account) };
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
