import { Bot4Error } from '../../common/errors.js';

/**
 * Errors of the actor runtime. Every class has a stable `code` (listed in docs/errors.md)
 * and structured `details`; none is thrown on the per-message hot path except `MailboxFullError`
 * from `send()` under the `reject` policy (use `trySend()` to get a status code instead).
 */

/** `ask()` got no reply within its timeout. */
export class AskTimeoutError extends Bot4Error {
  static readonly code = 'B4_ASK_TIMEOUT';
  constructor(to: string, type: string, timeoutMs: number) {
    super(AskTimeoutError.code, `ask ${to} "${type}": no reply within ${timeoutMs} ms`, { to, type, timeoutMs });
  }
}

/**
 * `ask()` was given a `correlationId` that an ask of this system still waits on: the second reply
 * could not be told from the first, so the second ask is refused before anything is sent.
 */
export class AskCorrelationInUseError extends Bot4Error {
  static readonly code = 'B4_ASK_CORRELATION_IN_USE';
  constructor(to: string, type: string, correlationId: string) {
    super(AskCorrelationInUseError.code, `ask ${to} "${type}": correlationId ${JSON.stringify(correlationId)} is already waiting for a reply (give each concurrent ask its own, or none)`, { to, type, correlationId });
  }
}

/** A mailbox lane was full and its policy is `reject` (the control lane always rejects). */
export class MailboxFullError extends Bot4Error {
  static readonly code = 'B4_MAILBOX_FULL';
  constructor(to: string, lane: 'control' | 'data', capacity: number) {
    super(MailboxFullError.code, `mailbox of ${to} is full (${lane} lane, capacity ${capacity})`, { to, lane, capacity });
  }
}

/** `spawn()` was called with an address that is already taken. */
export class ActorExistsError extends Bot4Error {
  static readonly code = 'B4_ACTOR_EXISTS';
  constructor(address: string) {
    super(ActorExistsError.code, `an actor is already registered at ${address}`, { address });
  }
}

/** No actor is registered at the address (`stop()`, `ask()`, `stats()`). */
export class ActorNotFoundError extends Bot4Error {
  static readonly code = 'B4_ACTOR_NOT_FOUND';
  constructor(address: string) {
    super(ActorNotFoundError.code, `no actor is registered at ${address}`, { address });
  }
}

/** The actor was stopped (or faulted) while a request to it was pending. */
export class ActorStoppedError extends Bot4Error {
  static readonly code = 'B4_ACTOR_STOPPED';
  constructor(address: string, lifecycle: string) {
    super(ActorStoppedError.code, `actor ${address} is ${lifecycle}`, { address, lifecycle });
  }
}

/** The system is shutting down or shut down; no new actors or requests are accepted. */
export class SystemShutdownError extends Bot4Error {
  static readonly code = 'B4_SYSTEM_SHUTDOWN';
  constructor(operation: string) {
    super(SystemShutdownError.code, `actor system is shut down: cannot ${operation}`, { operation });
  }
}

/** An actor address or topic was malformed (empty segment, whitespace, wildcard where none is allowed). */
export class InvalidAddressError extends Bot4Error {
  static readonly code = 'B4_ADDRESS_INVALID';
  constructor(kind: 'address' | 'topic' | 'pattern', value: unknown, reason: string) {
    super(InvalidAddressError.code, `${kind}: expected ${reason}, got ${JSON.stringify(value)}`, { kind, value: String(value) });
  }
}

/** A lifecycle transition that the shared lifecycle machine does not allow. */
export class LifecycleTransitionError extends Bot4Error {
  static readonly code = 'B4_LIFECYCLE_TRANSITION';
  constructor(address: string, from: string, to: string) {
    super(LifecycleTransitionError.code, `actor ${address}: lifecycle cannot go from ${from} to ${to}`, { address, from, to });
  }
}
