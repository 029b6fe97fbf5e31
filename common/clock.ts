import { performance } from 'node:perf_hooks';
import { monotonicCell, monotonicCellReason } from '../native/monotonic-clock.js';
import { InvalidArgumentError } from './errors.js';

/** Opaque handle of a timer set on a {@link Clock}. */
export type TimerHandle = { readonly id: number };

/**
 * The only source of time in bot4. Actors, breakers, risk and simulators take a Clock; none calls
 * `Date.now()`, `performance.now()` or `setTimeout` directly, so tests and replays can run on a
 * {@link SimulatedClock} and be deterministic.
 *
 * `nowNs()` is monotonic nanoseconds from an arbitrary origin as a float64 number: exact to the
 * nanosecond for about 104 days of uptime and allocation-free (no bigint) for hot paths.
 */
export interface Clock {
  /** Monotonic nanoseconds since this clock's origin. Never goes backwards. */
  nowNs(): number;
  /** Wall-clock milliseconds since the Unix epoch (venue timestamps, logs). */
  epochMs(): number;
  /** Calls `fn` once after `delayMs` (>= 0) milliseconds of this clock's time. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** Where {@link LiveClock.nowNs} reads time: the addon's allocation-free cell, or `performance.now()`. */
export type LiveClockSource = 'native' | 'performance.now';

const CELL = monotonicCell;
// The native cell reads CLOCK_MONOTONIC since boot; shifted onto `performance.now()`'s origin
// (process start, the same clock underneath) so both read the same time and stay exact to the
// nanosecond for ~104 days of process uptime rather than of machine uptime.
const CELL_OFFSET_NS = ((): number => {
  if (CELL === null) return 0;
  const before = performance.now() * 1e6;
  CELL.read();
  const after = performance.now() * 1e6;
  return (before + after) / 2 - CELL.cell[0]!;
})();

/**
 * Real time: monotonic nanoseconds from the native addon's clock cell (CLOCK_MONOTONIC written
 * into an off-heap Float64Array, see `native/clock.c`), or `performance.now()` when the addon is
 * not loaded; `Date.now()` for the epoch; Node timers.
 *
 * Why not `performance.now()` always: on Node 20 each call builds an `[s, ns]` hrtime array and
 * boxes its result, so a clock read per order is garbage per order (counted in
 * `bench/risk.bench.ts`). The native read allocates nothing on the JS heap; a caller that V8
 * inlines `nowNs()` into (the risk check) gets the double unboxed.
 */
export class LiveClock implements Clock {
  /** Which source {@link nowNs} reads, and why when it is not the native one. */
  static readonly source: LiveClockSource = CELL === null ? 'performance.now' : 'native';
  /** Why the native source is not in use (undefined when it is). */
  static readonly sourceReason: string | undefined = monotonicCellReason;

  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  nowNs(): number {
    const c = CELL;
    if (c === null) return performance.now() * 1e6;
    c.read();
    return c.cell[0]! + CELL_OFFSET_NS;
  }

  /**
   * {@link nowNs} written into `cell[i]`: a caller whose own code is too large for V8 to inline
   * `nowNs` into (the risk check) reads the time without a heap number — a double returned from a
   * call that is not inlined is boxed, one allocation per read (issue 16).
   */
  nowNsInto(cell: Float64Array, i = 0): void {
    const c = CELL;
    if (c === null) {
      cell[i] = performance.now() * 1e6;
      return;
    }
    c.read();
    cell[i] = c.cell[0]! + CELL_OFFSET_NS;
  }

  /** {@link epochMs} written into `cell[i]` (see {@link nowNsInto}). */
  epochMsInto(cell: Float64Array, i = 0): void {
    cell[i] = Date.now();
  }

  epochMs(): number {
    return Date.now();
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    checkDelay(delayMs);
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, delayMs);
    // A pending timer must never keep a finished process alive on its own.
    t.unref();
    this.timers.set(id, t);
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

interface SimTimer {
  id: number;
  atNs: number;
  seq: number;
  fn: () => void;
}

/**
 * Virtual time that only moves when told to. Timers fire in (due time, creation order) order, so
 * a run driven by the same inputs is deterministic. Time starts at `startNs` (default 0) and the
 * epoch reads `startEpochMs` (default 2024-01-01T00:00:00Z) plus elapsed time.
 */
export class SimulatedClock implements Clock {
  private now: number;
  private readonly startEpochMs: number;
  private readonly heap: SimTimer[] = [];
  private readonly cancelled = new Set<number>();
  private nextId = 1;
  private seq = 0;

  constructor(options: { startNs?: number; startEpochMs?: number } = {}) {
    this.now = options.startNs ?? 0;
    this.startEpochMs = options.startEpochMs ?? Date.UTC(2024, 0, 1);
    if (!Number.isFinite(this.now) || this.now < 0) {
      throw new InvalidArgumentError(`SimulatedClock.startNs: expected a finite number >= 0, got ${String(options.startNs)}`);
    }
  }

  nowNs(): number {
    return this.now;
  }

  epochMs(): number {
    return this.startEpochMs + Math.floor(this.now / 1e6);
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    checkDelay(delayMs);
    const id = this.nextId++;
    push(this.heap, { id, atNs: this.now + delayMs * 1e6, seq: this.seq++, fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    if (this.heap.some((t) => t.id === handle.id)) this.cancelled.add(handle.id);
  }

  /** Number of timers still pending. */
  get pendingTimers(): number {
    return this.heap.length - this.cancelled.size;
  }

  /** Due time (ns) of the next pending timer, or undefined. */
  nextTimerNs(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.atNs;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order, at its due time. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidArgumentError(`SimulatedClock.advance(ms): expected a finite number >= 0, got ${String(ms)}`);
    }
    this.advanceToNs(this.now + ms * 1e6);
  }

  /** Moves time to `targetNs` (>= now), firing due timers in order. */
  advanceToNs(targetNs: number): void {
    if (!(targetNs >= this.now)) {
      throw new InvalidArgumentError(`SimulatedClock.advanceToNs: expected a time >= ${this.now}, got ${String(targetNs)}`);
    }
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (top === undefined || top.atNs > targetNs) break;
      pop(this.heap);
      this.now = Math.max(this.now, top.atNs);
      top.fn();
    }
    this.now = targetNs;
  }

  /** Fires the next pending timer (advancing time to it). Returns false when none is pending. */
  runNext(): boolean {
    const at = this.nextTimerNs();
    if (at === undefined) return false;
    this.advanceToNs(Math.max(at, this.now));
    return true;
  }

  /** Runs timers until none is pending or `maxTimers` have fired. Returns how many fired. */
  runAll(maxTimers = 1_000_000): number {
    let n = 0;
    while (n < maxTimers && this.runNext()) n++;
    return n;
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0]!.id)) {
      this.cancelled.delete(pop(this.heap)!.id);
    }
  }
}

function checkDelay(delayMs: number): void {
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new InvalidArgumentError(`setTimer(delayMs): expected a finite number >= 0, got ${String(delayMs)}`);
  }
}

function less(a: SimTimer, b: SimTimer): boolean {
  return a.atNs < b.atNs || (a.atNs === b.atNs && a.seq < b.seq);
}

function push(h: SimTimer[], t: SimTimer): void {
  h.push(t);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i]!, h[p]!)) break;
    [h[i], h[p]] = [h[p]!, h[i]!];
    i = p;
  }
}

function pop(h: SimTimer[]): SimTimer | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length > 0 && last !== undefined) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  return top;
}
