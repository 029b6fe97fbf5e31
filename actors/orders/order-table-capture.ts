import type { Order, OrderHistoryEntry, OrderState } from './order-state.js';
import { unpackOrder, type PackStrings } from './closed-pack.js';

/**
 * A consistent picture of the order table at one instant (a snapshot's sequence), taken
 * synchronously and cheaply, rendered to JSON text later in slices (see {@link renderSlice}), so a
 * snapshot does not stop the event loop for the whole table.
 *
 * What makes the deferred rendering exact: an order changes only through `applyOrderEvent`, which
 * replaces scalar fields, appends to `history` and `tradeIds` and adds into `fees`, while `intent`,
 * `clientOrderId`, `intentKey` and `createdNs` never change. So an order is captured as:
 * - itself when it is terminal (no event leaves a terminal state: it can no longer change);
 * - otherwise a {@link Frozen} copy of its changing scalars, the lengths of its append-only arrays
 *   and a copy of its fees (a few words per open order), rendered later from those.
 */
export class OrderTableCapture {
  /**
   * Rendered slices as UTF-8 bytes: `JSON.stringify` of a run of orders, without the brackets. Bytes,
   * not strings: a snapshot writes them as they are (no table-sized string is concatenated,
   * flattened and encoded again at the end).
   */
  private readonly slices: Buffer[] = [];
  private next = 0;

  /** Use `OrderStore.capture()`. */
  constructor(
    private readonly items: (Order | Frozen | Packed)[],
    private readonly closedIds: string[],
  ) {}

  /** Orders not rendered yet. */
  get remaining(): number {
    return this.items.length - this.next;
  }

  /**
   * Renders up to `max` more orders with one `JSON.stringify` over the slice (no string per order)
   * into one buffer; true once all are rendered.
   */
  renderSlice(max: number): boolean {
    const end = Math.min(this.items.length, this.next + max);
    if (end > this.next) {
      const objs = new Array<unknown>(end - this.next);
      for (let i = this.next; i < end; i++) {
        const it = this.items[i]!;
        objs[i - this.next] = it instanceof Frozen ? frozenJSON(it) : it instanceof Packed ? orderJSON(unpackOrder(it.id, it.record, it.strings)) : orderJSON(it);
        this.items[i] = undefined as unknown as Order; // let the captured copy go
      }
      const bytes = Buffer.from(JSON.stringify(objs), 'utf8');
      // `[` and `]` are one byte each: the slice's orders are the bytes between them.
      this.slices.push(bytes.subarray(1, bytes.length - 1));
      this.next = end;
    }
    return end === this.items.length;
  }

  /**
   * The table's JSON text (`JSON.stringify(store.toJSON())` as of the capture) as UTF-8 pieces in
   * order (their concatenation is the text); renders what is left.
   */
  buffers(): Buffer[] {
    this.renderSlice(Infinity);
    const out: Buffer[] = [OPEN];
    for (let i = 0; i < this.slices.length; i++) {
      if (i > 0) out.push(COMMA);
      out.push(this.slices[i]!);
    }
    out.push(Buffer.from(`],"closed":${JSON.stringify(this.closedIds)}}`, 'utf8'));
    return out;
  }

  /** The table's JSON text (`JSON.stringify(store.toJSON())` as of the capture); renders what is left. */
  text(): string {
    return Buffer.concat(this.buffers()).toString('utf8');
  }
}

const OPEN = Buffer.from('{"orders":[');
const COMMA = Buffer.from(',');

/** A packed closed order (see closed-pack.ts): it never changes, so a copy of its record is the capture. */
export class Packed {
  constructor(
    readonly id: string,
    readonly record: Uint8Array,
    readonly strings: PackStrings,
  ) {}
}

/** The changing part of an open order at capture time. */
export class Frozen {
  readonly n: number;
  readonly trades: number;
  readonly venueOrderId: string | undefined;
  readonly state: OrderState;
  readonly filledLots: number;
  readonly cumTickLots: bigint;
  readonly fees: Record<string, bigint> | undefined;
  readonly reason: string | undefined;
  readonly updatedNs: number;

  constructor(readonly o: Order) {
    this.n = o.history.length;
    this.trades = o.tradeIds.length;
    this.venueOrderId = o.venueOrderId;
    this.state = o.state;
    this.filledLots = o.filledLots;
    this.cumTickLots = o.cumTickLots;
    let fees: Record<string, bigint> | undefined;
    for (const k in o.fees) (fees ??= {})[k] = o.fees[k]!;
    this.fees = fees;
    this.reason = o.reason;
    this.updatedNs = o.updatedNs;
  }

  /** The order as it was when frozen (its append-only arrays cut at their lengths then). */
  order(): Order {
    const o = this.o;
    return {
      clientOrderId: o.clientOrderId,
      venueOrderId: this.venueOrderId,
      intent: o.intent,
      intentKey: o.intentKey,
      state: this.state,
      filledLots: this.filledLots,
      cumTickLots: this.cumTickLots,
      fees: this.fees ?? {},
      tradeIds: o.tradeIds.length === this.trades ? o.tradeIds : o.tradeIds.slice(0, this.trades),
      reason: this.reason,
      createdNs: o.createdNs,
      updatedNs: this.updatedNs,
      history: o.history.length === this.n ? o.history : o.history.slice(0, this.n),
    };
  }
}

/**
 * What `orderToJSON(o)` gives, for `JSON.stringify` only: the intent, trade ids and history are
 * referenced, not copied (the same values in the same key order, so the same bytes).
 */
function orderJSON(o: Order): object {
  return view(o, o.venueOrderId, o.state, o.filledLots, o.cumTickLots, o.fees, o.tradeIds, o.reason, o.updatedNs, o.history);
}

function frozenJSON(f: Frozen): object {
  return orderJSON(f.order());
}

function view(
  o: Order,
  venueOrderId: string | undefined,
  state: OrderState,
  filledLots: number,
  cumTickLots: bigint,
  fees: Record<string, bigint> | undefined,
  tradeIds: readonly string[],
  reason: string | undefined,
  updatedNs: number,
  history: readonly OrderHistoryEntry[],
): object {
  let feeText: Record<string, string> | undefined;
  if (fees !== undefined) for (const k in fees) (feeText ??= {})[k] = fees[k]!.toString();
  // Key order of `orderToJSON`.
  return {
    clientOrderId: o.clientOrderId,
    venueOrderId,
    intent: o.intent,
    intentKey: o.intentKey,
    state,
    filledLots,
    cumTickLots: cumTickLots.toString(),
    fees: feeText ?? {},
    tradeIds,
    reason,
    createdNs: o.createdNs,
    updatedNs,
    history,
  };
}
