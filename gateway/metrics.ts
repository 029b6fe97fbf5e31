import type { Metric } from 'prom-client';
import type { MetricFamily, MarketDataKind, MarketDataMessage } from './engine-port.js';
import type { GwCode } from './errors.js';
import { HotHistogram, type HistogramSeries } from './prometheus.js';

/** Upper bounds (s) of `bot4_gateway_feed_ingest_lag_seconds`: 100 µs to 10 s. */
export const FEED_LAG_BUCKETS = Object.freeze([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
/** Venue label values the feed lag histogram keeps apart; producers name venues, so past this they count as `other`. */
export const FEED_LAG_MAX_VENUES = 64;

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
  /**
   * Feed ingest lag per venue: gateway receive time minus the record's exchange timestamp
   * (`exchTsUs`), observed per valid `/feed` record before it goes to the engine.
   */
  readonly feedLag = new HotHistogram<'venue'>({
    name: 'bot4_gateway_feed_ingest_lag_seconds',
    help: 'Feed ingest lag: gateway receive time minus the record\'s exchange timestamp, per venue.',
    labelNames: ['venue'],
    buckets: FEED_LAG_BUCKETS,
  });
  /**
   * Wall-clock ns minus monotonic ns of the gateway's clock (`epochMs() * 1e6 - nowNs()`), to
   * place a record's monotonic `recvNs` on the epoch; the server refreshes it (ms resolution).
   */
  epochOffsetNs = 0;
  private lagVenue = '';
  private lagSeries: HistogramSeries | undefined;
  private readonly lagByVenue = new Map<string, HistogramSeries>();

  /** Counts one protocol error reply by code. */
  error(code: GwCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** Observes the ingest lag of one valid feed record (records without an exchange timestamp are skipped). */
  observeFeedLag(msg: Readonly<MarketDataMessage>): void {
    if (!(msg.exchTsUs > 0)) return;
    let s = this.lagSeries;
    if (s === undefined || msg.venue !== this.lagVenue) {
      s = this.lagByVenue.get(msg.venue);
      if (s === undefined) {
        s = this.feedLag.series({ venue: this.lagByVenue.size < FEED_LAG_MAX_VENUES ? msg.venue : 'other' });
        this.lagByVenue.set(msg.venue, s);
      }
      this.lagSeries = s;
      this.lagVenue = msg.venue;
    }
    s.observe(msg.recvNs + this.epochOffsetNs - msg.exchTsUs * 1000);
  }

  /** The gateway's prom-client metrics (histograms), rendered after the families. */
  promMetrics(): readonly Metric[] {
    return [this.feedLag];
  }

  /** Renders the counters as Prometheus families (prefix `bot4_gateway_`). */
  families(bufferedNow: number): MetricFamily[] {
    const ep = (ws: number, feed: number): { labels: Record<string, string>; value: number }[] => [
      { labels: { endpoint: 'ws' }, value: ws },
      { labels: { endpoint: 'feed' }, value: feed },
    ];
    return [
      { name: 'bot4_gateway_connections', help: 'Open WebSocket connections.', type: 'gauge', samples: ep(this.connectionsWs, this.connectionsFeed) },
      { name: 'bot4_gateway_connections_accepted_total', help: 'WebSocket connections accepted.', type: 'counter', samples: ep(this.connectionsTotalWs, this.connectionsTotalFeed) },
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
