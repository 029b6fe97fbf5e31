import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';
import { SimulatorStoreError } from '../errors.js';
import type { RawEntry } from './ledger.js';
import type { StoredCompacted } from './retention.js';
import type { OrderStatus, OrderType, Side, SimFill, SimOrder, StpMode, TimeInForce } from './order.js';

/** An API user as persisted (the key, its secret and its account). */
export interface StoredUser {
  apiKey: string;
  apiSecret: string;
  account: string;
}

/** Everything a durable venue restores on start. */
export interface StoredState {
  users: StoredUser[];
  entries: RawEntry[];
  /** The latest state of every client order. */
  orders: SimOrder[];
  /** Id high-water marks: `order`, `cid` (generated client ids), `trade:<SYMBOL>`. No id at or past a mark was issued. */
  reserved: Record<string, number>;
  /** The ledger's compacted sums (retention): balances are these plus the kept entries. Absent before any snapshot had them. */
  compacted?: StoredCompacted | undefined;
}

/** Options of {@link VenueStore.open}. */
export interface VenueStoreOptions {
  dir: string;
  venue: string;
  /** fsync the log after every operation (survives power loss, not only a process kill). */
  fsync: boolean;
  /** Log lines after which the next operation compacts (snapshot + empty log). */
  compactEvery: number;
}

/** Ids are reserved in blocks: one log line per this many orders, trades or generated client ids. */
const ID_BLOCK = 10_000;

type Rec =
  | { t: 'u'; k: string; s: string; a: string }
  | { t: 'e'; q: number; m: number; a: string; s: string; f: string; l: string; r: string; o: number }
  | { t: 'o'; o: StoredOrder }
  | { t: 'r'; k: string; v: number };

interface StoredOrder {
  i: number;
  c: string;
  a: string;
  s: string;
  S: Side;
  ty: OrderType;
  f: TimeInForce;
  p: number;
  q: number;
  qq: string;
  z: number;
  Z: string;
  X: OrderStatus;
  L: string;
  T: number;
  u: number;
  sq: number;
  fills: [number, number, number, string, string, string, boolean, number][];
  tp: string | null;
  stp: StpMode;
  pm: number | null;
  pq: number;
}

function orderOut(o: SimOrder): StoredOrder {
  return {
    i: o.orderId,
    c: o.clientOrderId,
    a: o.account,
    s: o.symbol,
    S: o.side,
    ty: o.type,
    f: o.timeInForce,
    p: o.priceTicks,
    q: o.origLots,
    qq: o.quoteOrderQty.toString(),
    z: o.executedLots,
    Z: o.cumQuoteAtoms.toString(),
    X: o.status,
    L: o.locked.toString(),
    T: o.time,
    u: o.updateTime,
    sq: o.seq,
    fills: o.fills.map((x) => [x.tradeId, x.priceTicks, x.lots, x.quoteAtoms.toString(), x.commission.toString(), x.commissionAsset, x.isMaker, x.time]),
    tp: o.traceparent ?? null,
    stp: o.stp,
    pm: o.preventedMatchId ?? null,
    pq: o.preventedLots,
  };
}

function orderIn(r: StoredOrder): SimOrder {
  return {
    orderId: r.i,
    clientOrderId: r.c,
    account: r.a,
    symbol: r.s,
    side: r.S,
    type: r.ty,
    timeInForce: r.f,
    priceTicks: r.p,
    origLots: r.q,
    quoteOrderQty: BigInt(r.qq),
    executedLots: r.z,
    cumQuoteAtoms: BigInt(r.Z),
    status: r.X,
    locked: BigInt(r.L),
    time: r.T,
    updateTime: r.u,
    seq: r.sq,
    fills: r.fills.map((x): SimFill => ({ tradeId: x[0], priceTicks: x[1], lots: x[2], quoteAtoms: BigInt(x[3]), commission: BigInt(x[4]), commissionAsset: x[5], isMaker: x[6], time: x[7] })),
    traceparent: r.tp ?? undefined,
    house: false,
    stp: r.stp,
    preventedMatchId: r.pm ?? undefined,
    preventedLots: r.pq,
  };
}

const entryOut = (e: RawEntry): Rec => ({ t: 'e', q: e.seq, m: e.time, a: e.account, s: e.asset, f: e.freeDelta.toString(), l: e.lockedDelta.toString(), r: e.reason, o: e.orderId });
const entryIn = (r: Extract<Rec, { t: 'e' }>): RawEntry => ({ seq: r.q, time: r.m, account: r.a, asset: r.s, freeDelta: BigInt(r.f), lockedDelta: BigInt(r.l), reason: r.r, orderId: r.o });

interface Snapshot {
  v: 1;
  venue: string;
  /** Number of the last log line the snapshot includes. */
  n: number;
  users: StoredUser[];
  entries: Rec[];
  orders: StoredOrder[];
  reserved: Record<string, number>;
  /** Compacted sums (retention); absent in snapshots written before retention existed. */
  c?: StoredCompacted;
}

/**
 * The durable ledger of one simulated venue: an append-only log (`<venue>.log`, one JSON line per
 * operation) plus a snapshot (`<venue>.snapshot.json`) that compaction writes (temp file + rename)
 * before emptying the log. Each operation's records (balance entries, the new state of every client
 * order it touched, users) are buffered while the matching engine works and written with one
 * `write(2)` when it finishes, before the wire layer replies: a process kill (even SIGKILL) after
 * the reply cannot lose it (the page cache keeps it), and a kill during the write leaves at most a
 * torn last line, which replay drops. With `fsync` every operation is also fsynced (power loss).
 * Lines carry a sequence number `n`; replay skips lines the snapshot already holds, so a crash
 * between the snapshot's rename and the log's truncation replays nothing twice.
 */
export class VenueStore {
  private fd: number;
  private failed: SimulatorStoreError | undefined;
  private n = 0;
  private lines = 0;
  private pending: Rec[] = [];
  private readonly dirty = new Map<number, SimOrder>();
  private readonly reserved: Record<string, number>;
  private readonly logPath: string;
  private readonly snapPath: string;
  /** What {@link open} read (consumed by the venue once). */
  readonly state: StoredState;

  private constructor(
    private readonly o: VenueStoreOptions,
    state: StoredState,
    n: number,
    lines: number,
  ) {
    this.logPath = path.join(o.dir, `${o.venue}.log`);
    this.snapPath = path.join(o.dir, `${o.venue}.snapshot.json`);
    this.state = state;
    this.reserved = { ...state.reserved };
    this.n = n;
    this.lines = lines;
    try {
      this.fd = openSync(this.logPath, 'a', 0o600);
    } catch (e) {
      throw storeError(`cannot open ${this.logPath}`, e);
    }
  }

  /** Opens (creating the folder, mode 0700) and reads the state of `venue`; throws {@link SimulatorStoreError}. */
  static open(o: VenueStoreOptions): VenueStore {
    try {
      mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw storeError(`cannot create the state folder ${o.dir}`, e);
    }
    const snapPath = path.join(o.dir, `${o.venue}.snapshot.json`);
    const logPath = path.join(o.dir, `${o.venue}.log`);
    const users = new Map<string, StoredUser>();
    const entries: RawEntry[] = [];
    const orders = new Map<number, SimOrder>();
    const reserved: Record<string, number> = {};
    let compacted: StoredCompacted | undefined;
    const apply = (r: Rec): void => {
      switch (r.t) {
        case 'u':
          users.set(r.k, { apiKey: r.k, apiSecret: r.s, account: r.a });
          break;
        case 'e':
          entries.push(entryIn(r));
          break;
        case 'o':
          orders.set(r.o.i, orderIn(r.o));
          break;
        case 'r':
          reserved[r.k] = Math.max(reserved[r.k] ?? 0, r.v);
          break;
      }
    };
    let n = 0;
    if (existsSync(snapPath)) {
      let snap: Snapshot;
      try {
        snap = JSON.parse(readFileSync(snapPath, 'utf8')) as Snapshot;
      } catch (e) {
        throw storeError(`cannot read the snapshot ${snapPath}`, e);
      }
      if (snap.v !== 1 || snap.venue !== o.venue) throw new SimulatorStoreError(`${snapPath}: expected a version 1 snapshot of venue ${o.venue}, got version ${String(snap.v)} of ${String(snap.venue)}`, { path: snapPath });
      n = snap.n;
      for (const u of snap.users) users.set(u.apiKey, u);
      for (const e of snap.entries) apply(e);
      for (const x of snap.orders) orders.set(x.i, orderIn(x));
      for (const [k, v] of Object.entries(snap.reserved)) reserved[k] = v;
      compacted = snap.c;
    }
    let lines = 0;
    if (existsSync(logPath)) {
      let text: string;
      try {
        text = readFileSync(logPath, 'utf8');
      } catch (e) {
        throw storeError(`cannot read the log ${logPath}`, e);
      }
      const all = text.split('\n');
      let good = 0;
      for (let i = 0; i < all.length; i++) {
        const line = all[i]!;
        if (line === '') continue;
        let rec: { n: number; r: Rec[] };
        try {
          rec = JSON.parse(line) as { n: number; r: Rec[] };
        } catch (e) {
          // Only the last line may be torn (a kill during its write): that operation never replied.
          if (all.slice(i + 1).every((l) => l === '')) break;
          throw new SimulatorStoreError(`${logPath}: line ${i + 1} is not JSON and is not the last line; the venue log is corrupt`, { path: logPath, line: i + 1 }, { cause: e });
        }
        good += line.length + 1;
        lines++;
        if (rec.n <= n) continue;
        n = rec.n;
        for (const r of rec.r) apply(r);
      }
      // Drop a torn tail so the next line starts clean.
      if (good < Buffer.byteLength(text)) {
        try {
          const fd = openSync(logPath, 'r+');
          ftruncateSync(fd, Buffer.byteLength(text.slice(0, good)));
          closeSync(fd);
        } catch (e) {
          throw storeError(`cannot truncate the torn tail of ${logPath}`, e);
        }
      }
    }
    return new VenueStore(o, { users: [...users.values()], entries, orders: [...orders.values()], reserved, compacted }, n, lines);
  }

  /** Removes the state of `venue` in `dir` (a simulator reset). */
  static wipe(dir: string, venue: string): void {
    for (const f of [`${venue}.log`, `${venue}.snapshot.json`, `${venue}.snapshot.json.tmp`]) rmSync(path.join(dir, f), { force: true });
  }

  /** Records a new API user (with the operation that funds it). */
  user(u: StoredUser): void {
    this.pending.push({ t: 'u', k: u.apiKey, s: u.apiSecret, a: u.account });
  }

  /** Records a balance entry of a client account. */
  entry(e: RawEntry): void {
    this.pending.push(entryOut(e));
  }

  /** Marks a client order changed; its state at commit time is written. */
  order(o: SimOrder): void {
    this.dirty.set(o.orderId, o);
  }

  /**
   * Makes sure id `used` of counter `kind` is below the persisted high-water mark, writing a new
   * mark (a block ahead) at once when it is not, so a restart never issues an id twice.
   */
  reserve(kind: string, used: number): void {
    if (used < (this.reserved[kind] ?? 0)) return;
    const v = used + ID_BLOCK;
    this.reserved[kind] = v;
    // Called in the middle of a matching operation: a failure must not tear it. It stops the store
    // and the operation's commit throws it.
    try {
      this.write([{ t: 'r', k: kind, v }]);
    } catch {
      // recorded in this.failed
    }
  }

  /** Writes the operation's records (one line, one write) and compacts when the log is long. */
  commit(snapshot: () => Omit<StoredState, 'reserved'>): void {
    if (this.failed !== undefined) {
      this.pending = [];
      this.dirty.clear();
      throw this.failed;
    }
    if (this.pending.length === 0 && this.dirty.size === 0) return;
    const recs = this.pending;
    for (const o of this.dirty.values()) recs.push({ t: 'o', o: orderOut(o) });
    this.pending = [];
    this.dirty.clear();
    this.write(recs);
    if (this.lines >= this.o.compactEvery) this.compact(snapshot());
  }

  /**
   * Fail-stop: after one failed write every later write throws the same error, since memory now
   * holds an operation the log lacks and appending after it would make the log lie.
   */
  private write(recs: Rec[]): void {
    if (this.failed !== undefined) throw this.failed;
    const line = `${JSON.stringify({ n: ++this.n, r: recs })}\n`;
    try {
      writeSync(this.fd, line);
      if (this.o.fsync) fsyncSync(this.fd);
    } catch (e) {
      this.failed = storeError(`cannot append to ${this.logPath} (the venue answers no more operations until restarted)`, e);
      throw this.failed;
    }
    this.lines++;
  }

  /** The write error that stopped the store, if any. */
  get error(): SimulatorStoreError | undefined {
    return this.failed;
  }

  /** Writes a snapshot of `s` (temp + rename) and empties the log. */
  compact(s: Omit<StoredState, 'reserved'>): void {
    const snap: Snapshot = {
      v: 1,
      venue: this.o.venue,
      n: this.n,
      users: s.users,
      entries: s.entries.map(entryOut),
      orders: s.orders.map(orderOut),
      reserved: { ...this.reserved },
      ...(s.compacted === undefined ? {} : { c: s.compacted }),
    };
    const tmp = `${this.snapPath}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(snap));
        if (this.o.fsync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.snapPath);
      ftruncateSync(this.fd, 0);
    } catch (e) {
      throw storeError(`cannot compact into ${this.snapPath}`, e);
    }
    this.lines = 0;
  }

  /** Log lines since the last snapshot. */
  get logLines(): number {
    return this.lines;
  }

  /** Size of the log file in bytes. */
  get logBytes(): number {
    return statSync(this.logPath).size;
  }

  /** Closes the log. */
  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

function storeError(what: string, e: unknown): SimulatorStoreError {
  return new SimulatorStoreError(`${what}: ${e instanceof Error ? e.message : String(e)}`, { errno: (e as { code?: string }).code }, { cause: e });
}
