import { createHash } from 'node:crypto';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { SeededRandom } from '../../common/random.js';
import { parseOptions, z } from '../../common/validate.js';
import { Ar1 } from './ar1.js';
import { NetworkInvalidNameError, NetworkInvalidScopeError } from './errors.js';
import { EventLog } from './event-log.js';
import { GilbertElliott } from './gilbert-elliott.js';
import { buildOutage, type OutageMode, type OutageParams, type OutageState, type ValidOutageParams } from './outages.js';
import {
  compileProfile,
  resolveProfile,
  type CompiledProfile,
  type ProfileInput,
  type ProfileName,
  type ProfileOptions,
  type ProfileOptionsInput,
  type ProfileSpec,
  type ProfileTheory,
} from './profiles.js';

/** The three kinds of link a venue serves; profiles and outages are set per venue and scope. */
export type LinkScope = 'rest' | 'stream' | 'ws-api';

/** Every link scope. */
export const LINK_SCOPES: readonly LinkScope[] = Object.freeze(['rest', 'stream', 'ws-api']);

/** Options of {@link NetworkModel}. */
export interface NetworkModelOptions {
  /** Seed of every link stream (an integer; the same seed and calls reproduce every decision). */
  seed: number;
  /** The only time source: outage ends, `slow` queues and event times. */
  clock: Clock;
  /** Control events kept by {@link NetworkModel.events} (default 10 000; older ones still count in the hash). */
  eventLogSize?: number;
  /** Per-message decisions kept (default 0: not recorded; they allocate, so enable for tests and debugging). */
  decisionLogSize?: number;
}

const optionsSchema = z.strictObject({
  seed: z.number().int().min(-(2 ** 53) + 1).max(2 ** 53 - 1),
  clock: z.custom<Clock>((v) => v !== null && typeof v === 'object' && typeof (v as Clock).nowNs === 'function' && typeof (v as Clock).setTimer === 'function', {
    message: 'a Clock',
  }),
  eventLogSize: z.number().int().min(0).max(10_000_000).default(10_000),
  decisionLogSize: z.number().int().min(0).max(10_000_000).default(0),
});

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

/** Events of the model's log; `seq` orders them, `atNs` is the model clock's `nowNs()`. */
export type NetworkEvent =
  | { readonly seq: number; readonly atNs: number; readonly type: 'model.init'; readonly seed: number }
  | { readonly seq: number; readonly atNs: number; readonly type: 'model.reset' }
  | {
      readonly seq: number;
      readonly atNs: number;
      readonly type: 'profile.set';
      readonly venue: string;
      readonly scope: LinkScope | 'all';
      readonly profile: ProfileSpec;
      readonly options: ProfileOptions;
    }
  | { readonly seq: number; readonly atNs: number; readonly type: 'profile.clear'; readonly venue: string; readonly scope: LinkScope | 'all' }
  | {
      readonly seq: number;
      readonly atNs: number;
      readonly type: 'outage.set';
      readonly venue: string;
      readonly scope: LinkScope | 'all';
      readonly mode: OutageMode;
      readonly params: ValidOutageParams;
    }
  | {
      readonly seq: number;
      readonly atNs: number;
      readonly type: 'outage.clear' | 'outage.expire';
      readonly venue: string;
      readonly scope: LinkScope;
      readonly mode: OutageMode;
    }
  | { readonly seq: number; readonly atNs: number; readonly type: 'link.open'; readonly venue: string; readonly scope: LinkScope; readonly connectionId: string }
  | {
      readonly seq: number;
      readonly atNs: number;
      readonly type: 'message';
      readonly venue: string;
      readonly scope: LinkScope;
      readonly connectionId: string;
      /** Index of the message on its link, from 0. */
      readonly n: number;
      readonly drop: boolean;
      readonly delayMs: number;
    };

/** One venue+scope's settings in {@link NetworkModel.state}. */
export interface ScopeState {
  readonly profile: ProfileSpec | null;
  readonly options: ProfileOptions | null;
  /** Exact mean/σ/loss of the profile (what a long run converges to). */
  readonly theory: ProfileTheory | null;
  readonly outage: OutageState | null;
  /** Links opened on this venue+scope so far. */
  readonly links: number;
}

/** JSON view of the model for the control API. */
export interface NetworkState {
  readonly seed: number;
  readonly venues: Record<string, Record<LinkScope, ScopeState>>;
  readonly log: { readonly appended: number; readonly droppedControl: number; readonly droppedDecisions: number };
  readonly hash: string;
}

/** Mutable settings of one venue+scope, shared by reference with its links. */
class ScopeCell {
  profile: CompiledProfile | null = null;
  outage: OutageState | null = null;
  timer: TimerHandle | null = null;
  links = 0;
}

type Venue = Record<LinkScope, ScopeCell>;

const NAME = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Seeded, clock-driven network-fault model of every simulated venue. The wire layer opens one
 * {@link NetworkLink} per connection and asks it the fate of each message; the control API sets
 * profiles and outages per venue and scope.
 *
 * Determinism: a link's random streams depend only on (seed, venue, scope, connectionId) — never on
 * the order links were created or how their messages interleave — and the event log hash is the
 * same for the same seed and calls.
 *
 * ```ts
 * const net = new NetworkModel({ seed: 42, clock });
 * net.setProfile('sim-a', 'all', 'average', { distribution: 'lognormal', ar1: 0.6, lossModel: 'gilbert-elliott' });
 * const link = net.link('sim-a', 'stream', 'conn-7');
 * const fate = link.next(payload.length); // { drop, delayMs }, reused by the next call
 * ```
 */
export class NetworkModel {
  /** The seed given to the constructor. */
  readonly seed: number;
  /** @internal */
  readonly clock: Clock;
  private readonly venues = new Map<string, Venue>();
  private readonly log: EventLog<NetworkEvent>;
  /** @internal Whether links record each decision (decisionLogSize > 0). */
  readonly recordDecisions: boolean;
  private readonly listeners = new Set<(event: NetworkEvent) => void>();

  constructor(options: NetworkModelOptions) {
    const o = parseOptions(optionsSchema, options, 'network');
    this.seed = o.seed;
    this.clock = o.clock;
    this.log = new EventLog(o.eventLogSize, o.decisionLogSize);
    this.recordDecisions = o.decisionLogSize > 0;
    this.emit({ type: 'model.init', seed: this.seed });
  }

  /**
   * Sets the profile of a venue's links in one scope or all three. Takes effect on the next message
   * of every open and future link there (AR(1) and Gilbert-Elliott states carry over).
   *
   * @param profile a built-in name or a custom profile (`{ baseMs, jitterMs, lossRate, ... }` or
   *   `{ from: 'good', lossRate: 0.02 }`)
   * @param options latency family (`normal` default), AR(1) φ (0 default), loss model (`bernoulli` default)
   * @throws NetworkUnknownProfileError, NetworkInvalidProfileError, NetworkInvalidScopeError, NetworkInvalidNameError
   */
  setProfile(venue: string, scope: LinkScope | 'all', profile: ProfileName | ProfileInput, options?: ProfileOptionsInput): void {
    const cells = this.cells(venue, scope, 'setProfile');
    const compiled = compileProfile(resolveProfile(profile), options);
    for (const c of cells) c.profile = compiled;
    this.emit({ type: 'profile.set', venue, scope, profile: compiled.spec, options: compiled.options });
  }

  /** Removes the profile: messages pass with no delay and no loss. `scope` defaults to `'all'`. */
  clearProfile(venue: string, scope: LinkScope | 'all' = 'all'): void {
    const cells = this.cells(venue, scope, 'clearProfile');
    for (const c of cells) c.profile = null;
    this.emit({ type: 'profile.clear', venue, scope });
  }

  /**
   * Starts an outage on a venue in one scope or all three, replacing any active outage there.
   * With `untilMs`/`durationMs` it ends by itself on the model clock (logged as `outage.expire`).
   *
   * @throws NetworkInvalidOutageError naming the field, expectation and value
   */
  setOutage(venue: string, scope: LinkScope | 'all', mode: OutageMode, params?: OutageParams): void {
    const cells = this.cells(venue, scope, 'setOutage');
    const { state, params: p } = buildOutage(mode, params, this.clock.epochMs());
    for (const c of cells) {
      this.cancelTimer(c);
      c.outage = state;
    }
    this.emit({ type: 'outage.set', venue, scope, mode: state.mode, params: p });
    if (state.untilMs !== null) {
      const delay = Math.max(0, state.untilMs - this.clock.epochMs());
      const scopes = scope === 'all' ? LINK_SCOPES : [scope];
      for (const s of scopes) {
        const cell = this.venueOf(venue)[s];
        cell.timer = this.clock.setTimer(delay, () => {
          cell.timer = null;
          if (cell.outage !== state) return;
          cell.outage = null;
          this.emit({ type: 'outage.expire', venue, scope: s, mode: state.mode });
        });
      }
    }
  }

  /** Ends the active outage of a venue in one scope or all (default). No-op where none is active. */
  clearOutage(venue: string, scope: LinkScope | 'all' = 'all'): void {
    this.cells(venue, scope, 'clearOutage');
    const v = this.venueOf(venue);
    for (const s of scope === 'all' ? LINK_SCOPES : [scope]) {
      const cell = v[s];
      const o = cell.outage;
      if (o === null) continue;
      this.cancelTimer(cell);
      cell.outage = null;
      this.emit({ type: 'outage.clear', venue, scope: s, mode: o.mode });
    }
  }

  /** The active outage of a venue+scope, or null. */
  outage(venue: string, scope: LinkScope): OutageState | null {
    checkName(venue, 'outage.venue');
    checkScope(scope, false, 'outage.scope');
    return this.venues.get(venue)?.[scope].outage ?? null;
  }

  /** The compiled profile of a venue+scope (spec, options, theory), or null when none is set. */
  profile(venue: string, scope: LinkScope): CompiledProfile | null {
    checkName(venue, 'profile.venue');
    checkScope(scope, false, 'profile.scope');
    return this.venues.get(venue)?.[scope].profile ?? null;
  }

  /**
   * Opens the link of one connection. Its streams are seeded from (seed, venue, scope,
   * connectionId) only, so give every connection a unique id (e.g. a per-venue counter: the same
   * id twice yields the same fates twice).
   *
   * @throws NetworkInvalidNameError, NetworkInvalidScopeError
   */
  link(venue: string, scope: LinkScope, connectionId: string): NetworkLink {
    checkName(venue, 'link.venue');
    checkScope(scope, false, 'link.scope');
    if (typeof connectionId !== 'string' || connectionId.length === 0 || connectionId.length > 256 || connectionId.includes('\0')) {
      throw new NetworkInvalidNameError(
        'network.link.connectionId',
        `network.link.connectionId: expected a non-empty string of at most 256 characters without NUL, got ${describeValue(connectionId)}`,
      );
    }
    const cell = this.venueOf(venue)[scope];
    cell.links++;
    this.emit({ type: 'link.open', venue, scope, connectionId });
    return new NetworkLink(this, cell, venue, scope, connectionId, linkSeed(this.seed, venue, scope, connectionId));
  }

  /** Clears every profile and outage (links stay open and pass messages untouched until set again). */
  reset(): void {
    for (const v of this.venues.values()) {
      for (const s of LINK_SCOPES) {
        this.cancelTimer(v[s]);
        v[s].profile = null;
        v[s].outage = null;
      }
    }
    this.emit({ type: 'model.reset' });
  }

  /** JSON view for the control API: seed, per venue and scope the profile, options, theory, outage and link count. */
  state(): NetworkState {
    const venues: Record<string, Record<LinkScope, ScopeState>> = {};
    for (const [name, v] of [...this.venues.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const entry = {} as Record<LinkScope, ScopeState>;
      for (const s of LINK_SCOPES) {
        const c = v[s];
        entry[s] = {
          profile: c.profile?.spec ?? null,
          options: c.profile?.options ?? null,
          theory: c.profile?.theory ?? null,
          outage: c.outage,
          links: c.links,
        };
      }
      venues[name] = entry;
    }
    return { seed: this.seed, venues, log: this.log.counts(), hash: this.log.hash() };
  }

  /** The retained event log, oldest first (control events, plus decisions when enabled). */
  events(): NetworkEvent[] {
    return this.log.events();
  }

  /** Hex SHA-256 of every event so far (without times): same seed + same calls → same hash. */
  hash(): string {
    return this.log.hash();
  }

  /**
   * Calls `listener` with every control event (not per-message decisions) as it is logged, e.g. so
   * the wire layer can close sockets the moment a `ws-drop` outage starts. Returns an unsubscribe.
   */
  subscribe(listener: (event: NetworkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Cancels pending outage-end timers (outages stay as they are). */
  close(): void {
    for (const v of this.venues.values()) for (const s of LINK_SCOPES) this.cancelTimer(v[s]);
  }

  /** @internal Called by links when decision recording is on. */
  recordDecision(link: NetworkLink, n: number, drop: boolean, delayMs: number): void {
    const seq = this.log.nextSeq();
    this.log.append(
      { seq, atNs: this.clock.nowNs(), type: 'message', venue: link.venue, scope: link.scope, connectionId: link.connectionId, n, drop, delayMs },
      true,
    );
  }

  private emit(event: DistributiveOmit<NetworkEvent, 'seq' | 'atNs'>): void {
    const full = { seq: this.log.nextSeq(), atNs: this.clock.nowNs(), ...event } as NetworkEvent;
    this.log.append(full, false);
    for (const l of this.listeners) l(full);
  }

  private cells(venue: string, scope: LinkScope | 'all', where: string): ScopeCell[] {
    checkName(venue, `${where}.venue`);
    checkScope(scope, true, `${where}.scope`);
    const v = this.venueOf(venue);
    return scope === 'all' ? [v.rest, v.stream, v['ws-api']] : [v[scope]];
  }

  private venueOf(venue: string): Venue {
    let v = this.venues.get(venue);
    if (v === undefined) {
      v = { rest: new ScopeCell(), stream: new ScopeCell(), 'ws-api': new ScopeCell() };
      this.venues.set(venue, v);
    }
    return v;
  }

  private cancelTimer(cell: ScopeCell): void {
    if (cell.timer !== null) {
      this.clock.clearTimer(cell.timer);
      cell.timer = null;
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function checkName(venue: unknown, where: string): void {
  if (typeof venue !== 'string' || !NAME.test(venue)) {
    throw new NetworkInvalidNameError(`network.${where}`, `network.${where}: expected 1-64 characters from [A-Za-z0-9._:-], got ${describeValue(venue)}`);
  }
}

function checkScope(scope: unknown, allowAll: boolean, where: string): void {
  if ((typeof scope === 'string' && (LINK_SCOPES as readonly string[]).includes(scope)) || (allowAll && scope === 'all')) return;
  const allowed = [...LINK_SCOPES, ...(allowAll ? ['all'] : [])].map((s) => JSON.stringify(s)).join(', ');
  throw new NetworkInvalidScopeError(`network.${where}`, `network.${where}: expected one of ${allowed}, got ${describeValue(scope)}`);
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

  /** @internal Created by {@link NetworkModel.link}. */
  constructor(
    private readonly model: NetworkModel,
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
