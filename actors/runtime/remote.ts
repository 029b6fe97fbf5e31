import type { Lane } from './envelope.js';

// The port through which an ActorSystem reaches actors on other nodes. The runtime only knows this
// interface; `cluster/` implements it over NATS (`cluster/remote-transport.ts`), so actors/ never
// imports cluster/ and a single-process system carries no NATS code at all.

/**
 * Separator between a node name and an actor address: `node-b/exchange.sim-a` is the actor
 * `exchange.sim-a` on node `node-b`. Only addresses containing it go through the remote port, and
 * only when one is attached (`ActorSystem.attachRemote`); a system's own node name as prefix
 * (`node-a/risk` on node-a) is delivered locally.
 */
export const NODE_SEPARATOR = '/';

/** Node names: lower-case letters, digits and `-`, starting with a letter or digit (a NATS subject token). */
export const NODE_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A message crossing to or from another node: what the receiver needs to rebuild the envelope. */
export interface RemoteMessage {
  type: string;
  payload: unknown;
  /** Sender address, node-qualified (`node-a/strategy.mm`), or `''` when sent from outside any actor. */
  from: string;
  lane: Lane;
  key: string;
  correlationId: string;
  /** W3C traceparent of the sender's context, or `''`. */
  traceparent: string;
}

/**
 * What an `ActorSystem` calls for addresses of other nodes. Implementations carry the message to
 * node `node` and hand it to that node's {@link RemoteInbound}; errors are the runtime's typed
 * errors (`MailboxFullError`, `ActorNotFoundError`, `AskTimeoutError`, ...) or the transport's own.
 */
export interface RemotePort {
  /** This node's name. */
  readonly node: string;
  /** Delivers into the remote mailbox; resolves once it was enqueued there, rejects with why not. */
  send(node: string, address: string, m: RemoteMessage): Promise<void>;
  /** Request/reply with the remote actor; resolves with its `ctx.reply()` payload. */
  ask(node: string, address: string, m: RemoteMessage, timeoutMs: number): Promise<unknown>;
  /** Offers a local publish to other nodes (the port decides which topics leave the node). */
  publish(topic: string, m: RemoteMessage): void;
  /**
   * Routing table: the node serving a plain address that has no actor on this node (`exchange.sim-a`
   * → `node-b`), or undefined. Asked only for addresses without a local actor, so a local actor
   * always wins and a system without routes pays nothing.
   */
  routeOf?(address: string): string | undefined;
}

/** What an `ActorSystem` gives its port for messages arriving from other nodes. */
export interface RemoteInbound {
  /** Enqueues like a local `send`, but throws the typed error instead of only dead-lettering. */
  deliver(to: string, m: RemoteMessage): void;
  /** A local `ask()` on behalf of a remote caller. */
  ask(to: string, m: RemoteMessage, timeoutMs: number): Promise<unknown>;
  /** Publishes to local subscribers only (never offered back to the port). */
  publish(topic: string, m: RemoteMessage): number;
}

/** Splits `node/address`; undefined when `to` names no node. */
export function splitNodeAddress(to: string): { node: string; address: string } | undefined {
  const i = to.indexOf(NODE_SEPARATOR);
  if (i <= 0) return undefined;
  return { node: to.slice(0, i), address: to.slice(i + 1) };
}
