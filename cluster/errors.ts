import { Bot4Error } from '../common/errors.js';

/**
 * Errors of the cluster transport (remote actors over NATS). Every class has a stable `code`
 * (listed in docs/errors.md and docs/cluster.md). A remote node's refusal arrives as the runtime's
 * own typed error (`B4_MAILBOX_FULL`, `B4_ACTOR_NOT_FOUND`, `B4_ACTOR_STOPPED`, `B4_ASK_TIMEOUT`,
 * `B4_SYSTEM_SHUTDOWN`), exactly as a local send or ask would give it; these are the failures only
 * a network has.
 */

/** No node answers on the node's subject: the node name is unknown or that node is not running. */
export class RemoteNodeUnknownError extends Bot4Error {
  static readonly code = 'B4_REMOTE_NODE_UNKNOWN';
  constructor(node: string, address: string, subject: string) {
    super(RemoteNodeUnknownError.code, `no node "${node}" answers on ${subject} (unknown node or not running): ${node}/${address} not reached`, { node, address, subject });
  }
}

/** This node is not connected to NATS (reconnecting, or the transport is closed): nothing was sent. */
export class RemoteDisconnectedError extends Bot4Error {
  static readonly code = 'B4_REMOTE_DISCONNECTED';
  constructor(node: string, address: string, state: 'reconnecting' | 'closed') {
    super(RemoteDisconnectedError.code, `not sent to ${node}/${address}: the NATS connection is ${state}`, { node, address, state });
  }
}

/**
 * A send or ask was in flight when the connection dropped (or its acknowledgement did not come
 * within `sendTimeoutMs`): the other node may or may not have enqueued it. Resolve by correlation id
 * (orders: by client order id, as for any unknown venue outcome); nothing is retried silently.
 */
export class RemoteOutcomeUnknownError extends Bot4Error {
  static readonly code = 'B4_REMOTE_OUTCOME_UNKNOWN';
  constructor(node: string, address: string, type: string, reason: 'disconnected' | 'ack-timeout' | 'closed', correlationId: string) {
    super(RemoteOutcomeUnknownError.code, `${node}/${address} "${type}": outcome unknown (${reason}); it may or may not have been delivered`, { node, address, type, reason, correlationId });
  }
}

/** The other node answered with an error whose code this node does not know (a newer node, a bug there). */
export class RemoteFailedError extends Bot4Error {
  static readonly code = 'B4_REMOTE_FAILED';
  constructor(node: string, address: string, remoteCode: string, remoteMessage: string) {
    super(RemoteFailedError.code, `${node}/${address} failed: ${remoteCode}: ${remoteMessage}`, { node, address, remoteCode });
  }
}

/** A value cannot cross a process boundary losslessly (function, symbol, Map, class instance, ...). */
export class CodecUnsupportedError extends Bot4Error {
  static readonly code = 'B4_CODEC_UNSUPPORTED';
  constructor(path: string, what: string) {
    super(CodecUnsupportedError.code, `cannot encode ${path}: ${what} does not cross a node boundary (plain objects, arrays, strings, numbers, bigint, booleans, null, undefined, Date only)`, { path, what });
  }
}

/** Bytes from the wire are not a message of this codec (another protocol on the subject, corruption). */
export class CodecMalformedError extends Bot4Error {
  static readonly code = 'B4_CODEC_MALFORMED';
  constructor(reason: string) {
    super(CodecMalformedError.code, `malformed cluster message: ${reason}`, { reason });
  }
}

/** The first connection to NATS failed (no server reachable at the configured URLs). */
export class ClusterConnectError extends Bot4Error {
  static readonly code = 'B4_CLUSTER_CONNECT';
  constructor(servers: readonly string[], cause: unknown) {
    super(ClusterConnectError.code, `cannot connect to NATS at ${servers.join(', ')}: ${(cause as Error)?.message ?? String(cause)}`, { servers: [...servers] }, { cause });
  }
}

/** An encoded message (or an ask's reply) is larger than the NATS server's `max_payload`: not sent. */
export class RemotePayloadTooLargeError extends Bot4Error {
  static readonly code = 'B4_REMOTE_PAYLOAD_TOO_LARGE';
  constructor(what: string, bytes: number, maxPayload: number) {
    super(RemotePayloadTooLargeError.code, `${what}: ${bytes} bytes encoded, over the NATS server's max_payload of ${maxPayload} bytes; not sent`, { bytes, maxPayload });
  }
}
