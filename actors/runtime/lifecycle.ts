import { createActor, setup, type Actor } from 'xstate';
import { LifecycleTransitionError } from './errors.js';

/**
 * The lifecycle every long-lived bot4 component shares (NautilusTrader's component states):
 *
 * - `ready`: spawned, not started;
 * - `starting`: running its `init` hook (first start or restart after a failure, including the
 *   supervision backoff before it);
 * - `running`: handling messages;
 * - `degraded`: still handling messages, but impaired (a venue on its fallback route);
 * - `halted`: handling control messages only by its own choice (kill switch); data waits;
 * - `stopping` → `stopped`: stopped by `stop()`/`shutdown()`; pending messages become dead letters;
 * - `faulted`: failed more often than its supervision allows; pending messages become dead letters.
 */
export const LIFECYCLE_STATES = ['ready', 'starting', 'running', 'degraded', 'halted', 'stopping', 'stopped', 'faulted'] as const;

/** One of {@link LIFECYCLE_STATES}. */
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** Allowed transitions: from → the states it may go to. */
export const LIFECYCLE_TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = Object.freeze({
  ready: ['starting', 'stopping'],
  starting: ['running', 'faulted', 'stopping'],
  running: ['degraded', 'halted', 'starting', 'faulted', 'stopping'],
  degraded: ['running', 'halted', 'starting', 'faulted', 'stopping'],
  halted: ['running', 'degraded', 'starting', 'faulted', 'stopping'],
  stopping: ['stopped'],
  faulted: ['stopping'],
  stopped: [],
});

/** Lifecycle event: its type is the target state. */
export type LifecycleEvent = { type: LifecycleState };

/**
 * The shared lifecycle as an XState v5 machine: each state accepts exactly the events named after
 * the states it may go to (see {@link LIFECYCLE_TRANSITIONS}); `stopped` is final.
 */
export const lifecycleMachine = setup({
  types: { events: {} as LifecycleEvent },
}).createMachine({
  id: 'lifecycle',
  initial: 'ready',
  states: Object.fromEntries(
    LIFECYCLE_STATES.map((s) => [
      s,
      s === 'stopped' ? { type: 'final' as const } : { on: Object.fromEntries(LIFECYCLE_TRANSITIONS[s].map((t) => [t, { target: t }])) },
    ]),
  ),
});

// One frozen event object per target: lifecycle changes allocate nothing.
const EVENTS = Object.fromEntries(LIFECYCLE_STATES.map((s) => [s, Object.freeze({ type: s })])) as unknown as Record<LifecycleState, LifecycleEvent>;

/** True when the shared lifecycle allows `from` → `to`. */
export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return LIFECYCLE_TRANSITIONS[from].includes(to);
}

/** True for states in which an actor takes data messages (`running`, `degraded`). */
export function acceptsData(s: LifecycleState): boolean {
  return s === 'running' || s === 'degraded';
}

/** True for states after which an actor never handles a message again. */
export function isTerminal(s: LifecycleState): boolean {
  return s === 'stopping' || s === 'stopped' || s === 'faulted';
}

/** A running lifecycle machine for one component, with a synchronous `to()` that checks the move. */
export class Lifecycle {
  private readonly actor: Actor<typeof lifecycleMachine>;
  private current: LifecycleState = 'ready';

  /** @param owner address or name used in error messages */
  constructor(private readonly owner: string) {
    this.actor = createActor(lifecycleMachine);
    this.actor.start();
  }

  /** Current state. */
  get state(): LifecycleState {
    return this.current;
  }

  /**
   * Moves to `to`. Throws {@link LifecycleTransitionError} if the shared lifecycle does not allow
   * it; returns false (and does nothing) if already there.
   */
  to(to: LifecycleState): boolean {
    if (to === this.current) return false;
    this.actor.send(EVENTS[to]);
    const now = this.actor.getSnapshot().value as LifecycleState;
    if (now !== to) throw new LifecycleTransitionError(this.owner, this.current, to);
    this.current = now;
    return true;
  }
}
