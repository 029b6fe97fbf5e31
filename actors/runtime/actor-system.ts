// The actor system's public API (spawn, send, ask, publish, subscribe, stop, stats) and the
// enqueue/dead-letter/stop paths behind it. The pump lives in dispatcher.ts, the delivery loop in
// delivery.ts, supervision and the lifecycle in supervisor.ts, an actor's state in actor-cell.ts.
// Other nodes: the outgoing routing is remote-router.ts, the port interface remote.ts (cluster/
// implements it); what stays here is what needs the cells and pending asks (attach, inbound delivery).
// Over ~400 lines: most of it is the TSDoc of the public methods, which belongs with them.
import type { Actor, AnyStateMachine } from 'xstate';
import { SendStatus, type ActorRef, type SpawnOptions } from './actor-ref.js';
import type { Clock } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { SeededRandom } from '../../common/random.js';
import { cellStats, createCell, type ActorCell, type ActorStats, type CellSystem } from './actor-cell.js';
import { handling } from './context.js';
import { Delivery, InjectedFault } from './delivery.js';
import { channels, type DeadLetterReason, type DropReason } from './diagnostics.js';
import { Dispatcher } from './dispatcher.js';
import { makeEnvelope, type Envelope, type Lane, type Message } from './envelope.js';
import { ActorExistsError, ActorNotFoundError, ActorStoppedError, AskCorrelationInUseError, AskTimeoutError, InvalidAddressError, MailboxFullError, SystemShutdownError } from './errors.js';
import type { LifecycleState } from './lifecycle.js';
import { Offer } from './mailbox.js';
import { parseAskOptions, parseSpawnOptions, parseSystemOptions, type ActorSystemOptions, type AskOptions, type ResolvedSystemOptions } from './options.js';
import { Supervisor, TOPIC_ACTOR_FAULTED, TOPIC_ACTOR_LIFECYCLE } from './supervisor.js';
import { assertPattern, assertTopic, TopicTrie } from './topics.js';
import { NODE_NAME_RE, splitNodeAddress, type RemoteInbound, type RemoteMessage, type RemotePort } from './remote.js';
import { RemoteRouter, inboundMessage } from './remote-router.js';

/** Topic on which the system publishes every dead letter (`{ envelope, reason }`). */
export const TOPIC_DEAD_LETTERS = 'system.dead-letters';
export { TOPIC_ACTOR_FAULTED, TOPIC_ACTOR_LIFECYCLE, SendStatus, type ActorRef, type SpawnOptions };

/** `replyTo` of an `ask()` request: the reply resolves the pending promise instead of a mailbox. */
const ASK_REPLY = '$ask';

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
 * Delivery: sends enqueue and mark the receiver ready; one pump (`dispatcher.ts`, run by the
 * `Scheduler`) serves ready actors round-robin, each for at most `actorBudget` envelopes per turn: first its
 * control lane, one envelope per machine event, then its data lane in batches of `batchSize`,
 * handed to the machine as ONE `batch` event and then to the handler envelope by envelope. The
 * pump yields to the event loop after `pumpBudget` envelopes or `pumpTimeNs`. Failures go to
 * one-for-one supervision (`supervisor.ts`).
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
  private readonly delivery: Delivery;
  private readonly dispatcher: Dispatcher;
  private readonly supervisor: Supervisor;
  /** What every actor's context forwards to (bound once). */
  private readonly forCells: CellSystem;
  private shut = false;
  private nextCorrelation = 0;
  private readonly correlationPrefix: string;
  private deadLetterCount = 0;
  /** Routing to other nodes (`attachRemote`); undefined in a single-process system. */
  private router: RemoteRouter | undefined;

  constructor(options?: ActorSystemOptions) {
    this.options = parseSystemOptions(options);
    this.clock = this.options.clock;
    this.random = new SeededRandom(this.options.seed);
    this.correlationPrefix = this.options.seed.toString(16);
    const o = this.options;
    this.supervisor = new Supervisor({
      name: o.name,
      clock: o.clock,
      readyIfWork: (cell) => this.dispatcher.readyIfWork(cell),
      publishSystem: (topic, type, payload) => this.publishSystem(topic, type, payload),
      flushDead: (cell, reason) => this.flushDead(cell, reason),
    });
    this.delivery = new Delivery(o.name, o.clock, o.batchSize, (cell, error) => this.supervisor.fail(cell, error));
    this.dispatcher = new Dispatcher(o, this.delivery);
    this.forCells = {
      send: (to, message) => this.send(to, message),
      publish: (topic, message) => this.publish(topic, message),
      reply: (request, payload, type) => this.reply(request, payload, type),
      setLifecycle: (c, state) => this.setLifecycle(c, state),
    };
  }

  /** Dead letters so far (unknown, stopped or faulted receivers). */
  get deadLetters(): number {
    return this.deadLetterCount;
  }

  /** Envelopes handled so far, all actors. */
  get delivered(): number {
    return this.delivery.delivered;
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
    const cell = createCell(address, machine, input, o, this.options.batchSize, this.random, this.forCells);
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
    this.supervisor.transition(cell, 'starting');
    this.supervisor.startIncarnation(cell, false, undefined);
    return {
      address,
      get lifecycle() {
        return cell.lifecycle.state;
      },
      get machine() {
        return cell.xactor as Actor<M>;
      },
      started,
      stats: () => cellStats(cell),
    };
  }

  /**
   * Sends `message` to `to`. Unknown, stopped or faulted receivers make a dead letter (counted,
   * published on {@link TOPIC_DEAD_LETTERS}); a full lane under `reject` throws
   * {@link MailboxFullError}. Inside a handler, `from` and the trace context are the handler's.
   */
  send(to: string, message: Message): void {
    if (this.router !== undefined) {
      this.sendRouted(to, message);
      return;
    }
    const r = this.enqueue(to, message, '', '', message.traceparent);
    if (r === SendStatus.Rejected) this.throwFull(to, message.lane ?? 'data');
  }

  /** Like {@link send} but returns a {@link SendStatus} instead of throwing (hot paths, fan-out). */
  trySend(to: string, message: Message): SendStatus {
    if (this.router !== undefined) return this.trySendRouted(to, message);
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
    if (this.router !== undefined) this.router.publish(topic, message);
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
    if (this.router !== undefined) {
      to = this.router.routed(to);
      const p = this.router.ask(to, message, timeoutMs);
      if (p !== undefined) return p as Promise<R>;
    }
    return this.askLocal<R>(to, message, timeoutMs, handling.actor);
  }

  private askLocal<R>(to: string, message: Message, timeoutMs: number, from: string): Promise<R> {
    const cell = this.cells.get(to);
    if (cell === undefined) return Promise.reject(new ActorNotFoundError(to));
    if (!cell.alive) return Promise.reject(new ActorStoppedError(to, cell.lifecycle.state));
    const correlationId = message.correlationId ?? this.newCorrelationId();
    if (this.pending.has(correlationId)) return Promise.reject(new AskCorrelationInUseError(to, message.type, correlationId));
    return new Promise<R>((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.pending.delete(correlationId);
        reject(new AskTimeoutError(to, message.type, timeoutMs));
      });
      this.pending.set(correlationId, { to, type: message.type, resolve: resolve as (p: unknown) => void, reject, timer });
      const r = this.asSender(from, () => this.enqueue(to, message, '', ASK_REPLY, message.traceparent, correlationId));
      if (r !== SendStatus.Sent) {
        this.clock.clearTimer(timer);
        this.pending.delete(correlationId);
        reject(r === SendStatus.Rejected ? this.fullError(to, message.lane ?? 'data') : new ActorStoppedError(to, cell.lifecycle.state));
      }
    });
  }

  /**
   * Hands `request` on to `to` as `message`, keeping its reply address and correlation id, so the
   * one who asked gets the answer straight from `to` (one ask per request, however many actors it
   * passes through). A pending `ask()` follows the request: it now rejects with
   * {@link ActorStoppedError} if `to` stops or faults before replying. Returns the send status;
   * when it is not `Sent`, nothing was handed on and the caller still owes the reply.
   */
  forward(request: Envelope, to: string, message: Message): SendStatus {
    if (this.router !== undefined) {
      to = this.router.routed(to);
      if (this.router.forward(request, to, message)) return SendStatus.Sent;
    }
    if (request.replyTo === '') return this.enqueue(to, message, '', '', message.traceparent);
    const r = this.enqueue(to, message, '', request.replyTo, message.traceparent, request.correlationId);
    if (r === SendStatus.Sent && request.replyTo === ASK_REPLY) {
      const p = this.pending.get(request.correlationId);
      if (p !== undefined) p.to = to;
    }
    return r;
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
   * Fault-injection hook for tests and the chaos runner: makes the actor at `address` fail with
   * `error` exactly as if its handler had thrown, through the normal supervision path (restart
   * after the backoff, or `faulted` once the restart intensity is exceeded). The fault travels as
   * a control-lane envelope (type `system.fault.injected`), so it is served in order with the
   * actor's other control messages and before pending data; the machine and the handler never
   * see it. Production actors need no crash branches of their own. Throws
   * {@link ActorNotFoundError}, {@link ActorStoppedError} (stopped or faulted actor),
   * {@link MailboxFullError} (control lane full), `InvalidArgumentError` when `error` is not an Error.
   */
  injectFault(address: string, error?: Error): void {
    const cell = this.cells.get(address);
    if (cell === undefined) throw new ActorNotFoundError(address);
    if (error !== undefined && !(error instanceof Error)) throw new InvalidArgumentError(`injectFault(${address}, error): expected an Error, got ${describeValue(error)}`);
    if (!cell.alive) throw new ActorStoppedError(address, cell.lifecycle.state);
    const fault = new InjectedFault(error ?? new Error(`${address}: fault injected`));
    this.send(address, { type: 'system.fault.injected', payload: fault, lane: 'control' });
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
    return cellStats(cell);
  }

  /** Statistics of every registered actor. */
  allStats(): ActorStats[] {
    return [...this.cells.values()].map((c) => cellStats(c));
  }

  /** Lifecycle state of the actor at `address`, or undefined if none is registered. */
  lifecycleOf(address: string): LifecycleState | undefined {
    return this.cells.get(address)?.lifecycle.state;
  }

  // ---------------------------------------------------------------------------------------------
  // Other nodes (the port lives in remote.ts; cluster/ implements it over NATS)

  /**
   * Connects this system to other nodes: from now on `send`, `trySend`, `ask` and `forward` to an
   * address `node/address` of another node go through `port`, and every `publish` is also offered
   * to it. Returns what the port calls for messages arriving from other nodes. One port per system;
   * throws `InvalidArgumentError` for a second one or a bad node name.
   */
  attachRemote(port: RemotePort): RemoteInbound {
    if (this.router !== undefined) throw new InvalidArgumentError(`attachRemote: a remote port (node ${this.router.port.node}) is already attached`);
    if (typeof port?.node !== 'string' || !NODE_NAME_RE.test(port.node)) {
      throw new InvalidArgumentError(`attachRemote: port.node: expected a node name matching ${String(NODE_NAME_RE)}, got ${describeValue(port?.node)}`);
    }
    this.router = new RemoteRouter(port, {
      clock: this.clock,
      hasActor: (address) => this.cells.has(address),
      followAsk: (request, to) => {
        const p = request.replyTo === ASK_REPLY ? this.pending.get(request.correlationId) : undefined;
        if (p !== undefined) p.to = to;
      },
      failAsk: (request, error) => {
        const p = request.replyTo === ASK_REPLY ? this.pending.get(request.correlationId) : undefined;
        if (p === undefined) return false;
        this.pending.delete(request.correlationId);
        this.clock.clearTimer(p.timer);
        p.reject(error);
        return true;
      },
      reply: (request, payload) => this.reply(request, payload),
      deadLetter: (env, error) => this.deadLetter(env, 'remote', error),
    });
    return {
      deliver: (to, m) => this.deliverInbound(to, m),
      ask: (to, m, timeoutMs) => this.askLocal(to, inboundMessage(m), timeoutMs, m.from),
      publish: (topic, m) => this.publishInbound(topic, m),
    };
  }

  /** Detaches the remote port (node-qualified addresses become plain local addresses again). */
  detachRemote(): void {
    this.router = undefined;
  }

  /** This system's node name, or `''` without a remote port. */
  get node(): string {
    return this.router?.port.node ?? '';
  }

  /**
   * Like {@link send}, but resolves once the receiver's mailbox took the message and rejects with
   * the typed error otherwise: {@link MailboxFullError}, {@link ActorNotFoundError},
   * {@link ActorStoppedError}, {@link SystemShutdownError}, or (remote addresses) the transport's
   * errors. For a node-qualified address this waits for the other node's answer.
   */
  deliver(to: string, message: Message): Promise<void> {
    if (this.router !== undefined) {
      to = this.router.routed(to);
      const p = this.router.deliver(to, message);
      if (p !== undefined) return p;
    }
    try {
      this.deliverLocal(to, message, message.traceparent, handling.actor);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  private deliverInbound(to: string, m: RemoteMessage): void {
    const local = splitNodeAddress(to);
    this.deliverLocal(local !== undefined && local.node === this.node ? local.address : to, inboundMessage(m), m.traceparent, m.from);
  }

  /** Enqueues and throws the typed error a caller of `ask` would get when it did not work. */
  private deliverLocal(to: string, message: Message, traceparent: string | undefined, from: string): void {
    const st = this.asSender(from, () => this.enqueue(to, message, '', '', traceparent));
    if (st === SendStatus.Sent) return;
    if (st === SendStatus.Rejected) this.throwFull(to, message.lane ?? 'data');
    if (this.shut) throw new SystemShutdownError(`send to ${to}`);
    const cell = this.cells.get(to);
    throw cell === undefined ? new ActorNotFoundError(to) : new ActorStoppedError(to, cell.lifecycle.state);
  }

  /**
   * Runs `fn` with `from` as the sending actor (`envelope.from` of what it enqueues): a message
   * from another node keeps its node-qualified sender. Kept out of `enqueue`, the hot path.
   */
  private asSender<T>(from: string, fn: () => T): T {
    const prev = handling.actor;
    if (from === prev) return fn();
    handling.actor = from;
    try {
      return fn();
    } finally {
      handling.actor = prev;
    }
  }

  /** `send` with a remote port attached (out of line: the single-process path stays as it was). */
  private sendRouted(to: string, message: Message): void {
    const t = this.router!.routed(to);
    if (this.router!.send(t, message)) return;
    const r = this.enqueue(t, message, '', '', message.traceparent);
    if (r === SendStatus.Rejected) this.throwFull(t, message.lane ?? 'data');
  }

  /** `trySend` with a remote port attached. */
  private trySendRouted(to: string, message: Message): SendStatus {
    const t = this.router!.routed(to);
    if (this.router!.send(t, message)) return SendStatus.Sent;
    return this.enqueue(t, message, '', '', message.traceparent);
  }

  private publishInbound(topic: string, m: RemoteMessage): number {
    const subs = this.topics.match(topic);
    const msg = inboundMessage(m);
    let n = 0;
    for (let i = 0; i < subs.length; i++) {
      if (this.asSender(m.from, () => this.enqueue(subs[i]!, msg, topic, '', m.traceparent)) === SendStatus.Sent) n++;
    }
    return n;
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
    if (!cell.scheduled && (env.lane === 'control' ? cell.controlOpen : cell.dataOpen)) this.dispatcher.makeReady(cell);
    return SendStatus.Sent;
  }

  private publishDropped(cell: ActorCell, envelope: Envelope, reason: DropReason): void {
    channels.dropped.publish({ system: this.options.name, actor: cell.address, envelope, reason });
  }

  private deadLetter(env: Envelope, reason: DeadLetterReason, error?: Error): void {
    this.deadLetterCount++;
    if (channels.deadLetter.hasSubscribers) channels.deadLetter.publish(error === undefined ? { system: this.options.name, envelope: env, reason } : { system: this.options.name, envelope: env, reason, error });
    // A dead letter of a dead-letter notice is only counted: publishing it again could loop forever.
    if (env.topic !== TOPIC_DEAD_LETTERS) this.publishSystem(TOPIC_DEAD_LETTERS, 'system.dead-letter', error === undefined ? { envelope: env, reason } : { envelope: env, reason, error });
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
  // Lifecycle and stopping

  private setLifecycle(cell: ActorCell, state: 'running' | 'degraded' | 'halted'): void {
    this.supervisor.setLifecycle(cell, state);
  }

  private stopCell(cell: ActorCell, reason: DeadLetterReason): void {
    if (cell.restartTimer !== undefined) {
      this.clock.clearTimer(cell.restartTimer);
      cell.restartTimer = undefined;
    }
    if (cell.lifecycle.state !== 'stopping' && cell.lifecycle.state !== 'stopped') {
      this.supervisor.transition(cell, 'stopping');
      cell.xactor.stop();
      cell.generation++;
    }
    this.flushDead(cell, reason);
    this.topics.removeValue(cell.address);
    this.cells.delete(cell.address);
    this.supervisor.transition(cell, 'stopped');
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
}
