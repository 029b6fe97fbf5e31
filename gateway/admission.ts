import type { Principal } from './auth.js';
import { hasRole } from './auth.js';

/** Why an upgrade was refused a slot. */
export type AdmissionRefusal = 'GW_TOO_MANY_CONNECTIONS' | 'GW_TOO_MANY_CONNECTIONS_PER_IP';

/** The slot a new socket gets, or why it gets none. */
export type Admission = { ok: true; reserved: boolean } | { ok: false; code: AdmissionRefusal };

/**
 * Connection slots of the gateway (every `/ws` and `/feed` socket): `maxConnections` in all, of
 * which `reserved` are kept for administrators, and at most `maxPerIp` ordinary slots per client
 * address. Refusing at the upgrade (before a socket is adopted) keeps file descriptors for
 * `/health`, the journal and the venues, whatever a flood of idle sockets does.
 *
 * A reserved slot goes to an upgrade that is already admin (bearer header) when the ordinary slots
 * are full or its address is at its cap, and to an unauthenticated `/ws` upgrade only when the
 * ordinary slots are full in total (an address over its own cap cannot reach the reserve without
 * an admin header). A socket in a reserved slot must authenticate as admin before the deadline or
 * it is closed (`GW_ADMIN_SLOT`); the server enforces that.
 */
export class ConnectionSlots {
  private total = 0;
  private reservedInUse = 0;
  private readonly byIp = new Map<string, number>();

  constructor(
    private readonly maxConnections: number,
    private readonly maxPerIp: number,
    private readonly reserved: number,
  ) {}

  /** Decides a slot for a socket about to be upgraded (call {@link take} once it opened). */
  admit(ip: string, endpoint: 'ws' | 'feed', principal: Principal | null): Admission {
    const ordinaryInUse = this.total - this.reservedInUse;
    const ordinaryFull = ordinaryInUse >= this.maxConnections - this.reserved;
    const ipFull = (this.byIp.get(ip) ?? 0) >= this.maxPerIp;
    if (!ordinaryFull && !ipFull) return { ok: true, reserved: false };
    const reserveFree = this.reservedInUse < this.reserved;
    const admin = principal !== null && hasRole(principal.roles, 'admin');
    if (reserveFree && endpoint === 'ws' && (admin || (principal === null && !ipFull))) return { ok: true, reserved: true };
    return { ok: false, code: ipFull && !ordinaryFull ? 'GW_TOO_MANY_CONNECTIONS_PER_IP' : 'GW_TOO_MANY_CONNECTIONS' };
  }

  /** Counts an opened socket. */
  take(ip: string, reserved: boolean): void {
    this.total++;
    if (reserved) this.reservedInUse++;
    this.byIp.set(ip, (this.byIp.get(ip) ?? 0) + 1);
  }

  /** Releases the slot of a closed socket. */
  release(ip: string, reserved: boolean): void {
    this.total--;
    if (reserved) this.reservedInUse--;
    const n = (this.byIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.byIp.delete(ip);
    else this.byIp.set(ip, n);
  }

  /** A socket in a reserved slot that moves to an ordinary one (it authenticated, a slot is free). */
  tryUnreserve(ip: string): boolean {
    const ordinaryInUse = this.total - this.reservedInUse;
    if (ordinaryInUse >= this.maxConnections - this.reserved) return false;
    // byIp already counts this socket: it may move when its address is within its cap with it
    if ((this.byIp.get(ip) ?? 0) > this.maxPerIp) return false;
    this.reservedInUse--;
    return true;
  }

  /** Open sockets, sockets in reserved slots, distinct client addresses. */
  get counts(): { total: number; reserved: number; addresses: number } {
    return { total: this.total, reserved: this.reservedInUse, addresses: this.byIp.size };
  }
}
