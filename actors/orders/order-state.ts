import type { OrderIntent } from './intent.js';
import { DuplicateFillError, InvalidFillError, InvalidTransitionError } from './errors.js';

/**
 * Order lifecycle as a validated transition table (pure data + one reducer, no actor per order).
 *
 * `unknown` is the ambiguous outcome of a submission (timeout, HTTP 5xx, disconnect while in
 * flight): the order may or may not exist at the venue. Only a `reconcile` event (the venue's
 * answer to "what happened to clientOrderId X?") leaves it, so nothing can quietly assume either
 * outcome.
 */
export type OrderState =
  | 'initialized'
  | 'denied'
  | 'submitted'
  | 'accepted'
  | 'rejected'
  | 'unknown'
  | 'partially-filled'
  | 'filled'
  | 'pending-cancel'
  | 'canceled'
  | 'expired';

/** Every order state, in lifecycle order. */
export const ORDER_STATES: readonly OrderState[] = Object.freeze([
  'initialized',
  'denied',
  'submitted',
  'accepted',
  'rejected',
  'unknown',
  'partially-filled',
  'filled',
  'pending-cancel',
  'canceled',
  'expired',
]);

/** States no event leaves. */
export const TERMINAL_STATES: ReadonlySet<OrderState> = new Set<OrderState>(['denied', 'rejected', 'filled', 'canceled', 'expired']);

/** States in which the order is (or may be) working at the venue. */
export const OPEN_STATES: ReadonlySet<OrderState> = new Set<OrderState>(['submitted', 'accepted', 'unknown', 'partially-filled', 'pending-cancel']);

/** True when no event can leave `s`. */
export function isTerminal(s: OrderState): boolean {
  return TERMINAL_STATES.has(s);
}

/** States a reconciliation may resolve an order to. */
export type ReconcileTarget = 'accepted' | 'rejected' | 'partially-filled' | 'filled' | 'canceled' | 'expired';

/** One execution (or the part of one) against an order. Prices in ticks, quantity in lots. */
export interface FillEvent {
  kind: 'fill';
  lots: number;
  priceTicks: number;
  /** Venue trade id; a second fill with the same id is refused ({@link DuplicateFillError}). */
  tradeId?: string;
  /** Fee asset and amount in that asset's atoms (see `Portfolio.assetDecimals`). */
  feeAsset?: string;
  feeAtoms?: bigint;
}

/**
 * The venue's view of an order, applied by reconciliation. `filledLots`/`cumTickLots` are the
 * venue's cumulative figures; the difference to what is known locally is applied as one fill.
 */
export interface ReconcileEvent {
  kind: 'reconcile';
  to: ReconcileTarget;
  venueOrderId?: string;
  filledLots: number;
  /** Cumulative Σ priceTicks × lots at the venue (exact). */
  cumTickLots: bigint;
  feeAsset?: string;
  /** Fees not yet known locally, in atoms of `feeAsset`. */
  feeAtoms?: bigint;
}

/** Everything that can happen to an order. */
export type OrderEvent =
  | { kind: 'deny'; reason: string }
  | { kind: 'submit' }
  | { kind: 'accept'; venueOrderId?: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'unknown'; reason: string }
  | FillEvent
  | { kind: 'cancel-request' }
  | { kind: 'cancel-reject'; reason: string }
  | { kind: 'canceled'; reason?: string }
  | { kind: 'expire' }
  | ReconcileEvent;

/** The kind of an {@link OrderEvent}. */
export type OrderEventKind = OrderEvent['kind'];

/** Every event kind. */
export const ORDER_EVENT_KINDS: readonly OrderEventKind[] = Object.freeze([
  'deny',
  'submit',
  'accept',
  'reject',
  'unknown',
  'fill',
  'cancel-request',
  'cancel-reject',
  'canceled',
  'expire',
  'reconcile',
]);

const RECONCILE_FROM_SUBMITTED: readonly OrderState[] = ['accepted', 'rejected', 'partially-filled', 'filled', 'canceled', 'expired'];

/**
 * The transition table: for each state, the events it accepts and the states each may lead to
 * (which one depends on the event's data, e.g. a fill that completes the quantity leads to
 * `filled`). Anything not listed is an {@link InvalidTransitionError}.
 *
 * Notes on the less obvious rows:
 * - `submitted` + `fill`: a venue's execution report can overtake the REST acknowledgement.
 * - `submitted` + `expire`: an IOC/FOK order that found no liquidity comes back EXPIRED at once.
 * - `accepted`/`partially-filled` + `canceled`: the venue cancelled on its own (IOC remainder, STP).
 * - `pending-cancel` + `fill`: the cancel is losing the race; a partial fill keeps it pending,
 *   a complete one fills it; `cancel-reject` returns it to `accepted` or `partially-filled`.
 * - `unknown` accepts `reconcile` only.
 */
export const TRANSITIONS: Readonly<Record<OrderState, Readonly<Partial<Record<OrderEventKind, readonly OrderState[]>>>>> = Object.freeze({
  initialized: { deny: ['denied'], submit: ['submitted'] },
  denied: {},
  submitted: {
    accept: ['accepted'],
    reject: ['rejected'],
    unknown: ['unknown'],
    fill: ['partially-filled', 'filled'],
    expire: ['expired'],
    reconcile: RECONCILE_FROM_SUBMITTED,
  },
  accepted: {
    fill: ['partially-filled', 'filled'],
    'cancel-request': ['pending-cancel'],
    canceled: ['canceled'],
    expire: ['expired'],
    reconcile: ['accepted', 'partially-filled', 'filled', 'canceled', 'expired'],
  },
  rejected: {},
  unknown: { reconcile: RECONCILE_FROM_SUBMITTED },
  'partially-filled': {
    fill: ['partially-filled', 'filled'],
    'cancel-request': ['pending-cancel'],
    canceled: ['canceled'],
    expire: ['expired'],
    reconcile: ['partially-filled', 'filled', 'canceled', 'expired'],
  },
  filled: {},
  'pending-cancel': {
    fill: ['pending-cancel', 'filled'],
    canceled: ['canceled'],
    'cancel-reject': ['accepted', 'partially-filled'],
    expire: ['expired'],
    reconcile: ['accepted', 'partially-filled', 'filled', 'canceled', 'expired'],
  },
  canceled: {},
  expired: {},
});

/** One line of an order's history. */
export interface OrderHistoryEntry {
  tNs: number;
  event: OrderEventKind;
  from: OrderState;
  to: OrderState;
}

/**
 * The order record. Quantities are integer lots; `cumTickLots` = Σ priceTicks × lots of every fill,
 * exact as a bigint, so the average price is the exact rational `cumTickLots / filledLots` ticks.
 */
export interface Order {
  readonly clientOrderId: string;
  venueOrderId: string | undefined;
  readonly intent: Readonly<OrderIntent>;
  /** Caller's key for "the same intent" across attempts (see `OrderStore.canResubmit`). */
  readonly intentKey: string | undefined;
  state: OrderState;
  filledLots: number;
  cumTickLots: bigint;
  /** Fees per asset, in that asset's atoms. */
  fees: Record<string, bigint>;
  /** Trade ids already applied (duplicate fills are refused). */
  tradeIds: string[];
  /** Last deny/reject/unknown/cancel-reject reason. */
  reason: string | undefined;
  createdNs: number;
  updatedNs: number;
  history: OrderHistoryEntry[];
}

/** A new order in state `initialized`. */
export function createOrder(clientOrderId: string, intent: Readonly<OrderIntent>, tNs: number, intentKey?: string): Order {
  return {
    clientOrderId,
    venueOrderId: undefined,
    intent,
    intentKey,
    state: 'initialized',
    filledLots: 0,
    cumTickLots: 0n,
    fees: {},
    tradeIds: [],
    reason: undefined,
    createdNs: tNs,
    updatedNs: tNs,
    history: [],
  };
}

/** Average fill price in ticks (a float, for display only; use `cumTickLots` for maths). */
export function avgPriceTicks(o: Order): number {
  return o.filledLots === 0 ? 0 : Number(o.cumTickLots) / o.filledLots;
}

/** The state `event` would lead to from `o` (validating it), without changing `o`. */
export function nextState(o: Order, event: OrderEvent): OrderState {
  const allowed = TRANSITIONS[o.state][event.kind];
  if (allowed === undefined) throw new InvalidTransitionError(o.clientOrderId, o.state, event.kind);
  let to: OrderState;
  switch (event.kind) {
    case 'fill': {
      checkFill(o, event);
      const done = o.filledLots + event.lots === o.intent.qtyLots;
      to = done ? 'filled' : o.state === 'pending-cancel' ? 'pending-cancel' : 'partially-filled';
      break;
    }
    case 'cancel-reject':
      to = o.filledLots > 0 ? 'partially-filled' : 'accepted';
      break;
    case 'reconcile':
      checkReconcile(o, event);
      to = event.to;
      break;
    default:
      to = allowed[0]!;
  }
  if (!allowed.includes(to)) throw new InvalidTransitionError(o.clientOrderId, o.state, event.kind, `would lead to "${to}"`);
  return to;
}

/**
 * Applies `event` to `o` at time `tNs` and returns the new state. Validates first: on any error
 * (typed: {@link InvalidTransitionError}, {@link InvalidFillError}, {@link DuplicateFillError})
 * the order is left unchanged.
 */
export function applyOrderEvent(o: Order, event: OrderEvent, tNs: number): OrderState {
  const from = o.state;
  const to = nextState(o, event);
  switch (event.kind) {
    case 'fill':
      o.filledLots += event.lots;
      o.cumTickLots += BigInt(event.priceTicks) * BigInt(event.lots);
      if (event.tradeId !== undefined) o.tradeIds.push(event.tradeId);
      addFee(o, event.feeAsset, event.feeAtoms);
      break;
    case 'reconcile':
      o.filledLots = event.filledLots;
      o.cumTickLots = event.cumTickLots;
      if (event.venueOrderId !== undefined) o.venueOrderId = event.venueOrderId;
      addFee(o, event.feeAsset, event.feeAtoms);
      break;
    case 'accept':
      if (event.venueOrderId !== undefined) o.venueOrderId = event.venueOrderId;
      break;
    case 'deny':
    case 'reject':
    case 'unknown':
    case 'cancel-reject':
      o.reason = event.reason;
      break;
    case 'canceled':
      if (event.reason !== undefined) o.reason = event.reason;
      break;
    default:
      break;
  }
  o.state = to;
  o.updatedNs = tNs;
  o.history.push({ tNs, event: event.kind, from, to });
  return to;
}

function addFee(o: Order, asset: string | undefined, atoms: bigint | undefined): void {
  if (asset === undefined || atoms === undefined || atoms === 0n) return;
  o.fees[asset] = (o.fees[asset] ?? 0n) + atoms;
}

function checkFill(o: Order, f: FillEvent): void {
  if (!Number.isSafeInteger(f.lots) || f.lots <= 0) {
    throw new InvalidFillError(o.clientOrderId, `fill lots must be a positive safe integer, got ${String(f.lots)}`, { lots: f.lots });
  }
  if (!Number.isSafeInteger(f.priceTicks) || f.priceTicks <= 0) {
    throw new InvalidFillError(o.clientOrderId, `fill priceTicks must be a positive safe integer, got ${String(f.priceTicks)}`, { priceTicks: f.priceTicks });
  }
  if (o.filledLots + f.lots > o.intent.qtyLots) {
    throw new InvalidFillError(o.clientOrderId, `fill of ${f.lots} lots would overfill (${o.filledLots} of ${o.intent.qtyLots} already filled)`, {
      lots: f.lots,
      filledLots: o.filledLots,
      qtyLots: o.intent.qtyLots,
    });
  }
  if ((f.feeAtoms !== undefined && f.feeAtoms < 0n) || (f.feeAtoms !== undefined) !== (f.feeAsset !== undefined)) {
    throw new InvalidFillError(o.clientOrderId, 'fee needs both feeAsset and feeAtoms >= 0');
  }
  if (f.tradeId !== undefined && o.tradeIds.includes(f.tradeId)) throw new DuplicateFillError(o.clientOrderId, f.tradeId);
}

function checkReconcile(o: Order, r: ReconcileEvent): void {
  const q = o.intent.qtyLots;
  const bad = (why: string): never => {
    throw new InvalidFillError(o.clientOrderId, `reconcile to "${r.to}": ${why}`, { filledLots: r.filledLots, localFilledLots: o.filledLots });
  };
  if (!Number.isSafeInteger(r.filledLots) || r.filledLots < o.filledLots || r.filledLots > q) {
    bad(`venue filledLots ${String(r.filledLots)} must be an integer in [${o.filledLots}, ${q}]`);
  }
  if (r.cumTickLots < o.cumTickLots || (r.filledLots === o.filledLots && r.cumTickLots !== o.cumTickLots) || (r.filledLots > 0) !== (r.cumTickLots > 0n)) {
    bad('venue cumTickLots is inconsistent with the fills known locally');
  }
  if (r.feeAtoms !== undefined && (r.feeAtoms < 0n || r.feeAsset === undefined)) bad('fee needs feeAsset and feeAtoms >= 0');
  if (r.to === 'filled' && r.filledLots !== q) bad('filled needs filledLots == qtyLots');
  if (r.to !== 'filled' && r.filledLots === q) bad('filledLots == qtyLots needs state "filled"');
  if (r.to === 'partially-filled' && r.filledLots === 0) bad('partially-filled needs filledLots > 0');
  if ((r.to === 'accepted' || r.to === 'rejected') && r.filledLots !== 0) bad(`"${r.to}" needs filledLots == 0`);
}
