import type { Envelope } from './envelope.js';

/**
 * The handling context of the current thread: which actor is handling which envelope, and the
 * trace context for anything it sends. Delivery is synchronous and never nested, so one
 * module-level slot is exact; it is empty outside handlers.
 */
export const handling = {
  /** Address of the actor handling a message, or `''`. */
  actor: '',
  /** Envelope being handled, or undefined. */
  envelope: undefined as Envelope | undefined,
  /** Trace context for messages (and venue requests) made while handling, or `''`. */
  traceparent: '',
};

/**
 * W3C `traceparent` of the message being handled (after the tracing adapter, the handling span's
 * context), or `''` outside handlers or when untraced. Put it on outgoing venue HTTP requests
 * (`traceparent` header) so the venue call joins the message's trace.
 */
export function currentTraceparent(): string {
  return handling.traceparent;
}

/** The envelope being handled on this thread, or undefined outside handlers. */
export function currentEnvelope(): Envelope | undefined {
  return handling.envelope;
}
