import type { Order, OrderHistoryEntry, OrderState } from './order-state.js';

/**
 * A consistent picture of the order table at one instant (a snapshot's sequence), taken
 * synchronously and cheaply, rendered to JSON text later in slices (see {@link renderSlice}), so a
 * snapshot does not stop the event loop for the whole table.
 *
 * What makes the deferred rendering exact: an order changes only through `applyOrderEvent`, which
 * replaces scalar fields, appends to `history` and `tradeIds` and adds into `fees`, while `intent`,
 * `clientOrderId`, `intentKey` and `createdNs` never change. So an order is captured as:
 * - its cached text when it has not changed since it was last rendered;
 * - itself when it is terminal (no event leaves a terminal state: it can no longer change);
 * - otherwise a {@link Frozen} copy of its changing scalars, the lengths of its append-only arrays
 *   and a copy of its fees (a few words per open order), rendered later from those.
 */
export class OrderTableCapture {
  private readonly parts: string[];
  private next = 0;

  /** Use `OrderStore.capture()`. */
  constructor(
    private readonly items: (string | Order | Frozen)[],
    private readonly closedIds: string[],
    private readonly cache: (o: Order, n: number, json: string) => void,
  ) {
    this.parts = new Array<string>(items.length);
  }

  /** Orders not rendered yet. */
  get remaining(): number {
    return this.items.length - this.next;
  }

  /** Renders up to `max` more orders; true once all are rendered. */
  renderSlice(max: number): boolean {
    const end = Math.min(this.items.length, this.next + max);
    for (let i = this.next; i < end; i++) {
      const it = this.items[i]!;
      if (typeof it === 'string') this.parts[i] = it;
      else if (it instanceof Frozen) {
        const json = frozenText(it);
        this.parts[i] = json;
        // Still the same order state as captured: later snapshots may reuse the text.
        if (it.o.history.length === it.n) this.cache(it.o, it.n, json);
      } else {
        const json = orderText(it);
        this.parts[i] = json;
        this.cache(it, it.history.length, json);
      }
      this.items[i] = ''; // let the captured copy go
    }
    this.next = end;
    return end === this.items.length;
  }

  /** The table's JSON text (`JSON.stringify(store.toJSON())` as of the capture); renders what is left. */
  text(): string {
    this.renderSlice(Infinity);
    return `{"orders":[${this.parts.join(',')}],"closed":${JSON.stringify(this.closedIds)}}`;
  }
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
}

/**
 * `JSON.stringify(orderToJSON(o))` without copying the intent, trade ids and history first (the
 * same values in the same key order, so the same bytes).
 */
export function orderText(o: Order): string {
  return render(o, o.venueOrderId, o.state, o.filledLots, o.cumTickLots, o.fees, o.tradeIds, o.reason, o.updatedNs, o.history);
}

function frozenText(f: Frozen): string {
  const o = f.o;
  const tradeIds = o.tradeIds.length === f.trades ? o.tradeIds : o.tradeIds.slice(0, f.trades);
  const history = o.history.length === f.n ? o.history : o.history.slice(0, f.n);
  return render(o, f.venueOrderId, f.state, f.filledLots, f.cumTickLots, f.fees, tradeIds, f.reason, f.updatedNs, history);
}

function render(
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
): string {
  let feeText: Record<string, string> | undefined;
  if (fees !== undefined) for (const k in fees) (feeText ??= {})[k] = fees[k]!.toString();
  // Key order of `orderToJSON`.
  return JSON.stringify({
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
  });
}
