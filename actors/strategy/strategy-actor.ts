import type { Clock } from '../../common/clock.js';
import { ConfigError, InvalidArgumentError } from '../../common/errors.js';
import { logger as rootLogger, type Logger } from '../../common/log.js';
import { parseOptions, z } from '../../common/validate.js';
import { isKnownMsg, message, RISK_ADDRESS, strategyAddress, topics, venueAddress, type DenialCodeOf, type OrderCancel, type OrderDenied, type OrderSubmit } from '../messages.js';
import type { Instrument } from '../orders/instrument.js';
import type { OrderIntent } from '../orders/intent.js';
import type { ActorContext } from '../runtime/actor-cell.js';
import { SendStatus, type ActorRef, type ActorSystem } from '../runtime/actor-system.js';
import type { Envelope } from '../runtime/envelope.js';
import type { MailboxOptions, SupervisionOptions } from '../runtime/options.js';
import { InstrumentMap } from './instrument-map.js';
import { parseStrategySpec, resolveInstruments } from './spec.js';
import type { Strategy, StrategyContext, StrategySpec } from './strategy.js';
import { strategyMachine } from './strategy-machine.js';
import { StrategyTimers } from './strategy-timers.js';

/**
 * Mailbox defaults of a strategy actor: `conflate`, so a strategy that falls behind acts on the
 * latest ticker per instrument (publishers key tickers by instrument) instead of working through a
 * backlog of stale books, and a periodic timer that fired several times while the strategy was
 * busy is handled once. Order updates, fills and denials carry no key and are never conflated; the
 * data lane is large so they are only evicted if 65 536 un-keyed messages pile up, i.e. when the
 * strategy is wedged anyway. `strategy.stop`/`strategy.start` and cancels travel on the control
 * lane, which never drops.
 */
export const STRATEGY_MAILBOX_DEFAULTS = Object.freeze({ policy: 'conflate' as const, capacity: 65_536, controlCapacity: 1_024 });

/**
 * Denial code the host itself produces when an `order.submit` could not be handed to the risk
 * actor (no actor at the address, or its mailbox full): delivered to `onDenied` like a risk denial.
 */
export const RISK_UNREACHABLE = 'STRATEGY_RISK_UNREACHABLE' satisfies DenialCodeOf<'strategy'>;

/** What {@link spawnStrategy} needs besides the spec and the strategy. */
export interface StrategyDeps {
  /** Engine clock (the actor system's): timers and `ctx.clock`. */
  clock: Clock;
  /** Instruments the engine knows; the spec's `<venue>:<symbol>` names are resolved against them. */
  instruments: readonly Instrument[];
  /** Where `order.submit` goes. Default {@link RISK_ADDRESS} (`risk`). */
  riskAddress?: string;
  /** Mailbox options; default {@link STRATEGY_MAILBOX_DEFAULTS}. */
  mailbox?: MailboxOptions;
  /** Supervision (one-for-one restart intensity); default the runtime's. */
  supervision?: SupervisionOptions;
  /** Logger; default a child of the process logger with `{ strategy: id }`. */
  logger?: Logger;
}

/** Host counters of a strategy actor. */
export interface StrategyHostStats {
  /** `order.submit` messages handed to the risk actor. */
  submitted: number;
  /** `order.cancel` messages handed to venue actors. */
  cancels: number;
  /** Submits dropped because the strategy was paused. */
  droppedWhilePaused: number;
  /** Submits or cancels that found no receiver (or a full mailbox). */
  undeliverable: number;
  /** `strategy.timer` messages of a cleared or re-armed timer, ignored. */
  staleTimers: number;
  /** Messages of a type the host does not dispatch. */
  unknownMessages: number;
}

/** Handle of a spawned strategy actor. */
export interface StrategyHandle {
  readonly id: string;
  /** `strategy.<id>`. */
  readonly address: string;
  readonly ref: ActorRef<typeof strategyMachine>;
  /** The context the strategy's callbacks get. */
  readonly context: StrategyContext;
  /** `running` or `paused` (the strategy machine's state). */
  readonly mode: 'running' | 'paused';
  /** Host counters right now. */
  stats(): StrategyHostStats;
  /**
   * Stops the actor: `onStop` (unless paused), every timer cleared, then `system.stop(address)`
   * (pending messages become dead letters, subscriptions are removed). Idempotent.
   */
  stop(): void;
}

const depsSchema = z
  .object({
    riskAddress: z
      .string()
      .regex(/^[^.$\s*>][^\s*>]*$/)
      .default(RISK_ADDRESS),
  })
  .strict();

function isClock(v: unknown): v is Clock {
  const c = v as Clock;
  return typeof v === 'object' && v !== null && typeof c.nowNs === 'function' && typeof c.setTimer === 'function' && typeof c.clearTimer === 'function';
}

/**
 * Spawns the actor `strategy.<id>` hosting `strategy`:
 *
 * - subscribes it to `md.ticker.<venue>.<symbol>` and `md.trade.<venue>.<symbol>` of each of its
 *   instruments and to `orders.<id>` and `fills.<id>`;
 * - dispatches by message type: `md.ticker` → `onTicker`, `md.trade` → `onTrade`, `order.update` →
 *   `onOrderUpdate`, `order.fill` → `onFill`, `order.denied` → `onDenied`, `strategy.timer` →
 *   `onTimer`; `strategy.stop`/`strategy.start` (control lane) pause and resume quoting;
 * - `ctx.submit` sends `order.submit` (`intent.strategy` and `prefix` = id) to the risk actor,
 *   `ctx.cancel` sends `order.cancel` on the control lane to `exchange.<venue>`, `ctx.setTimer`
 *   arms a clock timer whose firing comes back as a `strategy.timer` message;
 * - `onStart` runs from the actor's `init` hook: on spawn with `restart: false`, after a
 *   supervised restart (a callback threw) with `restart: true` — the failed incarnation's timers
 *   are cleared first, so `onStart` re-arms what it needs.
 *
 * Throws `ConfigError` for a bad spec, an unknown instrument or a bad `riskAddress`, and what
 * `system.spawn` throws (`ActorExistsError`, ...).
 */
export function spawnStrategy(system: ActorSystem, spec: StrategySpec, strategy: Strategy, deps: StrategyDeps): StrategyHandle {
  const s = parseStrategySpec(spec);
  const where = `strategies.${s.id}`;
  if (strategy === null || typeof strategy !== 'object') {
    throw new InvalidArgumentError(`spawnStrategy(${s.id}, strategy): expected a Strategy object, got ${strategy === null ? 'null' : typeof strategy}`);
  }
  if (deps === null || typeof deps !== 'object') throw new InvalidArgumentError(`spawnStrategy(${s.id}, deps): expected an object, got ${String(deps)}`);
  if (!isClock(deps.clock)) throw new ConfigError(`${where}.clock`, `${where}.clock: expected a Clock (nowNs, setTimer, clearTimer), got ${typeof deps.clock}`);
  if (!Array.isArray(deps.instruments)) throw new ConfigError(`${where}.instruments`, `${where}.instruments: expected an array of instruments, got ${typeof deps.instruments}`);
  const { riskAddress } = parseOptions(depsSchema, { riskAddress: deps.riskAddress }, where);
  const instruments: ReadonlyMap<string, Instrument> = resolveInstruments(s, deps.instruments);
  const tradable = new InstrumentMap<Instrument>();
  for (const i of instruments.values()) tradable.add(i.venue, i.symbol, i);
  const id = s.id;
  const address = strategyAddress(id);
  const clock = deps.clock;
  const log = deps.logger ?? rootLogger.child({ component: 'strategy', strategy: id });
  const stats: StrategyHostStats = { submitted: 0, cancels: 0, droppedWhilePaused: 0, undeliverable: 0, staleTimers: 0, unknownMessages: 0 };

  /** True while the strategy may quote: started and not paused. Mirrors the machine (plus `stop()`). */
  let quoting = false;
  /** The operator's last word (`strategy.stop`/`start`), kept across restarts of the machine. */
  let wantPaused = false;
  let stopped = false;

  const timers = new StrategyTimers(clock, (m) => system.trySend(address, m) !== SendStatus.DeadLetter);

  const deny = (intent: OrderIntent, detail: string): void => {
    const d: OrderDenied = { source: 'strategy', intent, code: RISK_UNREACHABLE, detail, tNs: clock.nowNs() };
    if (system.trySend(address, message({ type: 'order.denied', payload: d })) !== SendStatus.Sent) log.error({ intent }, 'order.submit undeliverable and the denial could not be queued');
  };

  const ctx: StrategyContext = {
    id,
    clock,
    instruments,
    submit(intent: Omit<OrderIntent, 'strategy'>, intentKey?: string): void {
      if (!quoting) {
        stats.droppedWhilePaused++;
        log.warn({ intent, intentKey }, 'submit while paused: dropped');
        return;
      }
      checkIntent(id, intent, tradable);
      const full: OrderIntent = { ...intent, strategy: id };
      const payload: OrderSubmit = intentKey === undefined ? { intent: full, prefix: id } : { intent: full, intentKey, prefix: id };
      const r = system.trySend(riskAddress, message({ type: 'order.submit', payload }));
      if (r === SendStatus.Sent) {
        stats.submitted++;
        return;
      }
      stats.undeliverable++;
      deny(full, r === SendStatus.DeadLetter ? `no actor at ${riskAddress}` : `mailbox of ${riskAddress} is full`);
    },
    cancel(venue: string, clientOrderId: string): void {
      if (typeof clientOrderId !== 'string' || clientOrderId.length === 0) {
        throw new InvalidArgumentError(`${address}: cancel(${venue}, clientOrderId): expected a non-empty string, got ${JSON.stringify(clientOrderId)}`);
      }
      const payload: OrderCancel = { clientOrderId };
      const r = system.trySend(venueAddress(venue), message({ type: 'order.cancel', payload, lane: 'control' }));
      if (r === SendStatus.Sent) stats.cancels++;
      else {
        stats.undeliverable++;
        log.warn({ venue, clientOrderId, status: r }, 'order.cancel undeliverable');
      }
    },
    setTimer(name: string, ms: number, repeat = false): void {
      timers.set(name, ms, repeat);
    },
    clearTimer(name: string): void {
      timers.clear(name);
    },
    log(msg: string, fields?: Record<string, unknown>): void {
      if (fields === undefined) log.info(msg);
      else log.info(fields, msg);
    },
  };

  const pause = (): void => {
    if (!quoting) return;
    try {
      strategy.onStop?.(ctx);
    } finally {
      quoting = false;
      timers.clearAll();
    }
  };

  const resume = (): void => {
    if (quoting || stopped) return;
    quoting = true;
    strategy.onStart?.(ctx, { restart: false });
  };

  /** Applies the machine's state after a `strategy.stop`/`strategy.start`. */
  const syncMode = (actx: ActorContext<typeof strategyMachine>): void => {
    wantPaused = actx.snapshot.value === 'paused';
    if (wantPaused) pause();
    else resume();
  };

  const handle = (e: Envelope, actx: ActorContext<typeof strategyMachine>): void => {
    if (!isKnownMsg(e)) {
      stats.unknownMessages++;
      return;
    }
    switch (e.type) {
      case 'md.ticker':
        if (quoting) strategy.onTicker?.(e.payload, ctx);
        return;
      case 'md.trade':
        if (quoting) strategy.onTrade?.(e.payload, ctx);
        return;
      case 'order.update':
        strategy.onOrderUpdate?.(e.payload, ctx);
        return;
      case 'order.fill':
        strategy.onFill?.(e.payload, ctx);
        return;
      case 'order.denied':
        strategy.onDenied?.(e.payload, ctx);
        return;
      case 'strategy.timer': {
        const p = e.payload;
        if (quoting && timers.accept(p)) strategy.onTimer?.(p.name, ctx);
        else stats.staleTimers++;
        return;
      }
      case 'strategy.stop':
      case 'strategy.start':
        // On the control lane the machine already saw the event; on the data lane it only saw a batch.
        if (e.lane === 'data') actx.machine.send({ type: e.type });
        syncMode(actx);
        return;
      default:
        stats.unknownMessages++;
    }
  };

  const ref = system.spawn(address, strategyMachine, {
    input: { id },
    handle,
    init: (actx, info) => {
      // The failed incarnation's timers die with it; onStart re-arms what the strategy needs.
      timers.clearAll();
      if (stopped) return;
      if (wantPaused) {
        actx.machine.send({ type: 'strategy.stop' });
        quoting = false;
        return;
      }
      quoting = true;
      strategy.onStart?.(ctx, { restart: info.restart });
    },
    mailbox: deps.mailbox ?? STRATEGY_MAILBOX_DEFAULTS,
    ...(deps.supervision === undefined ? {} : { supervision: deps.supervision }),
  });
  for (const ins of instruments.values()) {
    system.subscribe(topics.ticker(ins.venue, ins.symbol), address);
    system.subscribe(topics.trade(ins.venue, ins.symbol), address);
  }
  system.subscribe(topics.orders(id), address);
  system.subscribe(topics.fills(id), address);

  return {
    id,
    address,
    ref,
    context: ctx,
    get mode() {
      return wantPaused ? 'paused' : 'running';
    },
    stats: () => ({ ...stats }),
    stop(): void {
      if (stopped) return;
      try {
        pause();
      } catch (err) {
        log.error({ err }, 'onStop threw while stopping');
      } finally {
        stopped = true;
        quoting = false;
        timers.clearAll();
        if (system.lifecycleOf(address) !== undefined) system.stop(address);
      }
    },
  };
}

/** A strategy's intent must name one of its instruments, integer ticks > 0 and integer lots > 0. */
function checkIntent(id: string, intent: Omit<OrderIntent, 'strategy'>, tradable: InstrumentMap<Instrument>): void {
  if (!tradable.has(intent.venue, intent.symbol)) {
    throw new InvalidArgumentError(`strategy.${id}: submit: ${intent.venue}:${intent.symbol} is not one of this strategy's instruments`);
  }
  if (!Number.isSafeInteger(intent.priceTicks) || intent.priceTicks <= 0) {
    throw new InvalidArgumentError(`strategy.${id}: submit: priceTicks: expected an integer > 0, got ${String(intent.priceTicks)}`);
  }
  if (!Number.isSafeInteger(intent.qtyLots) || intent.qtyLots <= 0) {
    throw new InvalidArgumentError(`strategy.${id}: submit: qtyLots: expected an integer > 0, got ${String(intent.qtyLots)}`);
  }
}

/** Sends `strategy.stop` (pause quoting) or `strategy.start` to a strategy actor on the control lane. */
export function controlStrategy(system: ActorSystem, id: string, command: 'stop' | 'start'): void {
  system.send(strategyAddress(id), message({ type: command === 'stop' ? 'strategy.stop' : 'strategy.start', lane: 'control' }));
}
