import type { Clock } from '../../common/clock.js';
import { LINK_SCOPES, type LinkScope, type ScopeSelector } from '../faults/link.js';
import type { OutageMode } from '../faults/outages.js';

/**
 * The seam between the wire layer and a fault model: only what the wire needs, owned by the wire
 * (its consumer). `simulators/faults/`'s `NetworkModel` implements it, and the fault vocabulary it
 * uses (`LinkScope`, `OutageMode` and their lists) is defined there, once. The wire asks a
 * {@link FaultLink} per message whether to drop it and how long to delay it, and which outage (if
 * any) is active on its venue/scope. {@link PerfectNetwork} is the no-fault model with an outage
 * table (tests of the wire alone).
 */

/** An active outage. `bytesPerSec` applies to `slow`, `skewMs` to `clock-skew`. */
export interface Outage {
  readonly mode: OutageMode;
  readonly bytesPerSec?: number;
  readonly skewMs?: number;
  readonly [key: string]: unknown;
}

/** Per-message verdict (may be a reused object: read it at once). */
export interface LinkDecision {
  drop: boolean;
  delayMs: number;
}

/** One connection's view of the network. */
export interface FaultLink {
  /** Verdict for the next message of `bytes` bytes on this link (`slow` outages use the size). */
  next(bytes?: number): LinkDecision;
  /** The outage active on this link's venue/scope, or null. */
  outage(): Outage | null;
}

/** A control event of the model; the simulator reacts to outage starts and ends. */
export interface FaultEvent {
  readonly type: string;
  readonly venue?: string;
}

/** What the simulator needs from a network model. */
export interface FaultModel {
  link(venue: string, scope: LinkScope, connectionId: string): FaultLink;
  setProfile(venue: string, scope: ScopeSelector | undefined, profile: never): void;
  setOutage(venue: string, scope: ScopeSelector | undefined, mode: OutageMode, params?: Record<string, unknown>): void;
  clearOutage(venue: string, scope?: ScopeSelector): void;
  /** The outage active on `venue`/`scope`, or null. */
  outage(venue: string, scope: LinkScope): Outage | null;
  state(): unknown;
  /** The retained event log, oldest first (control events; per-message decisions when recorded). */
  events?(): readonly FaultEvent[];
  /** Control events (outage set/clear/expire) as they happen. */
  subscribe?(listener: (event: FaultEvent) => void): () => void;
  /** Releases timers. */
  close?(): void;
}

const NO_FAULT: LinkDecision = { drop: false, delayMs: 0 };

/**
 * Perfect links (no delay, no loss) with an outage table: blackhole drops everything, slow delays
 * by size over `bytesPerSec` (one pipe per link). Outages never expire by themselves.
 */
export class PerfectNetwork implements FaultModel {
  private readonly outages = new Map<string, Outage>();
  private readonly profiles = new Map<string, unknown>();
  private readonly listeners = new Set<(e: FaultEvent) => void>();

  constructor(private readonly clock?: Clock) {}

  link(venue: string, scope: LinkScope): FaultLink {
    const key = `${venue}/${scope}`;
    const fate: LinkDecision = { drop: false, delayMs: 0 };
    let pipeFreeMs = 0;
    return {
      next: (bytes = 0) => {
        const o = this.outages.get(key);
        if (o === undefined) return NO_FAULT;
        fate.drop = o.mode === 'blackhole';
        fate.delayMs = 0;
        if (o.mode === 'slow' && bytes > 0 && typeof o.bytesPerSec === 'number' && this.clock !== undefined) {
          const now = this.clock.nowNs() / 1e6;
          pipeFreeMs = Math.max(pipeFreeMs, now) + (bytes / o.bytesPerSec) * 1000;
          fate.delayMs = pipeFreeMs - now;
        }
        return fate;
      },
      outage: () => this.outages.get(key) ?? null,
    };
  }

  setProfile(venue: string, scope: ScopeSelector | undefined, profile: never): void {
    for (const s of scope === undefined || scope === 'all' ? LINK_SCOPES : [scope]) this.profiles.set(`${venue}/${s}`, profile);
  }

  setOutage(venue: string, scope: ScopeSelector | undefined, mode: OutageMode, params: Record<string, unknown> = {}): void {
    for (const s of scope === undefined || scope === 'all' ? LINK_SCOPES : [scope]) this.outages.set(`${venue}/${s}`, { ...params, mode });
    for (const l of this.listeners) l({ type: 'outage.set', venue });
  }

  clearOutage(venue: string, scope?: ScopeSelector): void {
    for (const s of scope === undefined || scope === 'all' ? LINK_SCOPES : [scope]) this.outages.delete(`${venue}/${s}`);
    for (const l of this.listeners) l({ type: 'outage.clear', venue });
  }

  outage(venue: string, scope: LinkScope): Outage | null {
    return this.outages.get(`${venue}/${scope}`) ?? null;
  }

  state(): unknown {
    return { model: 'perfect', profiles: Object.fromEntries(this.profiles), outages: Object.fromEntries(this.outages) };
  }

  subscribe(listener: (event: FaultEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
