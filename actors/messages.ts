import type { OrderIntent, Side } from './orders/intent.js';
import type { OrderState } from './orders/order-state.js';
import type { Envelope, Message } from './runtime/envelope.js';
import type { StrategyTimerPayload } from './strategy/strategy-timers.js';
import type { DenialCodeOf, OrderDeniedSource, SubmitDenialCode } from './denials.js';

/**
 * Every message actors exchange, by type: {@link MessageMap} maps each dot-namespaced `type` to its
 * payload, so a handler that switches on `type` gets the payload typed, and a sender that builds a
 * message with {@link message} is checked. Also the topics and addresses, and (re-exported from
 * `./denials.ts`) the table of every denial code with its source.
 *
 * Every payload is plain JSON-serialisable data (bigint as decimal strings) so the same messages
 * can cross a process boundary later (NATS). Prices are integer ticks, quantities integer lots.
 *
 * ## Receiving: narrow an envelope, no `payload as X`
 *
 * ```ts
 * handle(e: Envelope): void {
 *   if (!isKnownMsg(e)) return;            // e: AnyMsg from here on (unknown types return)
 *   switch (e.type) {
 *     case 'md.ticker': onTicker(e.payload); return;   // e.payload: Ticker
 *     case 'order.cancel': cancel(e.payload.clientOrderId); return;
 *   }
 * }
 * // or, for one type:
 * if (isMsg(e, 'order.submit')) submit(e.payload);     // e.payload: OrderSubmit
 * ```
 *
 * `isKnownMsg`/`isMsg` check the `type` string at run time (one `Set`/string comparison, no
 * allocation); the payload's shape is the sender's promise, kept by {@link message} and by the
 * typed payload variables at every publish site (payloads are not re-validated per message).
 *
 * ## Sending: a checked message literal
 *
 * ```ts
 * system.send(venueAddress(v), message({ type: 'order.cancel', payload: { clientOrderId }, lane: 'control' }));
 * ```
 *
 * `message()` is the identity (no copy): it only makes the compiler check the payload against the type.
 * A reply to an asked `order.submit` is a {@link SubmitAck} (`reason` a denial code): build it as a
 * `SubmitAck`-typed value, then `ctx.reply(e, ack, 'order.ack')`.
 *
 * ## API
 *
 * - `MessageMap`: type → payload; `MessageType` = its keys; `MESSAGE_TYPES`: the same at run time.
 * - `Msg<K>`: a delivered envelope of type `K` (`Envelope<MessageMap[K], K>`); `AnyMsg`: the union of all.
 * - `isMsg(e, K)`: type guard to `Msg<K>`; `isKnownMsg(e)`: type guard to `AnyMsg` (then `switch (e.type)`).
 * - `OutMsg<K>`, `message(m)`: what a sender passes to `send`/`trySend`/`publish`/`ask`, checked.
 * - Handlers keep the runtime's signature `(e: Envelope, ctx) => void`; a method that takes one type
 *   can be declared `(e: Msg<'order.submit'>)` and called after the `switch`/`isMsg`.
 * - Commands with an optional payload: `venue.cmd.halt` (`VenueHalt | undefined`), `venue.cmd.resume`
 *   (`VenueResume | undefined`); without one: `strategy.stop|start`. (Chaos crashes an actor with
 *   `ActorSystem.injectFault`, from outside: no actor has a crash message.)
 *
 * ## Denials
 *
 * `DENIALS` (table `{ code, sources, refuses, meaning }`), `DenialCode` (every code), `DenialCodeOf<S>`
 * (the codes of a source), `isDenialCode`, `denialCodesOf`: see `./denials.ts`. An {@link OrderDenied}
 * carries `source` and a `code` of that source's union.
 */

export { DENIALS, ORDER_DENIED_SOURCES, denialCodesOf, denialEntry, isDenialCode } from './denials.js';
export type { DenialCode, DenialCodeOf, DenialEntry, DenialSource, DenialTarget, OrderDeniedSource, RiskDenialCode, SubmitDenialCode, VenueDenialCode } from './denials.js';

/** `order.submit` (to `risk` or directly to `exchange.<venue>`): place one order. */
export interface OrderSubmit {
  intent: OrderIntent;
  /**
   * Idempotency key of the intent: an intent key whose last attempt is in flight or unknown is
   * never re-sent under a new id (the venue actor answers `ORDER_OUTCOME_UNKNOWN`).
   */
  intentKey?: string;
  /** Client order id prefix (default: the strategy id). */
  prefix?: string;
}

/** `order.cancel` (control lane): cancel one order by client order id. */
export interface OrderCancel {
  clientOrderId: string;
}

/** `order.cancel-all` (control lane): cancel every open order (optionally filtered). */
export interface OrderCancelAll {
  reason: string;
  symbol?: string;
  strategy?: string;
}

/**
 * `order.update`, published on `orders.<strategy>` and `orders.all` whenever an order changes
 * state or fills; also the reply to an `order.submit` ask.
 */
export interface OrderUpdate {
  clientOrderId: string;
  venueOrderId?: string;
  strategy: string;
  venue: string;
  symbol: string;
  side: Side;
  state: OrderState;
  priceTicks: number;
  qtyLots: number;
  filledLots: number;
  /** Why: venue reason, reconciliation note, denial code. */
  reason?: string;
  /** Clock time of the change (ns). */
  tNs: number;
}

/** `order.fill`, published on `fills.<strategy>` and `fills.all` for every execution. */
export interface OrderFill {
  clientOrderId: string;
  strategy: string;
  venue: string;
  symbol: string;
  side: Side;
  lots: number;
  priceTicks: number;
  tradeId?: string;
  feeAsset?: string;
  /** Fee in atoms of `feeAsset` (decimal string of an integer). */
  feeAtoms?: string;
  tNs: number;
}

/** Fields every `order.denied` carries, whoever denied it. */
interface OrderDeniedBase {
  intent: OrderIntent;
  detail: string;
  clientOrderId?: string;
  tNs: number;
}

/** An `order.denied` of one source: `code` is one of that source's codes. */
type DeniedBy<S extends OrderDeniedSource> = S extends OrderDeniedSource ? OrderDeniedBase & { source: S; code: DenialCodeOf<S> } : never;

/**
 * `order.denied`, published on `risk.denials` and `orders.<strategy>`: an order that never left the
 * process. `source` says who denied it and `code` is a stable code of that source
 * (`DenialCodeOf<'risk'>` for `risk`, ...; see `DENIALS`). Consumers decide by `source`, never by a
 * code's spelling: `VENUE_UNAVAILABLE` is a code of both the risk engine and the venue actor.
 */
export type OrderDenied = DeniedBy<OrderDeniedSource>;

/**
 * Reply to an asked `order.submit` (`ask()`, reply type `order.ack`): the venue actor's
 * `{ accepted: true, clientOrderId }`, or `{ accepted: false, reason, message }` from whoever refused.
 */
export interface SubmitAck {
  accepted: boolean;
  clientOrderId?: string;
  /** The venue actor also sets it (same as `clientOrderId`). */
  orderId?: string;
  /** Denial code when not accepted. */
  reason?: SubmitDenialCode;
  /** Human-readable detail of the denial. */
  message?: string;
}

/** Top of book, published on `md.ticker.<venue>.<symbol>` (conflated by symbol). */
export interface Ticker {
  venue: string;
  symbol: string;
  bidTicks: number;
  bidLots: number;
  askTicks: number;
  askLots: number;
  /** Venue event time (epoch ms) if known, else 0. */
  venueTimeMs: number;
  /** Local receive time (clock ns): quote age = now − this. */
  recvNs: number;
  /** Token name of the external feed that produced it (a trusted `/feed` producer); absent for the venue's own data. */
  source?: string;
}

/** A public trade, published on `md.trade.<venue>.<symbol>`. */
export interface Trade {
  venue: string;
  symbol: string;
  priceTicks: number;
  lots: number;
  side: Side;
  venueTimeMs: number;
  recvNs: number;
}

/** Venue actor connection states (XState), published as `venue.state` on `venues.<venue>`. */
export type VenueConnState = 'disconnected' | 'connecting' | 'syncing' | 'running' | 'degraded' | 'halted';

/** `venue.state` payload. */
export interface VenueStateEvent {
  venue: string;
  state: VenueConnState;
  previous: VenueConnState;
  reason: string;
  tNs: number;
}

/** `balance.update`, published on `balances.<venue>` after each venue sync: the journal's total per asset. */
export interface BalanceUpdate {
  venue: string;
  asset: string;
  /** Total (free + locked) in atoms of the asset, decimal string of an integer. */
  totalAtoms: string;
  tNs: number;
}

/** `md.book` from a venue actor: the top levels of one book, `[priceTicks, lots]` per level. */
export interface BookSnapshot {
  venue: string;
  symbol: string;
  bids: [number, number][];
  asks: [number, number][];
  /** The venue's last applied update id (Binance `lastUpdateId` / `u`). */
  nonce: number;
  venueTimeMs: number;
  recvNs: number;
}

/** `md.book` from a trusted `/feed` producer: one level of one side. */
export interface BookLevel {
  venue: string;
  symbol: string;
  side: string;
  level: number;
  priceTicks: number;
  lots: number;
  seq: number;
  venueTimeMs: number;
  recvNs: number;
}

/** `venue.cmd.halt` (control lane): halt a venue actor (new orders denied `VENUE_HALTED`). */
export interface VenueHalt {
  reason?: string;
}

/** `venue.cmd.resume` (control lane): resume a halted venue actor. */
export interface VenueResume {
  /** After a balance divergence at start: adopt the venue's balances instead of halting again. */
  acceptBalances?: boolean;
}

/**
 * Every actor message type → its payload type. `undefined` in a payload type means the message
 * may come without a payload. Namespaces: `order.*` (order path), `md.*` (market data), `venue.*`
 * (venue events and `venue.cmd.*` commands), `balance.*`, `strategy.*` (strategy host). Journal
 * record kinds (`order.adopt`, `risk.state`, ...) and the gateway's WS ops are not actor messages;
 * `ext.md.*` (untrusted feed records, opt-in subscribers only) is deliberately outside the map.
 */
export interface MessageMap {
  /** To `risk` (strategies, the API) or `exchange.<venue>` (the risk actor): place one order. */
  'order.submit': OrderSubmit;
  /** Reply to an asked `order.submit`. */
  'order.ack': SubmitAck;
  /** To `exchange.<venue>`, control lane. */
  'order.cancel': OrderCancel;
  /** To `exchange.<venue>`, control lane. */
  'order.cancel-all': OrderCancelAll;
  /** On `orders.<strategy>` and `orders.all`. */
  'order.update': OrderUpdate;
  /** On `fills.<strategy>` and `fills.all`. */
  'order.fill': OrderFill;
  /** On `risk.denials` and `orders.<strategy>` (a strategy host also sends its own to itself). */
  'order.denied': OrderDenied;
  /** On `md.ticker.<venue>.<symbol>`. */
  'md.ticker': Ticker;
  /** On `md.trade.<venue>.<symbol>`. */
  'md.trade': Trade;
  /** On `md.book.<venue>.<symbol>`. */
  'md.book': BookSnapshot | BookLevel;
  /** On `venues.<venue>`. */
  'venue.state': VenueStateEvent;
  /** On `balances.<venue>`. */
  'balance.update': BalanceUpdate;
  /** To `exchange.<venue>`, control lane. */
  'venue.cmd.halt': VenueHalt | undefined;
  /** To `exchange.<venue>`, control lane. */
  'venue.cmd.resume': VenueResume | undefined;
  /** To any actor address, control lane (chaos): fail the incarnation so its supervisor restarts it. */
  /** A strategy's own timer firing (to `strategy.<id>`). */
  'strategy.timer': StrategyTimerPayload;
  /** To `strategy.<id>`, control lane: pause quoting. */
  'strategy.stop': undefined;
  /** To `strategy.<id>`, control lane: resume quoting. */
  'strategy.start': undefined;
  /** To `strategy.<id>`, control lane (chaos): fail the incarnation so its supervisor restarts it. */
}

/** A message type of {@link MessageMap}. */
export type MessageType = keyof MessageMap;

/** One entry per message type: the compiler rejects a type missing here or not in the map. */
const TYPE_TABLE: { readonly [K in MessageType]: true } = {
  'order.submit': true,
  'order.ack': true,
  'order.cancel': true,
  'order.cancel-all': true,
  'order.update': true,
  'order.fill': true,
  'order.denied': true,
  'md.ticker': true,
  'md.trade': true,
  'md.book': true,
  'venue.state': true,
  'balance.update': true,
  'venue.cmd.halt': true,
  'venue.cmd.resume': true,
  'strategy.timer': true,
  'strategy.stop': true,
  'strategy.start': true,
};

/** Every message type, at run time (what {@link isKnownMsg} checks). */
export const MESSAGE_TYPES: readonly MessageType[] = Object.freeze(Object.keys(TYPE_TABLE).filter((k): k is MessageType => k in TYPE_TABLE));

const KNOWN: ReadonlySet<string> = new Set(MESSAGE_TYPES);

/** A delivered envelope of type `K`: `payload` is `MessageMap[K]`. */
export type Msg<K extends MessageType> = Envelope<MessageMap[K], K>;

/** Any delivered envelope of a known type: `switch (e.type)` narrows `e.payload`. */
export type AnyMsg = { [K in MessageType]: Msg<K> }[MessageType];

/** True when the envelope's type is `type`; narrows `e.payload` to `MessageMap[type]`. */
export function isMsg<K extends MessageType>(e: Envelope, type: K): e is Msg<K> {
  return e.type === type;
}

/** True when the envelope's type is one of {@link MessageMap}; then `switch (e.type)` narrows `e.payload`. */
export function isKnownMsg(e: Envelope): e is AnyMsg {
  return KNOWN.has(e.type);
}

/** What a sender passes for a message of type `K` (`payload` may be left out only where the map allows `undefined`). */
export type OutMsg<K extends MessageType = MessageType> = {
  [T in K]: Message<MessageMap[T], T> & (undefined extends MessageMap[T] ? { payload?: MessageMap[T] } : { payload: MessageMap[T] });
}[K];

/**
 * Checks a message against {@link MessageMap} at compile time and returns it unchanged (no copy,
 * no run-time cost): `send(to, message({ type: 'order.cancel', payload: { clientOrderId }, lane: 'control' }))`.
 */
export function message<M extends OutMsg>(m: M): M {
  return m;
}

/** Topic helpers (general → specific). */
export const topics = {
  ticker: (venue: string, symbol: string): string => `md.ticker.${venue}.${symbol}`,
  trade: (venue: string, symbol: string): string => `md.trade.${venue}.${symbol}`,
  book: (venue: string, symbol: string): string => `md.book.${venue}.${symbol}`,
  orders: (strategy: string): string => `orders.${strategy}`,
  fills: (strategy: string): string => `fills.${strategy}`,
  venue: (venue: string): string => `venues.${venue}`,
  balances: (venue: string): string => `balances.${venue}`,
  denials: 'risk.denials',
  allOrders: 'orders.all',
  allFills: 'fills.all',
} as const;

/** Address of a venue actor. */
export const venueAddress = (venue: string): string => `exchange.${venue}`;
/** Address of a strategy actor. */
export const strategyAddress = (id: string): string => `strategy.${id}`;
/** Address of the risk actor. */
export const RISK_ADDRESS = 'risk';
