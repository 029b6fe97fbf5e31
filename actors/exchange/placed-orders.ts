/**
 * The client order ids a venue actor placed in this process (issue 16: a bounded window instead
 * of a Set of every id ever placed). The reconciler asks it about an order it cannot find at the
 * venue: one this process placed is concluded "not there" at once (its request is known to have
 * ended), one of an earlier process only after the start-up grace. That question is only ever
 * asked about an order that is still open, so the window keeps, like the order table
 * (`orderStore.maxClosed`), every id still open or in flight whatever its age, plus the newest
 * `limit` others; older closed ids are forgotten, oldest placed first. Memory: O(open + limit).
 * A trim pass that cannot get below `limit` (more are open than that) visits everything held, so
 * the next one waits until the set has doubled: amortised O(1) per id even when thousands of orders
 * rest (a full pass per id was O(open) per order and stalled the engine at a few thousand orders/s
 * with 10k resting).
 */
export class PlacedOrders {
  private readonly ids = new Set<string>();
  /** Ids in the order placed (re-queued at the back when still needed at eviction), live from `head`. */
  private queue: string[] = [];
  private head = 0;
  /** The size past which `add` trims: `limit`, or twice what the last trim left when it could not get down to `limit`. */
  private trimAt: number;

  /**
   * @param limit ids kept beyond the ones still needed
   * @param stillNeeded whether an id must stay (its order is open or its request in flight)
   */
  constructor(
    readonly limit: number,
    private readonly stillNeeded: (clientOrderId: string) => boolean,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`PlacedOrders.limit: expected an integer ≥ 1, got ${String(limit)}`);
    this.trimAt = limit;
  }

  /** Ids held now. */
  get size(): number {
    return this.ids.size;
  }

  /** Remembers `clientOrderId` as placed by this process. */
  add(clientOrderId: string): this {
    if (this.ids.has(clientOrderId)) return this;
    this.ids.add(clientOrderId);
    this.queue.push(clientOrderId);
    if (this.ids.size > this.trimAt) {
      this.trim();
      // down to `limit`: trim again at the next id; still over it (that many open): wait until it doubles
      this.trimAt = this.ids.size > this.limit ? 2 * this.ids.size : this.limit;
    }
    return this;
  }

  /** Whether this process placed `clientOrderId` (within the window; always while it is open). */
  has(clientOrderId: string): boolean {
    return this.ids.has(clientOrderId);
  }

  /** Forgets the oldest ids past `limit` that are no longer needed (needed ones move to the back). */
  private trim(): void {
    // one pass at most over what is held: when more than `limit` are still needed, all stay
    for (let seen = this.ids.size; this.ids.size > this.limit && seen > 0; seen--) {
      const id = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as string; // let it be collected
      if (this.stillNeeded(id)) this.queue.push(id);
      else this.ids.delete(id);
    }
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
