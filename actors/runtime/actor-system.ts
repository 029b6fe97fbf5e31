import { createActor, type Actor, type AnyStateMachine } from 'xstate';
import type { Clock } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { SeededRandom } from '../../common/random.js';
import type { ActorCell, ActorContext, ActorStats, Handler, InitHook } from './actor-cell.js';
import { handling } from './context.js';
import { channels, type BatchDeliveryEvent, type DeadLetterReason, type DropReason, type FinishedEvent, type StartedEvent } from './diagnostics.js';
import { makeEnvelope, type Envelope, type Lane, type Message } from './envelope.js';
import { ActorExistsError, ActorNotFoundError, ActorStoppedError, AskTimeoutError, InvalidAddressError, MailboxFullError, SystemShutdownError } from './errors.js';
import { Lifecycle, type LifecycleState } from './lifecycle.js';
import { Mailbox, Offer } from './mailbox.js';
import { parseAskOptions, parseSpawnOptions, parseSystemOptions, type ActorSystemOptions, type AskOptions, type MailboxOptions, type ResolvedSystemOptions, type SupervisionOptions } from './options.js';
import { RestartIntensity } from './supervisor.js';
import { assertPattern, assertTopic, TopicTrie } from './topics.js';

/** Topic on which the system publishes every dead letter (`{ envelope, reason }`). */
export const TOPIC_DEAD_LETTERS = 'system.dead-letters';
/** Topic on which the system publishes `{ address, restarts, error }` when an actor faults. */
export const TOPIC_ACTOR_FAULTED = 'system.actor.faulted';
/** Topic on which the system publishes `{ address, from, to }` on every lifecycle change. */
export const TOPIC_ACTOR_LIFECYCLE = 'system.actor.lifecycle';

/** What a batch event points at between batches (never the live batch array). */
const NO_ENVELOPES: readonly Envelope[] = Object.freeze([]);

/** `replyTo` of an `ask()` request: the reply resolves the pending promise instead of a mailbox. */
const ASK_REPLY = '$ask';

/** Result of {@link ActorSystem.trySend}. */
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

/** Options of {@link ActorSystem.spawn}. */
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

/** Handle returned by {@link ActorSystem.spawn}. */
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

interface PendingAsk {
  to: string;
  type: string;
  resolve: (payload: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<Clock['setTimer']>;
}

/**
 * The in-process actor runtime: addresses → actors (an XState v5 machine plus an optional data
 * handler), bounded two-lane mailboxes, topic pub/sub with NATS-style wildcards, request/reply,
 * one-for-one supervision, and diagnostics events for instrumentation.
 *
 * Delivery: sends enqueue and mark the receiver ready; one pump (run by the {@link Scheduler})
 * serves ready actors round-robin, each for at most `actorBudget` envelopes per turn: first its
 * control lane, one envelope per machine event, then its data lane in batches of `batchSize`,
 * handed to the machine as ONE `batch` event and then to the handler envelope by envelope. The
 * pump yields to the event loop after `pumpBudget` envelopes or `pumpTimeNs`.
 *
 * Ordering: FIFO per sender → receiver pair and per lane; with a `SimulatedClock` and a seed the
 * whole delivery order is a function of the inputs.
 */
export class ActorSystem {
  /** Validated options. */
  readonly options: ResolvedSystemOptions;
  /** The system's clock. */
  readonly clock: Clock;
  /** Seeded random shared by the runtime (restart jitter) and available to actors. */
  readonly random: SeededRandom;

  private readonly cells = new Map<string, ActorCell>();
  private readonly topics = new TopicTrie<string>();
  private readonly pending = new Map<string, PendingAsk>();
  private readonly readyQueue: (ActorCell | undefined)[] = [];
  private readyHead = 0;
  private pumpScheduled = false;
  private pumping = false;
  private shut = false;
  private nextCorrelation = 0;
  private readonly correlationPrefix: string;
  private deadLetterCount = 0;
  private deliveredCount = 0;
  private readonly startedEvent: StartedEvent;
  private readonly finishedEvent: FinishedEvent;
  private readonly pumpFn: () => void;
  /** Reused `batch-start`/`batch-end` event, made on first use (sized `batchSize`). */
  private batchEv: BatchDeliveryEvent | undefined;
  /** One-slot array through which a control envelope is reported as a batch of one. */
  private readonly controlSlot: (Envelope | undefined)[] = [undefined];

  constructor(options?: ActorSystemOptions) {
    this.options = parseSystemOptions(options);
    this.clock = this.options.clock;
    this.random = new SeededRandom(this.options.seed);
    this.correlationPrefix = this.options.seed.toString(16);
    const name = this.options.name;
    const none = undefined as unknown as Envelope;
    this.startedEvent = { system: name, actor: '', envelope: none, waitNs: 0, startNs: 0, traceparent: '' };
    this.finishedEvent = { system: name, actor: '', envelope: none, waitNs: 0, handleNs: 0, endNs: 0, error: undefined };
    // Bound once: scheduling the pump allocates nothing.
    this.pumpFn = () => this.pump();
  }

  /** Dead letters so far (unknown, stopped or faulted receivers). */
  get deadLetters(): number {
    return this.deadLetterCount;
  }

  /** Envelopes handled so far, all actors. */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** True once `shutdown()` has been called. */
  get isShutdown(): boolean {
    return this.shut;
  }

  /** Addresses of registered actors (including faulted ones, until stopped). */
  addresses(): string[] {
    return [...this.cells.keys()];
  }

  /**
   * Registers an actor at `address` (dot-separated tokens, e.g. `exchange.binance`; not starting
   * with `$`) and starts it: lifecycle `ready` → `starting` → (`init`) → `running`. Messages sent
   * before it runs wait in its mailbox. Throws {@link ActorExistsError}, {@link InvalidAddressError},
   * `ConfigError` for bad options, {@link SystemShutdownError} after shutdown.
   */
  spawn<M extends AnyStateMachine>(address: string, machine: M, options?: SpawnOptions<M>): ActorRef<M> {
    if (this.shut) throw new SystemShutdownError(`spawn ${String(address)}`);
    assertTopic(address, 'address');
    if (address.startsWith('$')) throw new InvalidAddressError('address', address, 'an address not starting with "$" (reserved)');
    if (this.cells.has(address)) throw new ActorExistsError(address);
    if (machine === null || typeof machine !== 'object' || typeof (machine as { transition?: unknown }).transition !== 'function') {
      throw new InvalidArgumentError(`spawn(${address}, machine): expected an XState machine, got ${describeValue(machine)}`);
    }
    const { input, ...rest } = options ?? {};
    const o = parseSpawnOptions(rest, `spawn(${address})`);
    const mailbox = new Mailbox(o.mailbox.capacity, o.mailbox.controlCapacity, o.mailbox.policy);
    const batch: Envelope[] = new Array<Envelope>(this.options.batchSize);
    const cell: ActorCell = {
      address,
      machineDef: machine,
      input,
      handle: o.handle as Handler | undefined,
      init: o.init as InitHook | undefined,
      mailbox,
      lifecycle: new Lifecycle(address),
      intensity: new RestartIntensity(o.supervision, this.random),
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
      send: (to, message) => this.send(to, message),
      publish: (topic, message) => this.publish(topic, message),
      reply: (request, payload, type) => this.reply(request, payload, type),
      setLifecycle: (state) => this.setLifecycle(cell, state),
    };
    this.cells.set(address, cell);
    let resolveStarted!: () => void;
    let rejectStarted!: (e: Error) => void;
    const started = new Promise<void>((res, rej) => {
      resolveStarted = res;
      rejectStarted = rej;
    });
    // Never an unhandled rejection if nobody awaits `started`.
    started.catch(() => undefined);
    cell.onStarted = resolveStarted;
    cell.onStopped = rejectStarted;
    this.transition(cell, 'starting');
    this.startIncarnation(cell, false, undefined);
    return {
      address,
      get lifecycle() {
        return cell.lifecycle.state;
      },
      get machine() {
        return cell.xactor as Actor<M>;
      },
      started,
      stats: () => this.cellStats(cell),
    };
  }

  /**
   * Sends `message` to `to`. Unknown, stopped or faulted receivers make a dead letter (counted,
   * published on {@link TOPIC_DEAD_LETTERS}); a full lane under `reject` throws
   * {@link MailboxFullError}. Inside a handler, `from` and the trace context are the handler's.
   */
  send(to: string, message: Message): void {
    const r = this.enqueue(to, message, '', '', message.traceparent);
    if (r === SendStatus.Rejected) this.throwFull(to, message.lane ?? 'data');
  }

  /** Like {@link send} but returns a {@link SendStatus} instead of throwing (hot paths, fan-out). */
  trySend(to: string, message: Message): SendStatus {
    return this.enqueue(to, message, '', '', message.traceparent);
  }

  /**
   * Publishes `message` on `topic` to every actor subscribed with a matching pattern (see
   * `topics.ts`); each subscriber gets its own envelope with `topic` set. A subscriber whose lane
   * is full under `reject` does not get it (counted as rejected on that actor). Returns how many
   * subscribers got it.
   */
  publish(topic: string, message: Message): number {
    const subs = this.topics.match(topic);
    let n = 0;
    for (let i = 0; i < subs.length; i++) {
      if (this.enqueue(subs[i]!, message, topic, '', message.traceparent) === SendStatus.Sent) n++;
    }
    return n;
  }

  /** Subscribes the actor at `address` to `pattern` (`*` one token, `>` the rest). Returns an unsubscribe function. */
  subscribe(pattern: string, address: string): () => void {
    assertPattern(pattern);
    assertTopic(address, 'address');
    this.topics.add(pattern, address);
    return () => {
      this.topics.remove(pattern, address);
    };
  }

  /** Removes one subscription; false if it did not exist. */
  unsubscribe(pattern: string, address: string): boolean {
    return this.topics.remove(pattern, address);
  }

  /** Subscriber addresses a publish on `topic` would reach, in delivery order. */
  subscribers(topic: string): readonly string[] {
    return this.topics.match(topic);
  }

  /**
   * Request/reply: sends `message` with a fresh correlation id and resolves with the payload the
   * receiver passes to `ctx.reply()`. Rejects with {@link AskTimeoutError} after `timeoutMs` of
   * clock time, {@link ActorNotFoundError} for an unknown address, {@link ActorStoppedError} if the
   * receiver stops or faults first, {@link MailboxFullError} if its lane is full.
   */
  ask<R = unknown>(to: string, message: Message, options?: AskOptions): Promise<R> {
    const { timeoutMs } = parseAskOptions(options);
    if (this.shut) return Promise.reject(new SystemShutdownError(`ask ${to}`));
    const cell = this.cells.get(to);
    if (cell === undefined) return Promise.reject(new ActorNotFoundError(to));
    if (!cell.alive) return Promise.reject(new ActorStoppedError(to, cell.lifecycle.state));
    const correlationId = message.correlationId ?? this.newCorrelationId();
    return new Promise<R>((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.pending.delete(correlationId);
        reject(new AskTimeoutError(to, message.type, timeoutMs));
      });
      this.pending.set(correlationId, { to, type: message.type, resolve: resolve as (p: unknown) => void, reject, timer });
      const r = this.enqueue(to, message, '', ASK_REPLY, message.traceparent, correlationId);
      if (r !== SendStatus.Sent) {
        this.clock.clearTimer(timer);
        this.pending.delete(correlationId);
        reject(r === SendStatus.Rejected ? this.fullError(to, message.lane ?? 'data') : new ActorStoppedError(to, cell.lifecycle.state));
      }
    });
  }

  /**
   * Replies to `request`: resolves its `ask()`, or sends `{ type, payload }` to its `replyTo`
   * with the same correlation id. Returns false when the request expects no reply (or its ask
   * already timed out). Default reply type: `<request type>.reply`.
   */
  reply(request: Envelope, payload: unknown, type?: string): boolean {
    if (request.replyTo === ASK_REPLY) {
      const p = this.pending.get(request.correlationId);
      if (p === undefined) return false;
      this.pending.delete(request.correlationId);
      this.clock.clearTimer(p.timer);
      p.resolve(payload);
      return true;
    }
    if (request.replyTo === '') return false;
    return this.enqueue(request.replyTo, { type: type ?? `${request.type}.reply`, payload }, '', '', undefined, request.correlationId) === SendStatus.Sent;
  }

  /**
   * Stops the actor at `address`: `stopping`, its machine is stopped, pending envelopes become
   * dead letters, pending asks to it reject with {@link ActorStoppedError}, its subscriptions are
   * removed, `stopped`, and the address is free again. Throws {@link ActorNotFoundError}.
   */
  stop(address: string): void {
    const cell = this.cells.get(address);
    if (cell === undefined) throw new ActorNotFoundError(address);
    this.stopCell(cell, this.shut ? 'shutdown' : 'stopped');
  }

  /**
   * Stops every actor (in reverse spawn order) and rejects every pending ask with
   * {@link SystemShutdownError}. Afterwards spawns and asks are refused and sends are dead letters.
   */
  async shutdown(): Promise<void> {
    if (this.shut) return;
    this.shut = true;
    for (const cell of [...this.cells.values()].reverse()) this.stopCell(cell, 'shutdown');
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      this.clock.clearTimer(p.timer);
      p.reject(new SystemShutdownError(`wait for the reply of ${p.to} "${p.type}"`));
    }
  }

  /** Statistics of the actor at `address`. Throws {@link ActorNotFoundError}. */
  stats(address: string): ActorStats {
    const cell = this.cells.get(address);
    if (cell === undefined) throw new ActorNotFoundError(address);
    return this.cellStats(cell);
  }

  /** Statistics of every registered actor. */
  allStats(): ActorStats[] {
    return [...this.cells.values()].map((c) => this.cellStats(c));
  }

  /** Lifecycle state of the actor at `address`, or undefined if none is registered. */
  lifecycleOf(address: string): LifecycleState | undefined {
    return this.cells.get(address)?.lifecycle.state;
  }

  // ---------------------------------------------------------------------------------------------
  // Enqueue

  private enqueue(to: string, m: Message, topic: string, replyTo: string, traceparent: string | undefined, correlationId?: string): SendStatus {
    const env = makeEnvelope(
      m.type,
      m.payload,
      handling.actor,
      to,
      correlationId ?? m.correlationId ?? '',
      this.clock.nowNs(),
      traceparent ?? handling.traceparent,
      topic,
      m.key ?? '',
      m.lane ?? 'data',
      replyTo,
    );
    const cell = this.cells.get(to);
    if (cell === undefined || !cell.alive) {
      this.deadLetter(env, this.shut ? 'shutdown' : cell === undefined ? 'not-found' : cell.lifecycle.state === 'faulted' ? 'faulted' : 'stopped');
      return SendStatus.DeadLetter;
    }
    const mb = cell.mailbox;
    const r = mb.offer(env);
    if (r !== Offer.Ok) {
      if (r === Offer.Rejected) {
        if (channels.dropped.hasSubscribers) this.publishDropped(cell, env, 'rejected');
        return SendStatus.Rejected;
      }
      if (channels.dropped.hasSubscribers) this.publishDropped(cell, mb.evicted!, r === Offer.Conflated ? 'conflated' : 'drop-oldest');
      mb.evicted = undefined;
    }
    if (channels.enqueued.hasSubscribers) channels.enqueued.publish({ system: this.options.name, envelope: env, depth: mb.depth });
    if (!cell.scheduled && (env.lane === 'control' ? cell.controlOpen : cell.dataOpen)) this.makeReady(cell);
    return SendStatus.Sent;
  }

  private publishDropped(cell: ActorCell, envelope: Envelope, reason: DropReason): void {
    channels.dropped.publish({ system: this.options.name, actor: cell.address, envelope, reason });
  }

  private deadLetter(env: Envelope, reason: DeadLetterReason): void {
    this.deadLetterCount++;
    if (channels.deadLetter.hasSubscribers) channels.deadLetter.publish({ system: this.options.name, envelope: env, reason });
    // A dead letter of a dead-letter notice is only counted: publishing it again could loop forever.
    if (env.topic !== TOPIC_DEAD_LETTERS) this.publishSystem(TOPIC_DEAD_LETTERS, 'system.dead-letter', { envelope: env, reason });
  }

  /** Publishes a system notice from outside any handler context (no inherited from/trace). */
  private publishSystem(topic: string, type: string, payload: unknown): void {
    if (this.topics.size === 0 || this.topics.match(topic).length === 0) return;
    const { actor, envelope, traceparent } = handling;
    handling.actor = '';
    handling.envelope = undefined;
    handling.traceparent = '';
    try {
      this.publish(topic, { type, payload });
    } finally {
      handling.actor = actor;
      handling.envelope = envelope;
      handling.traceparent = traceparent;
    }
  }

  private throwFull(to: string, lane: Lane): never {
    throw this.fullError(to, lane);
  }

  private fullError(to: string, lane: Lane): MailboxFullError {
    const mb = this.cells.get(to)?.mailbox;
    return new MailboxFullError(to, lane, lane === 'control' ? (mb?.control.capacity ?? 0) : (mb?.data.capacity ?? 0));
  }

  private newCorrelationId(): string {
    return `${this.correlationPrefix}-${(this.nextCorrelation++).toString(36)}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling and delivery

  private makeReady(cell: ActorCell): void {
    cell.scheduled = true;
    this.readyQueue.push(cell);
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      this.options.scheduler.schedule(this.pumpFn);
    }
  }

  private hasWork(cell: ActorCell): boolean {
    return cell.controlOpen && (cell.mailbox.control.length > 0 || (cell.dataOpen && (cell.batchPos < cell.batchLen || cell.mailbox.data.length > 0)));
  }

  private pump(): void {
    this.pumpScheduled = false;
    // Re-entered (a handler advanced a SimulatedClock, firing this pump's timer): the running
    // pump picks the new work up, and delivery is never nested.
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpLoop();
    } finally {
      this.pumping = false;
    }
    if (this.readyHead < this.readyQueue.length && !this.pumpScheduled) {
      this.pumpScheduled = true;
      this.options.scheduler.schedule(this.pumpFn);
    }
  }

  private pumpLoop(): void {
    const clock = this.clock;
    const deadline = clock.nowNs() + this.options.pumpTimeNs;
    const actorBudget = this.options.actorBudget;
    let budget = this.options.pumpBudget;
    const q = this.readyQueue;
    while (budget > 0 && this.readyHead < q.length) {
      const cell = q[this.readyHead]!;
      q[this.readyHead++] = undefined;
      cell.scheduled = false;
      budget -= this.runTurn(cell, actorBudget < budget ? actorBudget : budget);
      // Back of the queue: a flooding actor gets one turn per round, like everyone else. (A
      // send to itself during the turn may already have queued it.)
      if (!cell.scheduled && this.hasWork(cell)) {
        cell.scheduled = true;
        q.push(cell);
      }
      if (clock.nowNs() >= deadline) break;
    }
    if (this.readyHead === q.length) {
      q.length = 0;
      this.readyHead = 0;
    } else if (this.readyHead > 1024 && this.readyHead * 2 > q.length) {
      q.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  /** One turn of `cell`: control lane first, then data batches; returns envelopes handled. */
  private runTurn(cell: ActorCell, budget: number): number {
    const mb = cell.mailbox;
    let done = 0;
    while (done < budget && cell.controlOpen) {
      const c = mb.takeControl();
      if (c !== undefined) {
        this.deliverControl(cell, c);
        done++;
        continue;
      }
      if (!cell.dataOpen) break;
      if (cell.batchPos === cell.batchLen) {
        const max = Math.min(cell.batch.length, budget - done);
        let n = 0;
        while (n < max) {
          const e = mb.takeData();
          if (e === undefined) break;
          cell.batch[n++] = e;
        }
        if (n === 0) break;
        cell.batchPos = 0;
        cell.batchLen = n;
      }
      // Control that arrived while handling this batch is served before the next one.
      done += this.deliverBatch(cell, budget - done);
    }
    return done;
  }

  private deliverControl(cell: ActorCell, e: Envelope): void {
    const perMsg = channels.started.hasSubscribers || channels.finished.hasSubscribers;
    let bev: BatchDeliveryEvent | undefined;
    if (channels.batchStart.hasSubscribers || channels.batchEnd.hasSubscribers) {
      this.controlSlot[0] = e;
      bev = this.openBatch(cell, this.controlSlot as Envelope[], 0, 1, false);
    }
    const tp = bev === undefined ? e.traceparent : bev.traceparents[0]!;
    const t0 = perMsg ? this.beginTraced(cell, e, tp) : this.begin(cell, e, tp);
    const timed = bev !== undefined && bev.timed[0] !== 0;
    if (timed) bev!.startNs[0] = perMsg ? t0 : this.clock.nowNs();
    let error: unknown;
    try {
      cell.xactor.send({ type: e.type, envelope: e });
      if (cell.machineError !== undefined) throw cell.machineError;
      if (cell.handle !== undefined) cell.handle(e, cell.ctx);
    } catch (err) {
      error = err ?? new Error('undefined thrown');
    }
    if (timed) bev!.endNs[0] = this.clock.nowNs();
    cell.processed++;
    this.deliveredCount++;
    if (perMsg) this.endTraced(cell, e, t0, 1, error);
    if (bev !== undefined) {
      this.closeBatch(bev, 1, error, error === undefined ? -1 : 0);
      this.controlSlot[0] = undefined;
    }
    this.end();
    if (error !== undefined) this.fail(cell, error);
  }

  /** Handles `batch[batchPos .. batchLen)` (at most `budget`), advancing `batchPos`; returns how many. */
  private deliverBatch(cell: ActorCell, budget: number): number {
    const batch = cell.batch;
    const start = cell.batchPos;
    const stop = Math.min(cell.batchLen, start + budget);
    // Per-envelope firehose (`started`/`finished`) and per-batch events (`batch-start`/`batch-end`)
    // are independent; with neither subscribed, delivery runs the plain loop below.
    const perMsg = channels.started.hasSubscribers || channels.finished.hasSubscribers;
    const handle = cell.handle;
    const bev = channels.batchStart.hasSubscribers || channels.batchEnd.hasSubscribers ? this.openBatch(cell, batch, start, stop - start, handle === undefined) : undefined;
    const ctx = cell.ctx;
    const ev = cell.batchEvent;
    ev.start = start;
    ev.count = stop - start;
    let i = start;
    let error: unknown;
    let errorIndex = -1;
    let t0 = 0;
    // Index whose handler is running (its finished event / end time is still owed on a throw).
    let open = -1;
    try {
      const first = batch[start]!;
      const firstTp = bev === undefined ? first.traceparent : bev.traceparents[0]!;
      if (handle === undefined) {
        // Machine-only actor: the batch event is the whole delivery; trace it as one handling
        // per envelope sharing the batch's time and the first envelope's context.
        t0 = perMsg ? this.beginTraced(cell, first, firstTp) : this.begin(cell, first, firstTp);
        cell.xactor.send(ev);
        if (cell.machineError !== undefined) throw cell.machineError;
        i = stop;
      } else {
        this.begin(cell, first, firstTp);
        cell.xactor.send(ev);
        if (cell.machineError !== undefined) throw cell.machineError;
        if (!perMsg && bev === undefined) {
          for (; i < stop && cell.dataOpen; i++) {
            const e = batch[i]!;
            handling.envelope = e;
            handling.traceparent = e.traceparent;
            handle(e, ctx);
          }
        } else if (!perMsg) {
          // Batch-level instrumentation: no clock read or publish per envelope, except for the
          // few a subscriber asked to time (sampled spans).
          const tps = bev!.traceparents;
          const timed = bev!.timed;
          for (; i < stop && cell.dataOpen; i++) {
            const e = batch[i]!;
            const k = i - start;
            handling.envelope = e;
            handling.traceparent = tps[k]!;
            if (timed[k] === 0) {
              handle(e, ctx);
            } else {
              open = i;
              bev!.startNs[k] = this.clock.nowNs();
              handle(e, ctx);
              bev!.endNs[k] = this.clock.nowNs();
              open = -1;
            }
          }
        } else {
          for (; i < stop && cell.dataOpen; i++) {
            const e = batch[i]!;
            const k = i - start;
            t0 = this.beginTraced(cell, e, bev === undefined ? e.traceparent : bev.traceparents[k]!);
            const timed = bev !== undefined && bev.timed[k] !== 0;
            if (timed) bev.startNs[k] = t0;
            open = i;
            handle(e, ctx);
            open = -1;
            if (timed) bev.endNs[k] = this.clock.nowNs();
            this.endTraced(cell, e, t0, 1, undefined);
          }
        }
      }
    } catch (err) {
      error = err ?? new Error('undefined thrown');
    }
    if (error !== undefined) {
      // The envelope that failed is consumed (a poison message must not loop); the rest of the
      // batch stays in flight for the next incarnation.
      if (handle === undefined) {
        if (perMsg) this.endBatch(cell, start, stop, t0, error);
        i = stop;
      } else {
        if (open === i) {
          if (perMsg) this.endTraced(cell, batch[i]!, t0, 1, error);
          if (bev !== undefined && bev.timed[i - start] !== 0) bev.endNs[i - start] = this.clock.nowNs();
        }
        errorIndex = i - start;
        i = i < stop ? i + 1 : i;
      }
    } else if (handle === undefined && perMsg) {
      this.endBatch(cell, start, stop, t0, undefined);
    }
    if (bev !== undefined) this.closeBatch(bev, i - start, error, errorIndex);
    for (let k = start; k < i; k++) batch[k] = undefined as unknown as Envelope;
    cell.processed += i - start;
    this.deliveredCount += i - start;
    cell.batchPos = i;
    if (i === cell.batchLen) {
      cell.batchPos = 0;
      cell.batchLen = 0;
    }
    this.end();
    if (error !== undefined) this.fail(cell, error);
    return i - start;
  }

  /** Fills and publishes `batch-start` for `envelopes[start .. start+count)`; returns the event. */
  private openBatch(cell: ActorCell, envelopes: Envelope[], start: number, count: number, shared: boolean): BatchDeliveryEvent {
    let ev = this.batchEv;
    if (ev === undefined) {
      const n = this.options.batchSize;
      ev = {
        system: this.options.name,
        actor: '',
        envelopes: NO_ENVELOPES,
        start: 0,
        count: 0,
        shared: false,
        batchStartNs: 0,
        batchEndNs: 0,
        handled: 0,
        traceparents: new Array<string>(n).fill(''),
        timed: new Uint8Array(n),
        startNs: new Float64Array(n),
        endNs: new Float64Array(n),
        error: undefined,
        errorIndex: -1,
      };
      this.batchEv = ev;
    }
    ev.actor = cell.address;
    ev.envelopes = envelopes;
    ev.start = start;
    ev.count = count;
    ev.shared = shared;
    ev.handled = 0;
    ev.batchEndNs = 0;
    ev.error = undefined;
    ev.errorIndex = -1;
    const tps = ev.traceparents;
    for (let k = 0; k < count; k++) tps[k] = envelopes[start + k]!.traceparent;
    ev.timed.fill(0, 0, count);
    if (channels.batchStart.hasSubscribers) channels.batchStart.publish(ev);
    // Read after the subscribers ran: their time is mailbox wait, not handling.
    ev.batchStartNs = this.clock.nowNs();
    return ev;
  }

  /** Completes and publishes `batch-end`, then lets go of the envelopes. */
  private closeBatch(ev: BatchDeliveryEvent, handled: number, error: unknown, errorIndex: number): void {
    const now = this.clock.nowNs();
    ev.batchEndNs = now;
    ev.handled = handled;
    ev.error = error;
    ev.errorIndex = errorIndex;
    if (ev.shared) {
      for (let k = 0; k < handled; k++) {
        if (ev.timed[k] === 0) continue;
        ev.startNs[k] = ev.batchStartNs;
        ev.endNs[k] = now;
      }
    }
    if (channels.batchEnd.hasSubscribers) channels.batchEnd.publish(ev);
    ev.envelopes = NO_ENVELOPES;
    ev.error = undefined;
  }

  private begin(cell: ActorCell, e: Envelope, traceparent: string): number {
    handling.actor = cell.address;
    handling.envelope = e;
    handling.traceparent = traceparent;
    return 0;
  }

  private end(): void {
    handling.actor = '';
    handling.envelope = undefined;
    handling.traceparent = '';
  }

  private beginTraced(cell: ActorCell, e: Envelope, traceparent: string): number {
    const now = this.clock.nowNs();
    handling.actor = cell.address;
    handling.envelope = e;
    const ev = this.startedEvent;
    ev.actor = cell.address;
    ev.envelope = e;
    ev.waitNs = now - e.enqueuedAtNs;
    ev.startNs = now;
    ev.traceparent = traceparent;
    if (channels.started.hasSubscribers) channels.started.publish(ev);
    handling.traceparent = ev.traceparent;
    return now;
  }

  private endTraced(cell: ActorCell, e: Envelope, t0: number, share: number, error: unknown): void {
    if (!channels.finished.hasSubscribers) return;
    const now = this.clock.nowNs();
    const ev = this.finishedEvent;
    ev.actor = cell.address;
    ev.envelope = e;
    ev.waitNs = t0 - e.enqueuedAtNs;
    ev.handleNs = (now - t0) / share;
    ev.endNs = now;
    ev.error = error;
    channels.finished.publish(ev);
  }

  private endBatch(cell: ActorCell, start: number, stop: number, t0: number, error: unknown): void {
    const n = stop - start;
    for (let k = start; k < stop; k++) {
      const e = cell.batch[k]!;
      // Every envelope but the first gets its own started event so subscribers see each one.
      if (k > start && channels.started.hasSubscribers) {
        const ev = this.startedEvent;
        ev.actor = cell.address;
        ev.envelope = e;
        ev.waitNs = t0 - e.enqueuedAtNs;
        ev.startNs = t0;
        ev.traceparent = e.traceparent;
        channels.started.publish(ev);
      }
      this.endTraced(cell, e, t0, n, error);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle and supervision

  private transition(cell: ActorCell, to: LifecycleState): void {
    const from = cell.lifecycle.state;
    if (!cell.lifecycle.to(to)) return;
    cell.dataOpen = to === 'running' || to === 'degraded';
    cell.controlOpen = cell.dataOpen || to === 'halted';
    cell.alive = to !== 'stopping' && to !== 'stopped' && to !== 'faulted';
    if (channels.lifecycle.hasSubscribers) channels.lifecycle.publish({ system: this.options.name, actor: cell.address, from, to });
    this.publishSystem(TOPIC_ACTOR_LIFECYCLE, 'system.actor.lifecycle', { address: cell.address, from, to });
    if (!cell.scheduled && this.hasWork(cell)) this.makeReady(cell);
  }

  private setLifecycle(cell: ActorCell, state: 'running' | 'degraded' | 'halted'): void {
    if (state !== 'running' && state !== 'degraded' && state !== 'halted') {
      throw new InvalidArgumentError(`${cell.address}: setLifecycle(state): expected "running", "degraded" or "halted", got ${describeValue(state)}`);
    }
    this.transition(cell, state);
  }

  /** Creates and starts a machine incarnation, runs `init`, then goes `running`. */
  private startIncarnation(cell: ActorCell, restart: boolean, cause: unknown): void {
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

  private running(cell: ActorCell): void {
    this.transition(cell, 'running');
    cell.onStarted?.();
  }

  private fail(cell: ActorCell, error: unknown): void {
    if (!cell.alive) return;
    cell.failures++;
    const d = cell.intensity.onFailure(this.clock.nowNs());
    if (!d.restart) {
      this.fault(cell, error, d.attempt - 1);
      return;
    }
    if (cell.lifecycle.state !== 'starting') this.transition(cell, 'starting');
    cell.xactor.stop();
    // Invalidate the failed incarnation (late init promises, late machine errors).
    cell.generation++;
    if (channels.restart.hasSubscribers) channels.restart.publish({ system: this.options.name, actor: cell.address, attempt: d.attempt, delayMs: d.delayMs, error });
    cell.restartTimer = this.clock.setTimer(d.delayMs, () => {
      cell.restartTimer = undefined;
      if (cell.lifecycle.state === 'starting') this.startIncarnation(cell, true, error);
    });
  }

  private fault(cell: ActorCell, error: unknown, restarts: number): void {
    cell.xactor.stop();
    cell.generation++;
    this.transition(cell, 'faulted');
    this.flushDead(cell, 'faulted');
    if (channels.faulted.hasSubscribers) channels.faulted.publish({ system: this.options.name, actor: cell.address, restarts, error });
    const message = error instanceof Error ? error.message : String(error);
    this.publishSystem(TOPIC_ACTOR_FAULTED, 'system.actor.faulted', { address: cell.address, restarts, error: message });
    cell.onStopped?.(new ActorStoppedError(cell.address, 'faulted'));
  }

  private stopCell(cell: ActorCell, reason: DeadLetterReason): void {
    if (cell.restartTimer !== undefined) {
      this.clock.clearTimer(cell.restartTimer);
      cell.restartTimer = undefined;
    }
    if (cell.lifecycle.state !== 'stopping' && cell.lifecycle.state !== 'stopped') {
      this.transition(cell, 'stopping');
      cell.xactor.stop();
      cell.generation++;
    }
    this.flushDead(cell, reason);
    this.topics.removeValue(cell.address);
    this.cells.delete(cell.address);
    this.transition(cell, 'stopped');
    cell.onStopped?.(new ActorStoppedError(cell.address, 'stopped'));
  }

  /** Turns everything pending for `cell` into dead letters and rejects asks waiting on it. */
  private flushDead(cell: ActorCell, reason: DeadLetterReason): void {
    const inflight = cell.batch.slice(cell.batchPos, cell.batchLen);
    cell.batch.fill(undefined as unknown as Envelope);
    cell.batchPos = 0;
    cell.batchLen = 0;
    for (const e of [...inflight, ...cell.mailbox.drain()]) this.deadLetter(e, reason);
    for (const [id, p] of this.pending) {
      if (p.to !== cell.address) continue;
      this.pending.delete(id);
      this.clock.clearTimer(p.timer);
      p.reject(new ActorStoppedError(cell.address, cell.lifecycle.state));
    }
  }

  private cellStats(cell: ActorCell): ActorStats {
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
}
