import type { Actor, AnyStateMachine } from 'xstate';
import type { ActorStats, Handler, InitHook } from './actor-cell.js';
import type { LifecycleState } from './lifecycle.js';
import type { MailboxOptions, SupervisionOptions } from './options.js';

// What `ActorSystem.spawn` takes and returns, and what `trySend` reports (re-exported by actor-system.ts).

/** Result of `ActorSystem.trySend`. */
export const SendStatus = {
  /** Enqueued (possibly evicting or replacing an older envelope, which is counted). */
  Sent: 0,
  /** No live actor at the address: counted and published as a dead letter. */
  DeadLetter: 1,
  /** The lane was full under `reject`: not enqueued. */
  Rejected: 2,
} as const;
/** One of the {@link SendStatus} values. */
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/** Options of `ActorSystem.spawn`. */
export interface SpawnOptions<M extends AnyStateMachine = AnyStateMachine> {
  /** Per-message data handler, called after the machine has seen the batch. */
  handle?: Handler<M>;
  /** Called before the first message of every incarnation (start and each restart) to (re)build state. */
  init?: InitHook<M>;
  /** XState `input` for the machine (each incarnation gets the same input). */
  input?: unknown;
  mailbox?: MailboxOptions;
  supervision?: SupervisionOptions;
}

/** Handle returned by `ActorSystem.spawn`. */
export interface ActorRef<M extends AnyStateMachine = AnyStateMachine> {
  readonly address: string;
  /** Lifecycle state right now. */
  readonly lifecycle: LifecycleState;
  /** The current incarnation's XState actor. */
  readonly machine: Actor<M>;
  /** Resolves once the first `init` has finished and the actor is running (rejects if it faults first). */
  readonly started: Promise<void>;
  /** Statistics right now. */
  stats(): ActorStats;
}
