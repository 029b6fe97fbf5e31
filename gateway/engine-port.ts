/**
 * The only way the gateway talks to the engine. The daemon implements this on top of the actor
 * system (orders, risk, venues, strategies, journal); tests use an in-memory double. Keeping the
 * surface this small means the gateway never imports an actor and the engine never imports uWS.
 *
 * Conventions: prices are integer ticks, quantities integer lots (as in `actors/orders/intent.ts`).
 * Business refusals (risk denial, unknown order) are results (`accepted: false` + reason code),
 * not rejections. A rejected promise means the engine failed; the gateway replies `GW_ENGINE_ERROR`
 * (with the error's `code` as `details.engineCode` when it has one) or `GW_INTERNAL`.
 * Every value returned must be JSON-serialisable (bigint is sent as a decimal string).
 */
export interface EnginePort {
  /** Submits an order through the same risk path strategies use. */
  submitOrder(req: OrderRequest, ctx: RequestContext): Promise<OrderAck>;
  /** Cancels one order by engine id or client order id. */
  cancelOrder(req: CancelRequest, ctx: RequestContext): Promise<CancelAck>;
  /** Cancels every open order matching the filter (all when empty). */
  cancelAll(req: CancelAllRequest, ctx: RequestContext): Promise<CancelAllAck>;
  /** Sets the kill switch. */
  setKillSwitch(state: KillSwitchState, ctx: RequestContext): Promise<KillSwitchAck>;
  /** Engine status (lifecycle, kill switch, venues, strategies). */
  status(): Promise<EngineStatus>;
  /** Orders matching the filter. */
  orders(filter: OrderFilter): Promise<readonly OrderView[]>;
  /** Current positions. */
  positions(): Promise<readonly PositionView[]>;
  /** Balances per venue and asset. */
  balances(): Promise<readonly BalanceView[]>;
  /** Circuit breaker states. */
  breakers(): Promise<readonly BreakerView[]>;
  /** The risk limits in force. */
  riskLimits(): Promise<RiskLimitsView>;
  /** The traded instruments with their tick and lot sizes (to turn ticks and lots into decimals). */
  instruments(): Promise<readonly InstrumentView[]>;
  /** Starts a strategy by id. */
  startStrategy(id: string, ctx: RequestContext): Promise<StrategyAck>;
  /** Stops a strategy by id. */
  stopStrategy(id: string, ctx: RequestContext): Promise<StrategyAck>;
  /**
   * Resumes a halted venue (after `B4_VENUE_DIVERGED`, `B4_VENUE_AUTH` or an operator halt): it
   * reconnects, syncs and reconciles again. `acceptBalances` accepts the venue's balances as they
   * are after a divergence halt (the difference is journaled as a balance adjustment).
   */
  resumeVenue(req: VenueResumeRequest, ctx: RequestContext): Promise<VenueResumeAck>;
  /**
   * Hands one validated market-data message from `/feed` to the engine. Called synchronously on the
   * socket's thread at up to millions of calls per second: `msg` is a scratch object the gateway
   * REUSES after this returns — copy what you keep. Return `false` when the engine refused it
   * (mailbox full): the gateway counts it as a drop and tells the producer `GW_FEED_REJECTED`.
   * `producer` is the feed token's name: the engine lets only producers its config names as
   * trusted for an instrument move that instrument's trading data.
   */
  publishMarketData(msg: Readonly<MarketDataMessage>, producer?: string): boolean;
  /** Readiness inputs for `/health`. Synchronous and cheap: called per HTTP request. */
  health(): EngineHealth;
  /** Engine metric families for `/metrics` (orders, denials by code, breakers, mailboxes, latency). */
  metrics(): readonly MetricFamily[];
  /**
   * Registers the listener that receives every engine event the gateway may fan out to `/ws`
   * subscribers, with its topic (`orders`, `fills`, `positions`, `balances`, `breakers`,
   * `risk.denials`, `actors.latency`, `killswitch`, `md.<kind>.<venue>.<symbol>`). `data` must be
   * JSON-serialisable and is serialised once per event. Returns the unsubscribe function.
   */
  onEvent(listener: EngineEventListener): () => void;
}

/** Receives engine events for fan-out. */
export type EngineEventListener = (topic: string, data: unknown) => void;

/** Roles a token can hold. `admin` implies every other role; `trade` implies `read`. */
export type Role = 'read' | 'trade' | 'admin' | 'feed';

/** Who asked: passed with every state-changing call so the engine can journal it. */
export interface RequestContext {
  /** Name of the authenticated token (never the token itself). */
  principal: string;
  /** Roles of that token. */
  roles: readonly Role[];
  /** Gateway connection id. */
  connectionId: number;
  /** The request id the client chose (string or number, as sent). */
  requestId: string | number;
}

/** Order side. */
export type OrderSide = 'buy' | 'sell';
/** Order type. */
export type OrderKind = 'limit' | 'market' | 'limit-maker';
/** Time in force. */
export type OrderTif = 'GTC' | 'IOC' | 'FOK';

/** An order entered through the API (mirrors `OrderIntent` plus an optional client id). */
export interface OrderRequest {
  /** Client order id chosen by the caller (1–36 chars `[A-Za-z0-9_-]`), if any. */
  clientOrderId?: string;
  /** Strategy the order is booked under (default `api`). */
  strategy: string;
  venue: string;
  symbol: string;
  side: OrderSide;
  type: OrderKind;
  tif: OrderTif;
  /** Limit price in ticks (market orders: reference price for risk). */
  priceTicks: number;
  /** Quantity in lots (> 0). */
  qtyLots: number;
  reduceOnly: boolean;
}

/** Result of a submission: accepted into the pipeline, or denied with a stable reason code. */
export interface OrderAck {
  accepted: boolean;
  /** Engine order id when accepted. */
  orderId?: string;
  clientOrderId?: string;
  /**
   * Denial reason code (`RISK_NOTIONAL_MAX`, `RISK_HALTED`, `ENGINE_NOT_RUNNING`...) when not accepted: every one in docs/errors.md and
   * the table `DENIALS` in `actors/denials.ts` (a string here: the gateway does not import `actors/`).
   */
  reason?: string;
  /** Free text for humans. */
  message?: string;
}

/** Cancel one order: give `orderId` or `clientOrderId` (at least one). */
export interface CancelRequest {
  orderId?: string;
  clientOrderId?: string;
  venue?: string;
  symbol?: string;
}

/** Result of a cancel. */
export interface CancelAck {
  canceled: boolean;
  orderId?: string;
  reason?: string;
}

/** Cancel-all filter; empty means every open order. */
export interface CancelAllRequest {
  venue?: string;
  symbol?: string;
  strategy?: string;
}

/** Result of a cancel-all. */
export interface CancelAllAck {
  /** Number of cancel requests issued. */
  count: number;
}

/** Kill switch states: trading, reduce-only, or halted (open orders canceled). */
export type KillSwitchState = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** Result of a kill switch change. */
export interface KillSwitchAck {
  state: KillSwitchState;
  previous: KillSwitchState;
}

/** Result of a strategy start/stop. */
/** `venue.resume` arguments. */
export interface VenueResumeRequest {
  venue: string;
  acceptBalances?: boolean;
}

/** `venue.resume` result: `ok` once the resume was handed to the venue actor. */
export interface VenueResumeAck {
  venue: string;
  ok: boolean;
  /** The venue's state when the command arrived. */
  state: string;
  /** `UNKNOWN_VENUE` or `VENUE_NOT_HALTED` when not ok. */
  reason?: string;
}

export interface StrategyAck {
  id: string;
  /** Lifecycle state after the call (`running`, `stopped`...). */
  state: string;
  ok: boolean;
  reason?: string;
}

/** Engine status as shown by `bot4 status`. Extra fields pass through to the client. */
export interface EngineStatus {
  /** Component lifecycle state (`ready`, `running`, `degraded`, `halted`...). */
  state: string;
  killSwitch: KillSwitchState;
  [key: string]: unknown;
}

/** Filter for `orders.get`. */
export interface OrderFilter {
  /** `open` (default), `closed` or `all`. */
  status: 'open' | 'closed' | 'all';
  venue?: string;
  symbol?: string;
  strategy?: string;
  /** Maximum number of orders returned (1–1000, default 100). */
  limit: number;
}

/** One order as reported by the engine. */
export interface OrderView {
  orderId: string;
  venue: string;
  symbol: string;
  side: OrderSide;
  status: string;
  [key: string]: unknown;
}

/** One position. */
export interface PositionView {
  venue: string;
  symbol: string;
  /** Signed quantity in lots. */
  qtyLots: number;
  [key: string]: unknown;
}

/** One balance. */
export interface BalanceView {
  venue: string;
  asset: string;
  [key: string]: unknown;
}

/** One circuit breaker. */
export interface BreakerView {
  name: string;
  state: string;
  [key: string]: unknown;
}

/** One traded instrument: `price = priceTicks × tickSize`, `size = qtyLots × lotSize` (decimal strings, exact). */
export interface InstrumentView {
  venue: string;
  symbol: string;
  base: string;
  quote: string;
  /** Price increment, decimal string (`"0.01"`). */
  tickSize: string;
  /** Quantity increment, decimal string (`"0.00001"`). */
  lotSize: string;
  minQtyLots: number;
  maxQtyLots: number;
  /** Minimum order notional in the quote asset, decimal string. */
  minNotional: string;
}

/** Risk limits (free-form: the risk area owns the shape). */
export type RiskLimitsView = Record<string, unknown>;

/** Readiness inputs for `/health`. */
export interface EngineHealth {
  /** Every configured venue has synced instruments, balances and open orders. */
  venuesSynced: boolean;
  /** The journal is open for writing. */
  journalOpen: boolean;
  /** Extra checks shown in the body (`{ "venue.sim-a": true }`); any false makes the gateway not ready. */
  checks?: Record<string, boolean>;
}

/** Kinds of market data the feed carries. */
export type MarketDataKind = 'ticker' | 'trade' | 'book';

/**
 * One market-data message as validated by `/feed`. A flat record with every field present (unused
 * ones are 0) so the scratch instance keeps one hidden class across kinds.
 */
export interface MarketDataMessage {
  kind: MarketDataKind;
  /** Precomputed topic `md.<kind>.<venue>.<symbol>`. */
  topic: string;
  venue: string;
  symbol: string;
  /** Producer sequence number, strictly increasing per venue+symbol on one connection. */
  seq: number;
  /** Exchange timestamp, microseconds since the Unix epoch. */
  exchTsUs: number;
  /** Gateway receive time from the injected clock (`Clock.nowNs()`). */
  recvNs: number;
  /** ticker: best bid/ask price (ticks) and size (lots). */
  bidPx: number;
  bidQty: number;
  askPx: number;
  askQty: number;
  /** trade / book: price (ticks) and quantity (lots; book: 0 deletes the level). */
  px: number;
  qty: number;
  /** trade: aggressor side; book: side of the level. `''` for ticker. */
  side: OrderSide | '';
  /** book: level index (0 = best). */
  level: number;
}

/** One Prometheus metric family (see `gateway/prometheus.ts`). */
export interface MetricFamily {
  /** Metric name `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'untyped';
  samples: readonly MetricSample[];
}

/** One sample of a family. */
export interface MetricSample {
  /** Label pairs; values are escaped by the formatter. */
  labels?: Readonly<Record<string, string>>;
  value: number;
  /** Optional suffix appended to the family name (`_bucket`, `_sum`...). */
  suffix?: string;
}
