import type { Clock } from '../../common/clock.js';
import { handling } from './context.js';
import { makeEnvelope, type Envelope, type Message } from './envelope.js';
import { NODE_SEPARATOR, splitNodeAddress, type RemoteMessage, type RemotePort } from './remote.js';

/** Timeout of the remote leg of a `forward()` to another node (the asker's own timeout still applies). */
const FORWARD_TIMEOUT_MS = 30_000;

/** What the router needs from its `ActorSystem` (kept narrow: no cells, no mailboxes). */
export interface RouterHost {
  readonly clock: Clock;
  /** True when a local actor is registered at `address`. */
  hasActor(address: string): boolean;
  /** A pending `ask()` behind `request` now waits on `to` (no-op when the request was no ask). */
  followAsk(request: Envelope, to: string): void;
  /** Rejects the pending `ask()` behind `request` with `error`; false when there is none. */
  failAsk(request: Envelope, error: Error): boolean;
  /** `ActorSystem.reply`. */
  reply(request: Envelope, payload: unknown): boolean;
  /** Counts and publishes a dead letter with reason `remote`. */
  deadLetter(envelope: Envelope, error: Error): void;
}

/**
 * The outgoing half of remote actors, used by `ActorSystem` once a {@link RemotePort} is attached:
 * decides which addresses leave the node (`node/address` of another node, or a plain address the
 * port's routing table names) and hands them to the port with the sender's node-qualified address
 * and trace context. A fire-and-forget send the other node refuses becomes a local dead letter.
 */
export class RemoteRouter {
  constructor(
    readonly port: RemotePort,
    private readonly host: RouterHost,
  ) {}

  /**
   * Where `to` goes: `node/address` of this node → `address`; a plain address without a local
   * actor → `node/address` when the port's routing table names a node for it; otherwise `to`.
   */
  routed(to: string): string {
    const port = this.port;
    const i = to.indexOf(NODE_SEPARATOR);
    if (i > 0) return i === port.node.length && to.startsWith(port.node) ? to.slice(i + 1) : to;
    if (port.routeOf === undefined || this.host.hasActor(to)) return to;
    const node = port.routeOf(to);
    return node === undefined || node === port.node ? to : `${node}${NODE_SEPARATOR}${to}`;
  }

  /** Fire-and-forget send when `to` (already {@link routed}) is another node's; false otherwise. */
  send(to: string, message: Message): boolean {
    const r = this.target(to);
    if (r === undefined) return false;
    const out = this.outbound(message);
    this.port.send(r.node, r.address, out).catch((error: Error) => this.failed(to, out, error));
    return true;
  }

  /** Offers a local publish to the port (it decides whether the topic leaves the node). */
  publish(topic: string, message: Message): void {
    this.port.publish(topic, this.outbound(message));
  }

  /** The remote ask when `to` (already routed) is another node's; undefined otherwise. */
  ask(to: string, message: Message, timeoutMs: number): Promise<unknown> | undefined {
    const r = this.target(to);
    return r === undefined ? undefined : this.port.ask(r.node, r.address, this.outbound(message), timeoutMs);
  }

  /** The acknowledged send when `to` (already routed) is another node's; undefined otherwise. */
  deliver(to: string, message: Message): Promise<void> | undefined {
    const r = this.target(to);
    return r === undefined ? undefined : this.port.send(r.node, r.address, this.outbound(message));
  }

  /**
   * `forward()` to another node: a request without a reply address is a send; otherwise a remote
   * ask whose answer is handed to whoever asked `request` (a pending ask follows it, so it fails
   * with the remote error instead of timing out). False when `to` is not another node's.
   */
  forward(request: Envelope, to: string, message: Message): boolean {
    if (request.replyTo === '') return this.send(to, message);
    const r = this.target(to);
    if (r === undefined) return false;
    const out = this.outbound(message);
    this.host.followAsk(request, to);
    this.port.ask(r.node, r.address, out, FORWARD_TIMEOUT_MS).then(
      (payload) => this.host.reply(request, payload),
      (error: Error) => {
        if (!this.host.failAsk(request, error)) this.failed(to, out, error);
      },
    );
    return true;
  }

  private target(to: string): { node: string; address: string } | undefined {
    if (to.indexOf(NODE_SEPARATOR) <= 0) return undefined;
    const r = splitNodeAddress(to)!;
    return r.node === this.port.node ? undefined : r;
  }

  private failed(to: string, m: RemoteMessage, error: Error): void {
    this.host.deadLetter(makeEnvelope(m.type, m.payload, m.from, to, m.correlationId, this.host.clock.nowNs(), m.traceparent, '', m.key, m.lane, ''), error);
  }

  /** What leaves this node for `message` sent in the current handling context. */
  private outbound(message: Message): RemoteMessage {
    const from = handling.actor;
    return {
      type: message.type,
      payload: message.payload,
      from: from === '' || from.indexOf(NODE_SEPARATOR) > 0 ? from : `${this.port.node}${NODE_SEPARATOR}${from}`,
      lane: message.lane ?? 'data',
      key: message.key ?? '',
      correlationId: message.correlationId ?? '',
      traceparent: message.traceparent ?? handling.traceparent,
    };
  }
}

/** The `Message` a remote message becomes on the receiving node. */
export function inboundMessage(m: RemoteMessage): Message {
  return { type: m.type, payload: m.payload, lane: m.lane, key: m.key === '' ? undefined : m.key, correlationId: m.correlationId === '' ? undefined : m.correlationId, traceparent: m.traceparent };
}
