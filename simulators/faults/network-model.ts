import type { Clock } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { ConfigError } from '../../common/errors.js';
import { parseOptions, z } from '../../common/validate.js';
import { NetworkInvalidNameError, NetworkInvalidScopeError } from './errors.js';
import { EventLog } from './event-log.js';
import { LINK_SCOPES, linkSeed, NetworkLink, ScopeCell, type LinkHost, type LinkScope, type ScopeSelector } from './link.js';
import { buildOutage, type OutageMode, type OutageParams, type OutageState, type ValidOutageParams } from './outages.js';
import {
  checkProfileChoice,
  compileProfile,
  NO_PROFILE,
  resolveProfile,
  type CompiledProfile,
  type ProfileChoice,
  type ProfileInput,
  type ProfileOptions,
  type ProfileOptionsInput,
  type ProfileSpec,
  type ProfileTheory,
} from './profiles.js';


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
  // Checked apart (see the constructor): parseOptions deep-freezes its result, which would freeze the clock.
  clock: z.unknown(),
  eventLogSize: z.number().int().min(0).max(10_000_000).default(10_000),
  decisionLogSize: z.number().int().min(0).max(10_000_000).default(0),
});

/** Events of the model's log; `seq` orders them, `atNs` is the model clock's `nowNs()`. */
export type NetworkEvent =
  | { readonly seq: number; readonly atNs: number; readonly type: 'model.init'; readonly seed: number }
  | { readonly seq: number; readonly atNs: number; readonly type: 'model.reset' }
  | {
      readonly seq: number;
      readonly atNs: number;
      readonly type: 'profile.set';
      readonly venue: string;
      readonly scope: ScopeSelector;
      readonly profile: ProfileSpec;
      readonly options: ProfileOptions;
    }
  | { readonly seq: number; readonly atNs: number; readonly type: 'profile.clear'; readonly venue: string; readonly scope: ScopeSelector }
  | {
      readonly seq: number;
      readonly atNs: number;
      readonly type: 'outage.set';
      readonly venue: string;
      readonly scope: ScopeSelector;
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
export class NetworkModel implements LinkHost {
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
    const clock = (options as { clock?: unknown } | undefined)?.clock;
    const o = parseOptions(optionsSchema, { ...options, clock: undefined }, 'network');
    if (clock === null || typeof clock !== 'object' || typeof (clock as Clock).nowNs !== 'function' || typeof (clock as Clock).setTimer !== 'function') {
      throw new ConfigError('network.clock', `network.clock: expected a Clock, got ${describeValue(clock)}`);
    }
    this.seed = o.seed;
    this.clock = clock as Clock;
    this.log = new EventLog(o.eventLogSize, o.decisionLogSize);
    this.recordDecisions = o.decisionLogSize > 0;
    this.emit({ type: 'model.init', seed: this.seed });
  }

  /**
   * Sets the profile of a venue's links in one scope or all three (`'all'` or undefined). Takes effect on the next message
   * of every open and future link there (AR(1) and Gilbert-Elliott states carry over).
   *
   * @param profile a name from `PROFILE_CHOICES` (`none` = {@link clearProfile}) or a custom profile
   *   (`{ baseMs, jitterMs, lossRate, ... }` or `{ from: 'good', lossRate: 0.02 }`)
   * @param options latency family (`normal` default), AR(1) φ (0 default), loss model (`bernoulli` default)
   * @throws NetworkUnknownProfileError, NetworkInvalidProfileError, NetworkInvalidScopeError, NetworkInvalidNameError
   */
  setProfile(venue: string, scope: ScopeSelector | undefined, profile: ProfileChoice | ProfileInput, options?: ProfileOptionsInput): void {
    scope ??= 'all';
    const cells = this.cells(venue, scope, 'setProfile');
    if (checkProfileChoice(profile, 'network.profile') === NO_PROFILE) {
      this.clearProfile(venue, scope);
      return;
    }
    const compiled = compileProfile(resolveProfile(profile as ProfileInput), options);
    for (const c of cells) c.profile = compiled;
    this.emit({ type: 'profile.set', venue, scope, profile: compiled.spec, options: compiled.options });
  }

  /** Removes the profile: messages pass with no delay and no loss. `scope` undefined means `'all'`. */
  clearProfile(venue: string, scope: ScopeSelector | undefined = 'all'): void {
    scope ??= 'all';
    const cells = this.cells(venue, scope, 'clearProfile');
    for (const c of cells) c.profile = null;
    this.emit({ type: 'profile.clear', venue, scope });
  }

  /**
   * Starts an outage on a venue in one scope or all three (`'all'` or undefined), replacing any active outage there.
   * With `untilMs`/`durationMs` it ends by itself on the model clock (logged as `outage.expire`).
   *
   * @throws NetworkInvalidOutageError naming the field, expectation and value
   */
  setOutage(venue: string, scope: ScopeSelector | undefined, mode: OutageMode, params?: OutageParams): void {
    scope ??= 'all';
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
  clearOutage(venue: string, scope: ScopeSelector | undefined = 'all'): void {
    scope ??= 'all';
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

  private cells(venue: string, scope: ScopeSelector, where: string): ScopeCell[] {
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
