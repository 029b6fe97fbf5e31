import type { Clock } from '../../common/clock.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import { RiskSharedStateError } from './errors.js';
import type { CounterBlock } from './ports.js';

/** Trading states, least to most restrictive. */
export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
/**
 * `ACTIVE`: every check applies as configured. `REDUCING`: only orders that reduce an existing
 * position pass. `HALTED`: new orders and modifications are denied, cancels pass, and every open
 * order on every venue is swept.
 */
export type TradingState = (typeof TRADING_STATES)[number];

/** What caused a transition. `remote` is never written: it marks a transition observed in shared memory. */
export const KILL_TRIGGERS = ['manual', 'daily-loss', 'drawdown', 'breaker-cascade'] as const;
/** Cause of a trading-state transition. */
export type KillTrigger = (typeof KILL_TRIGGERS)[number];

/** Numeric state codes as stored in the shared slot (ACTIVE 0, REDUCING 1, HALTED 2). */
export const STATE_CODE = Object.freeze({ ACTIVE: 0, REDUCING: 1, HALTED: 2 } as const);

/** A trading-state change, emitted once by the switch that made it and once by every switch that observes it. */
export interface TradingStateTransition {
  readonly from: TradingState;
  readonly to: TradingState;
  readonly trigger: KillTrigger;
  /** Free text (the operator's reason, or the figures that tripped an automatic trigger). */
  readonly reason: string;
  /** True when another engine/process made the change and this switch observed it. */
  readonly remote: boolean;
  /** Transition sequence number (shared: increases by one per transition host-wide). */
  readonly seq: number;
  /** Clock time of the emission (monotonic ns) and wall time (epoch ms). */
  readonly atNs: number;
  readonly epochMs: number;
}

/** Options of {@link KillSwitch}. */
export interface KillSwitchOptions {
  /** Block holding the state (a shared block makes every engine, worker and process see one state). */
  counters: CounterBlock;
  /** Slot of the state word in `counters` (default 0). */
  slot?: number;
  clock: Clock;
  /**
   * Called once per transition into HALTED (made here or observed): cancel every open order on
   * every venue this process owns. The sweep itself is driven by the venue actors.
   */
  cancelAll?: (reason: string) => void;
  /** Called for every transition (after `cancelAll` for HALTED). */
  onTransition?: (t: TradingStateTransition) => void;
}

/*
 * The state word packs the transition sequence, the trigger and the state into one safe integer,
 * `seq·16 + trigger·4 + state`, so a single compare-and-swap changes all three together and a
 * reader needs a single atomic load. Decoding uses % and / (not bit operations: the word may
 * exceed 32 bits after 2^27 transitions).
 */
const encode = (seq: number, trigger: number, state: number): number => seq * 16 + trigger * 4 + state;
const stateOf = (word: number): number => word % 4;
const triggerOf = (word: number): number => Math.floor(word / 4) % 4;
const seqOf = (word: number): number => Math.floor(word / 16);

/**
 * The trading state of the whole host, in one {@link CounterBlock} slot. Transitions use
 * compare-and-swap, so concurrent writers on several processes serialize; readers only load.
 * Automatic triggers only escalate (ACTIVE → REDUCING → HALTED); going back down is manual.
 */
export class KillSwitch {
  private readonly counters: CounterBlock;
  private readonly slot: number;
  private readonly clock: Clock;
  private readonly cancelAll: ((reason: string) => void) | undefined;
  private readonly listeners: ((t: TradingStateTransition) => void)[] = [];
  /** Last state word this switch has emitted events for. */
  private seen: number;

  constructor(options: KillSwitchOptions) {
    const slot = options.slot ?? 0;
    if (!Number.isInteger(slot) || slot < 0) throw new InvalidArgumentError(`KillSwitch.slot: expected an integer >= 0, got ${String(options.slot)}`);
    this.counters = options.counters;
    this.slot = slot;
    this.clock = options.clock;
    this.cancelAll = options.cancelAll;
    if (options.onTransition) this.listeners.push(options.onTransition);
    this.seen = this.word();
  }

  /** The current state (one atomic load). */
  get state(): TradingState {
    return TRADING_STATES[this.code()]!;
  }

  /** The current state as its numeric code (0 ACTIVE, 1 REDUCING, 2 HALTED). Hot path: one load, no allocation. */
  code(): number {
    return stateOf(this.word());
  }

  /**
   * {@link poll} and {@link code} in one load: emits any transition made elsewhere, then returns
   * the state code. The risk engine's per-check read.
   */
  pollCode(): number {
    const w = this.word();
    if (w !== this.seen) this.observe(w);
    return stateOf(w);
  }

  /** Number of transitions so far (host-wide when the block is shared). */
  get seq(): number {
    return seqOf(this.word());
  }

  /** Adds a transition listener; returns a function that removes it. */
  on(listener: (t: TradingStateTransition) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Manual halt: deny new orders and modifications, sweep open orders. */
  halt(reason: string): boolean {
    return this.set('HALTED', 'manual', reason);
  }

  /** Manual reduce-only mode. */
  reduce(reason: string): boolean {
    return this.set('REDUCING', 'manual', reason);
  }

  /** Manual return to ACTIVE (the only way down from an automatic trip). */
  resume(reason: string): boolean {
    return this.set('ACTIVE', 'manual', reason);
  }

  /**
   * Moves to `to` (any direction). Returns false when already there. Emits the transition and, on
   * HALTED, requests the cancel-all sweep.
   */
  set(to: TradingState, trigger: KillTrigger, reason: string): boolean {
    return this.transition(to, trigger, reason, false);
  }

  /** Moves to `to` only if it is more restrictive than the current state (automatic triggers). */
  escalate(to: TradingState, trigger: KillTrigger, reason: string): boolean {
    return this.transition(to, trigger, reason, true);
  }

  /**
   * Emits the transitions another engine or process made since this switch last looked (and the
   * cancel-all sweep for HALTED). Cheap when nothing changed: one load and one compare. The risk
   * engine calls it on every check; call it from a timer too if this process may go quiet.
   */
  poll(): void {
    const w = this.word();
    if (w !== this.seen) this.observe(w);
  }

  private word(): number {
    return this.counters.load(this.slot);
  }

  private transition(to: TradingState, trigger: KillTrigger, reason: string, onlyUp: boolean): boolean {
    const target = STATE_CODE[to];
    const trig = KILL_TRIGGERS.indexOf(trigger);
    if (target === undefined) throw new InvalidArgumentError(`KillSwitch: expected a state of ${TRADING_STATES.join(', ')}, got ${JSON.stringify(to)}`);
    if (trig < 0) throw new InvalidArgumentError(`KillSwitch: expected a trigger of ${KILL_TRIGGERS.join(', ')}, got ${JSON.stringify(trigger)}`);
    for (;;) {
      const w = this.word();
      this.validate(w);
      const cur = stateOf(w);
      if (cur === target || (onlyUp && cur > target)) {
        if (w !== this.seen) this.observe(w);
        return false;
      }
      const next = encode(seqOf(w) + 1, trig, target);
      if (this.counters.compareExchange(this.slot, w, next) !== w) continue; // lost a race: re-read
      // Anything between what we had seen and w was someone else's transition: report it first.
      if (w !== this.seen) this.observe(w);
      this.seen = next;
      this.emit(TRADING_STATES[cur]!, to, trigger, reason, false, seqOf(next));
      return true;
    }
  }

  private observe(w: number): void {
    this.validate(w);
    const from = stateOf(this.seen);
    this.seen = w;
    const to = stateOf(w);
    if (from === to && seqOf(w) === 0) return;
    this.emit(TRADING_STATES[from]!, TRADING_STATES[to]!, KILL_TRIGGERS[triggerOf(w)]!, 'observed in shared state', true, seqOf(w));
  }

  private validate(w: number): void {
    if (!Number.isSafeInteger(w) || w < 0 || stateOf(w) > 2) {
      throw new RiskSharedStateError(`kill switch slot ${this.slot} holds ${w}, which no kill switch writes (is the block shared with something else?)`, { slot: this.slot, value: w });
    }
  }

  private emit(from: TradingState, to: TradingState, trigger: KillTrigger, reason: string, remote: boolean, seq: number): void {
    const t: TradingStateTransition = Object.freeze({ from, to, trigger, reason, remote, seq, atNs: this.clock.nowNs(), epochMs: this.clock.epochMs() });
    logger.warn({ tradingState: t }, `trading state ${from} -> ${to} (${trigger}${remote ? ', remote' : ''}): ${reason}`);
    if (to === 'HALTED' && this.cancelAll) this.safely(() => this.cancelAll!(`${trigger}: ${reason}`));
    for (const l of [...this.listeners]) this.safely(() => l(t));
  }

  /** A throwing listener must not stop the sweep or the other listeners. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      logger.error({ err: e }, 'kill switch listener threw');
    }
  }
}
