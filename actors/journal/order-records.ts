import type { OrderIntent } from '../orders/intent.js';
import type { OrderEvent } from '../orders/order-state.js';
import { isTerminal } from '../orders/order-state.js';
import type { OrderStore, OrderStoreState } from '../orders/order-store.js';
import type { OrderTableCapture } from '../orders/order-table-capture.js';
import { ORDER_TABLE_IMAGE_VERSION } from '../orders/order-table-image.js';
import type { Portfolio, PortfolioState } from '../orders/portfolio.js';
import { JournalCorruptError, JournalRecordTypeError, JournalSnapshotVersionError } from './errors.js';
import type { JournalRecord } from './record.js';

/**
 * The order-domain records of the journal and the one function that applies them. The live path
 * applies a record with {@link applyOrderRecord} and then appends the same record; replay applies
 * the records it reads with the same function, so the rebuilt state cannot drift from the live one.
 *
 * | type | data |
 * | --- | --- |
 * | `order.submit` | `{id, i: intent, k?: intentKey, l?: leaseRevision}`: created and submitted (journaled before sending; `l`: the venue lease term it was sent under, see docs/deployment.md) |
 * | `order.deny` | `{id, i, k?, r: reason}`: created and denied by risk |
 * | `order.event` | `{id, e: event}`: any later {@link OrderEvent}, bigints as strings |
 * | `balance.adjust` | `{v: venue, a: asset, x: atoms}`: deposit, withdrawal, reconciliation adjustment |
 * | `risk.state` | `{s: state, g: trigger, r: reason}`: a kill-switch transition (see {@link TradingStateRecord}) |
 */
export const ORDER_RECORD_TYPES = Object.freeze(['order.submit', 'order.deny', 'order.adopt', 'order.event', 'balance.adjust', 'risk.state'] as const);

/**
 * The last kill-switch state the journal holds (`risk.state` records): restored at start before
 * any strategy or API order can trade, so HALTED and REDUCING survive every kind of restart.
 */
export interface TradingStateRecord {
  /** `ACTIVE`, `REDUCING` or `HALTED`. */
  s: 'ACTIVE' | 'REDUCING' | 'HALTED';
  /** What caused it (`manual`, `daily-loss`, `drawdown`, `breaker-cascade`). */
  g: string;
  /** The operator's reason or the figures that tripped the trigger. */
  r: string;
  /** Wall time of the transition (epoch ms). */
  t: number;
}

const TRADING_STATE_VALUES: ReadonlySet<string> = new Set(['ACTIVE', 'REDUCING', 'HALTED']);

/** The `submit` event of every created order (immutable, shared: no object per order). */
const SUBMIT: OrderEvent = Object.freeze({ kind: 'submit' });

/** The state the journal rebuilds. */
export interface OrderBookState {
  orders: OrderStore;
  portfolio: Portfolio;
  /** Last journaled kill-switch state (absent: never journaled, i.e. ACTIVE). */
  tradingState?: TradingStateRecord;
}

/** Data of an `order.submit`/`order.deny` record. */
export interface OrderCreateData {
  id: string;
  i: OrderIntent;
  k?: string;
  r?: string;
}

/** Encodes an event for the journal (bigints → strings). */
export function encodeOrderEvent(e: OrderEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e };
  for (const [k, v] of Object.entries(out)) if (typeof v === 'bigint') out[k] = v.toString();
  return out;
}

/**
 * The body of an `order.event` record as JSON text: `JSON.stringify({ id, e: encodeOrderEvent(e) })`,
 * byte for byte (the event's own keys in their order, bigints as decimal strings, undefined
 * fields left out), rendered without the two intermediate objects.
 */
export function orderEventText(id: string, e: OrderEvent): string {
  let out = `{"id":${JSON.stringify(id)},"e":{`;
  let first = true;
  const ev = e as unknown as Record<string, unknown>;
  for (const k in ev) {
    if (!Object.prototype.hasOwnProperty.call(ev, k)) continue;
    const v = ev[k];
    let t: string | undefined;
    if (typeof v === 'bigint') t = `"${v}"`;
    else if (typeof v === 'number') t = Number.isFinite(v) ? `${v}` : 'null';
    else t = JSON.stringify(v);
    if (t === undefined) continue; // undefined, functions, symbols: JSON leaves the key out
    out += first ? keyText(k) : `,${keyText(k)}`;
    out += t;
    first = false;
  }
  return `${out}}}`;
}

/** `"key":` of the event fields seen so far (a handful of names): no string built per field. */
const KEY_TEXT = new Map<string, string>();
function keyText(k: string): string {
  let t = KEY_TEXT.get(k);
  if (t === undefined) {
    t = `${JSON.stringify(k)}:`;
    if (KEY_TEXT.size < 64) KEY_TEXT.set(k, t);
  }
  return t;
}

/** Decodes an event from the journal (strings → bigints for the bigint fields). */
export function decodeOrderEvent(j: Record<string, unknown>): OrderEvent {
  const out: Record<string, unknown> = { ...j };
  for (const k of ['feeAtoms', 'cumTickLots']) if (typeof out[k] === 'string') out[k] = BigInt(out[k] as string);
  return out as unknown as OrderEvent;
}

/**
 * Applies one journal record to the state: order table transitions, locks (a buy locks its quote
 * notional at the order price, a sell its base quantity; fills release what they consume, a
 * terminal state releases the rest) and fills into the portfolio. Throws the orders area's typed
 * errors for invalid transitions or fills, and {@link JournalRecordTypeError} for an unknown type.
 */
export function applyOrderRecord(s: OrderBookState, r: JournalRecord): void {
  const tNs = r.tMs * 1e6;
  switch (r.type) {
    case 'order.submit': {
      const d = r.data as OrderCreateData;
      s.portfolio.instrument(d.i.venue, d.i.symbol);
      s.orders.create(d.id, d.i, tNs, d.k);
      s.orders.apply(d.id, SUBMIT, tNs);
      s.portfolio.lockForOrder(d.i.venue, d.i.symbol, d.i.side, d.i.priceTicks, d.i.qtyLots);
      return;
    }
    case 'order.adopt': {
      // An order found at the venue that the journal lacked: booked under the venue's client id.
      const d = r.data as OrderCreateData & { v?: string };
      s.portfolio.instrument(d.i.venue, d.i.symbol);
      s.orders.create(d.id, d.i, tNs, d.k);
      s.orders.apply(d.id, SUBMIT, tNs);
      s.portfolio.lockForOrder(d.i.venue, d.i.symbol, d.i.side, d.i.priceTicks, d.i.qtyLots);
      s.orders.apply(d.id, d.v === undefined ? { kind: 'accept' } : { kind: 'accept', venueOrderId: d.v }, tNs);
      return;
    }
    case 'order.deny': {
      const d = r.data as OrderCreateData;
      s.orders.create(d.id, d.i, tNs, d.k);
      s.orders.apply(d.id, { kind: 'deny', reason: d.r ?? '' }, tNs);
      return;
    }
    case 'order.event': {
      const d = r.data as { id: string; e: Record<string, unknown> };
      applyOrderEventRecord(s, d.id, decodeOrderEvent(d.e), tNs);
      return;
    }
    case 'balance.adjust': {
      const d = r.data as { v: string; a: string; x: string };
      s.portfolio.adjustBalance(d.v, d.a, BigInt(d.x));
      return;
    }
    case 'risk.state': {
      const d = r.data as Partial<TradingStateRecord> | null;
      // A record naming no known state is corruption, not a reason to trade: refuse it like an unknown type.
      if (d === null || typeof d !== 'object' || typeof d.s !== 'string' || !TRADING_STATE_VALUES.has(d.s)) throw new JournalRecordTypeError(`${r.type} (state ${JSON.stringify(d?.s)})`, r.seq);
      s.tradingState = { s: d.s, g: String(d.g ?? ''), r: String(d.r ?? ''), t: r.tMs };
      return;
    }
    default:
      throw new JournalRecordTypeError(r.type, r.seq);
  }
}

/**
 * The `order.event` part of {@link applyOrderRecord}: the live path calls it with the event itself
 * (no encode/decode round trip), replay with the decoded record; both give the same state.
 */
export function applyOrderEventRecord(s: OrderBookState, id: string, e: OrderEvent, tNs: number): void {
  const o = s.orders.require(id);
  const beforeLots = o.filledLots;
  const beforeTicks = o.cumTickLots;
  s.orders.apply(id, e, tNs);
  const i = o.intent;
  const lots = o.filledLots - beforeLots;
  if (lots > 0) {
    const fee = e.kind === 'fill' || e.kind === 'reconcile' ? e : undefined;
    s.portfolio.applyFillTickLots(i.venue, i.symbol, i.side, lots, o.cumTickLots - beforeTicks, fee?.feeAsset, fee?.feeAtoms);
    s.portfolio.lockForOrder(i.venue, i.symbol, i.side, i.priceTicks, -lots);
  } else if (e.kind === 'reconcile' && e.feeAsset !== undefined && e.feeAtoms !== undefined) {
    s.portfolio.chargeFee(i.venue, e.feeAsset, e.feeAtoms);
  }
  if (isTerminal(o.state)) {
    const rest = i.qtyLots - o.filledLots;
    if (rest > 0) s.portfolio.lockForOrder(i.venue, i.symbol, i.side, i.priceTicks, -rest);
  }
}

/** Snapshot payload of an {@link OrderBookState}. */
export interface OrderBookSnapshot {
  orders: OrderStoreState;
  portfolio: PortfolioState;
  /** Kept through snapshots: compaction drops the `risk.state` records it replaces. */
  tradingState?: TradingStateRecord;
}

/** The state as a JSON-safe value (snapshots; tests compare two states through it). */
export function serializeOrderBook(s: OrderBookState): OrderBookSnapshot {
  return { orders: s.orders.toJSON(), portfolio: s.portfolio.toJSON(), ...(s.tradingState === undefined ? {} : { tradingState: { ...s.tradingState } }) };
}

/**
 * `JSON.stringify(serializeOrderBook(s))`, byte for byte, rendered without the intermediate copy
 * (the order table reuses the text of orders unchanged since the previous snapshot).
 */
export function serializeOrderBookText(s: OrderBookState): string {
  return captureOrderBook(s).text();
}

/**
 * The state as of now, for a snapshot: captured synchronously and cheaply (see
 * `OrderTableCapture`), rendered by {@link renderOrderBook} in slices across event-loop turns, so
 * a snapshot of a large table does not hold up the orders of the turn that triggered it.
 */
export interface OrderBookCapture {
  orders: OrderTableCapture;
  /** The rest of the state, rendered at capture (small: balances per venue and asset). */
  tail: string;
  text(): string;
  /** The text as UTF-8 pieces in order (renders what is left): what a snapshot writes. */
  buffers(): Buffer[];
}

/** Captures the state now (see {@link OrderBookCapture}). */
export function captureOrderBook(s: OrderBookState): OrderBookCapture {
  const orders = s.orders.capture();
  const ts = s.tradingState === undefined ? '' : `,"tradingState":${JSON.stringify(s.tradingState)}`;
  const tail = `,"portfolio":${JSON.stringify(s.portfolio.toJSON())}${ts}}`;
  return {
    orders,
    tail,
    text: () => `{"orders":${orders.text()}${tail}`,
    buffers: () => [BOOK_OPEN, ...orders.buffers(), Buffer.from(tail, 'utf8')],
  };
}

const BOOK_OPEN = Buffer.from('{"orders":');

/**
 * Orders rendered per event-loop turn by {@link renderOrderBook}: small, so one turn of rendering
 * (≈ 5 µs per order on the reference machine, most of it printing the ns timestamps) delays the
 * orders queued behind it by ~0.1 ms, not by milliseconds; the per-turn overhead (one
 * `setImmediate`) is a few hundred ns.
 */
export const SNAPSHOT_SLICE = 24;

/** Renders a capture `slice` orders per turn (yielding to I/O and timers in between); resolves with its text. */
export async function renderOrderBook(c: OrderBookCapture, slice = SNAPSHOT_SLICE): Promise<string> {
  await renderAll(c, slice);
  return c.text();
}

/**
 * {@link renderOrderBook} as the UTF-8 pieces a snapshot writes (`SnapshotParts`): the table's
 * text is never concatenated into one string, flattened and encoded a second time.
 */
export async function renderOrderBookBuffers(c: OrderBookCapture, slice = SNAPSHOT_SLICE): Promise<Buffer[]> {
  await renderAll(c, slice);
  return c.buffers();
}

async function renderAll(c: OrderBookCapture, slice: number): Promise<void> {
  while (!c.orders.renderSlice(slice)) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Orders of the table encoded per event-loop turn into a snapshot's binary image: ~0.8 µs each
 * (one `writeOrder`, measured on the reference machine), so a slice is ~0.1 ms of work like a
 * JSON slice of {@link SNAPSHOT_SLICE}.
 */
export const IMAGE_SLICE = 128;

/** The marker a version-2 snapshot's JSON holds in place of the order table (the image follows the JSON). */
export interface OrderTableImageRef {
  /** Format version of the image (see order-table-image.ts). */
  image: number;
  /** Its length in bytes (the whole attachment). */
  bytes: number;
}

/**
 * Captures the state now for a version-2 snapshot and encodes it over the next event-loop turns:
 * the JSON pieces (portfolio, trading state, the order table's {@link OrderTableImageRef}) and the
 * order table's binary image (`OrderStore.captureImage`: packed closed orders as their bytes, the
 * rest encoded `slice` orders per turn). What `SnapshotParts(parts, binary)` writes.
 */
export async function renderOrderBookImage(s: OrderBookState, slice = IMAGE_SLICE): Promise<{ parts: Buffer[]; binary: Buffer[] }> {
  const image = s.orders.captureImage();
  const ts = s.tradingState === undefined ? '' : `,"tradingState":${JSON.stringify(s.tradingState)}`;
  const tail = `,"portfolio":${JSON.stringify(s.portfolio.toJSON())}${ts}}`;
  while (!image.renderSlice(slice)) await new Promise<void>((resolve) => setImmediate(resolve));
  const binary = image.buffers();
  let bytes = 0;
  for (const b of binary) bytes += b.length;
  const ref: OrderTableImageRef = { image: ORDER_TABLE_IMAGE_VERSION, bytes };
  return { parts: [Buffer.from(`{"orders":${JSON.stringify(ref)}${tail}`, 'utf8')], binary };
}

/**
 * Replaces the state with a snapshot's: a version-1 snapshot's JSON order table, or a version-2
 * snapshot's order table image (`binary`, named by an {@link OrderTableImageRef}). Throws
 * {@link JournalSnapshotVersionError} for an image version this build does not read.
 */
export function restoreOrderBook(s: OrderBookState, snap: unknown, binary?: Buffer, file = 'snapshot'): void {
  const v = snap as OrderBookSnapshot;
  const ref = v.orders as unknown as Partial<OrderTableImageRef>;
  if (typeof ref.image === 'number') {
    if (ref.image !== ORDER_TABLE_IMAGE_VERSION) throw new JournalSnapshotVersionError(`${file} (order table image)`, ref.image, [ORDER_TABLE_IMAGE_VERSION]);
    if (binary === undefined || binary.length !== ref.bytes) throw new JournalCorruptError(file, 0, `order table image of ${binary?.length ?? 0} bytes where the snapshot names ${String(ref.bytes)}`);
    s.orders.restoreImage(binary);
  } else s.orders.restore(v.orders);
  s.portfolio.restore(v.portfolio);
  if (v.tradingState === undefined) delete s.tradingState;
  else s.tradingState = { ...v.tradingState };
}
