/** Peer for bench/matching-engine.bench.ts: the engine as it was before issue 13 (verbatim copy, imports adjusted). Not used by the product. */
import type { SimOrder } from '../../simulators/venue/order.js';

/** One price level: resting orders in arrival order (FIFO) and their total remaining lots. */
export class PriceLevel {
  readonly priceTicks: number;
  /** Orders in time priority; entries before `head` are gone. Dead orders are skipped lazily. */
  orders: SimOrder[] = [];
  head = 0;
  totalLots = 0;
  constructor(priceTicks: number) {
    this.priceTicks = priceTicks;
  }

  /** First live order of the level, or undefined. Compacts the queue as it goes. */
  front(): SimOrder | undefined {
    const q = this.orders;
    while (this.head < q.length) {
      const o = q[this.head]!;
      if (o.origLots - o.executedLots > 0 && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')) return o;
      this.head++;
    }
    return undefined;
  }

  compact(): void {
    if (this.head > 32 && this.head * 2 > this.orders.length) {
      this.orders = this.orders.slice(this.head);
      this.head = 0;
    }
  }
}

/** A depth diff in Binance `depthUpdate` shape, as integers. */
export interface DepthDiff {
  /** First update id in the diff. */
  U: number;
  /** Last update id in the diff. */
  u: number;
  /** [priceTicks, totalLots] pairs; 0 lots means the level is gone. */
  b: [number, number][];
  a: [number, number][];
}

/**
 * Limit order book of one symbol with price-time priority. Levels are kept in sorted arrays (best
 * first); each level is a FIFO of orders. Every change of a level's total increments `updateId`,
 * which `/depth` reports as `lastUpdateId` and the depth stream as `U`/`u`, so a client can chain
 * a snapshot with the diffs exactly as on Binance.
 */
export class OrderBook {
  readonly symbol: string;
  /** Bids, best (highest) first. */
  readonly bids: PriceLevel[] = [];
  /** Asks, best (lowest) first. */
  readonly asks: PriceLevel[] = [];
  private readonly bidMap = new Map<number, PriceLevel>();
  private readonly askMap = new Map<number, PriceLevel>();
  /** Id of the last book change. */
  updateId = 0;
  private pendingFirst = 0;
  private readonly dirtyBids = new Map<number, number>();
  private readonly dirtyAsks = new Map<number, number>();

  constructor(symbol: string) {
    this.symbol = symbol;
  }

  /** Best bid level or undefined. */
  bestBid(): PriceLevel | undefined {
    return this.bids[0];
  }

  /** Best ask level or undefined. */
  bestAsk(): PriceLevel | undefined {
    return this.asks[0];
  }

  /** Adds a resting order at the back of its price level. */
  add(o: SimOrder): void {
    const buy = o.side === 'BUY';
    const map = buy ? this.bidMap : this.askMap;
    let level = map.get(o.priceTicks);
    if (level === undefined) {
      level = new PriceLevel(o.priceTicks);
      map.set(o.priceTicks, level);
      insertLevel(buy ? this.bids : this.asks, level, buy);
    }
    level.orders.push(o);
    level.totalLots += o.origLots - o.executedLots;
    this.touch(buy, level);
  }

  /**
   * Reduces the resting quantity of `o`'s level by `lots` (after a fill or a cancel). The caller
   * updates the order itself; a level that reaches zero is removed.
   */
  reduce(o: SimOrder, lots: number): void {
    const buy = o.side === 'BUY';
    const map = buy ? this.bidMap : this.askMap;
    const level = map.get(o.priceTicks);
    if (level === undefined) return;
    level.totalLots -= lots;
    if (level.totalLots <= 0) {
      map.delete(o.priceTicks);
      const arr = buy ? this.bids : this.asks;
      const i = arr.indexOf(level);
      if (i >= 0) arr.splice(i, 1);
      level.totalLots = 0;
    } else {
      level.compact();
    }
    this.touch(buy, level);
  }

  private touch(buy: boolean, level: PriceLevel): void {
    this.updateId++;
    if (this.pendingFirst === 0) this.pendingFirst = this.updateId;
    (buy ? this.dirtyBids : this.dirtyAsks).set(level.priceTicks, level.totalLots);
  }

  /** Takes the accumulated diff since the last call (null when the book did not change). */
  drainDiff(): DepthDiff | null {
    if (this.pendingFirst === 0) return null;
    const d: DepthDiff = { U: this.pendingFirst, u: this.updateId, b: [...this.dirtyBids], a: [...this.dirtyAsks] };
    this.pendingFirst = 0;
    this.dirtyBids.clear();
    this.dirtyAsks.clear();
    return d;
  }

  /** Up to `limit` levels per side as [priceTicks, totalLots]. */
  depth(limit: number): { bids: [number, number][]; asks: [number, number][]; lastUpdateId: number } {
    const bids: [number, number][] = [];
    const asks: [number, number][] = [];
    for (let i = 0; i < this.bids.length && i < limit; i++) bids.push([this.bids[i]!.priceTicks, this.bids[i]!.totalLots]);
    for (let i = 0; i < this.asks.length && i < limit; i++) asks.push([this.asks[i]!.priceTicks, this.asks[i]!.totalLots]);
    return { bids, asks, lastUpdateId: this.updateId };
  }
}

function insertLevel(arr: PriceLevel[], level: PriceLevel, desc: boolean): void {
  let lo = 0;
  let hi = arr.length;
  const p = level.priceTicks;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const q = arr[mid]!.priceTicks;
    if (desc ? q > p : q < p) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, level);
}
