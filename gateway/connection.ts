import type { Principal } from './auth.js';
import type { TokenBucket } from './rate-limiter.js';
import type { FeedDecoder } from './feed-decoder.js';

/** State kept per `/ws` connection (uWS user data). */
export interface ApiConnection {
  readonly endpoint: 'ws';
  readonly id: number;
  principal: Principal | null;
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
  readonly principal: Principal;
  /** Created in `open` (it needs the connection's sink). */
  decoder: FeedDecoder | null;
  open: boolean;
  lagging: boolean;
}

/** User data of any gateway socket. */
export type Connection = ApiConnection | FeedConnection;
