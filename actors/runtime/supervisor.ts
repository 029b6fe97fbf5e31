import { createActor } from 'xstate';
import type { Clock } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { InvalidArgumentError } from '../../common/errors.js';
import type { SeededRandom } from '../../common/random.js';
import type { ActorCell } from './actor-cell.js';
import { channels, type DeadLetterReason } from './diagnostics.js';
import { ActorStoppedError } from './errors.js';
import type { LifecycleState } from './lifecycle.js';

/** What supervision decided after a failure. */
export interface RestartDecision {
  /** False: the restart intensity is exceeded, the actor must be faulted. */
  restart: boolean;
  /** Failures within the current window, this one included. */
  attempt: number;
  /** Backoff before the restart (clock ms); 0 when not restarting. */
  delayMs: number;
}

/**
 * One-for-one restart intensity (Erlang/OTP `intensity`/`period`): an actor may be restarted at
 * most `maxRestarts` times within any `withinMs` window of clock time; the next failure inside the
 * window faults it. The backoff doubles per failure in the window, is capped at `maxBackoffMs`
 * and spread by ± `jitter` using the system's seeded random, so runs stay reproducible.
 */
export class RestartIntensity {
  private readonly failuresNs: number[] = [];
  /** Restarts performed over the actor's life. */
  total = 0;

  constructor(
    private readonly options: { readonly maxRestarts: number; readonly withinMs: number; readonly backoffMs: number; readonly maxBackoffMs: number; readonly jitter: number },
    private readonly random: SeededRandom,
  ) {}

  /** Records a failure at clock time `nowNs` and decides. */
  onFailure(nowNs: number): RestartDecision {
    const windowNs = this.options.withinMs * 1e6;
    while (this.failuresNs.length > 0 && nowNs - this.failuresNs[0]! >= windowNs) this.failuresNs.shift();
    this.failuresNs.push(nowNs);
    const attempt = this.failuresNs.length;
    if (attempt > this.options.maxRestarts) return { restart: false, attempt, delayMs: 0 };
    const base = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (attempt - 1));
    const spread = this.options.jitter === 0 ? 1 : 1 + this.options.jitter * (2 * this.random.next() - 1);
    this.total++;
    return { restart: true, attempt, delayMs: Math.max(0, base * spread) };
  }
}

/** Topic on which the system publishes `{ address, restarts, error }` when an actor faults. */
export const TOPIC_ACTOR_FAULTED = 'system.actor.faulted';
/** Topic on which the system publishes `{ address, from, to }` on every lifecycle change. */
export const TOPIC_ACTOR_LIFECYCLE = 'system.actor.lifecycle';

/** What the {@link Supervisor} needs from its actor system. */
export interface SupervisorHost {
  /** Name of the actor system (on diagnostics events). */
  readonly name: string;
  readonly clock: Clock;
  /** Queues the actor for a turn if it has work it may be handed now. */
  readyIfWork(cell: ActorCell): void;
  /** Publishes a system notice (no inherited sender or trace context). */
  publishSystem(topic: string, type: string, payload: unknown): void;
  /** Turns everything pending for the actor into dead letters and rejects asks waiting on it. */
  flushDead(cell: ActorCell, reason: DeadLetterReason): void;
}

/**
 * One-for-one supervision and the lifecycle of each actor: starts an incarnation (a fresh XState
 * actor, then `init`), takes every failure (handler throw, machine error, `init` throw or
 * rejection), and either restarts the actor after its backoff or, once its
 * {@link RestartIntensity} is exceeded, faults it (`faulted`, pending envelopes dead-lettered,
 * `system.actor.faulted` published). Stopping is the system's: it uses {@link Supervisor.transition}.
 */
export class Supervisor {
  constructor(private readonly host: SupervisorHost) {}

  /** Moves `cell` to `to` (if the lifecycle allows it), updates its lane gates and announces it. */
  transition(cell: ActorCell, to: LifecycleState): void {
    const from = cell.lifecycle.state;
    if (!cell.lifecycle.to(to)) return;
    cell.dataOpen = to === 'running' || to === 'degraded';
    cell.controlOpen = cell.dataOpen || to === 'halted';
    cell.alive = to !== 'stopping' && to !== 'stopped' && to !== 'faulted';
    if (channels.lifecycle.hasSubscribers) channels.lifecycle.publish({ system: this.host.name, actor: cell.address, from, to });
    this.host.publishSystem(TOPIC_ACTOR_LIFECYCLE, 'system.actor.lifecycle', { address: cell.address, from, to });
    this.host.readyIfWork(cell);
  }

  /** `ctx.setLifecycle`: an actor sets its own state (`running`, `degraded` or `halted` only). */
  setLifecycle(cell: ActorCell, state: 'running' | 'degraded' | 'halted'): void {
    if (state !== 'running' && state !== 'degraded' && state !== 'halted') {
      throw new InvalidArgumentError(`${cell.address}: setLifecycle(state): expected "running", "degraded" or "halted", got ${describeValue(state)}`);
    }
    this.transition(cell, state);
  }

  /** Creates and starts a machine incarnation, runs `init`, then goes `running`. */
  startIncarnation(cell: ActorCell, restart: boolean, cause: unknown): void {
    const generation = ++cell.generation;
    cell.machineError = undefined;
    const actor = createActor(cell.machineDef, cell.input === undefined ? undefined : { input: cell.input });
    // An error observer keeps XState from rethrowing machine errors asynchronously; the runtime
    // picks the error up after each send and hands it to supervision.
    actor.subscribe({
      error: (err) => {
        if (cell.generation === generation) cell.machineError = err ?? new Error('machine error');
      },
    });
    cell.xactor = actor;
    let result: void | Promise<void>;
    try {
      actor.start();
      if (cell.machineError !== undefined) throw cell.machineError;
      result = cell.init?.(cell.ctx, { restart, restarts: cell.intensity.total, error: cause });
    } catch (err) {
      this.fail(cell, err ?? new Error('undefined thrown'));
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => {
          if (cell.generation === generation && cell.lifecycle.state === 'starting') this.running(cell);
        },
        (err: unknown) => {
          if (cell.generation === generation && cell.lifecycle.state === 'starting') this.fail(cell, err ?? new Error('init rejected'));
        },
      );
    } else {
      this.running(cell);
    }
  }

  /** A failure of `cell`'s current incarnation: restart after the backoff, or fault. */
  fail(cell: ActorCell, error: unknown): void {
    if (!cell.alive) return;
    cell.failures++;
    const d = cell.intensity.onFailure(this.host.clock.nowNs());
    if (!d.restart) {
      this.fault(cell, error, d.attempt - 1);
      return;
    }
    if (cell.lifecycle.state !== 'starting') this.transition(cell, 'starting');
    cell.xactor.stop();
    // Invalidate the failed incarnation (late init promises, late machine errors).
    cell.generation++;
    if (channels.restart.hasSubscribers) channels.restart.publish({ system: this.host.name, actor: cell.address, attempt: d.attempt, delayMs: d.delayMs, error });
    cell.restartTimer = this.host.clock.setTimer(d.delayMs, () => {
      cell.restartTimer = undefined;
      if (cell.lifecycle.state === 'starting') this.startIncarnation(cell, true, error);
    });
  }

  private running(cell: ActorCell): void {
    this.transition(cell, 'running');
    cell.onStarted?.();
  }

  private fault(cell: ActorCell, error: unknown, restarts: number): void {
    cell.xactor.stop();
    cell.generation++;
    this.transition(cell, 'faulted');
    this.host.flushDead(cell, 'faulted');
    if (channels.faulted.hasSubscribers) channels.faulted.publish({ system: this.host.name, actor: cell.address, restarts, error });
    const message = error instanceof Error ? error.message : String(error);
    this.host.publishSystem(TOPIC_ACTOR_FAULTED, 'system.actor.faulted', { address: cell.address, restarts, error: message });
    cell.onStopped?.(new ActorStoppedError(cell.address, 'faulted'));
  }
}
