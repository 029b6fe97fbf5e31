import type { Actor, AnyStateMachine, SnapshotFrom } from 'xstate';
import type { TimerHandle } from '../../common/clock.js';
import type { SeededRandom } from '../../common/random.js';
import type { Envelope, Message } from './envelope.js';
import { Lifecycle, type LifecycleState } from './lifecycle.js';
import { Mailbox, type OverflowPolicy } from './mailbox.js';
import type { ResolvedSpawnOptions } from './options.js';
import { RestartIntensity } from './supervisor.js';

/**
 * Event a machine receives for each batch of data envelopes: `envelopes[start .. start+count)`.
 * The array is reused by the runtime: read it during the event, never keep it.
 */
export interface BatchEvent {
  type: 'batch';
  envelopes: readonly Envelope[];
  start: number;
  count: number;
}

/** Event a machine receives for each control-lane envelope: its own type, plus the envelope. */
export interface ControlEvent {
  type: string;
  envelope: Envelope;
}

/** What `init` learns about the start. */
export interface InitInfo {
  /** False on the first start, true after a failure. */
  restart: boolean;
  /** Restarts over the actor's life so far. */
  restarts: number;
  /** What made the previous incarnation fail (restarts only). */
  error: unknown;
}

/** Per-message data handler; synchronous (start async work and send its result back as a message). */
export type Handler<M extends AnyStateMachine = AnyStateMachine> = (envelope: Envelope, ctx: ActorContext<M>) => void;

/** Init hook, called before the first message of every incarnation (start and each restart). */
export type InitHook<M extends AnyStateMachine = AnyStateMachine> = (ctx: ActorContext<M>, info: InitInfo) => void | Promise<void>;

/** What an actor's handler and init hook can do. One object per actor, reused for every message. */
export interface ActorContext<M extends AnyStateMachine = AnyStateMachine> {
  /** This actor's address. */
  readonly self: string;
  /** The current incarnation's XState actor (replaced on restart). */
  readonly machine: Actor<M>;
  /** The machine's current snapshot. */
  readonly snapshot: SnapshotFrom<M>;
  /** Lifecycle state. */
  readonly lifecycle: LifecycleState;
  /** Sends from this actor (throws `MailboxFullError` under `reject`). */
  send(to: string, message: Message): void;
  /** Publishes from this actor; returns how many subscribers got it. */
  publish(topic: string, message: Message): number;
  /** Replies to a request (an `ask()` or a message with `replyTo`); false when it has nowhere to go. */
  reply(request: Envelope, payload: unknown, type?: string): boolean;
  /** Sets this actor's own lifecycle: `running`, `degraded`, or `halted` (data waits, control flows). */
  setLifecycle(state: 'running' | 'degraded' | 'halted'): void;
}

/** Per-actor statistics (for `/metrics`). */
export interface ActorStats {
  address: string;
  lifecycle: LifecycleState;
  /** Pending envelopes, both lanes. */
  depth: number;
  controlDepth: number;
  dataDepth: number;
  /** Highest depth seen. */
  highWater: number;
  capacity: number;
  policy: OverflowPolicy;
  /** Envelopes handled (including ones whose handler threw). */
  processed: number;
  /** Evicted by drop-oldest. */
  dropped: number;
  /** Replaced by a newer envelope with the same key. */
  conflated: number;
  /** Refused because a lane was full. */
  rejected: number;
  /** Handler, machine or init failures. */
  failures: number;
  /** Restarts performed. */
  restarts: number;
}

/** Runtime state of one actor (internal to the system). */
export interface ActorCell {
  readonly address: string;
  readonly machineDef: AnyStateMachine;
  readonly input: unknown;
  readonly handle: Handler | undefined;
  readonly init: InitHook | undefined;
  readonly mailbox: Mailbox;
  readonly lifecycle: Lifecycle;
  readonly intensity: RestartIntensity;
  readonly ctx: ActorContext;
  xactor: Actor<AnyStateMachine>;
  /** Error reported by the current incarnation's machine (XState reports, does not throw). */
  machineError: unknown;
  /** True while in the system's ready queue. */
  scheduled: boolean;
  /** Mirrors `running`/`degraded`: data may be delivered. Checked per message. */
  dataOpen: boolean;
  /** Mirrors `running`/`degraded`/`halted`: control may be delivered. */
  controlOpen: boolean;
  /** Not stopping/stopped/faulted: the mailbox accepts envelopes. */
  alive: boolean;
  /** In-flight data batch: `batch[batchPos .. batchLen)` still to handle (survives a restart). */
  readonly batch: Envelope[];
  batchPos: number;
  batchLen: number;
  readonly batchEvent: BatchEvent;
  /**
   * The machine can react to a `batch` event ({@link machineReactsToBatch}). When it cannot, the
   * delivery does not send it: an XState macrostep per batch that changes nothing.
   */
  readonly batchReacts: boolean;
  processed: number;
  failures: number;
  restartTimer: TimerHandle | undefined;
  /** Bumped on every (re)start so a stale async init cannot start a newer incarnation. */
  generation: number;
  /** Resolves the spawn's `started` promise. */
  onStarted: (() => void) | undefined;
  /** Rejects the spawn's `started` promise (no-op once resolved). */
  onStopped: ((e: Error) => void) | undefined;
}

/** What an actor's context forwards to its system (the system's own methods, bound once per actor). */
export interface CellSystem {
  send(to: string, message: Message): void;
  publish(topic: string, message: Message): number;
  reply(request: Envelope, payload: unknown, type?: string): boolean;
  setLifecycle(cell: ActorCell, state: 'running' | 'degraded' | 'halted'): void;
}

const batchReaction = new WeakMap<AnyStateMachine, boolean>();

/**
 * True when some state of `machine` has a transition a `batch` event could take (`batch`, a
 * `batch.*` descriptor or the `*` wildcard) or an eventless (`always`) transition, which XState
 * re-evaluates after every event. When false, a `batch` event can change neither the machine's
 * state nor its context and runs no action: skipping it is unobservable except for the cost.
 * Computed once per machine (definition).
 */
export function machineReactsToBatch(machine: AnyStateMachine): boolean {
  let r = batchReaction.get(machine);
  if (r === undefined) {
    r = reacts(machine.root);
    batchReaction.set(machine, r);
  }
  return r;
}

function reacts(node: AnyStateMachine['root']): boolean {
  for (const key of node.transitions.keys()) if (key === '*' || key === 'batch' || key.startsWith('batch.')) return true;
  if (node.always !== undefined && node.always.length > 0) return true;
  for (const child of Object.values(node.states)) if (reacts(child)) return true;
  return false;
}

/** Builds the runtime state of a new actor (lifecycle `ready`, no incarnation yet) and its context. */
export function createCell(address: string, machine: AnyStateMachine, input: unknown, o: ResolvedSpawnOptions, batchSize: number, random: SeededRandom, system: CellSystem): ActorCell {
  const batch: Envelope[] = new Array<Envelope>(batchSize);
  const cell: ActorCell = {
    address,
    machineDef: machine,
    input,
    handle: o.handle as Handler | undefined,
    init: o.init as InitHook | undefined,
    mailbox: new Mailbox(o.mailbox.capacity, o.mailbox.controlCapacity, o.mailbox.policy, o.mailbox.mustDeliver),
    lifecycle: new Lifecycle(address),
    intensity: new RestartIntensity(o.supervision, random),
    ctx: undefined as unknown as ActorContext,
    xactor: undefined as unknown as Actor<AnyStateMachine>,
    machineError: undefined,
    scheduled: false,
    dataOpen: false,
    controlOpen: false,
    alive: true,
    batch,
    batchPos: 0,
    batchLen: 0,
    batchEvent: { type: 'batch', envelopes: batch, start: 0, count: 0 },
    batchReacts: machineReactsToBatch(machine),
    processed: 0,
    failures: 0,
    restartTimer: undefined,
    generation: 0,
    onStarted: undefined,
    onStopped: undefined,
  };
  (cell as { ctx: ActorContext }).ctx = {
    self: address,
    get machine() {
      return cell.xactor;
    },
    get snapshot() {
      return cell.xactor.getSnapshot();
    },
    get lifecycle() {
      return cell.lifecycle.state;
    },
    send: system.send,
    publish: system.publish,
    reply: system.reply,
    setLifecycle: (state) => system.setLifecycle(cell, state),
  };
  return cell;
}

/** Statistics of one actor right now (the in-flight batch counts as data depth). */
export function cellStats(cell: ActorCell): ActorStats {
  const mb = cell.mailbox;
  return {
    address: cell.address,
    lifecycle: cell.lifecycle.state,
    depth: mb.depth + (cell.batchLen - cell.batchPos),
    controlDepth: mb.control.length,
    dataDepth: mb.data.length + (cell.batchLen - cell.batchPos),
    highWater: mb.highWater,
    capacity: mb.data.capacity,
    policy: mb.policy,
    processed: cell.processed,
    dropped: mb.dropped,
    conflated: mb.conflated,
    rejected: mb.rejected,
    failures: cell.failures,
    restarts: cell.intensity.total,
  };
}
