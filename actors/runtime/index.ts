/**
 * Actor runtime: XState actors with bounded two-lane mailboxes, topic pub/sub, request/reply,
 * one-for-one supervision and diagnostics events. OpenTelemetry lives in `./tracing/`.
 */
export { ActorSystem, SendStatus, TOPIC_ACTOR_FAULTED, TOPIC_ACTOR_LIFECYCLE, TOPIC_DEAD_LETTERS, type ActorRef, type SpawnOptions } from './actor-system.js';
export type { ActorContext, ActorStats, BatchEvent, ControlEvent, Handler, InitHook, InitInfo } from './actor-cell.js';
export { currentEnvelope, currentTraceparent } from './context.js';
export {
  CHANNELS,
  type BatchDeliveryEvent,
  type DeadLetterEvent,
  type DeadLetterReason,
  type DropReason,
  type DroppedEvent,
  type EnqueuedEvent,
  type FaultedEvent,
  type FinishedEvent,
  type LifecycleEvent as LifecycleChangeEvent,
  type RestartEvent,
  type StartedEvent,
} from './diagnostics.js';
export { makeEnvelope, type Envelope, type Lane, type Message } from './envelope.js';
export {
  ActorExistsError,
  ActorNotFoundError,
  ActorStoppedError,
  AskCorrelationInUseError,
  AskTimeoutError,
  InvalidAddressError,
  LifecycleTransitionError,
  MailboxFullError,
  SystemShutdownError,
} from './errors.js';
export { LIFECYCLE_STATES, LIFECYCLE_TRANSITIONS, Lifecycle, canTransition, lifecycleMachine, type LifecycleState } from './lifecycle.js';
export { Mailbox, Offer, Ring, type OverflowPolicy } from './mailbox.js';
export { ASK_DEFAULTS, MAILBOX_DEFAULTS, SUPERVISION_DEFAULTS, SYSTEM_DEFAULTS, type ActorSystemOptions, type AskOptions, type MailboxOptions, type SupervisionOptions } from './options.js';
export { NODE_NAME_RE, NODE_SEPARATOR, splitNodeAddress, type RemoteInbound, type RemoteMessage, type RemotePort } from './remote.js';
export { ClockScheduler, ImmediateScheduler, defaultScheduler, type Scheduler } from './scheduler.js';
export { RestartIntensity, type RestartDecision } from './supervisor.js';
export { TopicTrie, assertPattern, assertTopic, topicMatches } from './topics.js';
export * from './tracing/index.js';
