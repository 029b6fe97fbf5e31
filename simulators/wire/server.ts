/**
 * The uWebSockets.js app of one venue port: listen / refuse / close lifecycle, route mounting
 * (REST, market streams, WebSocket API, control API) and per-request fault application for REST.
 * Body limits and reply writing: `http-body.ts`; WebSocket connections: `ws-conn.ts`; control-API
 * requests: `control-http.ts`. Slightly over ~400 lines: REST fault application shares the route
 * table and the per-request state with the mounting code.
 */
import { createRequire } from 'node:module';
import uWS from 'uWebSockets.js';
import { logger, type Logger } from '../../common/log.js';
import { SimulatorListenError } from '../errors.js';
import type { VenueCore } from '../venue/venue.js';
import type { LinkScope } from '../faults/link.js';
import { serveControl, type ControlHandler } from './control-http.js';
import type { FaultLink, FaultModel, Outage } from './faults.js';
import { MAX_REST_BODY_BYTES, readBody, REST_413, writeReply } from './http-body.js';
import { handleRest, type RestReply, type RestRequest } from './rest.js';
import { endRestSpan, restServerSpan } from './server-span.js';
import { StreamHub } from './streams.js';
import { Conn, type WsData } from './ws-conn.js';
import { WsApiHub } from './ws-api.js';

// The body limits, reply helpers and control-API serving live in their own modules; re-exported
// here so every name this module exported before stays importable from it.
export { CONTROL_413, MAX_CONTROL_BODY_BYTES, MAX_REST_BODY_BYTES, readBody, REST_413, writeReply } from './http-body.js';
export { serveControl, type ControlHandler, type ControlRequest } from './control-http.js';

const require = createRequire(import.meta.url);

/** Which uWebSockets.js implementation is loaded. */
export interface UwsInfo {
  native: boolean;
  /** Path of the native binary, or why it is not loaded. */
  detail: string;
}

/**
 * Checks that uWebSockets.js loaded its native binary. The unofficial package silently falls back
 * to a JS implementation on other Node ABIs (RECIPES.md); the simulator then still works but its
 * throughput figures mean nothing, so callers warn loudly.
 */
export function uwsInfo(): UwsInfo {
  const key = Object.keys(require.cache).find((k) => /uws_[a-z0-9]+_[a-z0-9]+_\d+\.node$/.test(k));
  if (key !== undefined) return { native: true, detail: key };
  return { native: false, detail: `no native uWS binary for ABI ${process.versions.modules} in the module cache (fallback JS implementation)` };
}

/** REST's answer during an `http-5xx` outage (Binance's -1001). */
const REST_5XX: RestReply = { status: 503, body: JSON.stringify({ code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }), headers: [] };

/**
 * The uWebSockets.js server of one venue: REST under `/api/v3`, market streams under `/ws/...` and
 * `/stream`, the WebSocket API under `/ws-api/v3`, and the control API under `/_sim/`. Network
 * faults from the {@link FaultModel} are applied here, per message.
 */
export class VenueServer {
  streams: StreamHub;
  wsApi: WsApiHub;
  private app: uWS.TemplatedApp | undefined;
  private token: uWS.us_listen_socket | false = false;
  private host = '127.0.0.1';
  private portNo = 0;
  private nextConnId = 1;
  private readonly conns = new Set<Conn>();
  private readonly restLinks = new Map<string, FaultLink>();
  private readonly parked = new Set<uWS.HttpResponse>();
  private refusing = false;
  private shut = false;

  constructor(
    public venue: VenueCore,
    private readonly network: FaultModel,
    private readonly control: ControlHandler | undefined,
    private readonly log: Logger,
  ) {
    this.streams = new StreamHub(venue);
    this.wsApi = new WsApiHub(venue);
  }

  /** The bound port (0 before listen). */
  get port(): number {
    return this.portNo;
  }

  /** Binds `host:port` (0 = any free port) and returns the port. */
  async listen(host: string, port: number): Promise<number> {
    this.host = host;
    this.app = this.build();
    this.portNo = port === 0 ? await this.bindFreePort() : await this.bind(port);
    this.streams.start();
    return this.portNo;
  }

  /**
   * Binds a free port so that it can be bound again after a refuse outage. uSockets sets
   * SO_REUSEADDR only when listening on an explicit port, and accepted sockets inherit the
   * listener's flag: after listening on port 0, every connection the server closed lingers in
   * TIME_WAIT without it and Linux refuses to bind the port again for a minute. So the port is
   * found with port 0, released, and bound again explicitly (retried if someone took it between).
   */
  private async bindFreePort(): Promise<number> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const probe = await this.bind(0);
      if (this.token) uWS.us_listen_socket_close(this.token);
      this.token = false;
      try {
        return await this.bind(probe);
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError;
  }

  private bind(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app!.listen(this.host, port, (token) => {
        if (!token) {
          reject(new SimulatorListenError(`venue ${this.venue.name}: cannot listen on ${this.host}:${port}`, { venue: this.venue.name, port }));
          return;
        }
        this.token = token;
        resolve(uWS.us_socket_local_port(token));
      });
    });
  }

  /**
   * Refuse outage for the whole venue, as when the host goes down: closes the app (the listen
   * socket, every kept-alive HTTP connection and every WebSocket), so new connections get
   * ECONNREFUSED and pooled ones are reset. `false` builds a fresh app on the same port.
   *
   * Closing only the listen socket is not enough: uWS cannot bind the port again while an
   * accepted connection on it is still open (the listen callback gets no token), so a client
   * holding a kept-alive connection would keep the venue down after the outage is cleared.
   */
  async setRefusing(on: boolean): Promise<void> {
    if (on === this.refusing) return;
    this.refusing = on;
    if (on) {
      this.closeApp();
    } else if (this.app === undefined && this.portNo !== 0 && !this.shut) {
      this.app = this.build();
      try {
        await this.bind(this.portNo);
      } catch (e) {
        // Still down: a later clear retries the bind.
        this.app = undefined;
        this.refusing = true;
        throw e;
      }
    }
  }

  /** Closes the listen socket, every connection and parked request; the hubs keep running. */
  private closeApp(): void {
    if (this.token) uWS.us_listen_socket_close(this.token);
    this.token = false;
    this.dropWebSockets(undefined);
    for (const res of this.parked) {
      try {
        res.close();
      } catch {
        // already gone
      }
    }
    this.parked.clear();
    if (this.app !== undefined) {
      const app = this.app as uWS.TemplatedApp & { close?: () => void };
      app.close?.();
    }
    this.app = undefined;
  }

  /** Serves `venue` from now on (control-API reset): closes WebSockets and rebuilds the hubs. */
  swapVenue(venue: VenueCore): void {
    this.dropWebSockets(undefined);
    this.streams.stop();
    this.wsApi.stop();
    this.venue = venue;
    this.restLinks.clear();
    this.streams = new StreamHub(venue);
    this.wsApi = new WsApiHub(venue);
    this.streams.start();
  }

  /** Closes WebSockets of `scope` (all when undefined) abruptly: the client sees 1006. */
  dropWebSockets(scope: LinkScope | undefined): void {
    for (const c of [...this.conns]) {
      if (scope === undefined || c.scope === scope) {
        c.closed = true;
        c.ws.close();
      }
    }
  }

  /** Stops listening, closes every connection and parked request, stops the hubs. */
  close(): void {
    this.shut = true;
    this.streams.stop();
    this.wsApi.stop();
    this.closeApp();
  }

  private restLink(ip: string): FaultLink {
    let l = this.restLinks.get(ip);
    if (l === undefined) {
      l = this.network.link(this.venue.name, 'rest', `rest:${ip}`);
      this.restLinks.set(ip, l);
    }
    return l;
  }

  private build(): uWS.TemplatedApp {
    const app = uWS.App();
    app.any('/api/v3/*', (res, req) => this.onRest(res, req));
    app.any('/_sim/*', (res, req) => this.onControl(res, req));
    app.any('/_sim', (res, req) => this.onControl(res, req));
    const behavior = (scope: LinkScope, combined: boolean): uWS.WebSocketBehavior<WsData> => ({
      maxPayloadLength: 1 << 20,
      maxBackpressure: 16 << 20,
      closeOnBackpressureLimit: 1,
      idleTimeout: 120,
      upgrade: (res, req, ctx) => {
        const url = req.getUrl();
        const query = req.getQuery() ?? '';
        const key = req.getHeader('sec-websocket-key');
        const proto = req.getHeader('sec-websocket-protocol');
        const ext = req.getHeader('sec-websocket-extensions');
        const tp = req.getHeader('traceparent');
        const out = this.network.outage(this.venue.name, scope);
        if (this.refusing || out?.mode === 'refuse') {
          res.close();
          return;
        }
        let streams: string[] = [];
        if (combined) {
          const q = new URLSearchParams(query).get('streams');
          streams = q ? q.split('/').filter((s) => s.length > 0) : [];
        } else if (scope === 'stream') {
          streams = url.replace(/^\/ws\/?/, '').split('/').filter((s) => s.length > 0);
        }
        res.upgrade<WsData>({ scope, conn: undefined, combined, streams, traceparent: tp || undefined }, key, proto, ext, ctx);
      },
      open: (ws) => {
        const d = ws.getUserData();
        const id = this.nextConnId++;
        const c = new Conn(id, d.combined, scope, ws, this.network.link(this.venue.name, scope, `${scope}:${id}`), this);
        d.conn = c;
        this.conns.add(c);
        const out = c.link.outage();
        if (out?.mode === 'ws-drop') {
          c.closed = true;
          ws.close();
          return;
        }
        // Unknown names on /ws/<name> are ignored like Binance (ccxt connects to /ws/<n> then SUBSCRIBEs).
        if (scope === 'stream') for (const s of d.streams) this.streams.subscribe(c, s);
      },
      message: (ws, message) => {
        const d = ws.getUserData();
        const c = d.conn;
        if (c === undefined || c.closed) return;
        const out = c.link.outage();
        if (out !== null && out.mode === 'blackhole') return;
        // Decoded into a string inside the callback (uWS reuses the buffer after it returns); the
        // string is the only copy, no intermediate ArrayBuffer.
        const text = Buffer.from(message).toString('utf8');
        let reply: string;
        try {
          reply = scope === 'ws-api' ? this.wsApi.handleFrame(c, text, d.traceparent) : this.streams.handleFrame(c, text);
        } catch (e) {
          // Last line of defence, as for REST: a bug in handling one frame answers -1000 and is
          // logged; it never escapes into uWS (which would end the process).
          log.error({ err: e, scope }, 'WebSocket frame failed inside the simulator (answered -1000)');
          reply = JSON.stringify({ status: 500, error: { code: -1000, msg: 'An unknown error occurred while processing the request.' } });
        }
        c.send(reply);
      },
      close: (ws) => {
        const c = ws.getUserData().conn;
        if (c === undefined) return;
        c.closed = true;
        this.conns.delete(c);
        this.streams.closed(c);
        this.wsApi.closed(c);
      },
    });
    app.ws('/ws', behavior('stream', false));
    app.ws('/ws/*', behavior('stream', false));
    app.ws('/stream', behavior('stream', true));
    app.ws('/ws-api/v3', behavior('ws-api', false));
    return app;
  }

  private onRest(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    // Everything from `req` is read now: it is invalid after this callback returns.
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const call = new RestCall(this, res, {
      method,
      path: req.getUrl().slice('/api/v3'.length),
      query: req.getQuery() ?? '',
      body: '',
      apiKey: req.getHeader('x-mbx-apikey') || undefined,
      traceparent: req.getHeader('traceparent') || undefined,
      ip: Buffer.from(res.getRemoteAddressAsText()).toString(),
    });
    const contentLength = req.getHeader('content-length');
    res.onAborted(call.onAborted);
    const out = call.link.outage();
    call.out = out;
    if (this.refusing || (out !== null && out.mode === 'refuse')) {
      res.close();
      return;
    }
    if (out !== null && out.mode === 'blackhole') {
      this.parked.add(res);
      return;
    }
    if (method === 'GET' || method === 'HEAD') call.finish();
    else readBody(res, contentLength, MAX_REST_BODY_BYTES, call.onBody, call.onTooLarge);
  }

  /** @internal for {@link RestCall}: the REST link of a client address. */
  restLinkOf(ip: string): FaultLink {
    return this.restLink(ip);
  }

  /** @internal for {@link RestCall}: requests held without an answer (blackhole, dropped). */
  get parkedRequests(): Set<uWS.HttpResponse> {
    return this.parked;
  }

  private onControl(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    if (this.control === undefined) {
      res.onAborted(() => {});
      writeReply(res, { status: 404, body: '{"error":"no control API"}', headers: [] });
      return;
    }
    serveControl(res, req, this.control, (e) => this.log.error({ err: e }, 'control API failed'));
  }
}

/**
 * One REST request in flight: its callbacks for uWS (abort, body, too-large) are fields bound once
 * per request, and the steps after the body arrives are methods, not closures built per step.
 */
class RestCall {
  aborted = false;
  /** The outage on the link when the request arrived (an `http-5xx` one answers it). */
  out: Outage | null = null;
  readonly link: FaultLink;

  constructor(
    private readonly server: VenueServer,
    private readonly res: uWS.HttpResponse,
    private readonly r: RestRequest,
  ) {
    this.link = server.restLinkOf(r.ip);
  }

  readonly onAborted = (): void => {
    this.aborted = true;
    this.server.parkedRequests.delete(this.res);
  };

  readonly onBody = (body: string): void => {
    this.r.body = body;
    this.finish();
  };

  readonly onTooLarge = (): void => {
    if (!this.aborted) writeReply(this.res, REST_413, true);
  };

  /** Answers the request (after its body, if any), applying the link's fate to the reply. */
  finish(): void {
    if (this.aborted) return;
    const out = this.out;
    const r = this.r;
    const span = r.traceparent === undefined ? undefined : restServerSpan(r.method, r.path, r.traceparent, r.query, r.body, r.ip);
    const reply = out !== null && out.mode === 'http-5xx' ? REST_5XX : safeHandleRest(this.server.venue, r);
    const d = this.link.next(reply.body.length);
    if (d.drop) {
      // A lost exchange: the client never gets an answer and must time out.
      this.server.parkedRequests.add(this.res);
      if (span !== undefined) endRestSpan(span, reply.status, true);
      return;
    }
    const delay = d.delayMs;
    if (delay <= 0) {
      writeReply(this.res, reply);
      if (span !== undefined) endRestSpan(span, reply.status);
      return;
    }
    this.server.venue.clock.setTimer(delay, () => {
      if (!this.aborted) writeReply(this.res, reply);
      if (span !== undefined) endRestSpan(span, reply.status);
    });
  }
}

const log = logger.child({ component: 'sim-wire' });

/** Binance's answer to a request it could not process (-1000 UNKNOWN). */
const REST_INTERNAL: RestReply = { status: 500, body: JSON.stringify({ code: -1000, msg: 'An unknown error occurred while processing the request.' }), headers: [] };

/**
 * The REST handler behind a last line of defence: whatever a request contains, a bug in handling it
 * answers -1000 and is logged; it never escapes into uWS, where it would end the process (and, in
 * the daemon, the engine that embeds the simulator).
 */
function safeHandleRest(venue: Parameters<typeof handleRest>[0], r: RestRequest): RestReply {
  try {
    return handleRest(venue, r);
  } catch (e) {
    log.error({ err: e, path: r.path }, 'REST request failed inside the simulator (answered -1000)');
    return REST_INTERNAL;
  }
}
