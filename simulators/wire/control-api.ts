import { createHash, timingSafeEqual } from 'node:crypto';
import uWS from 'uWebSockets.js';
import { describeValue } from '../../common/describe.js';
import { Bot4Error } from '../../common/errors.js';
import { SimulatorListenError } from '../errors.js';
import type { Simulator } from '../simulator.js';
import { CRISIS_NAMES } from '../faults/crises.js';
import { parseScopeSelector } from '../faults/link.js';
import { isOutageMode, OUTAGE_MODES } from '../faults/outages.js';
import { checkProfileChoice } from '../faults/profiles.js';
import type { RestReply } from './rest.js';
import { serveControl, type ControlHandler, type ControlRequest } from './control-http.js';
import { writeReply } from './http-body.js';

const json = (status: number, body: unknown): RestReply => ({ status, body: JSON.stringify(body), headers: [] });
const bad = (message: string, code = 'B4_SIM_UNKNOWN'): RestReply => json(400, { error: { code, message } });

function parseBody(body: string): Record<string, unknown> | RestReply {
  if (body.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('body: expected a JSON object');
    return v as Record<string, unknown>;
  } catch {
    return bad('body: expected JSON');
  }
}

/** Who may call the control API (validated by `Simulator.start`). */
export interface ControlAccess {
  /** Bearer token every request must carry (`Authorization: Bearer <token>`); undefined = none required. */
  token: string | undefined;
  /** Browser origins allowed to call (`Origin` header); a request with any other Origin is refused. */
  origins: readonly string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The checks every control request passes before it is routed, in this order: a browser `Origin`
 * not on the allow-list → 403 (a web page cannot drive the venue, even with a simple request); a
 * configured token missing or wrong → 401; a POST without `Content-Type: application/json` → 415
 * (a cross-site form or `text/plain` fetch never reaches a route). Undefined when the request may go on.
 */
export function checkControlAccess(access: ControlAccess, r: ControlRequest): RestReply | undefined {
  if (r.origin !== '' && !access.origins.includes(r.origin)) {
    return json(403, { error: { code: 'B4_SIM_FORBIDDEN', message: `origin ${JSON.stringify(r.origin)} may not call the control API (allowed: ${access.origins.length === 0 ? 'none' : access.origins.join(', ')})` } });
  }
  if (access.token !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(r.authorization);
    // Compared as fixed-length digests: no early exit on the first wrong byte, no length oracle.
    if (m === null || !timingSafeEqual(digest(m[1]!), digest(access.token))) {
      return { status: 401, body: JSON.stringify({ error: { code: 'B4_SIM_UNAUTHORIZED', message: m === null ? 'control API: missing Authorization: Bearer <token>' : 'control API: wrong token' } }), headers: [['WWW-Authenticate', 'Bearer realm="bot4-sim"']] };
    }
  }
  if (r.method === 'POST') {
    const type = r.contentType.split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      return json(415, { error: { code: 'B4_SIM_UNSUPPORTED_MEDIA', message: `control API: POST bodies must be Content-Type: application/json, got ${JSON.stringify(r.contentType || '(none)')}` } });
    }
  }
  return undefined;
}

/**
 * The control API (`/_sim/...`, JSON): list venues, set network profiles and outages per venue and
 * scope, schedule crises, read ledgers, change rate limits, add users, reset. Served on every venue
 * port and on the dedicated control port. Routes and examples are in the README.
 */
export async function handleControl(sim: Simulator, req: ControlRequest): Promise<RestReply> {
  const refused = checkControlAccess(sim.controlAccess, req);
  if (refused !== undefined) return refused;
  const { method, path, query, body: rawBody } = req;
  const q = new URLSearchParams(query);
  const parts = path.replace(/^\/_sim\/?/, '').split('/').filter((p) => p.length > 0);
  const body = parseBody(rawBody);
  if ('status' in body && 'headers' in body) return body as RestReply;
  const b = body as Record<string, unknown>;
  try {
    if (parts.length === 0 && method === 'GET') return json(200, { seed: sim.seed, controlUrl: sim.controlUrl, venues: sim.venues });
    if (parts[0] === 'venues' && parts.length === 1 && method === 'GET') {
      const outages = sim.outages();
      return json(
        200,
        sim.venues.map((v) => {
          const core = sim.venue(v.name);
          return { ...v, status: core.status, outages: outages[v.name] ?? {}, participants: core.participants !== undefined, limits: core.limiter.opts };
        }),
      );
    }
    if (parts[0] === 'network' && parts[1] === 'events' && parts.length === 2 && method === 'GET') return networkEvents(sim, q);
    if (parts[0] === 'network' && parts.length === 1 && method === 'GET') return json(200, sim.network.state());
    if (parts[0] === 'crisis' && method === 'GET') return json(200, sim.crisisStatus());
    if (parts[0] === 'reset' && method === 'POST') {
      await sim.reset();
      return json(200, { reset: 'all' });
    }
    if (parts[0] === 'venues' && parts.length === 3) {
      const venue = parts[1]!;
      const action = parts[2]!;
      // One vocabulary (simulators/faults/): `scope` is a ScopeSelector (absent = all), `mode` an
      // OutageMode, `profile` a ProfileChoice (`none` clears the profile) or a custom profile object.
      const scoped = action === 'profile' || action === 'outage';
      const selected = scoped ? parseScopeSelector(b.scope ?? q.get('scope') ?? undefined, 'scope') : 'all';
      const scope = selected === 'all' ? undefined : selected;
      switch (`${method} ${action}`) {
        case 'GET ledger':
          return json(200, sim.ledger(venue, q.get('account') ?? undefined));
        case 'POST profile': {
          const profile = checkProfileChoice(b.profile, 'profile');
          sim.setProfile(venue, scope, profile);
          return json(200, { venue, scope: selected, profile });
        }
        case 'POST outage': {
          const { mode, scope: _s, ...params } = b;
          if (!isOutageMode(mode)) return bad(`mode: expected one of ${OUTAGE_MODES.map((m) => JSON.stringify(m)).join(', ')}, got ${describeValue(mode)}`);
          await sim.setOutage(venue, scope, mode, params);
          return json(200, { venue, scope: selected, mode, params });
        }
        case 'DELETE outage':
          await sim.clearOutage(venue, scope);
          return json(200, { venue, scope: selected, cleared: true });
        case 'POST crisis': {
          if (typeof b.scenario !== 'string') return bad(`scenario: expected one of ${CRISIS_NAMES.join(', ')}`);
          const d = b.durationMs;
          return json(200, sim.startCrisis(b.scenario, venue, typeof d === 'number' ? d : undefined));
        }
        case 'POST reset':
          await sim.reset(venue);
          return json(200, { reset: venue });
        case 'POST limits': {
          const lim = sim.venue(venue).limiter;
          for (const key of ['weightPerMinute', 'ordersPer10s', 'ordersPerDay', 'banAfter429', 'banMs'] as const) {
            const v = b[key];
            if (v === undefined) continue;
            if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return bad(`${key}: expected an integer >= 0, got ${JSON.stringify(v)}`);
            lim.opts = { ...lim.opts, [key]: v };
          }
          lim.reset();
          return json(200, lim.opts);
        }
        case 'POST users': {
          if (typeof b.apiKey !== 'string' || typeof b.apiSecret !== 'string') return bad('apiKey, apiSecret: expected strings');
          const balances = (typeof b.balances === 'object' && b.balances !== null ? b.balances : {}) as Record<string, string>;
          const u = sim.venue(venue).addUser({ apiKey: b.apiKey, apiSecret: b.apiSecret, balances });
          return json(200, { apiKey: u.apiKey, account: u.account });
        }
        default:
          break;
      }
    }
    return json(404, { error: { code: 'B4_SIM_UNKNOWN', message: `no control route ${method} ${path}` } });
  } catch (e) {
    if (e instanceof Bot4Error) return bad(e.message, e.code);
    throw e;
  }
}

const EVENT_FILTERS = ['type', 'venue', 'scope', 'connectionId'] as const;

/**
 * `GET /_sim/network/events?type=&venue=&scope=&connectionId=&limit=`: the newest `limit` (default
 * 1000, at most 10 000) retained events of the network model matching every given filter, oldest
 * first. Per-message decisions (`type=message`) are there only when the simulator was started with
 * `decisionLogSize` > 0.
 */
function networkEvents(sim: Simulator, q: URLSearchParams): RestReply {
  const rawLimit = q.get('limit') ?? '1000';
  const limit = Number(rawLimit);
  if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > 10_000) return bad(`limit: expected an integer from 1 to 10000, got ${JSON.stringify(rawLimit)}`);
  if (sim.network.events === undefined) return bad('network model keeps no event log');
  const want = EVENT_FILTERS.map((k) => [k, q.get(k)] as const).filter((e): e is readonly [(typeof EVENT_FILTERS)[number], string] => e[1] !== null);
  const all = sim.network.events().filter((e) => want.every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v));
  return json(200, all.slice(Math.max(0, all.length - limit)));
}

/** The dedicated control server: `/_sim/...` only, on its own port (stays up during venue outages). */
export class ControlServer {
  private token: uWS.us_listen_socket | false = false;
  private readonly app: uWS.TemplatedApp;

  constructor(handler: ControlHandler) {
    this.app = uWS.App();
    const serve = (res: uWS.HttpResponse, req: uWS.HttpRequest): void => serveControl(res, req, handler, () => undefined);
    this.app.any('/_sim', serve);
    this.app.any('/_sim/*', serve);
    this.app.any('/*', (res) => {
      res.onAborted(() => {});
      writeReply(res, json(404, { error: { code: 'B4_SIM_UNKNOWN', message: 'the control server serves /_sim only' } }));
    });
  }

  /** Binds and returns the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (token) => {
        if (!token) {
          reject(new SimulatorListenError(`control API: cannot listen on ${host}:${port}`, { port }));
          return;
        }
        this.token = token;
        resolve(uWS.us_socket_local_port(token));
      });
    });
  }

  /** Closes the listen socket and every connection. */
  close(): void {
    if (this.token) uWS.us_listen_socket_close(this.token);
    this.token = false;
    (this.app as uWS.TemplatedApp & { close?: () => void }).close?.();
  }
}
