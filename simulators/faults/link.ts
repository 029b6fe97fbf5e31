import { createHash } from 'node:crypto';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { SeededRandom } from '../../common/random.js';
import { Ar1 } from './ar1.js';
import { NetworkInvalidScopeError } from './errors.js';
import { GilbertElliott } from './gilbert-elliott.js';
import type { OutageState } from './outages.js';
import type { CompiledProfile } from './profiles.js';

/**
 * The three connection families of a venue (REST, market streams, WebSocket API): every
 * connection is one link in one scope, and profiles and outages are set per venue and scope. The
 * one scope type of the simulator: the wire layer, the control API and chaos scenarios use it.
 */
export type LinkScope = 'rest' | 'stream' | 'ws-api';

/** Every link scope. */
export const LINK_SCOPES: readonly LinkScope[] = Object.freeze(['rest', 'stream', 'ws-api']);

/** A scope as a caller names it when setting a fault: one scope, or `all` three. */
export type ScopeSelector = LinkScope | 'all';

/** Every scope selector (what the control API and chaos scenarios accept as `scope`). */
export const SCOPE_SELECTORS: readonly ScopeSelector[] = Object.freeze([...LINK_SCOPES, 'all']);

/**
 * Reads a caller's `scope`: one of {@link SCOPE_SELECTORS}; absent (`undefined`, `null`, `''`)
 * means `all`. Throws {@link NetworkInvalidScopeError} naming `field`, the choices and the value.
 */
export function parseScopeSelector(value: unknown, field = 'scope'): ScopeSelector {
  if (value === undefined || value === null || value === '') return 'all';
  if (typeof value === 'string' && (SCOPE_SELECTORS as readonly string[]).includes(value)) return value as ScopeSelector;
  throw new NetworkInvalidScopeError(field, `${field}: expected one of ${SCOPE_SELECTORS.map((s) => JSON.stringify(s)).join(', ')}, got ${describeValue(value)}`);
}

/**
 * The fate of one message, returned by {@link NetworkLink.next}. The same object is reused by every
 * call on a link (no allocation per message): read it before the next call, or copy it.
 */
export interface LinkFate {
  /** True when the message is lost (WS: a sequence gap; HTTP: a request never answered). */
  drop: boolean;
  /** Delay to apply before delivering the message, ms (≥ 0). */
  delayMs: number;
}

/** Mutable settings of one venue+scope, shared by reference with its links. */
export class ScopeCell {
  profile: CompiledProfile | null = null;
  outage: OutageState | null = null;
  timer: TimerHandle | null = null;
  links = 0;
}

/** @internal What a link needs from its model (the clock and the decision recorder). */
export interface LinkHost {
  readonly clock: Clock;
  readonly recordDecisions: boolean;
  recordDecision(link: NetworkLink, n: number, drop: boolean, delayMs: number): void;
}

/**
 * 32-bit seed of a link's streams: the first four bytes of SHA-256 over (seed, venue, scope,
 * connectionId). Independent of creation order by construction.
 */
export function linkSeed(seed: number, venue: string, scope: LinkScope, connectionId: string): number {
  return createHash('sha256').update(`bot4.net\0${seed}\0${venue}\0${scope}\0${connectionId}`).digest().readUInt32BE(0);
}

/**
 * One connection's view of the network: three independent seeded streams (latency, delay bursts,
 * loss) so that changing one part of a profile never shifts the others' draws.
 */
export class NetworkLink {
  private readonly fate: LinkFate = { drop: false, delayMs: 0 };
  private readonly latencyRng: SeededRandom;
  private readonly burstRng: SeededRandom;
  private readonly lossRng: SeededRandom;
  private readonly ar = new Ar1(0);
  private ge: GilbertElliott | null = null;
  private count = 0;
  /** `slow` outage: model-clock ns at which this connection's capped pipe is free again. */
  private pipeFreeNs = 0;

  /** @internal Created by `NetworkModel.link`. */
  constructor(
    private readonly model: LinkHost,
    private readonly cell: ScopeCell,
    readonly venue: string,
    readonly scope: LinkScope,
    readonly connectionId: string,
    seed32: number,
  ) {
    const root = new SeededRandom(seed32);
    this.latencyRng = root.fork('latency');
    this.burstRng = root.fork('burst');
    this.lossRng = root.fork('loss');
  }

  /**
   * Fate of the next message on this link. Returns the same object every call (overwritten by the
   * next call; copy what you keep). With no profile set the message passes (drop false, delay 0).
   * A `blackhole` outage drops everything; a `slow` outage adds queueing plus `bytes/bytesPerSec`
   * (so pass the payload size). The profile's draws are made whatever the outage, so message n's
   * network fate does not depend on outages before it.
   *
   * @param bytes payload size, used only by the `slow` outage
   */
  next(bytes = 0): LinkFate {
    const p = this.cell.profile;
    let delay = 0;
    let drop = false;
    if (p !== null) {
      const phi = p.options.ar1;
      if (phi === 0) {
        delay = p.body.sample(this.latencyRng);
      } else {
        if (this.ar.phi !== phi) this.ar.setPhi(phi);
        delay = p.body.fromLatent(this.ar.next(this.latencyRng));
      }
      if (this.burstRng.next() < p.burstProbability) delay += p.burstDelayMs;
      const ge = p.gilbertElliott;
      if (ge === null) {
        drop = this.lossRng.next() < p.lossRate;
      } else {
        if (this.ge === null) this.ge = new GilbertElliott(ge);
        else this.ge.setParams(ge);
        drop = this.ge.step(this.lossRng);
      }
    }
    const o = this.cell.outage;
    if (o !== null) {
      if (o.mode === 'blackhole') {
        drop = true;
      } else if (o.mode === 'slow' && bytes > 0) {
        const now = this.model.clock.nowNs();
        const start = this.pipeFreeNs > now ? this.pipeFreeNs : now;
        this.pipeFreeNs = start + (bytes / o.bytesPerSec!) * 1e9;
        delay += (this.pipeFreeNs - now) / 1e6;
      }
    }
    const n = this.count++;
    this.fate.drop = drop;
    this.fate.delayMs = delay;
    if (this.model.recordDecisions) this.model.recordDecision(this, n, drop, delay);
    return this.fate;
  }

  /** The active outage of this link's venue+scope, or null (the same frozen object until it changes). */
  outage(): OutageState | null {
    return this.cell.outage;
  }

  /** The profile in force for this link, or null. */
  profile(): CompiledProfile | null {
    return this.cell.profile;
  }

  /** Messages decided on this link so far. */
  get messages(): number {
    return this.count;
  }
}

/** The contract name used by the wire layer: one connection's link. */
export type Link = NetworkLink;
