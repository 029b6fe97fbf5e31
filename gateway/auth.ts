import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './engine-port.js';
import type { TokenConfig } from './options.js';

/** An authenticated principal. */
export interface Principal {
  /** Token name from the config (safe to log). */
  readonly name: string;
  readonly roles: readonly Role[];
}

/**
 * Token → roles lookup. Tokens are stored as SHA-256 digests and compared with
 * `timingSafeEqual`, so neither the map nor a timing side channel reveals a token.
 */
export class TokenAuthenticator {
  private readonly byDigest = new Map<string, { digest: Buffer; principal: Principal }>();

  constructor(tokens: readonly TokenConfig[]) {
    for (const t of tokens) {
      const digest = sha256(t.token);
      this.byDigest.set(digest.toString('hex'), { digest, principal: Object.freeze({ name: t.name, roles: Object.freeze([...new Set(t.roles)]) }) });
    }
  }

  /** Number of configured tokens. */
  get size(): number {
    return this.byDigest.size;
  }

  /** The principal for `token`, or undefined when the token is unknown. */
  authenticate(token: string): Principal | undefined {
    const digest = sha256(token);
    const hit = this.byDigest.get(digest.toString('hex'));
    if (hit === undefined || !timingSafeEqual(hit.digest, digest)) return undefined;
    return hit.principal;
  }
}

/**
 * Whether `roles` grant `need`. `admin` grants everything; `trade` grants `read`; `feed` grants
 * only `feed` (a market-data producer cannot read orders or trade).
 */
export function hasRole(roles: readonly Role[], need: Role): boolean {
  for (const r of roles) {
    if (r === need || r === 'admin') return true;
    if (r === 'trade' && need === 'read') return true;
  }
  return false;
}

/**
 * Reads a bearer token from an `Authorization` header value. Tokens are never read from the URL:
 * a query string ends up in proxy logs, browser history and `Referer` headers.
 */
export function bearerToken(authorization: string): string | undefined {
  if (authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') return authorization.slice(7).trim() || undefined;
  return undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
