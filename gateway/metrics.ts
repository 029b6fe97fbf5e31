import type { MetricFamily, MarketDataKind } from './engine-port.js';
import type { GwCode } from './errors.js';

/** Endpoints the gateway counts separately. */
export type Endpoint = 'ws' | 'feed';

/**
 * The gateway's own counters. Plain numeric fields bumped on the hot paths (no allocation, no
 * labels map lookup per message); rendered into metric families only when `/metrics` is scraped.
 */
export class GatewayMetrics {
  connectionsWs = 0;
  connectionsFeed = 0;
  connectionsTotalWs = 0;
  connectionsTotalFeed = 0;
  messagesInWs = 0;
  messagesInFeed = 0;
  messagesOutWs = 0;
  messagesOutFeed = 0;
  bytesInFeed = 0;
  eventsPublished = 0;
  feedRecords = { ticker: 0, trade: 0, book: 0 } satisfies Record<MarketDataKind, number>;
  feedDropped = 0;
  /** Direct sends (replies, notices) uWS refused because the socket was over maxBackpressure. */
  sendDrops = 0;
  /** Times a socket was seen at or over maxBackpressure by the slow-consumer sweep. */
  slowConsumerEpisodes = 0;
  slowConsumerDisconnects = 0;
  rateLimitCloses = 0;
  oversizeCloses = 0;
  httpRequests = { health: 0, metrics: 0, notFound: 0 };
  /** Failed authentications (upgrade header or `authenticate`) by reason. */
  authFailures = { badToken: 0, throttled: 0 };
  /** Connections the server closed for authentication reasons. */
  authCloses = { deadline: 0, failures: 0, adminSlot: 0 };
  /** Sockets in a slot reserved for admins right now (set by the server before rendering). */
  reservedConnections = 0;
  /** Largest `getBufferedAmount()` the sweep has observed on any socket. */
  maxBufferedSeen = 0;
  readonly errors = new Map<GwCode, number>();

  /** Counts one protocol error reply by code. */
  error(code: GwCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** Renders the counters as Prometheus families (prefix `bot4_gateway_`). */
  families(bufferedNow: number): MetricFamily[] {
    const ep = (ws: number, feed: number): { labels: Record<string, string>; value: number }[] => [
      { labels: { endpoint: 'ws' }, value: ws },
      { labels: { endpoint: 'feed' }, value: feed },
    ];
    return [
      { name: 'bot4_gateway_connections', help: 'Open WebSocket connections.', type: 'gauge', samples: ep(this.connectionsWs, this.connectionsFeed) },
      { name: 'bot4_gateway_connections_total', help: 'WebSocket connections accepted.', type: 'counter', samples: ep(this.connectionsTotalWs, this.connectionsTotalFeed) },
      { name: 'bot4_gateway_messages_in_total', help: 'WebSocket messages received.', type: 'counter', samples: ep(this.messagesInWs, this.messagesInFeed) },
      { name: 'bot4_gateway_messages_out_total', help: 'WebSocket messages sent directly (replies, notices; fan-out counted separately).', type: 'counter', samples: ep(this.messagesOutWs, this.messagesOutFeed) },
      { name: 'bot4_gateway_feed_bytes_in_total', help: 'Bytes received on /feed.', type: 'counter', samples: [{ value: this.bytesInFeed }] },
      { name: 'bot4_gateway_events_published_total', help: 'Engine events fanned out with uWS publish (once per event, not per subscriber).', type: 'counter', samples: [{ value: this.eventsPublished }] },
      {
        name: 'bot4_gateway_feed_records_total',
        help: 'Valid market-data records ingested on /feed by kind.',
        type: 'counter',
        samples: (['ticker', 'trade', 'book'] as const).map((k) => ({ labels: { kind: k }, value: this.feedRecords[k] })),
      },
      { name: 'bot4_gateway_feed_dropped_total', help: 'Valid feed records the engine refused (publishMarketData returned false).', type: 'counter', samples: [{ value: this.feedDropped }] },
      { name: 'bot4_gateway_send_drops_total', help: 'Direct sends dropped because the socket was over maxBackpressure.', type: 'counter', samples: [{ value: this.sendDrops }] },
      { name: 'bot4_gateway_slow_consumer_episodes_total', help: 'Times a socket was found at or over maxBackpressure.', type: 'counter', samples: [{ value: this.slowConsumerEpisodes }] },
      { name: 'bot4_gateway_slow_consumer_disconnects_total', help: 'Sockets closed by the disconnect slow-consumer policy.', type: 'counter', samples: [{ value: this.slowConsumerDisconnects }] },
      { name: 'bot4_gateway_rate_limit_closes_total', help: 'Connections closed after repeated rate-limit violations.', type: 'counter', samples: [{ value: this.rateLimitCloses }] },
      { name: 'bot4_gateway_oversize_closes_total', help: 'Connections closed with 1009 for an oversize message.', type: 'counter', samples: [{ value: this.oversizeCloses }] },
      {
        name: 'bot4_gateway_auth_failures_total',
        help: 'Failed authentications (unknown token, or refused unseen while throttled).',
        type: 'counter',
        samples: [
          { labels: { reason: 'bad_token' }, value: this.authFailures.badToken },
          { labels: { reason: 'throttled' }, value: this.authFailures.throttled },
        ],
      },
      {
        name: 'bot4_gateway_auth_closes_total',
        help: 'Connections closed for authentication reasons.',
        type: 'counter',
        samples: [
          { labels: { reason: 'deadline' }, value: this.authCloses.deadline },
          { labels: { reason: 'failures' }, value: this.authCloses.failures },
          { labels: { reason: 'admin_slot' }, value: this.authCloses.adminSlot },
        ],
      },
      { name: 'bot4_gateway_reserved_connections', help: 'Sockets holding a slot reserved for admins.', type: 'gauge', samples: [{ value: this.reservedConnections }] },
      { name: 'bot4_gateway_buffered_bytes', help: 'Bytes buffered for slow consumers right now (sum over sockets).', type: 'gauge', samples: [{ value: bufferedNow }] },
      { name: 'bot4_gateway_buffered_bytes_max', help: 'Largest per-socket buffered amount observed.', type: 'gauge', samples: [{ value: this.maxBufferedSeen }] },
      {
        name: 'bot4_gateway_http_requests_total',
        help: 'HTTP requests by path.',
        type: 'counter',
        samples: [
          { labels: { path: '/health' }, value: this.httpRequests.health },
          { labels: { path: '/metrics' }, value: this.httpRequests.metrics },
          { labels: { path: 'other' }, value: this.httpRequests.notFound },
        ],
      },
      {
        name: 'bot4_gateway_errors_total',
        help: 'Protocol error replies by code.',
        type: 'counter',
        samples: [...this.errors.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, value]) => ({ labels: { code }, value })),
      },
    ];
  }
}
