/**
 * The seam between the wire layer and the network-fault model (`simulators/network/`). The wire
 * asks a {@link FaultLink} per message whether to drop it and how long to delay it, and which
 * outage (if any) is active on its venue/scope. {@link PerfectNetwork} is the no-fault model with
 * an outage table, used when no statistical model is plugged in.
 */

/** Which connection family of a venue a fault applies to. */
export type Scope = 'rest' | 'stream' | 'ws-api';
/** All scopes. */
export const SCOPES: readonly Scope[] = ['rest', 'stream', 'ws-api'];

/** Outage modes and what the wire does for each (see README). */
export type OutageMode = 'refuse' | 'blackhole' | 'http-5xx' | 'ws-drop' | 'slow' | 'clock-skew';
/** All outage modes. */
export const OUTAGE_MODES: readonly OutageMode[] = ['refuse', 'blackhole', 'http-5xx', 'ws-drop', 'slow', 'clock-skew'];

/** An active outage. `bytesPerSec` applies to `slow`, `skewMs` to `clock-skew`. */
export interface Outage {
  mode: OutageMode;
  bytesPerSec?: number;
  skewMs?: number;
  [key: string]: unknown;
}

/** Per-message verdict. */
export interface LinkDecision {
  drop: boolean;
  delayMs: number;
}

/** One connection's view of the network. */
export interface FaultLink {
  /** Verdict for the next message on this link. */
  next(): LinkDecision;
  /** The outage active on this link's venue/scope, or null. */
  outage(): Outage | null;
}

/** What the simulator needs from a network model. */
export interface FaultModel {
  link(venue: string, scope: Scope, connectionId: string): FaultLink;
  setProfile(venue: string, scope: Scope | undefined, profile: unknown): void;
  setOutage(venue: string, scope: Scope | undefined, mode: OutageMode, params?: Record<string, unknown>): void;
  clearOutage(venue: string, scope?: Scope): void;
  state(): unknown;
}

const NO_FAULT: LinkDecision = Object.freeze({ drop: false, delayMs: 0 });

/** Perfect links (no delay, no loss) and a table of outages set through the control API. */
export class PerfectNetwork implements FaultModel {
  private readonly outages = new Map<string, Outage>();
  private readonly profiles = new Map<string, unknown>();

  link(venue: string, scope: Scope): FaultLink {
    const key = `${venue}/${scope}`;
    return {
      next: () => NO_FAULT,
      outage: () => this.outages.get(key) ?? null,
    };
  }

  setProfile(venue: string, scope: Scope | undefined, profile: unknown): void {
    for (const s of scope === undefined ? SCOPES : [scope]) this.profiles.set(`${venue}/${s}`, profile);
  }

  setOutage(venue: string, scope: Scope | undefined, mode: OutageMode, params: Record<string, unknown> = {}): void {
    for (const s of scope === undefined ? SCOPES : [scope]) this.outages.set(`${venue}/${s}`, { ...params, mode });
  }

  clearOutage(venue: string, scope?: Scope): void {
    for (const s of scope === undefined ? SCOPES : [scope]) this.outages.delete(`${venue}/${s}`);
  }

  state(): unknown {
    return { model: 'perfect', profiles: Object.fromEntries(this.profiles), outages: Object.fromEntries(this.outages) };
  }
}
