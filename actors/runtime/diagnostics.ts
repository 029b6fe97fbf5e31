import diagnosticsChannel from 'node:diagnostics_channel';
import type { Envelope } from './envelope.js';
import type { LifecycleState } from './lifecycle.js';

/**
 * Runtime events on `node:diagnostics_channel` (undici style): the runtime only publishes,
 * instrumentation (the OpenTelemetry adapter in `./tracing/`, tests, a metrics scraper) subscribes.
 * Every publish is guarded by `channel.hasSubscribers`, so with no subscriber an event costs one
 * property read and no allocation.
 *
 * The per-message events (`enqueued`, `started`, `finished`) are ONE reused object per actor
 * system: read them synchronously inside the subscriber and copy what you keep.
 */
export const CHANNELS = Object.freeze({
  /** {@link EnqueuedEvent}: an envelope entered a mailbox. */
  enqueued: 'bot4:actor:enqueued',
  /** {@link StartedEvent}: an actor is about to handle an envelope. */
  started: 'bot4:actor:started',
  /** {@link FinishedEvent}: an actor finished handling an envelope (or threw). */
  finished: 'bot4:actor:finished',
  /** {@link DroppedEvent}: an envelope was evicted, conflated away or rejected by a full mailbox. */
  dropped: 'bot4:actor:dropped',
  /** {@link DeadLetterEvent}: an envelope could not be delivered (unknown, stopped, faulted actor). */
  deadLetter: 'bot4:actor:dead-letter',
  /** {@link LifecycleEvent}: an actor's lifecycle state changed. */
  lifecycle: 'bot4:actor:lifecycle',
  /** {@link RestartEvent}: supervision scheduled a restart after a failure. */
  restart: 'bot4:actor:restart',
  /** {@link FaultedEvent}: an actor exceeded its restart intensity and is faulted. */
  faulted: 'bot4:actor:faulted',
});

/** `bot4:actor:enqueued` */
export interface EnqueuedEvent {
  /** Name of the actor system. */
  system: string;
  envelope: Envelope;
  /** Mailbox depth after the enqueue. */
  depth: number;
}

/** `bot4:actor:started` */
export interface StartedEvent {
  system: string;
  /** Handling actor's address. */
  actor: string;
  envelope: Envelope;
  /** Clock ns the envelope waited in the mailbox. */
  waitNs: number;
  /** Clock ns at which handling started. */
  startNs: number;
  /**
   * Trace context for messages sent while this one is handled. Starts as the envelope's
   * `traceparent`; a tracing subscriber replaces it with its span's context so that children
   * point at this handling span. The runtime reads it back after publishing.
   */
  traceparent: string;
}

/** `bot4:actor:finished` */
export interface FinishedEvent {
  system: string;
  actor: string;
  envelope: Envelope;
  waitNs: number;
  /** Clock ns spent handling (for machine-only actors: the batch's time shared equally). */
  handleNs: number;
  /** Clock ns at which handling ended. */
  endNs: number;
  /** What the handler threw, or undefined. */
  error: unknown;
}

/** Why an envelope was dropped by a mailbox. */
export type DropReason = 'drop-oldest' | 'conflated' | 'rejected';

/** `bot4:actor:dropped` */
export interface DroppedEvent {
  system: string;
  actor: string;
  envelope: Envelope;
  reason: DropReason;
}

/** Why an envelope became a dead letter. */
export type DeadLetterReason = 'not-found' | 'stopped' | 'faulted' | 'shutdown';

/** `bot4:actor:dead-letter` */
export interface DeadLetterEvent {
  system: string;
  envelope: Envelope;
  reason: DeadLetterReason;
}

/** `bot4:actor:lifecycle` */
export interface LifecycleEvent {
  system: string;
  actor: string;
  from: LifecycleState;
  to: LifecycleState;
}

/** `bot4:actor:restart` */
export interface RestartEvent {
  system: string;
  actor: string;
  /** Restarts within the current intensity window, this one included. */
  attempt: number;
  /** Backoff before the restart. */
  delayMs: number;
  error: unknown;
}

/** `bot4:actor:faulted` */
export interface FaultedEvent {
  system: string;
  actor: string;
  /** Restarts within the intensity window when it gave up. */
  restarts: number;
  error: unknown;
}

/** The channels, created once per process. */
export const channels = {
  enqueued: diagnosticsChannel.channel(CHANNELS.enqueued),
  started: diagnosticsChannel.channel(CHANNELS.started),
  finished: diagnosticsChannel.channel(CHANNELS.finished),
  dropped: diagnosticsChannel.channel(CHANNELS.dropped),
  deadLetter: diagnosticsChannel.channel(CHANNELS.deadLetter),
  lifecycle: diagnosticsChannel.channel(CHANNELS.lifecycle),
  restart: diagnosticsChannel.channel(CHANNELS.restart),
  faulted: diagnosticsChannel.channel(CHANNELS.faulted),
} as const;
