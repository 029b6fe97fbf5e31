import type { OrderIntent } from './intent.js';
import { DuplicateOrderError, OrderNotFoundError, OutcomeUnknownError } from './errors.js';
import { applyOrderEvent, createOrder, isTerminal, type Order, type OrderEvent, type OrderState } from './order-state.js';
import { parseOptions, z } from '../../common/validate.js';
import { Frozen, OrderTableCapture, Packed } from './order-table-capture.js';
import { OrderTableImage, readOrderTableImage } from './order-table-image.js';
import { PackStrings } from './closed-pack.js';
import { ClosedTable } from './closed-table.js';

/** Options of an {@link OrderStore}. */
export const orderStoreOptionsSchema = z
  .object({
    /** Closed (terminal) orders kept for lookups, oldest evicted first. Open orders are always kept. */
    maxClosed: z.number().int().min(0).default(10_000),
    /**
     * The most recently closed orders kept as objects; older retained closed orders are kept packed
     * (one binary record each in one buffer, see closed-table.ts) and unpacked when read. Late
     * venue events for a just-closed order meet the object itself.
     */
    hotClosed: z.number().int().min(0).default(256),
  })
  .strict();

/** Options accepted by the {@link OrderStore} constructor. */
export type OrderStoreOptions = z.input<typeof orderStoreOptionsSchema>;

/**
 * The in-memory order table: by client order id, by venue order id, and open orders per
 * venue/symbol. Every state change goes through {@link OrderStore.apply}, which validates it against
 * the transition table and keeps the indexes in step.
 *
 * Closed orders are kept up to `maxClosed`, evicted in the order they closed, so a journal replay
 * and a snapshot restore arrive at the same table. Only the newest `hotClosed` of them stay objects;
 * the older ones are packed into a {@link ClosedTable} (issue 16: binary records in one buffer and
 * id indexes in typed arrays, ~0.9 KB of heap per order → ~100–130 bytes outside the heap; the
 * lookups by client and venue order id and intent key, duplicate detection and snapshots are
 * unchanged, a read returns a fresh equal object).
 */
export class OrderStore {
  private readonly opts: Readonly<z.output<typeof orderStoreOptionsSchema>>;
  private readonly all = new Map<string, Order>();
  /** venue → venue order id → order (nested: no key string built per lookup). */
  private readonly byVenue = new Map<string, Map<string, Order>>();
  private readonly open = new Map<string, Map<string, Map<string, Order>>>();
  /**
   * The closed orders kept as objects (the newest `hotClosed`), in closing order, live from
   * `hotHead` (a queue in an array: a close appends, packing or eviction advances the head).
   */
  private hotQueue: string[] = [];
  private hotHead = 0;
  private readonly strings = new PackStrings();
  /** The older retained closed orders, packed (oldest closed first). */
  private readonly closed = new ClosedTable(this.strings);
  private restoring = false;
  /** intent key → latest attempt, for attempts held as objects (packed ones: `closed`'s key index). */
  private readonly attempts = new Map<string, string>();
  constructor(options?: OrderStoreOptions) {
    this.opts = parseOptions(orderStoreOptionsSchema, options, 'orderStore');
  }

  /** Number of orders held (open + retained closed). */
  get size(): number {
    return this.all.size + this.closed.size;
  }

  /** Number of open (non-terminal) orders. */
  get openCount(): number {
    return this.size - this.closedCount;
  }

  /** Closed orders held in the packed form (the rest of {@link size} are objects). */
  get packedCount(): number {
    return this.closed.size;
  }

  /** Bytes the packed orders hold outside the JavaScript heap (records and indexes, at capacity). */
  get packedBytes(): number {
    return this.closed.bytes;
  }

  /** Bytes of the packed records themselves (without the buffer's spare room and the indexes). */
  get packedRecordBytes(): number {
    return this.closed.recordBytes;
  }

  /** Orders held per state (without unpacking the packed ones). */
  countByState(): Map<OrderState, number> {
    const m = new Map<OrderState, number>(this.closed.states);
    for (const o of this.all.values()) m.set(o.state, (m.get(o.state) ?? 0) + 1);
    return m;
  }

  private get closedCount(): number {
    return this.closed.size + this.hotQueue.length - this.hotHead;
  }

  /**
   * Adds a new order in state `initialized`. Throws {@link DuplicateOrderError} for a known id.
   * `intentKey` ties attempts of one logical intent together (see {@link canResubmit}).
   */
  create(clientOrderId: string, intent: Readonly<OrderIntent>, tNs: number, intentKey?: string): Order {
    return this.insert(createOrder(clientOrderId, intent, tNs, intentKey));
  }

  /** Inserts a fully formed order (snapshot restore). */
  insert(o: Order): Order {
    if (this.all.has(o.clientOrderId) || this.closed.has(o.clientOrderId)) throw new DuplicateOrderError(o.clientOrderId);
    this.all.set(o.clientOrderId, o);
    if (o.venueOrderId !== undefined) this.venueIndex(o.intent.venue).set(o.venueOrderId, o);
    if (o.intentKey !== undefined) this.attempts.set(o.intentKey, o.clientOrderId);
    if (isTerminal(o.state)) this.close(o);
    else this.openSet(o.intent.venue, o.intent.symbol).set(o.clientOrderId, o);
    return o;
  }

  /** The order, or undefined. */
  get(clientOrderId: string): Order | undefined {
    const o = this.all.get(clientOrderId);
    if (o !== undefined) return o;
    return this.closed.get(clientOrderId);
  }

  /** Whether `clientOrderId` is held and not terminal (no unpacking: packed orders are closed). */
  isOpen(clientOrderId: string): boolean {
    const o = this.all.get(clientOrderId);
    return o !== undefined && !isTerminal(o.state);
  }

  /** The order; throws {@link OrderNotFoundError}. */
  require(clientOrderId: string): Order {
    const o = this.get(clientOrderId);
    if (o === undefined) throw new OrderNotFoundError(clientOrderId);
    return o;
  }

  /** The order with this venue order id on `venue`, or undefined. */
  getByVenueOrderId(venue: string, venueOrderId: string): Order | undefined {
    const o = this.byVenue.get(venue)?.get(venueOrderId);
    if (o !== undefined) return o;
    const id = this.closed.idByVenueOrderId(venue, venueOrderId);
    return id === undefined ? undefined : this.get(id);
  }

  /**
   * Applies an event to the order (validated by the transition table; typed errors leave the order
   * unchanged) and maintains the indexes. Returns the order.
   */
  apply(clientOrderId: string, event: OrderEvent, tNs: number): Order {
    const o = this.require(clientOrderId);
    const vid = 'venueOrderId' in event ? event.venueOrderId : undefined;
    if (vid !== undefined && vid !== o.venueOrderId) {
      const other = this.byVenue.get(o.intent.venue)?.get(vid);
      if (other !== undefined && other !== o) throw new DuplicateOrderError(vid, 'venueOrderId');
      const packedOther = this.closed.idByVenueOrderId(o.intent.venue, vid);
      if (packedOther !== undefined && packedOther !== o.clientOrderId) throw new DuplicateOrderError(vid, 'venueOrderId');
    }
    const before = o.venueOrderId;
    applyOrderEvent(o, event, tNs);
    if (o.venueOrderId !== before && o.venueOrderId !== undefined) {
      const index = this.venueIndex(o.intent.venue);
      if (before !== undefined) index.delete(before);
      index.set(o.venueOrderId, o);
    }
    if (isTerminal(o.state)) {
      this.open.get(o.intent.venue)?.get(o.intent.symbol)?.delete(o.clientOrderId);
      this.close(o);
    }
    return o;
  }

  /** Open orders, optionally only on one venue and symbol. */
  *openOrders(venue?: string, symbol?: string): IterableIterator<Order> {
    for (const [v, bySymbol] of this.open) {
      if (venue !== undefined && v !== venue) continue;
      for (const [s, orders] of bySymbol) {
        if (symbol !== undefined && s !== symbol) continue;
        yield* orders.values();
      }
    }
  }

  /** Number of open orders on `venue` for `symbol`. */
  openCountFor(venue: string, symbol: string): number {
    return this.open.get(venue)?.get(symbol)?.size ?? 0;
  }

  /**
   * Every order held: the packed (older closed) ones in closing order, then the others in insertion
   * order. Packed ones are unpacked as the iteration reaches them.
   */
  *values(): IterableIterator<Order> {
    yield* this.closed.orders();
    yield* this.all.values();
  }

  /** Closed orders retained, oldest closed first (snapshot order). */
  *closedOrders(): IterableIterator<Order> {
    yield* this.closed.orders();
    for (let i = this.hotHead; i < this.hotQueue.length; i++) yield this.all.get(this.hotQueue[i]!)!;
  }

  /** The latest attempt (client order id) for `intentKey`, or undefined. */
  latestAttempt(intentKey: string): Order | undefined {
    const id = this.attempts.get(intentKey);
    return id === undefined ? this.closed.latestOfKey(intentKey) : this.get(id);
  }

  /**
   * False while the latest attempt of `intentKey` is still in flight (`initialized`, `submitted`) or
   * its outcome is `unknown`: re-sending then, under a new client order id, could put the same order
   * on the book twice. Reconcile the attempt first.
   */
  canResubmit(intentKey: string): boolean {
    const o = this.latestAttempt(intentKey);
    return o === undefined || !IN_FLIGHT.has(o.state);
  }

  /** Throws {@link OutcomeUnknownError} when {@link canResubmit} is false. */
  assertCanResubmit(intentKey: string): void {
    const o = this.latestAttempt(intentKey);
    if (o !== undefined && IN_FLIGHT.has(o.state)) throw new OutcomeUnknownError(intentKey, o.clientOrderId, o.state);
  }

  /** JSON-safe state (orders in insertion order, closed ids in closing order) for snapshots. */
  toJSON(): OrderStoreState {
    return { orders: [...this.values()].map(orderToJSON), closed: this.closedIds() };
  }

  /**
   * A picture of the table now for a snapshot, rendered later in slices (see
   * {@link OrderTableCapture}); its `text()` is `JSON.stringify(this.toJSON())` of this instant, byte
   * for byte.
   */
  capture(): OrderTableCapture {
    const items = new Array<Order | Frozen | Packed>(this.size);
    let i = 0;
    // a packed order never changes: its text is captured, unpacked only when rendered
    for (const [id, record] of this.closed.records()) items[i++] = new Packed(id, record, this.strings);
    for (const o of this.all.values()) items[i++] = isTerminal(o.state) ? o : new Frozen(o);
    return new OrderTableCapture(items, this.closedIds());
  }

  /**
   * A picture of the table now as a binary image for a snapshot (see {@link OrderTableImage}): the
   * packed closed orders' bytes copied as they are, the orders held as objects (open ones frozen)
   * encoded later in slices. {@link restoreImage} rebuilds the same table from it.
   */
  captureImage(): OrderTableImage {
    const items = new Array<Order | Frozen>(this.all.size);
    let i = 0;
    for (const o of this.all.values()) items[i++] = isTerminal(o.state) ? o : new Frozen(o);
    const { count, bytes } = this.closed.copyRecords();
    return new OrderTableImage(count, bytes, items, this.hotQueue.slice(this.hotHead), this.strings);
  }

  /**
   * Replaces the table with an image's (see {@link captureImage}): the same orders, lookups and
   * closing order as the table it was taken from, then trimmed to this store's `maxClosed` and
   * `hotClosed` like {@link restore} (oldest closed evicted, objects past `hotClosed` packed;
   * packed records stay packed under a larger `hotClosed`: reads return equal objects either way).
   */
  restoreImage(bytes: Uint8Array): void {
    this.reset();
    this.restoring = true;
    let hot: string[];
    try {
      hot = readOrderTableImage(bytes, {
        // A later packed attempt of a key replaces an earlier one in the key index: the latest wins.
        packed: (o) => {
          if (this.closed.has(o.clientOrderId)) throw new DuplicateOrderError(o.clientOrderId);
          this.closed.add(o, o.intentKey !== undefined);
        },
        object: (o) => this.insert(o),
      });
    } finally {
      this.restoring = false;
    }
    for (const id of hot) this.require(id);
    this.hotQueue = hot;
    this.trimClosed();
  }

  /** `JSON.stringify(this.toJSON())`, byte for byte, rendered now (see {@link capture}). */
  toJSONText(): string {
    return this.capture().text();
  }

  /** Replaces the table with a state from {@link toJSON}. */
  restore(s: OrderStoreState): void {
    this.reset();
    this.restoring = true;
    try {
      for (const o of s.orders) this.insert(orderFromJSON(o));
    } finally {
      this.restoring = false;
    }
    for (const id of s.closed) this.require(id);
    this.hotQueue = [...s.closed];
    this.trimClosed();
  }

  private reset(): void {
    this.all.clear();
    this.byVenue.clear();
    this.open.clear();
    this.hotQueue = [];
    this.hotHead = 0;
    this.closed.clear();
    this.attempts.clear();
  }

  private openSet(venue: string, symbol: string): Map<string, Order> {
    let bySymbol = this.open.get(venue);
    if (bySymbol === undefined) this.open.set(venue, (bySymbol = new Map()));
    let orders = bySymbol.get(symbol);
    if (orders === undefined) bySymbol.set(symbol, (orders = new Map()));
    return orders;
  }

  private closedIds(): string[] {
    const ids = new Array<string>(this.closedCount);
    let k = 0;
    for (const id of this.closed.ids()) ids[k++] = id;
    for (let i = this.hotHead; i < this.hotQueue.length; i++) ids[k++] = this.hotQueue[i]!;
    return ids;
  }

  private venueIndex(venue: string): Map<string, Order> {
    let index = this.byVenue.get(venue);
    if (index === undefined) this.byVenue.set(venue, (index = new Map()));
    return index;
  }

  private close(o: Order): void {
    if (this.restoring) return; // restore() sets the closing order from the snapshot
    this.hotQueue.push(o.clientOrderId);
    this.trimClosed();
  }

  /** Evicts past `maxClosed` (oldest closed first), then packs past `hotClosed`. */
  private trimClosed(): void {
    while (this.closedCount > this.opts.maxClosed) {
      if (this.closed.size > 0) {
        this.closed.evictOldest(); // its key index entry goes with it
        continue;
      }
      const id = this.hotQueue[this.hotHead]!;
      this.hotQueue[this.hotHead++] = undefined as unknown as string; // let it be collected
      const old = this.all.get(id)!;
      this.all.delete(id);
      if (old.venueOrderId !== undefined) this.byVenue.get(old.intent.venue)?.delete(old.venueOrderId);
      if (old.intentKey !== undefined && this.attempts.get(old.intentKey) === id) this.attempts.delete(old.intentKey);
    }
    while (this.hotQueue.length - this.hotHead > this.opts.hotClosed) {
      const id = this.hotQueue[this.hotHead]!;
      this.hotQueue[this.hotHead++] = undefined as unknown as string;
      const o = this.all.get(id)!;
      const latest = o.intentKey !== undefined && this.attempts.get(o.intentKey) === id;
      this.closed.add(o, latest);
      if (latest) this.attempts.delete(o.intentKey!);
      this.all.delete(id);
      if (o.venueOrderId !== undefined) this.byVenue.get(o.intent.venue)?.delete(o.venueOrderId);
    }
    if (this.hotHead >= 4096 && this.hotHead * 2 >= this.hotQueue.length) {
      this.hotQueue = this.hotQueue.slice(this.hotHead);
      this.hotHead = 0;
    }
  }
}

const IN_FLIGHT: ReadonlySet<OrderState> = new Set<OrderState>(['initialized', 'submitted', 'unknown']);

/** An {@link Order} with bigints as decimal strings. */
export type OrderJSON = Omit<Order, 'cumTickLots' | 'fees'> & { cumTickLots: string; fees: Record<string, string> };

/** Serialized {@link OrderStore}. */
export interface OrderStoreState {
  orders: OrderJSON[];
  closed: string[];
}

/** JSON-safe copy of an order. */
export function orderToJSON(o: Order): OrderJSON {
  const fees: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.fees)) fees[k] = v.toString();
  // Fixed key order, so two equal states serialize to the same string.
  return {
    clientOrderId: o.clientOrderId,
    venueOrderId: o.venueOrderId,
    intent: { ...o.intent },
    intentKey: o.intentKey,
    state: o.state,
    filledLots: o.filledLots,
    cumTickLots: o.cumTickLots.toString(),
    fees,
    tradeIds: [...o.tradeIds],
    reason: o.reason,
    createdNs: o.createdNs,
    updatedNs: o.updatedNs,
    history: o.history.map((h) => ({ ...h })),
  };
}

/** Inverse of {@link orderToJSON}. */
export function orderFromJSON(j: OrderJSON): Order {
  const fees: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(j.fees)) fees[k] = BigInt(v);
  return {
    clientOrderId: j.clientOrderId,
    venueOrderId: j.venueOrderId,
    intent: { ...j.intent },
    intentKey: j.intentKey,
    state: j.state,
    filledLots: j.filledLots,
    cumTickLots: BigInt(j.cumTickLots),
    fees,
    tradeIds: [...j.tradeIds],
    reason: j.reason,
    createdNs: j.createdNs,
    updatedNs: j.updatedNs,
    history: j.history.map((h) => ({ ...h })),
  };
}
