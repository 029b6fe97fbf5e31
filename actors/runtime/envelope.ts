/**
 * What travels between actors. An envelope is plain, JSON-serialisable data (no functions, no
 * class instances of the runtime) so that a future multi-process transport (NATS) can carry it
 * unchanged; the payload must then be serialisable too, which in-process delivery does not check.
 */
export interface Envelope<P = unknown, T extends string = string> {
  /**
   * Dot-namespaced message type: `order.submit`, `md.ticker`, `venue.down`. `T` is a literal type
   * when the envelope was narrowed by type (`Msg<K>` in `actors/messages.ts`), else `string`.
   */
  type: T;
  /** Message body, owned by the receiver once sent (never mutate a payload after sending it). */
  payload: P;
  /** Sender address; `''` when sent from outside any actor. */
  from: string;
  /** Receiver address. */
  to: string;
  /**
   * Correlation id: the id of an `ask()` request (and of its reply), or one given by the sender;
   * `''` when none. Ids made by the runtime are `<seed-hex>-<counter>`, deterministic per seed.
   */
  correlationId: string;
  /** Clock time (ns, `Clock.nowNs()`) at which the envelope entered the receiver's mailbox. */
  enqueuedAtNs: number;
  /**
   * W3C trace context (`00-<trace-id>-<span-id>-<flags>`) or `''`. A message sent while another is
   * being handled inherits the handler's context, so a trace follows the message chain.
   */
  traceparent: string;
  /** Topic it was published on (`publish()`), or `''` for direct sends. */
  topic: string;
  /** Conflation key (`conflate` mailboxes keep only the latest pending envelope per key), or `''`. */
  key: string;
  /** Mailbox lane: control envelopes are always served before data ones. */
  lane: Lane;
  /** Address a reply goes to (`ask()` sets it to a reply slot), or `''`. */
  replyTo: string;
}

/** Mailbox lane of an envelope. */
export type Lane = 'control' | 'data';

/** What a caller passes to `send`/`publish`/`ask`; the runtime fills in the rest of the envelope. */
export interface Message<P = unknown, T extends string = string> {
  /** Dot-namespaced message type (`T` as in {@link Envelope}). */
  type: T;
  /** Message body (plain data if it is ever to cross a process boundary). */
  payload?: P;
  /** Conflation key for `conflate` mailboxes (e.g. the symbol of a ticker). */
  key?: string;
  /** `'control'` for kill switch, cancel and lifecycle messages; default `'data'`. */
  lane?: Lane;
  /** Correlation id chosen by the sender. */
  correlationId?: string;
  /** Explicit trace context; default: inherited from the message being handled, if any. */
  traceparent?: string;
}

/** Builds an envelope; the only place envelopes are made, so they all share one hidden class. */
export function makeEnvelope<P>(
  type: string,
  payload: P,
  from: string,
  to: string,
  correlationId: string,
  enqueuedAtNs: number,
  traceparent: string,
  topic: string,
  key: string,
  lane: Lane,
  replyTo: string,
): Envelope<P> {
  return { type, payload, from, to, correlationId, enqueuedAtNs, traceparent, topic, key, lane, replyTo };
}
