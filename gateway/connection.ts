import type { Principal } from './auth.js';
import type { TokenBucket } from './rate-limiter.js';
import type { FeedDecoder } from './feed-decoder.js';
import type { TimerHandle } from '../common/clock.js';

/** State kept per `/ws` connection (uWS user data). */
export interface ApiConnection {
  readonly endpoint: 'ws';
  readonly id: number;
  /** Client address as text (the per-IP connection cap and auth throttle key on it). */
  readonly ip: string;
  principal: Principal | null;
  /** Holds one of the slots reserved for admins: it must authenticate as admin before the deadline. */
  reserved: boolean;
  /** Closes the socket if it is still unauthenticated (or a non-admin in a reserved slot) when it fires. */
  authDeadline: TimerHandle | null;
  /** Failed (or throttled) `authenticate` attempts; the connection closes at `limits.maxAuthFailures`. */
  authFailures: number;
  /** Monotonic ns before which another `authenticate` is refused `GW_AUTH_THROTTLED`. */
  authRetryAtNs: number;
  readonly bucket: TokenBucket;
  /** Rate-limit violations so far; the connection closes at `limits.maxRateStrikes`. */
  strikes: number;
  /** Requests waiting for the engine. */
  inflight: number;
  /** Topics currently subscribed. */
  subscriptions: number;
  /** False once uWS reported the close: nothing may be sent after that. */
  open: boolean;
  /** Seen at or over maxBackpressure and not yet drained below half of it. */
  lagging: boolean;
}

/** State kept per `/feed` connection. */
export interface FeedConnection {
  readonly endpoint: 'feed';
  readonly id: number;
  readonly ip: string;
  readonly reserved: false;
  readonly principal: Principal;
  /** Created in `open` (it needs the connection's sink). */
  decoder: FeedDecoder | null;
  open: boolean;
  lagging: boolean;
}

/** User data of any gateway socket. */
export type Connection = ApiConnection | FeedConnection;
