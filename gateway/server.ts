// Over ~400 lines on purpose: the uWebSockets.js app's route table (/ws, /feed, /health, /metrics)
// and its listen/stop lifecycle; admission, auth, protocol, metrics and the WS API are their own files.
import { accessSync, constants } from 'node:fs';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket, us_socket_context_t } from 'uWebSockets.js';
import { LiveClock, type Clock, type TimerHandle } from '../common/clock.js';
import { logger as rootLogger, type Logger } from '../common/log.js';
import type { EnginePort } from './engine-port.js';
import { GW_WARNINGS, GatewayListenError, GatewayNativeError, GatewayStateError, GatewayTlsError } from './errors.js';
import type { ApiConnection, Connection, FeedConnection } from './connection.js';
import { GatewayMetrics } from './metrics.js';
import { parseGatewayOptions, type GatewayOptions } from './options.js';
import { TokenAuthenticator } from './auth.js';
import { AuthThrottle } from './auth-throttle.js';
import { ConnectionSlots } from './admission.js';
import { isLoopbackHost } from './access.js';
import { UpgradeGuard } from './upgrade-guard.js';
import { TokenBucket } from './rate-limiter.js';
import { FeedDecoder } from './feed-decoder.js';
import { DASHBOARD_HEADERS, DashboardAssets } from './dashboard-assets.js';
import { CloseCode, WsApi } from './ws-api.js';
import { errorReply, eventMessage } from './protocol.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, formatPrometheus, wantsOpenMetrics } from './prometheus.js';
import { loadUws } from './uws.js';

/** Addresses of a started gateway. */
export interface GatewayAddress {
  host: string;
  port: number;
  /** `ws://host:port/ws` (or `wss://` with TLS). */
  api: string;
  feed: string;
  health: string;
  metrics: string;
}

/** Point-in-time figures for tests, the daemon's status and the benchmark. */
export interface GatewayStats {
  connections: { ws: number; feed: number };
  /** Sum and maximum of `getBufferedAmount()` over open sockets right now. */
  bufferedBytes: number;
  maxBufferedBytes: number;
  /** Largest per-socket buffered amount ever observed by a sweep or a stats call. */
  maxBufferedSeen: number;
  sendDrops: number;
  slowConsumerEpisodes: number;
  slowConsumerDisconnects: number;
  eventsPublished: number;
  feedRecords: { ticker: number; trade: number; book: number };
  feedDropped: number;
  errors: Record<string, number>;
}

/** Optional collaborators (injected for tests; defaults for the daemon). */
export interface GatewayDeps {
  clock?: Clock;
  logger?: Logger;
  /** The dashboard's files (default: `dashboard/` and uPlot, read at the first request). */
  dashboard?: DashboardAssets;
}

/**
 * The bot4 gateway on uWebSockets.js: `/ws` (API), `/feed` (market-data ingest), `/health`,
 * `/metrics`, and the browser dashboard at `/` (files of `dashboard/`, see `dashboard-assets.ts`).
 * It reaches the engine only through an {@link EnginePort}.
 */
export class GatewayServer {
  readonly options: GatewayOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics = new GatewayMetrics();
  private readonly auth: TokenAuthenticator;
  private readonly api: WsApi;
  private readonly slots: ConnectionSlots;
  private readonly guard: UpgradeGuard;
  private readonly sockets = new Set<WebSocket<Connection>>();
  private dashboard: DashboardAssets | null = null;
  private app: TemplatedApp | null = null;
  private listenSocket: us_listen_socket | null = null;
  private unsubscribeEvents: (() => void) | null = null;
  private sweepTimer: TimerHandle | null = null;
  private nextConnId = 1;
  private boundPort = -1;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(
    private readonly port: EnginePort,
    options: unknown = {},
    deps: GatewayDeps = {},
  ) {
    this.options = parseGatewayOptions(options);
    this.clock = deps.clock ?? new LiveClock();
    this.log = (deps.logger ?? rootLogger).child({ component: 'gateway' });
    this.dashboard = deps.dashboard ?? null;
    this.auth = new TokenAuthenticator(this.options.tokens);
    const L = this.options.limits;
    this.slots = new ConnectionSlots(L.maxConnections, L.maxConnectionsPerIp, L.reservedAdminConnections);
    const throttle = new AuthThrottle(this.clock, L.authFailuresPerIpPerMin, L.authFailureBurstPerIp);
    this.guard = new UpgradeGuard(this.options, this.auth, throttle, this.slots, this.metrics);
    this.api = new WsApi(port, this.auth, this.options, this.metrics, this.clock, this.log, { throttle, slots: this.slots });
  }

  /** The bound port (after `start`). */
  get listeningPort(): number {
    return this.boundPort;
  }

  /** Binds and starts serving. Resolves with the URLs; rejects with a `GatewayError`. */
  async start(): Promise<GatewayAddress> {
    if (this.state !== 'new') throw new GatewayStateError(`gateway: start() called in state ${this.state}`);
    const { uWS, native, detail } = loadUws();
    if (!native) {
      if (this.options.requireNativeUws) throw new GatewayNativeError(detail);
      this.log.warn({ detail }, 'gateway: uWebSockets.js native binary not loaded; running on the slow JS fallback');
    }
    const tls = this.options.tls;
    if (tls !== undefined) {
      for (const f of [tls.certFile, tls.keyFile]) {
        try {
          accessSync(f, constants.R_OK);
        } catch (e) {
          throw new GatewayTlsError(f, e);
        }
      }
    }
    const app =
      tls === undefined
        ? uWS.App()
        : uWS.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile, ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }) });
    this.app = app;
    this.routes(app, uWS.DISABLED);
    const { host, port } = this.options;
    const token = await new Promise<us_listen_socket | false>((resolve) => app.listen(host, port, resolve));
    if (token === false) {
      this.app = null;
      throw new GatewayListenError(host, port);
    }
    this.listenSocket = token;
    this.boundPort = uWS.us_socket_local_port(token as never);
    this.unsubscribeEvents = this.port.onEvent((topic, data) => this.publish(topic, data));
    this.state = 'running';
    this.armSweep();
    const scheme = tls === undefined ? '' : 's';
    const base = `${host.includes(':') ? `[${host}]` : host}:${this.boundPort}`;
    const addr: GatewayAddress = {
      host,
      port: this.boundPort,
      api: `ws${scheme}://${base}/ws`,
      feed: `ws${scheme}://${base}/feed`,
      health: `http${scheme}://${base}/health`,
      metrics: `http${scheme}://${base}/metrics`,
    };
    this.log.info({ ...addr, native, tokens: this.auth.size }, 'gateway listening');
    if (tls === undefined && !isLoopbackHost(host)) {
      this.log.warn(
        { code: GW_WARNINGS.plaintextPublic, host, port: this.boundPort },
        `gateway: listening on ${host}, which is not a loopback address, WITHOUT TLS: tokens, orders and balances cross the network in clear text. Configure gateway.tls (docs/security.md) or bind 127.0.0.1`,
      );
    }
    return addr;
  }

  /** Stops listening, closes every socket with 1001 and detaches from the engine. Idempotent. */
  async stop(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    if (this.sweepTimer !== null) this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = null;
    this.unsubscribeEvents?.();
    this.unsubscribeEvents = null;
    const { uWS } = loadUws();
    if (this.listenSocket !== null) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
    for (const ws of [...this.sockets]) {
      const c = ws.getUserData();
      if (c.endpoint === 'ws') this.api.onClose(c);
      ws.end(CloseCode.goingAway, 'server stopping');
    }
    this.sockets.clear();
    this.app = null;
  }

  /** Current figures (walks the open sockets once). */
  stats(): GatewayStats {
    const b = this.sweep(false);
    const m = this.metrics;
    return {
      connections: { ws: m.connectionsWs, feed: m.connectionsFeed },
      bufferedBytes: b.sum,
      maxBufferedBytes: b.max,
      maxBufferedSeen: m.maxBufferedSeen,
      sendDrops: m.sendDrops,
      slowConsumerEpisodes: m.slowConsumerEpisodes,
      slowConsumerDisconnects: m.slowConsumerDisconnects,
      eventsPublished: m.eventsPublished,
      feedRecords: { ...m.feedRecords },
      feedDropped: m.feedDropped,
      errors: Object.fromEntries(m.errors),
    };
  }

  /**
   * Renders `/metrics` with prom-client (gateway families first, then the engine's, then the
   * gateway's and the engine's histograms): Prometheus text 0.0.4, or OpenMetrics 1.0 (with
   * exemplars) when `openMetrics`.
   */
  async metricsText(openMetrics = false): Promise<string> {
    let engine: readonly import('./engine-port.js').MetricFamily[] = [];
    let engineProm: readonly import('prom-client').Metric[] = [];
    try {
      engine = this.port.metrics();
      engineProm = this.port.promMetrics?.() ?? [];
    } catch (err) {
      this.log.error({ err }, 'gateway: EnginePort.metrics() failed');
    }
    this.metrics.reservedConnections = this.slots.counts.reserved;
    this.metrics.epochOffsetNs = this.clock.epochMs() * 1e6 - this.clock.nowNs();
    return formatPrometheus([...this.metrics.families(this.sweep(false).sum), ...engine], { openMetrics, metrics: [...this.metrics.promMetrics(), ...engineProm] });
  }

  private publish(topic: string, data: unknown): void {
    const app = this.app;
    // serialise only when someone listens: most md topics have no /ws subscriber
    if (app === null || app.numSubscribers(topic) === 0) return;
    let text: string;
    try {
      text = eventMessage(topic, data);
    } catch (err) {
      this.log.error({ err, topic }, 'gateway: engine event is not serialisable');
      return;
    }
    app.publish(topic, text, false);
    this.metrics.eventsPublished++;
  }

  private routes(app: TemplatedApp, compression: number): void {
    const L = this.options.limits;
    const disconnect = this.options.slowConsumerPolicy === 'disconnect';
    app.ws<ApiConnection>('/ws', {
      compression,
      // uWS force-closes (1006) frames above its own limit before reading them; give it headroom so
      // frames up to 16x the limit are read and closed with a proper 1009 by the handler
      maxPayloadLength: Math.min(L.maxPayloadBytes * 16, 64 * 1024 * 1024),
      maxBackpressure: L.maxBackpressureBytes,
      closeOnBackpressureLimit: disconnect ? 1 : 0,
      idleTimeout: L.idleTimeoutSec,
      sendPingsAutomatically: true,
      upgrade: (res, req, ctx) => this.upgradeApi(res, req, ctx),
      open: (ws) => {
        const c = ws.getUserData();
        this.slots.take(c.ip, c.reserved);
        this.sockets.add(ws as WebSocket<Connection>);
        this.metrics.connectionsWs++;
        this.metrics.connectionsTotalWs++;
        this.api.onOpen(ws);
      },
      message: (ws, message, isBinary) => this.api.onMessage(ws, message, isBinary),
      drain: (ws) => this.onDrain(ws as WebSocket<Connection>),
      close: (ws) => {
        const c = ws.getUserData();
        c.open = false;
        this.api.onClose(c);
        this.slots.release(c.ip, c.reserved);
        this.sockets.delete(ws as WebSocket<Connection>);
        this.metrics.connectionsWs--;
      },
    });
    app.ws<FeedConnection>('/feed', {
      compression,
      maxPayloadLength: Math.min(L.feedMaxPayloadBytes * 16, 256 * 1024 * 1024),
      maxBackpressure: L.maxBackpressureBytes,
      idleTimeout: L.idleTimeoutSec,
      sendPingsAutomatically: true,
      upgrade: (res, req, ctx) => this.upgradeFeed(res, req, ctx),
      open: (ws) => {
        const c = ws.getUserData();
        // the producer's token name goes with every record: the engine trusts feeds by name
        const producer = c.principal.name;
        const m = this.metrics;
        m.epochOffsetNs = this.clock.epochMs() * 1e6 - this.clock.nowNs();
        c.decoder = new FeedDecoder(
          (msg) => {
            m.observeFeedLag(msg);
            return this.port.publishMarketData(msg, producer);
          },
          this.clock,
          m.feedRecords,
        );
        this.slots.take(c.ip, false);
        this.sockets.add(ws as WebSocket<Connection>);
        this.metrics.connectionsFeed++;
        this.metrics.connectionsTotalFeed++;
      },
      message: (ws, message, isBinary) => this.onFeed(ws, message, isBinary),
      drain: (ws) => this.onDrain(ws as WebSocket<Connection>),
      close: (ws) => {
        const c = ws.getUserData();
        c.open = false;
        this.slots.release(c.ip, false);
        this.sockets.delete(ws as WebSocket<Connection>);
        this.metrics.connectionsFeed--;
      },
    });
    // every plain HTTP route answers only requests addressed to this server (DNS rebinding)
    const hostChecked = (handler: (res: HttpResponse) => void) => (res: HttpResponse, req: HttpRequest) => {
      if (this.guard.hostAllowed(res, req)) handler(res);
    };
    // the dashboard: fixed files read once (no request path reaches the file system), strict CSP
    const page = (res: HttpResponse, req: HttpRequest) => {
      if (this.guard.hostAllowed(res, req)) this.dashboardFile(res, req.getUrl());
    };
    for (const p of ['/', '/dashboard', '/dashboard/', '/dashboard/*']) app.get(p, page);
    app.get('/health', hostChecked((res) => this.health(res)));
    app.get(
      '/health/live',
      hostChecked((res) => {
        this.metrics.httpRequests.health++;
        res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end('{"live":true}');
      }),
    );
    app.get('/metrics', (res, req) => {
      if (!this.guard.hostAllowed(res, req)) return;
      this.metrics.httpRequests.metrics++;
      // headers are readable only before the handler returns; the registry renders asynchronously
      const om = wantsOpenMetrics(req.getHeader('accept'));
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      this.metricsText(om).then(
        (body) => {
          if (!aborted) res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', om ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE).end(body));
        },
        (err: unknown) => {
          this.log.error({ err }, 'gateway: rendering /metrics failed');
          if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').writeHeader('content-type', 'text/plain').end('metrics failed\n'));
        },
      );
    });
    app.any(
      '/*',
      hostChecked((res) => {
        this.metrics.httpRequests.notFound++;
        res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json').end('{"error":"not found"}');
      }),
    );
  }

  /** Answers a dashboard file (404 for a path outside the fixed table, 503 when the files could not be read). */
  private dashboardFile(res: HttpResponse, url: string): void {
    if (this.dashboard === null) {
      this.dashboard = new DashboardAssets();
      if (this.dashboard.problem !== undefined) this.log.warn({ problem: this.dashboard.problem }, 'gateway: the dashboard files could not be read; / answers 503');
    }
    const d = this.dashboard;
    if (d.problem !== undefined) {
      res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'application/json').end(JSON.stringify({ error: `dashboard unavailable: ${d.problem}` }));
      return;
    }
    const f = d.get(url);
    if (f === undefined) {
      this.metrics.httpRequests.notFound++;
      res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json').end('{"error":"not found"}');
      return;
    }
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('content-type', f.contentType);
      for (const [k, v] of DASHBOARD_HEADERS) res.writeHeader(k, v);
      res.end(f.body);
    });
  }

  private upgradeApi(res: HttpResponse, req: HttpRequest, ctx: us_socket_context_t): void {
    const g = this.guard.screen(res, req, 'ws');
    if (g === null) return;
    const { ip, principal } = g;
    const L = this.options.limits;
    const data: ApiConnection = {
      endpoint: 'ws',
      id: this.nextConnId++,
      ip,
      principal,
      reserved: g.reserved,
      authDeadline: null,
      authFailures: 0,
      authRetryAtNs: 0,
      bucket: new TokenBucket(this.clock, L.messagesPerSec, L.burst),
      strikes: 0,
      inflight: 0,
      subscriptions: 0,
      open: true,
      lagging: false,
    };
    res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), ctx);
  }

  private upgradeFeed(res: HttpResponse, req: HttpRequest, ctx: us_socket_context_t): void {
    const g = this.guard.screen(res, req, 'feed');
    // screen() refuses /feed without a principal holding the feed role
    if (g === null || g.principal === null) return;
    const { ip, principal } = g;
    const data: FeedConnection = { endpoint: 'feed', id: this.nextConnId++, ip, reserved: false, principal, decoder: null, open: true, lagging: false };
    res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), ctx);
  }

  private onFeed(ws: WebSocket<FeedConnection>, message: ArrayBuffer, isBinary: boolean): void {
    const m = this.metrics;
    m.messagesInFeed++;
    m.bytesInFeed += message.byteLength;
    if (message.byteLength > this.options.limits.feedMaxPayloadBytes) {
      m.oversizeCloses++;
      ws.end(CloseCode.tooBig, 'message too big');
      return;
    }
    const c = ws.getUserData();
    const dec = c.decoder!;
    let ok: boolean;
    if (isBinary) ok = dec.decodeBinary(message);
    else {
      let text: string;
      try {
        text = FATAL_UTF8.decode(message);
      } catch {
        this.feedError(ws, c, 'GW_BAD_FRAME', 'frame: expected UTF-8 text, got invalid UTF-8', 0, 0);
        return;
      }
      ok = dec.decodeJson(text);
    }
    if (dec.refused > 0) {
      m.feedDropped += dec.refused;
      this.feedError(ws, c, 'GW_FEED_REJECTED', `engine refused ${dec.refused} record(s) (mailbox full)`, -1, dec.accepted);
    }
    if (!ok) this.feedError(ws, c, dec.errorCode ?? 'GW_FEED_BAD_FRAME', dec.errorMessage, dec.errorRecord, dec.accepted);
  }

  private feedError(ws: WebSocket<FeedConnection>, c: FeedConnection, code: import('./errors.js').GwCode, message: string, record: number, accepted: number): void {
    this.metrics.error(code);
    if (!c.open) return;
    this.metrics.messagesOutFeed++;
    if (ws.send(errorReply(null, { code, message, details: { record, accepted } }), false) === 2) this.metrics.sendDrops++;
  }

  private health(res: HttpResponse): void {
    this.metrics.httpRequests.health++;
    let body: string;
    let ready = false;
    try {
      const h = this.port.health();
      const checks: Record<string, boolean> = { venuesSynced: h.venuesSynced === true, journalOpen: h.journalOpen === true, ...(h.checks ?? {}) };
      ready = Object.values(checks).every((v) => v === true);
      body = JSON.stringify({ live: true, ready, checks });
    } catch (err) {
      this.log.error({ err }, 'gateway: EnginePort.health() failed');
      body = JSON.stringify({ live: true, ready: false, checks: {}, error: 'health check failed' });
    }
    res.writeStatus(ready ? '200 OK' : '503 Service Unavailable').writeHeader('content-type', 'application/json').end(body);
  }

  private onDrain(ws: WebSocket<Connection>): void {
    const c = ws.getUserData();
    if (c.lagging && ws.getBufferedAmount() < this.options.limits.maxBackpressureBytes / 2) c.lagging = false;
  }

  private armSweep(): void {
    this.sweepTimer = this.clock.setTimer(this.options.limits.slowConsumerCheckMs, () => {
      if (this.state !== 'running') return;
      this.sweep(true);
      this.armSweep();
    });
  }

  /**
   * Walks the open sockets: records the largest buffered amount, and (when `act`) counts sockets
   * that reached maxBackpressure and, under the `disconnect` policy, closes them with 1008.
   */
  private sweep(act: boolean): { sum: number; max: number } {
    const limit = this.options.limits.maxBackpressureBytes;
    let sum = 0;
    let max = 0;
    const late: WebSocket<Connection>[] = [];
    for (const ws of this.sockets) {
      const b = ws.getBufferedAmount();
      sum += b;
      if (b > max) max = b;
      if (!act) continue;
      const c = ws.getUserData();
      if (b >= limit) {
        if (!c.lagging) {
          c.lagging = true;
          this.metrics.slowConsumerEpisodes++;
        }
        if (this.options.slowConsumerPolicy === 'disconnect') late.push(ws);
      } else if (c.lagging && b < limit / 2) {
        c.lagging = false;
      }
    }
    if (max > this.metrics.maxBufferedSeen) this.metrics.maxBufferedSeen = max;
    for (const ws of late) {
      this.metrics.slowConsumerDisconnects++;
      ws.end(CloseCode.policy, 'slow consumer');
    }
    return { sum, max };
  }
}

const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true });
