import { Bot4Error } from '../common/errors.js';

/**
 * Errors of the replicated order log and the venue lease. Each class has a stable code listed in
 * docs/errors.md; the venue actor turns the two an order can be refused with into the denials
 * `REPLICATION_FAILED` and `LEASE_STALE` (source `journal`).
 */

/**
 * Under `cluster.replication.ack: sync` the replicated log cannot acknowledge records (NATS
 * unreachable, JetStream not answering within `ackTimeoutMs`): new orders are refused, and an order
 * journaled but not acknowledged in time is rejected and never sent.
 */
export class ReplicationFailedError extends Bot4Error {
  static readonly code = 'B4_REPLICATION_FAILED';
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(ReplicationFailedError.code, message, details, { cause });
  }
}

/**
 * The stream and the local journal cannot be lined up: records the stream lacks are no longer in
 * the local journal (compacted away), the stream holds records the journal never wrote (another
 * writer: this node is fenced off the log), or a rebuild finds a stream that does not start at
 * record 1 or has a hole. Replication stops; nothing is overwritten.
 */
export class ReplicationGapError extends Bot4Error {
  static readonly code = 'B4_REPLICATION_GAP';
  constructor(message: string, details?: Record<string, unknown>) {
    super(ReplicationGapError.code, message, details);
  }
}

/**
 * The venue lease this daemon sends orders under is not (or no longer surely) its own: never
 * acquired, not renewed within `ttlMs - marginMs`, or another daemon's newer revision was seen.
 */
export class LeaseStaleError extends Bot4Error {
  static readonly code = 'B4_LEASE_STALE';
  constructor(message: string, details?: Record<string, unknown>) {
    super(LeaseStaleError.code, message, details);
  }
}

/** Another daemon holds the lease (an acquire lost the revision-checked race, or the key exists). */
export class LeaseHeldError extends Bot4Error {
  static readonly code = 'B4_LEASE_HELD';
  constructor(message: string, details?: Record<string, unknown>) {
    super(LeaseHeldError.code, message, details);
  }
}
