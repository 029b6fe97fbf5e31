// Over ~400 lines on purpose: the breaker is one hot-path state machine (closed path ~30 ns) whose
// fast path, shared-block CAS transitions and window bookkeeping must be read together; its options
// and defaults are already their own file (circuit-breaker-options.ts).
import os from 'node:os';
import { LiveClock, type Clock } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { ConfigError, InvalidArgumentError } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import { SeededRandom, hashString } from '../../common/random.js';
import { AtomicCounters } from '../../native/atomic-counters.js';
import { parseBreakerOptions, type CircuitBreakerOptions, type ResolvedBreakerOptions } from './circuit-breaker-options.js';

/** A breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why a transition happened. `observed`: another instance sharing the block made it. */
export type BreakerTransitionReason =
  | 'failure-rate'
  | 'slow-call-rate'
  | 'consecutive-failures'
  | 'open-timeout'
  | 'half-open-success'
  | 'half-open-failure'
  | 'half-open-timeout'
  | 'observed';

/** Payload of the `transition` event. */
export interface BreakerTransition {
  /** The breaker's `name` option. */
  readonly name: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: BreakerTransitionReason;
  /** `clock.nowNs()` when this instance made or observed the transition. */
  readonly at: number;
}

/**
 * Result codes of {@link CircuitBreaker.tryAcquire}: plain numbers so the closed path allocates
 * nothing. Positive means the call may go ahead (`r > 0`), zero or negative means it must not.
 */
export const PERMIT = 1;
/** Permitted as one of the half-open trial calls. */
export const TRIAL_PERMIT = 2;
/** Rejected: the breaker is open. */
export const REJECT_OPEN = 0;
/** Rejected: the breaker is half-open and every trial permit is taken. */
export const REJECT_HALF_OPEN = -1;
/** One of {@link PERMIT}, {@link TRIAL_PERMIT}, {@link REJECT_OPEN}, {@link REJECT_HALF_OPEN}. */
export type AcquireResult = typeof PERMIT | typeof TRIAL_PERMIT | typeof REJECT_OPEN | typeof REJECT_HALF_OPEN;

/** Window figures of the closed state, as shared by every instance on the block. */
export interface BreakerMetrics {
  state: BreakerState;
  calls: number;
  failures: number;
  slowCalls: number;
  consecutiveFailures: number;
  /** Opens since the breaker last closed (drives the backoff). */
  trips: number;
}

/*
 * Shared layout, in slots of the AtomicCounters block from `slotBase`. Hot values are small
 * non-negative int32s and are accessed with JS `Atomics` on the low 32-bit half of their int64 slot
 * (an Int32Array view of the same memory): one N-API call costs ~20 ns and BigInt64 `Atomics`
 * allocate, and the closed path must stay near 20 ns with zero allocation. Because the high half
 * stays 0, `AtomicCounters.load` of those slots reads the same values. The two values that need
 * more than 31 bits (open-until, half-open results) use the block's own 64-bit operations; they are
 * touched only on the open/half-open paths.
 *
 * STATE word (int32): bits 0-1 state, bits 2-11 trial permits taken, bits 12-30 generation (bumped
 * by every transition, wrapping). One compareExchange on it both checks that the breaker is still in
 * the same half-open phase and takes a permit, so no more than `halfOpenPermits` are ever granted.
 * UNTIL (int64): untilMs * 4096 + (generation & 4095); published BEFORE the transition that makes the
 * generation current, so whoever sees a generation also sees its deadline.
 * HALF (int64): generation * 2^20 + failures * 2^10 + successes of the current half-open phase;
 * results tagged with an older generation count as zero, so no reset is needed.
 */
const S_STATE = 0;
const S_UNTIL = 1;
const S_TRIPS = 2;
const S_HALF = 3;
const S_CONSEC = 4;
const S_CALLS = 5;
const S_FAILS = 6;
const S_SLOW = 7;
const S_CURSOR = 8; // count: ring write position; time: latest second rolled in
const S_CONFIG = 9; // fingerprint of the options, so sharers with other options fail fast
const S_REGION = 10; // count: ring of outcomes, one byte each (64 per slot); time: one slot per second bucket

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const STATE_NAMES: readonly BreakerState[] = ['closed', 'open', 'half-open'];
const PERMIT_ONE = 4;
const PERMIT_MASK = 0x3ff << 2;
const GEN_MASK = 0x7ffff;
const TAG = 4096;
const NEVER_MS = 2 ** 40;
// Shared times are milliseconds since 2020-01-01 UTC: small enough to tag (× 4096) within 2^53.
const EPOCH_BASE_MS = Date.UTC(2020, 0, 1);

// Ring outcome codes: bit 0 recorded, bit 1 failure, bit 2 slow.
const OUT_OK = 1;
const OUT_FAIL = 3;
const OUT_SLOW_OK = 5;
const OUT_SLOW_FAIL = 7;

const LOW = os.endianness() === 'LE' ? 0 : 1;

/**
 * A circuit breaker whose whole decision state lives in an {@link AtomicCounters} block, so that
 * instances in several worker threads or processes sharing the block behave as one breaker.
 *
 * Closed: every call is permitted and its outcome recorded in a sliding window (the last
 * `windowSize` calls, or the calls of the last `windowSize` seconds) with O(1) subtract-on-evict
 * updates. It trips to open when failures exceed `failureRateThreshold` % (or slow calls exceed
 * `slowCallRateThreshold` %) of at least `minimumCalls` calls, or after `consecutiveFailures`
 * failures in a row. Open: every call is rejected until the open duration passes (checked lazily
 * on `tryAcquire`; no timers). Half-open: exactly `halfOpenPermits` trial calls are admitted, under
 * any concurrency; `halfOpenSuccesses` successes close it, a failure that makes that impossible
 * re-opens it with the duration multiplied by `backoffMultiplier` (capped, jittered).
 *
 * Hot path: `tryAcquire()` in the closed state is one atomic load; `onSuccess` is one atomic add
 * and two loads in the usual case. Neither allocates.
 */
export class CircuitBreaker {
  /** Validated, frozen options. */
  readonly options: ResolvedBreakerOptions;
  /** The block holding the shared state. */
  readonly counters: AtomicCounters;

  private readonly clock: Clock;
  private readonly i32: Int32Array;
  // Ring of outcomes (count window): one byte per call keeps a 100k-call window at 100 KB, in cache.
  private readonly ring: Int8Array;
  private readonly iRing: number;
  private readonly iState: number;
  private readonly iTrips: number;
  private readonly iConsec: number;
  private readonly iCalls: number;
  private readonly iFails: number;
  private readonly iSlow: number;
  private readonly iCursor: number;
  private readonly iRegion: number;
  private readonly sUntil: number;
  private readonly sHalf: number;
  private readonly countWindow: boolean;
  private readonly size: number;
  private readonly minCalls: number;
  private readonly failPct: number;
  private readonly slowPct: number;
  private readonly consecLimit: number;
  private readonly slowNs: number;
  private readonly permits: number;
  private readonly successesToClose: number;
  private readonly offsetNs: number;
  private readonly random: SeededRandom;
  private readonly listeners: ((e: BreakerTransition) => void)[] = [];
  // Last state word (permit bits cleared) this instance saw: a change means someone else moved it.
  private seen = 0;
  private untilGen = -1;
  private untilMs = 0;

  /** Slots a breaker with these options occupies in a counters block (from its `slotBase`). */
  static slotsNeeded(options?: CircuitBreakerOptions): number {
    const { options: o } = parseBreakerOptions(options);
    return S_REGION + (o.windowType === 'count' ? Math.ceil(o.windowSize / 64) : o.windowSize);
  }

  /**
   * @param options see {@link CircuitBreakerOptions}; validated (ConfigError naming the field)
   * @param clock time source (default {@link LiveClock}); shared deadlines are derived from its
   *   `epochMs()` so instances in other threads and processes agree on them
   * @throws ConfigError on a bad option, a block too small for the layout, or a block already used
   *   by a breaker with other options at the same `slotBase`
   */
  constructor(options?: CircuitBreakerOptions, clock: Clock = new LiveClock()) {
    const { options: o, counters } = parseBreakerOptions(options);
    this.options = o;
    this.clock = clock;
    const needed = S_REGION + (o.windowType === 'count' ? Math.ceil(o.windowSize / 64) : o.windowSize);
    this.counters = counters ?? AtomicCounters.create(o.slotBase + needed);
    if (this.counters.isClosed || this.counters.slots < o.slotBase + needed) {
      throw new ConfigError(
        'breaker.counters',
        `breaker.counters: expected an open AtomicCounters block with at least ${o.slotBase + needed} slots (slotBase ${o.slotBase} + ${needed}), got ${
          this.counters.isClosed ? 'a closed block' : `${this.counters.slots} slots`
        }`,
      );
    }
    this.i32 = new Int32Array(this.counters.buffer, this.counters.byteOffset, this.counters.slots * 16);
    this.ring = new Int8Array(this.counters.buffer, this.counters.byteOffset, this.counters.slots * 64);
    const slot32 = (s: number): number => (o.slotBase + s) * 16 + LOW;
    this.iState = slot32(S_STATE);
    this.iTrips = slot32(S_TRIPS);
    this.iConsec = slot32(S_CONSEC);
    this.iCalls = slot32(S_CALLS);
    this.iFails = slot32(S_FAILS);
    this.iSlow = slot32(S_SLOW);
    this.iCursor = slot32(S_CURSOR);
    this.iRegion = (o.slotBase + S_REGION) * 16;
    this.iRing = (o.slotBase + S_REGION) * 64;
    this.sUntil = o.slotBase + S_UNTIL;
    this.sHalf = o.slotBase + S_HALF;
    this.countWindow = o.windowType === 'count';
    this.size = o.windowSize;
    this.minCalls = o.minimumCalls;
    this.failPct = o.failureRateThreshold;
    this.slowPct = o.slowCallRateThreshold;
    this.consecLimit = o.consecutiveFailures;
    this.slowNs = o.slowCallDurationMs * 1e6;
    this.permits = o.halfOpenPermits;
    this.successesToClose = o.halfOpenSuccesses;
    this.random = new SeededRandom(o.jitterSeed);
    this.offsetNs = (clock.epochMs() - EPOCH_BASE_MS) * 1e6 - clock.nowNs();
    this.claimLayout(o);
    this.seen = Atomics.load(this.i32, this.iState) & ~PERMIT_MASK;
  }

  /** Current state as stored in the shared block (open turns half-open on the next `tryAcquire`). */
  get state(): BreakerState {
    const w = Atomics.load(this.i32, this.iState);
    if ((w & ~PERMIT_MASK) !== this.seen) this.observe(w);
    return STATE_NAMES[w & 3]!;
  }

  /**
   * Asks to make one call. Returns {@link PERMIT} (closed) or {@link TRIAL_PERMIT} (half-open
   * trial), both `> 0`, or {@link REJECT_OPEN} / {@link REJECT_HALF_OPEN} (`<= 0`). Every permitted
   * call must be followed by exactly one `onSuccess` or `onFailure`.
   */
  tryAcquire(): AcquireResult {
    const w = Atomics.load(this.i32, this.iState);
    if ((w & 3) === CLOSED && w === this.seen) return PERMIT;
    return this.acquireSlow(w);
  }

  /** Records a successful call that took `durationNs` (slow if above `slowCallDurationMs`). */
  onSuccess(durationNs: number): void {
    if (typeof durationNs !== 'number' || !(durationNs >= 0)) throw badDuration('onSuccess', durationNs);
    const slow = durationNs > this.slowNs;
    const w = Atomics.load(this.i32, this.iState);
    if ((w & 3) !== CLOSED) {
      if ((w & 3) === HALF_OPEN) this.halfOpenResult(w, !slow);
      return;
    }
    const mustCheck = this.countWindow ? this.recordCount(slow ? OUT_SLOW_OK : OUT_OK) : this.recordTime(slow ? OUT_SLOW_OK : OUT_OK);
    if (this.consecLimit !== 0 && Atomics.load(this.i32, this.iConsec) !== 0) Atomics.store(this.i32, this.iConsec, 0);
    if (mustCheck || slow) this.evaluate(w);
  }

  /** Records a failed call that took `durationNs`. */
  onFailure(durationNs: number): void {
    if (typeof durationNs !== 'number' || !(durationNs >= 0)) throw badDuration('onFailure', durationNs);
    const slow = durationNs > this.slowNs;
    const w = Atomics.load(this.i32, this.iState);
    if ((w & 3) !== CLOSED) {
      if ((w & 3) === HALF_OPEN) this.halfOpenResult(w, false);
      return;
    }
    if (this.countWindow) this.recordCount(slow ? OUT_SLOW_FAIL : OUT_FAIL);
    else this.recordTime(slow ? OUT_SLOW_FAIL : OUT_FAIL);
    if (this.consecLimit !== 0 && Atomics.add(this.i32, this.iConsec, 1) + 1 >= this.consecLimit) {
      this.trip(w, 'consecutive-failures');
      return;
    }
    this.evaluate(w);
  }

  /**
   * Subscribes to state transitions (made here or, as `reason: 'observed'`, noticed here after
   * another instance on the block made them). Returns a function that unsubscribes. A listener
   * that throws is logged and does not disturb the breaker.
   */
  on(event: 'transition', listener: (e: BreakerTransition) => void): () => void {
    if (event !== 'transition') throw new InvalidArgumentError(`CircuitBreaker.on(event): expected "transition", got ${describeValue(event)}`);
    if (typeof listener !== 'function') throw new InvalidArgumentError(`CircuitBreaker.on(listener): expected a function, got ${describeValue(listener)}`);
    this.listeners.push(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link on}. */
  off(_event: 'transition', listener: (e: BreakerTransition) => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Window figures as every sharer sees them (allocates: for tests, metrics and dashboards). */
  metrics(): BreakerMetrics {
    const a = this.i32;
    return {
      state: this.state,
      calls: Atomics.load(a, this.iCalls),
      failures: Atomics.load(a, this.iFails),
      slowCalls: Atomics.load(a, this.iSlow),
      consecutiveFailures: Atomics.load(a, this.iConsec),
      trips: Atomics.load(a, this.iTrips),
    };
  }

  // ---- window recording (closed state) ----

  // Count window: claim the next ring position, swap our outcome in, and apply the difference
  // between the evicted and the new outcome to the totals. The exchange makes every outcome enter
  // and leave the totals exactly once, so totals always equal the ring's contents at rest.
  // Returns true when this call made the window reach minimumCalls (rates become meaningful).
  private recordCount(o: number): boolean {
    const a = this.i32;
    const ring = this.ring;
    const idx = this.iRing + ((Atomics.add(a, this.iCursor, 1) >>> 0) % this.size);
    if (Atomics.load(ring, idx) === o) return false; // same outcome evicted: no total changes
    const prev = Atomics.exchange(ring, idx, o);
    if (prev === o) return false;
    let reached = false;
    if ((prev & 1) === 0) reached = Atomics.add(a, this.iCalls, 1) + 1 === this.minCalls;
    const df = ((o >> 1) & 1) - ((prev >> 1) & 1);
    if (df !== 0) Atomics.add(a, this.iFails, df);
    const ds = ((o >> 2) & 1) - ((prev >> 2) & 1);
    if (ds !== 0) Atomics.add(a, this.iSlow, ds);
    return reached;
  }

  // Time window: one bucket per second (slot lanes: tag = its second, calls, failures, slow).
  // The first recorder of a new second rolls the expired buckets (each second is rolled once, so
  // the cost is O(1) amortised per second of time, never per call). A call that races a roll of
  // its own bucket may be dropped with the bucket, but totals always equal the sum of the buckets.
  private recordTime(o: number): boolean {
    const a = this.i32;
    const sec = Math.floor((this.clock.nowNs() + this.offsetNs) / 1e9);
    const last = Atomics.load(a, this.iCursor);
    if (sec > last) this.roll(last, sec);
    const b = this.iRegion + (sec % this.size) * 16;
    if (Atomics.load(a, b) !== sec) return false; // bucket already reused: far-behind clock
    Atomics.add(a, b + 1, 1);
    const reached = Atomics.add(a, this.iCalls, 1) + 1 === this.minCalls;
    if ((o & 2) !== 0) {
      Atomics.add(a, b + 2, 1);
      Atomics.add(a, this.iFails, 1);
    }
    if ((o & 4) !== 0) {
      Atomics.add(a, b + 3, 1);
      Atomics.add(a, this.iSlow, 1);
    }
    return reached;
  }

  private roll(last: number, sec: number): void {
    const a = this.i32;
    if (Atomics.compareExchange(a, this.iCursor, last, sec) !== last) return; // someone else rolls
    for (let x = Math.max(last + 1, sec - this.size + 1); x <= sec; x++) {
      const b = this.iRegion + (x % this.size) * 16;
      Atomics.store(a, b, x);
      const c = Atomics.exchange(a, b + 1, 0);
      const f = Atomics.exchange(a, b + 2, 0);
      const s = Atomics.exchange(a, b + 3, 0);
      if (c !== 0) Atomics.sub(a, this.iCalls, c);
      if (f !== 0) Atomics.sub(a, this.iFails, f);
      if (s !== 0) Atomics.sub(a, this.iSlow, s);
    }
  }

  private evaluate(w: number): void {
    const a = this.i32;
    const calls = Atomics.load(a, this.iCalls);
    if (calls < this.minCalls) return;
    if (Atomics.load(a, this.iFails) * 100 > this.failPct * calls) this.trip(w, 'failure-rate');
    else if (Atomics.load(a, this.iSlow) * 100 > this.slowPct * calls) this.trip(w, 'slow-call-rate');
  }

  // Empties the window and the failure streak; runs while half-open (nobody records then).
  private resetWindow(): void {
    const a = this.i32;
    if (this.countWindow) {
      for (let j = 0; j < this.size; j++) Atomics.store(this.ring, this.iRing + j, 0);
    } else {
      for (let k = 0; k < this.size; k++) {
        const b = this.iRegion + k * 16;
        Atomics.store(a, b + 1, 0);
        Atomics.store(a, b + 2, 0);
        Atomics.store(a, b + 3, 0);
      }
    }
    Atomics.store(a, this.iCalls, 0);
    Atomics.store(a, this.iFails, 0);
    Atomics.store(a, this.iSlow, 0);
    Atomics.store(a, this.iConsec, 0);
  }

  // ---- transitions ----

  private acquireSlow(w: number): AcquireResult {
    const a = this.i32;
    for (let spins = 0; spins < 10_000; spins++) {
      if ((w & ~PERMIT_MASK) !== this.seen) this.observe(w);
      const st = w & 3;
      if (st === CLOSED) return PERMIT;
      const g = w >>> 12;
      if (st === OPEN) {
        const until = this.readUntil(g);
        const now = this.nowMs();
        if (until < 0 || now < until) return REJECT_OPEN;
        const ng = (g + 1) & GEN_MASK;
        this.publishUntil(ng, this.options.halfOpenTimeoutMs > 0 ? now + this.options.halfOpenTimeoutMs : NEVER_MS);
        // The winner of this exchange enters half-open holding the first trial permit.
        const nw = (ng << 12) | PERMIT_ONE | HALF_OPEN;
        const prev = Atomics.compareExchange(a, this.iState, w, nw);
        if (prev === w) {
          this.transitioned(w, nw, 'open-timeout');
          return TRIAL_PERMIT;
        }
        w = prev;
        continue;
      }
      if (((w & PERMIT_MASK) >>> 2) < this.permits) {
        const prev = Atomics.compareExchange(a, this.iState, w, w + PERMIT_ONE);
        if (prev === w) return TRIAL_PERMIT;
        w = prev;
        continue;
      }
      if (this.options.halfOpenTimeoutMs > 0) {
        const until = this.readUntil(g);
        if (until >= 0 && this.nowMs() >= until) this.reopen(g, 'half-open-timeout');
      }
      return REJECT_HALF_OPEN;
    }
    return REJECT_HALF_OPEN; // pathological contention: refusing is the safe answer
  }

  private halfOpenResult(w: number, ok: boolean): void {
    const g = w >>> 12;
    const c = this.counters;
    let s: number;
    let f: number;
    for (;;) {
      const v = c.load(this.sHalf);
      const current = Math.floor(v / 2 ** 20) === g;
      s = current ? v % 1024 : 0;
      f = current ? Math.floor(v / 1024) % 1024 : 0;
      if (ok) s++;
      else f++;
      if (c.compareExchange(this.sHalf, v, g * 2 ** 20 + f * 1024 + s) === v) break;
    }
    // Exactly one result crosses each line, so exactly one instance acts.
    if (ok && s === this.successesToClose) this.closeFromHalfOpen(g);
    else if (!ok && f === this.permits - this.successesToClose + 1) this.reopen(g, 'half-open-failure');
  }

  private closeFromHalfOpen(g: number): void {
    this.resetWindow();
    const ng = (g + 1) & GEN_MASK;
    let w = Atomics.load(this.i32, this.iState);
    while ((w & 3) === HALF_OPEN && w >>> 12 === g) {
      const prev = Atomics.compareExchange(this.i32, this.iState, w, ng << 12);
      if (prev === w) {
        Atomics.store(this.i32, this.iTrips, 0);
        this.transitioned(w, ng << 12, 'half-open-success');
        return;
      }
      w = prev;
    }
  }

  private reopen(g: number, reason: BreakerTransitionReason): void {
    const ng = (g + 1) & GEN_MASK;
    let w = Atomics.load(this.i32, this.iState);
    if ((w & 3) !== HALF_OPEN || w >>> 12 !== g) return;
    this.publishUntil(ng, this.nowMs() + this.openDurationMs());
    while ((w & 3) === HALF_OPEN && w >>> 12 === g) {
      const nw = (ng << 12) | OPEN;
      const prev = Atomics.compareExchange(this.i32, this.iState, w, nw);
      if (prev === w) {
        Atomics.add(this.i32, this.iTrips, 1);
        this.transitioned(w, nw, reason);
        return;
      }
      w = prev; // only the permit count changed: same phase, try again
    }
  }

  private trip(w: number, reason: BreakerTransitionReason): void {
    const ng = ((w >>> 12) + 1) & GEN_MASK;
    this.publishUntil(ng, this.nowMs() + this.openDurationMs());
    const nw = (ng << 12) | OPEN;
    if (Atomics.compareExchange(this.i32, this.iState, w, nw) === w) {
      Atomics.add(this.i32, this.iTrips, 1);
      this.transitioned(w, nw, reason);
    }
  }

  private openDurationMs(): number {
    const o = this.options;
    const trips = Atomics.load(this.i32, this.iTrips);
    let d = Math.min(o.maxOpenDurationMs, o.openDurationMs * o.backoffMultiplier ** trips);
    if (o.jitter > 0) d *= 1 + o.jitter * (2 * this.random.next() - 1);
    return Math.max(1, Math.round(Math.min(o.maxOpenDurationMs, d)));
  }

  // Publishes the deadline of generation `gen` unless someone already did (all candidates
  // compute nearly the same value; the first one wins).
  private publishUntil(gen: number, untilMs: number): void {
    const c = this.counters;
    const tag = gen & (TAG - 1);
    const v = Math.floor(untilMs) * TAG + tag;
    for (let i = 0; i < 1000; i++) {
      const cur = c.load(this.sUntil);
      if (cur % TAG === tag) return;
      if (c.compareExchange(this.sUntil, cur, v) === cur) return;
    }
  }

  private readUntil(g: number): number {
    if (this.untilGen === g) return this.untilMs;
    const cur = this.counters.load(this.sUntil);
    if (cur % TAG !== (g & (TAG - 1))) return -1;
    this.untilGen = g;
    this.untilMs = Math.floor(cur / TAG);
    return this.untilMs;
  }

  private nowMs(): number {
    return Math.floor((this.clock.nowNs() + this.offsetNs) / 1e6);
  }

  private observe(w: number): void {
    const from = this.seen & 3;
    this.seen = w & ~PERMIT_MASK;
    if ((w & 3) !== from) this.emit(from, w & 3, 'observed');
  }

  private transitioned(from: number, to: number, reason: BreakerTransitionReason): void {
    this.seen = to & ~PERMIT_MASK;
    this.emit(from & 3, to & 3, reason);
  }

  private emit(from: number, to: number, reason: BreakerTransitionReason): void {
    if (this.listeners.length === 0) return;
    const e: BreakerTransition = { name: this.options.name, from: STATE_NAMES[from]!, to: STATE_NAMES[to]!, reason, at: this.clock.nowNs() };
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        logger.error({ err, breaker: this.options.name }, 'circuit breaker transition listener threw');
      }
    }
  }

  private claimLayout(o: ResolvedBreakerOptions): void {
    const key = [o.windowType, o.windowSize, o.minimumCalls, o.failureRateThreshold, o.slowCallDurationMs, o.slowCallRateThreshold, o.consecutiveFailures, o.halfOpenPermits, o.halfOpenSuccesses].join(':');
    const fp = (hashString(key) & 0x3fffffff) | 1;
    const i = (o.slotBase + S_CONFIG) * 16 + LOW;
    const prev = Atomics.compareExchange(this.i32, i, 0, fp);
    if (prev !== 0 && prev !== fp) {
      throw new ConfigError(
        'breaker.counters',
        `breaker.counters: expected a block free at slotBase ${o.slotBase} or used by a breaker with the same window, threshold and half-open options, got one used with other options`,
      );
    }
  }
}

function badDuration(where: string, v: number): InvalidArgumentError {
  return new InvalidArgumentError(`CircuitBreaker.${where}(durationNs): expected a number >= 0, got ${describeValue(v)}`);
}

// One import for the breaker: its options schema and defaults come with it.
export { BREAKER_DEFAULTS, breakerOptionsSchema, parseBreakerOptions, type CircuitBreakerOptions, type ResolvedBreakerOptions } from './circuit-breaker-options.js';
