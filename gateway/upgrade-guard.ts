import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { HostPolicy, OriginPolicy } from './access.js';
import type { ConnectionSlots } from './admission.js';
import { TokenAuthenticator, bearerToken, hasRole, type Principal } from './auth.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { GwCode } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayOptions } from './options.js';

/** What a screened upgrade brings to its socket. */
export interface ScreenedUpgrade {
  /** Client address as text (the per-address cap and auth throttle key on it). */
  readonly ip: string;
  /** The principal of an `Authorization: Bearer` header, or null without one. */
  readonly principal: Principal | null;
  /** The socket takes one of the slots reserved for admins. */
  readonly reserved: boolean;
}

/**
 * Admission of HTTP requests and WebSocket upgrades, before any socket exists: `Host` and
 * `Origin` checks, no token in the URL, the bearer header (throttled per address), the role
 * `/feed` needs and a connection slot. A refusal is answered here with a JSON body
 * `{"error":{"code","message"}}` and the TCP connection is closed, so a refused client holds no
 * file descriptor.
 */
export class UpgradeGuard {
  private readonly hosts: HostPolicy;
  private readonly origins: OriginPolicy;

  constructor(
    private readonly options: GatewayOptions,
    private readonly auth: TokenAuthenticator,
    private readonly throttle: AuthThrottle,
    private readonly slots: ConnectionSlots,
    private readonly metrics: GatewayMetrics,
  ) {
    this.hosts = new HostPolicy(options.host, options.allowedHosts);
    this.origins = new OriginPolicy(options.allowedOrigins, options.tls !== undefined);
  }

  /** Whether a plain HTTP request is addressed to this server; answers 403 `GW_HOST_FORBIDDEN` if not. */
  hostAllowed(res: HttpResponse, req: HttpRequest): boolean {
    if (this.hosts.allows(req.getHeader('host'))) return true;
    this.refuse(res, '403 Forbidden', 'GW_HOST_FORBIDDEN', 'Host header does not name this server (see gateway.allowedHosts)');
    return false;
  }

  /**
   * Everything an upgrade must pass, in order: the `Host` names this server, the `Origin` (if any)
   * is allowed, no token in the URL, a bearer header (if any) names a known token while the address
   * is not throttled, `/feed` has the `feed` role, and a slot is free. Answers the refusal itself
   * and returns null, or returns what the socket's user data needs. Call it synchronously inside
   * the uWS upgrade handler (`req` is only valid there).
   */
  screen(res: HttpResponse, req: HttpRequest, endpoint: 'ws' | 'feed'): ScreenedUpgrade | null {
    const host = req.getHeader('host');
    if (!this.hosts.allows(host)) {
      this.refuse(res, '403 Forbidden', 'GW_HOST_FORBIDDEN', 'Host header does not name this server (see gateway.allowedHosts)');
      return null;
    }
    if (!this.origins.allows(req.getHeader('origin'), host)) {
      this.refuse(res, '403 Forbidden', 'GW_ORIGIN_FORBIDDEN', 'Origin is not allowed (see gateway.allowedOrigins)');
      return null;
    }
    if (new URLSearchParams(req.getQuery() ?? '').has('token')) {
      this.refuse(res, '400 Bad Request', 'GW_TOKEN_IN_URL', 'tokens are not accepted in the URL: send an Authorization: Bearer header or the authenticate op');
      return null;
    }
    const ip = Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
    const principal = this.bearer(res, req, ip);
    if (principal === undefined) return null;
    if (endpoint === 'feed' && (principal === null || !hasRole(principal.roles, 'feed'))) {
      if (principal === null) this.refuse(res, '401 Unauthorized', 'GW_UNAUTHENTICATED', '/feed needs a token with role feed');
      else this.refuse(res, '403 Forbidden', 'GW_FORBIDDEN', '/feed needs a token with role feed');
      return null;
    }
    const slot = this.slots.admit(ip, endpoint, principal);
    if (!slot.ok) {
      const L = this.options.limits;
      if (slot.code === 'GW_TOO_MANY_CONNECTIONS') this.refuse(res, '503 Service Unavailable', slot.code, `the gateway holds its maximum of ${L.maxConnections} connections`, 1);
      else this.refuse(res, '429 Too Many Requests', slot.code, `this address holds its maximum of ${L.maxConnectionsPerIp} connections`, 1);
      return null;
    }
    return { ip, principal, reserved: slot.reserved };
  }

  /** The bearer header's principal, null without a header, undefined when refused (answered). */
  private bearer(res: HttpResponse, req: HttpRequest, ip: string): Principal | null | undefined {
    const token = bearerToken(req.getHeader('authorization'));
    if (token === undefined) return null;
    const wait = this.throttle.retryAfterMs(ip);
    if (wait > 0) {
      this.metrics.authFailures.throttled++;
      this.refuse(res, '429 Too Many Requests', 'GW_AUTH_THROTTLED', `too many failed authentications from this address; retry in ${wait} ms`, Math.ceil(wait / 1000));
      return undefined;
    }
    const principal = this.auth.authenticate(token);
    if (principal === undefined) {
      this.metrics.authFailures.badToken++;
      this.throttle.failure(ip);
      this.refuse(res, '401 Unauthorized', 'GW_AUTH_FAILED', 'unknown token');
      return undefined;
    }
    return principal;
  }

  /** Answers a refused request with `{"error":{"code","message"}}` and closes the connection. */
  private refuse(res: HttpResponse, status: string, code: GwCode, message: string, retryAfterSec?: number): void {
    this.metrics.error(code);
    res.cork(() => {
      res.writeStatus(status).writeHeader('content-type', 'application/json');
      if (retryAfterSec !== undefined) res.writeHeader('retry-after', String(retryAfterSec));
      res.end(JSON.stringify({ error: { code, message } }), true);
    });
  }
}
