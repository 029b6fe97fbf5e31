import type { Clock, TimerHandle } from '../../common/clock.js';
import { InvalidArgumentError } from '../../common/errors.js';

/** Payload of a `strategy.timer` message: the timer's name and the arming it belongs to. */
export interface StrategyTimerPayload {
  name: string;
  /** Arming sequence: a message whose `seq` is not the timer's current one is stale and ignored. */
  seq: number;
}

interface Entry {
  seq: number;
  ms: number;
  repeat: boolean;
  dueNs: number;
  handle: TimerHandle | undefined;
  /** Made once per arming and re-used for every firing (periodic timers allocate nothing per tick). */
  readonly message: { type: 'strategy.timer'; payload: StrategyTimerPayload; key: string };
  readonly fire: () => void;
}

/**
 * A strategy's named timers on the engine clock. A firing does not call the strategy: it is posted
 * as a `strategy.timer` message to the strategy actor, so `onTimer` runs through the mailbox like
 * every other callback (never concurrently with a handler, in order with market data).
 *
 * Periodic timers are fixed-rate: the next due time is the previous due time plus the period, not
 * the firing time plus the period, so a late firing does not shift every later one.
 *
 * Re-arming or clearing a timer makes its pending messages stale (their `seq` no longer matches),
 * so a cleared timer never reaches `onTimer`, even when its message was already queued.
 */
export class StrategyTimers {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  /**
   * @param clock engine clock
   * @param post delivers a firing to the actor; returns false when the actor is gone, which
   *   cancels every timer (nothing re-arms for a stopped actor)
   */
  constructor(
    private readonly clock: Clock,
    private readonly post: (message: Entry['message']) => boolean,
  ) {}

  /** Arms (or re-arms) `name`; throws `InvalidArgumentError` for a bad delay (a caller bug). */
  set(name: string, ms: number, repeat: boolean): void {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(`setTimer(name): expected a non-empty string, got ${JSON.stringify(name)}`);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || (repeat && ms === 0)) {
      throw new InvalidArgumentError(`setTimer(${name}, ms): expected a finite number ${repeat ? '> 0 for a periodic timer' : '>= 0'}, got ${String(ms)}`);
    }
    this.clear(name);
    const seq = ++this.seq;
    const entry: Entry = {
      seq,
      ms,
      repeat,
      dueNs: this.clock.nowNs() + ms * 1e6,
      handle: undefined,
      message: { type: 'strategy.timer', payload: Object.freeze({ name, seq }), key: `strategy.timer.${name}` },
      fire: () => {
        if (this.entries.get(name) !== entry) return;
        entry.handle = undefined;
        if (!this.post(entry.message)) {
          this.clearAll();
          return;
        }
        if (entry.repeat && this.entries.get(name) === entry) {
          entry.dueNs += entry.ms * 1e6;
          entry.handle = this.clock.setTimer(Math.max(0, (entry.dueNs - this.clock.nowNs()) / 1e6), entry.fire);
        }
      },
    };
    this.entries.set(name, entry);
    entry.handle = this.clock.setTimer(ms, entry.fire);
  }

  /** Cancels `name` (no-op when absent); its queued messages become stale. */
  clear(name: string): void {
    const e = this.entries.get(name);
    if (e === undefined) return;
    this.entries.delete(name);
    if (e.handle !== undefined) this.clock.clearTimer(e.handle);
  }

  /** Cancels every timer. */
  clearAll(): void {
    for (const name of [...this.entries.keys()]) this.clear(name);
  }

  /**
   * Called when a `strategy.timer` message is handled: true when it belongs to the timer's current
   * arming (a one-shot timer is then done), false for a stale message.
   */
  accept(p: StrategyTimerPayload): boolean {
    const e = this.entries.get(p.name);
    if (e === undefined || e.seq !== p.seq) return false;
    if (!e.repeat) this.entries.delete(p.name);
    return true;
  }

  /** Names of the armed timers. */
  names(): string[] {
    return [...this.entries.keys()];
  }
}
