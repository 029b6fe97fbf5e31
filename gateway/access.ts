import { isIP } from 'node:net';

/** Host names that always mean this machine's loopback interface. */
const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '[::]']);

/** `::1` → `[::1]` (the form `URL.hostname` and the `Host` header use); other hosts lower-cased. */
export function normalizeHost(host: string): string {
  const h = host.toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/** Whether a bind address only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = normalizeHost(host);
  if (h === 'localhost' || h === '[::1]') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Which `Host` header values a gateway bound to `bindHost` answers (the DNS-rebinding defence: a
 * page on `evil.example` whose name was re-pointed at 127.0.0.1 still sends `Host: evil.example`).
 *
 * Accepted host names: the bind address itself; `localhost`, `127.0.0.1` and `[::1]` when bound to
 * loopback or to a wildcard; any IP literal when bound to a wildcard (`0.0.0.0`, `::`), since a
 * literal cannot be re-pointed by DNS; and every name in `allowedHosts`. The port is not compared
 * (rebinding changes the name, not the port; a reverse proxy may change the port).
 */
export class HostPolicy {
  private readonly names: ReadonlySet<string>;
  private readonly anyLiteral: boolean;

  constructor(bindHost: string, allowedHosts: readonly string[]) {
    const bind = normalizeHost(bindHost);
    const names = new Set<string>([bind, ...allowedHosts.map(normalizeHost)]);
    this.anyLiteral = WILDCARDS.has(bind);
    if (this.anyLiteral || isLoopbackHost(bind)) for (const n of LOOPBACK_NAMES) names.add(n);
    this.names = names;
  }

  /** The normalised host name of a `Host` header value, or undefined when it is missing or malformed. */
  static hostName(hostHeader: string): string | undefined {
    if (hostHeader === '' || /[/\\?#@\s]/.test(hostHeader)) return undefined;
    try {
      return new URL(`http://${hostHeader}`).hostname;
    } catch {
      return undefined;
    }
  }

  /** Whether a request carrying this `Host` header is addressed to this gateway. */
  allows(hostHeader: string): boolean {
    const name = HostPolicy.hostName(hostHeader);
    if (name === undefined) return false;
    if (this.names.has(name)) return true;
    return this.anyLiteral && isIP(name.startsWith('[') ? name.slice(1, -1) : name) !== 0;
  }
}

/**
 * Which browser origins may open a WebSocket. A request without `Origin` is not from a browser
 * page and passes (browsers always send it on a WebSocket upgrade). Otherwise the origin must be
 * listed in `allowedOrigins`, or be same-origin: the scheme this server speaks and exactly the
 * host[:port] of the request's `Host` header (which {@link HostPolicy} has already checked).
 * `Origin: null` (sandboxed frames, `file:`) never passes.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    allowedOrigins: readonly string[],
    private readonly tls: boolean,
  ) {
    this.allowed = new Set(allowedOrigins);
  }

  allows(origin: string, hostHeader: string): boolean {
    if (origin === '') return true;
    if (this.allowed.has(origin)) return true;
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false;
    }
    if (u.origin !== origin || u.protocol !== (this.tls ? 'https:' : 'http:')) return false;
    const sameHost = u.host === hostHeader.toLowerCase();
    return sameHost;
  }
}
