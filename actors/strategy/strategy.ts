import type { Clock } from '../../common/clock.js';
import type { OrderFill, OrderUpdate, Ticker, Trade, OrderDenied } from '../messages.js';
import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';

/**
 * What a strategy can do. Strategies emit order intents and cancels, never call a venue: the host
 * actor turns `submit` into an `order.submit` message to the risk actor (strategy → risk → venue
 * actor → ccxt) and `cancel` into an `order.cancel` to the venue actor.
 */
export interface StrategyContext {
  /** This strategy's id (also its client order id prefix). */
  readonly id: string;
  /** The engine clock (never `Date.now()`). */
  readonly clock: Clock;
  /** Instruments the strategy may trade, by `<venue>:<symbol>`. */
  readonly instruments: ReadonlyMap<string, Instrument>;
  /**
   * Emits an order intent (`strategy` is filled in). `intentKey` makes it idempotent: while the
   * previous attempt of that key is in flight or its outcome unknown, the order is denied with
   * `ORDER_OUTCOME_UNKNOWN` rather than re-sent under a new id.
   */
  submit(intent: Omit<OrderIntent, 'strategy'>, intentKey?: string): void;
  /** Asks the venue actor to cancel one of this strategy's orders. */
  cancel(venue: string, clientOrderId: string): void;
  /** One-shot (`repeat: false`) or periodic timer on the engine clock; `onTimer(name)` fires. */
  setTimer(name: string, ms: number, repeat?: boolean): void;
  /** Cancels a timer by name (no-op when absent). */
  clearTimer(name: string): void;
  /** Structured log line (pino child of the strategy actor). */
  log(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * A trading strategy hosted by a strategy actor (`strategy.<id>`), which owns its lifecycle. Every
 * callback is synchronous and must not throw for business reasons (a throw is a bug: the
 * supervisor restarts the actor and `onStart` runs again with `restart: true`).
 */
export interface Strategy {
  /** Called on start and on every restart. Set timers here. */
  onStart?(ctx: StrategyContext, info: { restart: boolean }): void;
  /** Top of book update of a subscribed instrument. */
  onTicker?(t: Ticker, ctx: StrategyContext): void;
  /** A public trade of a subscribed instrument. */
  onTrade?(t: Trade, ctx: StrategyContext): void;
  /** One of this strategy's orders changed state. */
  onOrderUpdate?(u: OrderUpdate, ctx: StrategyContext): void;
  /** One of this strategy's orders was denied before leaving the process. */
  onDenied?(d: OrderDenied, ctx: StrategyContext): void;
  /** An execution of one of this strategy's orders. */
  onFill?(f: OrderFill, ctx: StrategyContext): void;
  /** A timer set with `ctx.setTimer` fired. */
  onTimer?(name: string, ctx: StrategyContext): void;
  /** Called when the actor stops (not on a crash). */
  onStop?(ctx: StrategyContext): void;
}

/** What a strategy module (named in config) exports: `export default function create(params) {...}`. */
export type StrategyFactory = (params: Record<string, unknown>) => Strategy;

/** Config of one strategy instance. */
export interface StrategySpec {
  /** Id: `[a-z0-9-]{1,24}`; address `strategy.<id>`, client order id prefix. */
  id: string;
  /** Built-in name (`market-maker`, `pairs`, `constant-rate`) or a path to a TS/JS module. */
  kind: string;
  /** Instruments as `<venue>:<symbol>` (`sim-a:BTC/USDT`). */
  instruments: string[];
  /** Strategy parameters (validated by the strategy's own schema). */
  params?: Record<string, unknown>;
}
