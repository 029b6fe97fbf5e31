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
 * system: read them synchronously inside the subscriber and copy what you keep. `started` and
 * `finished` cost two publishes and two clock reads per envelope (a firehose for tests and
 * debugging); instrumentation that must stay cheap at millions of messages per second subscribes
 * to `batch-start`/`batch-end` instead (one pair per batch of up to `batchSize` envelopes).
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
  /**
   * {@link BatchDeliveryEvent}, before an actor handles a batch of envelopes (a data batch, or one
   * control envelope). A subscriber may set each envelope's trace context and ask for its exact
   * handling times. One event per batch instead of two per envelope: this is what a tracer
   * subscribes to.
   */
  batchStart: 'bot4:actor:batch-start',
  /** {@link BatchDeliveryEvent}, after the batch was handled (or a handler threw). */
  batchEnd: 'bot4:actor:batch-end',
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

/**
 * `bot4:actor:batch-start` and `bot4:actor:batch-end`: ONE reused object per actor system, with
 * preallocated per-envelope arrays indexed by `k` in `[0, count)` for `envelopes[start + k]`.
 * Read and write it synchronously inside the subscriber; copy what you keep.
 *
 * At `batch-start`, `traceparents[k]` holds each envelope's own context and `timed[k]` is 0. A
 * subscriber may replace `traceparents[k]` (the context of whatever the handler sends, as with
 * {@link StartedEvent.traceparent}) and set `timed[k] = 1` to get that envelope's exact handling
 * interval in `startNs[k]`/`endNs[k]` at `batch-end` (up to two clock reads: ask only for sampled
 * ones; the first envelope's start may be `batchStartNs` and the last one's end `batchEndNs`, the
 * same reads).
 * At `batch-end`, `handled`, `batchEndNs`, `error` and `errorIndex` are filled in.
 */
export interface BatchDeliveryEvent {
  system: string;
  /** Handling actor's address. */
  actor: string;
  /** The batch is `envelopes[start .. start+count)` (an array the runtime reuses). */
  envelopes: readonly Envelope[];
  start: number;
  count: number;
  /**
   * True when the batch was handled as a whole (machine-only actor: one XState `batch` event and
   * no per-envelope handler): per-envelope times are the batch's.
   */
  shared: boolean;
  /** Clock ns just before the batch was handed to the actor. */
  batchStartNs: number;
  /** Clock ns after the batch (batch-end only). */
  batchEndNs: number;
  /** Envelopes consumed, `envelopes[start .. start+handled)`, the failed one included (batch-end only). */
  handled: number;
  /** Trace context for the handler of envelope `k` (see above). */
  traceparents: string[];
  /** Set to 1 at batch-start to have envelope `k` timed. */
  timed: Uint8Array;
  /** Clock ns handling of a timed envelope started (batch-end only). */
  startNs: Float64Array;
  /** Clock ns handling of a timed envelope ended (batch-end only). */
  endNs: Float64Array;
  /** What the handler or machine threw, or undefined (batch-end only). */
  error: unknown;
  /** `k` of the envelope that threw; -1 when none did or when the whole (shared) batch failed. */
  errorIndex: number;
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
export type DeadLetterReason = 'not-found' | 'stopped' | 'faulted' | 'shutdown' | 'remote';

/** `bot4:actor:dead-letter` */
export interface DeadLetterEvent {
  system: string;
  envelope: Envelope;
  reason: DeadLetterReason;
  /** Reason `remote`: why the other node did not take it (its typed error, or the transport's). */
  error?: Error;
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
  batchStart: diagnosticsChannel.channel(CHANNELS.batchStart),
  batchEnd: diagnosticsChannel.channel(CHANNELS.batchEnd),
} as const;
