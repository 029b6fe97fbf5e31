import type { Clock } from '../../common/clock.js';
import { SimulatedClock } from '../../common/clock.js';

/**
 * Where the actor system runs its delivery loop. The system never calls `setImmediate` or
 * `queueMicrotask` itself: it asks a Scheduler to run its (pre-bound, allocation-free) pump soon.
 *
 * - {@link ImmediateScheduler} (live): `setImmediate`, so timers and socket I/O get a turn between
 *   pump runs (a microtask loop would starve them).
 * - {@link ClockScheduler} (simulated): a 0 ms timer on the clock, so a `SimulatedClock` drives
 *   delivery: `clock.advance(0)` delivers everything runnable now, `clock.runAll()` also fires
 *   later timers (ask timeouts, restart backoffs) in order. Nothing runs behind the test's back.
 */
export interface Scheduler {
  /** Runs `task` once, soon, after the current synchronous code. */
  schedule(task: () => void): void;
}

/** Live scheduling on the Node event loop's check phase. */
export class ImmediateScheduler implements Scheduler {
  schedule(task: () => void): void {
    setImmediate(task);
  }
}

/** Scheduling through a clock's timers (deterministic with a `SimulatedClock`). */
export class ClockScheduler implements Scheduler {
  constructor(private readonly clock: Clock) {}
  schedule(task: () => void): void {
    this.clock.setTimer(0, task);
  }
}

/** The default scheduler for a clock: clock-driven for a `SimulatedClock`, `setImmediate` otherwise. */
export function defaultScheduler(clock: Clock): Scheduler {
  return clock instanceof SimulatedClock ? new ClockScheduler(clock) : new ImmediateScheduler();
}
