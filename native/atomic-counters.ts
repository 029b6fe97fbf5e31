import { InvalidArgumentError } from '../common/errors.js';
import { describeValue } from '../common/describe.js';
import { CountersError, NativeUnavailableError } from './errors.js';
import { announceNative, nativeBinding, nativeLoadReason } from './loader.js';

/**
 * Shared 64-bit atomic counters: the primitive under the circuit breaker, the kill switch and the
 * host-wide rate counters.
 *
 * Memory layout: slot `i` is the int64 at byte `64 * i` of the block (a stride of 8 int64s). Two
 * slots therefore never share a cache line, whatever the base address of the buffer: each 8-byte
 * value lies inside one line and the next slot is a whole line further on, so writers of different
 * slots do not false-share. A block made by {@link AtomicCounters.create} is a `SharedArrayBuffer`
 * of `slots * 64` bytes; a mapped file ({@link AtomicCounters.openShared}) has a 64-byte header
 * first and is page-aligned, so its slots are exactly cache-line aligned.
 *
 * Two implementations operate on the same memory at the same time: C11 `_Atomic int64_t` seq_cst
 * operations in the native addon (one bound function per block, cached pointer) and JS `Atomics`
 * on a `BigInt64Array` (the TS twin, used when the addon is not loaded or on request). Both are
 * sequentially consistent read-modify-writes on the same aligned 8-byte words, so they interoperate
 * exactly, across worker threads and (for mapped files) processes.
 *
 * Values: memory holds int64. The `number` API is exact for safe integers (|v| <= 2^53 - 1): inputs
 * must be safe integers (else `B4_COUNTERS_UNSAFE_INTEGER`), and a stored value outside that range
 * (reachable only by adding past it) comes back as the nearest double. {@link loadBigInt} reads any
 * value exactly.
 */
export class AtomicCounters {
  /** Bytes per slot: one cache line. */
  static readonly SLOT_BYTES = 64;
  /** int64 elements per slot in a `BigInt64Array` over {@link buffer}. */
  static readonly STRIDE = 8;
  /** Largest slot count accepted by {@link create} and {@link openShared}. */
  static readonly MAX_SLOTS = 1 << 24;

  /** Number of slots; valid slots are `0 .. slots - 1`. */
  readonly slots: number;
  /** The memory: a `SharedArrayBuffer`, or for a mapped file an external `ArrayBuffer` over the mapping. */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  /** Byte offset of slot 0 in {@link buffer} (64 for a mapped file: its header comes first). */
  readonly byteOffset: number;
  /** Which implementation this instance uses for its operations. */
  readonly implementation: 'native' | 'ts';
  /** Path of the mapped file, or undefined for in-memory blocks. */
  readonly path: string | undefined;

  private readonly view: BigInt64Array;
  // Slot bound used by every check; 0 after close() so every later call fails the same cheap test.
  private limit: number;
  private closed = false;
  private readonly nAdd: ((slot: number, delta: number) => number | undefined) | null;
  private readonly nLoad: ((slot: number) => number | undefined) | null;
  private readonly nStore: ((slot: number, value: number) => true | undefined) | null;
  private readonly nCas: ((slot: number, expected: number, replacement: number) => number | undefined) | null;
  private readonly nRelease: (() => void) | null;

  private constructor(
    buffer: SharedArrayBuffer | ArrayBuffer,
    byteOffset: number,
    slots: number,
    implementation: 'native' | 'ts',
    path: string | undefined,
  ) {
    this.buffer = buffer;
    this.byteOffset = byteOffset;
    this.slots = slots;
    this.limit = slots;
    this.path = path;
    this.implementation = implementation;
    this.view = new BigInt64Array(buffer, byteOffset, slots * AtomicCounters.STRIDE);
    if (implementation === 'native') {
      const bound = (nativeBinding as unknown as NativeCounters).countersBind(this.view);
      if (!Array.isArray(bound)) {
        throw new CountersError('B4_COUNTERS_BUFFER_INVALID', 'AtomicCounters: the native addon refused the buffer (not 8-byte aligned?)');
      }
      [this.nAdd, this.nLoad, this.nStore, this.nCas, this.nRelease] = bound;
    } else {
      this.nAdd = this.nLoad = this.nStore = this.nCas = this.nRelease = null;
    }
    announceNative(implementation === 'native' ? 'native' : 'ts');
  }

  /**
   * A fresh block of `slots` zeroed counters in a `SharedArrayBuffer` (pass {@link buffer} to worker
   * threads, which call {@link fromBuffer}).
   * @throws CountersError `B4_COUNTERS_SLOT_RANGE` unless 1 <= slots <= {@link MAX_SLOTS}
   * @throws NativeUnavailableError when `implementation: 'native'` is asked for and the addon is not loaded
   */
  static create(slots: number, options?: CountersOptions): AtomicCounters {
    checkSlotCount(slots, 'AtomicCounters.create');
    return new AtomicCounters(new SharedArrayBuffer(slots * AtomicCounters.SLOT_BYTES), 0, slots, pick(options), undefined);
  }

  /**
   * Counters over an existing block's memory, typically `counters.buffer` posted to a worker thread.
   * The slot count is `buffer.byteLength / 64`.
   * @throws CountersError `B4_COUNTERS_BUFFER_INVALID` unless `buffer` is a SharedArrayBuffer whose
   *   length is a non-zero multiple of 64 bytes
   */
  static fromBuffer(buffer: SharedArrayBuffer, options?: CountersOptions): AtomicCounters {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength === 0 || buffer.byteLength % AtomicCounters.SLOT_BYTES !== 0) {
      throw new CountersError(
        'B4_COUNTERS_BUFFER_INVALID',
        `AtomicCounters.fromBuffer(buffer): expected a SharedArrayBuffer whose length is a non-zero multiple of 64 bytes, got ${describeBuffer(buffer)}`,
      );
    }
    return new AtomicCounters(buffer, 0, buffer.byteLength / AtomicCounters.SLOT_BYTES, pick(options), undefined);
  }

  /**
   * Maps `path` (created if missing, e.g. under `/dev/shm`) so that every process on the host that
   * opens it shares the same `slots` counters. The file carries a header (magic, version, slot
   * count): opening an existing file with another slot count, or a file that is not a counters
   * file, fails instead of sharing a wrong layout. The mapping lives until {@link close} and the
   * garbage collection of {@link buffer}; the file stays until someone deletes it.
   *
   * Native only: the TS twin cannot map files, so it throws {@link NativeUnavailableError}.
   * @throws CountersError `B4_COUNTERS_SHARED_OPEN` (details: `reason`, `errno`, `fileSlots`)
   */
  static openShared(path: string, slots: number, options?: CountersOptions): AtomicCounters {
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
      throw new InvalidArgumentError(`AtomicCounters.openShared(path): expected a non-empty file path, got ${describeValue(path)}`);
    }
    checkSlotCount(slots, 'AtomicCounters.openShared');
    if (pick(options) !== 'native') {
      throw new NativeUnavailableError(
        `AtomicCounters.openShared: sharing counters across processes needs the native addon, and the TS twin is active (${
          options?.implementation === 'ts' ? 'implementation "ts" was requested' : nativeLoadReason ?? 'unknown reason'
        }); the TS twin can only share memory between worker threads (AtomicCounters.create + fromBuffer)`,
        { reason: nativeLoadReason },
      );
    }
    const r = (nativeBinding as unknown as NativeCounters).countersOpenShared(path, slots);
    if (Array.isArray(r)) throw sharedOpenError(path, slots, r);
    return new AtomicCounters(r, HEADER_BYTES, slots, 'native', path);
  }

  /**
   * Adds `delta` to `slot` atomically and returns the previous value.
   * @throws CountersError `B4_COUNTERS_SLOT_RANGE` / `B4_COUNTERS_UNSAFE_INTEGER`
   */
  add(slot: number, delta: number): number {
    if (!((slot >>> 0) === slot && slot < this.limit)) throw this.slotError(slot);
    if (!Number.isSafeInteger(delta)) throw unsafe('delta', delta);
    const f = this.nAdd;
    if (f !== null) {
      const r = f(slot, delta);
      if (r === undefined) throw this.slotError(slot);
      return r;
    }
    return Number(Atomics.add(this.view, slot * 8, BigInt(delta)));
  }

  /** Reads `slot` atomically (seq_cst). */
  load(slot: number): number {
    if (!((slot >>> 0) === slot && slot < this.limit)) throw this.slotError(slot);
    const f = this.nLoad;
    if (f !== null) {
      const r = f(slot);
      if (r === undefined) throw this.slotError(slot);
      return r;
    }
    return Number(Atomics.load(this.view, slot * 8));
  }

  /** Reads `slot` atomically, exactly, as a bigint (any int64 value). */
  loadBigInt(slot: number): bigint {
    if (!((slot >>> 0) === slot && slot < this.limit)) throw this.slotError(slot);
    return Atomics.load(this.view, slot * 8);
  }

  /** Writes `value` to `slot` atomically (seq_cst). */
  store(slot: number, value: number): void {
    if (!((slot >>> 0) === slot && slot < this.limit)) throw this.slotError(slot);
    if (!Number.isSafeInteger(value)) throw unsafe('value', value);
    const f = this.nStore;
    if (f !== null) {
      if (f(slot, value) === undefined) throw this.slotError(slot);
      return;
    }
    Atomics.store(this.view, slot * 8, BigInt(value));
  }

  /**
   * Replaces `slot` with `replacement` if it holds `expected` (strong compare-and-swap, seq_cst).
   * Returns the previous value: the swap happened iff it equals `expected`.
   */
  compareExchange(slot: number, expected: number, replacement: number): number {
    if (!((slot >>> 0) === slot && slot < this.limit)) throw this.slotError(slot);
    if (!Number.isSafeInteger(expected)) throw unsafe('expected', expected);
    if (!Number.isSafeInteger(replacement)) throw unsafe('replacement', replacement);
    const f = this.nCas;
    if (f !== null) {
      const r = f(slot, expected, replacement);
      if (r === undefined) throw this.slotError(slot);
      return r;
    }
    return Number(Atomics.compareExchange(this.view, slot * 8, BigInt(expected), BigInt(replacement)));
  }

  /**
   * Stops using the block: every later call throws `B4_COUNTERS_BUFFER_INVALID`. For a mapped file
   * the native handle drops its reference, so the mapping is unmapped once {@link buffer} is
   * garbage-collected (other instances over the same buffer keep it mapped). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.limit = 0;
    this.nRelease?.();
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  // Cold path: builds the error for a slot that failed the range check (or a closed block).
  private slotError(slot: number): CountersError {
    if (this.closed) {
      return new CountersError('B4_COUNTERS_BUFFER_INVALID', `AtomicCounters: the block${this.path ? ` ${this.path}` : ''} was closed`);
    }
    return new CountersError(
      'B4_COUNTERS_SLOT_RANGE',
      `AtomicCounters slot: expected an integer in 0..${this.slots - 1}, got ${describeValue(slot)}`,
      { slots: this.slots },
    );
  }
}

/** Options of {@link AtomicCounters.create}, {@link AtomicCounters.fromBuffer} and {@link AtomicCounters.openShared}. */
export interface CountersOptions {
  /**
   * `'auto'` (default): native C11 atomics when the addon is loaded, else the TS twin (JS Atomics).
   * `'native'`: the addon or a {@link NativeUnavailableError}. `'ts'`: always the TS twin (tests
   * and benchmarks compare both on the same memory).
   */
  implementation?: 'auto' | 'native' | 'ts';
}

/** True when the native counters are available (the addon is loaded). */
export function nativeCountersAvailable(): boolean {
  return nativeBinding !== null && typeof (nativeBinding as unknown as Partial<NativeCounters>).countersBind === 'function';
}

type NativeOps = [
  (slot: number, delta: number) => number | undefined,
  (slot: number) => number | undefined,
  (slot: number, value: number) => true | undefined,
  (slot: number, expected: number, replacement: number) => number | undefined,
  () => void,
];
interface NativeCounters {
  countersBind(view: BigInt64Array): NativeOps | undefined;
  countersOpenShared(path: string, slots: number): ArrayBuffer | [number, number, number];
}

const HEADER_BYTES = 64;

function pick(options: CountersOptions | undefined): 'native' | 'ts' {
  const want = options?.implementation ?? 'auto';
  if (want === 'ts') return 'ts';
  if (want !== 'auto' && want !== 'native') {
    throw new InvalidArgumentError(`AtomicCounters options.implementation: expected one of "auto", "native", "ts", got ${describeValue(want)}`);
  }
  if (nativeCountersAvailable()) return 'native';
  if (want === 'native') {
    throw new NativeUnavailableError(`AtomicCounters: implementation "native" requested but the native addon is not active (${nativeLoadReason ?? 'no counters in the addon'})`, {
      reason: nativeLoadReason,
    });
  }
  return 'ts';
}

function checkSlotCount(slots: number, where: string): void {
  if (!Number.isInteger(slots) || slots < 1 || slots > AtomicCounters.MAX_SLOTS) {
    throw new CountersError('B4_COUNTERS_SLOT_RANGE', `${where}(slots): expected an integer in 1..${AtomicCounters.MAX_SLOTS}, got ${describeValue(slots)}`);
  }
}

function unsafe(name: string, v: number): CountersError {
  return new CountersError('B4_COUNTERS_UNSAFE_INTEGER', `AtomicCounters ${name}: expected a safe integer (|v| <= 2^53 - 1), got ${describeValue(v)}`);
}

function describeBuffer(b: unknown): string {
  if (b instanceof SharedArrayBuffer) return `a SharedArrayBuffer of ${b.byteLength} bytes`;
  if (b instanceof ArrayBuffer) return `an ArrayBuffer of ${b.byteLength} bytes (not shared)`;
  return describeValue(b);
}

const OPEN_REASONS: Record<number, string> = {
  1: 'cannot open or lock the file',
  2: 'cannot size the file',
  3: 'cannot map the file',
  4: 'the file is not a bot4 counters file',
  5: 'the file has another layout version',
  6: 'the file holds another slot count',
  7: 'bad arguments',
};
const OPEN_REASON_CODES: Record<number, string> = { 1: 'open', 2: 'size', 3: 'mmap', 4: 'magic', 5: 'version', 6: 'slots', 7: 'args' };

function sharedOpenError(path: string, slots: number, [code, errno, detail]: [number, number, number]): CountersError {
  const reason = OPEN_REASON_CODES[code] ?? 'unknown';
  let msg = `AtomicCounters.openShared(${JSON.stringify(path)}, ${slots}): ${OPEN_REASONS[code] ?? `status ${code}`}`;
  if (code === 6) msg += ` (${detail} slots in the file, ${slots} requested): every process must open it with the same slot count`;
  if (code === 5) msg += ` (version ${detail})`;
  if (errno !== 0) msg += ` (errno ${errno})`;
  return new CountersError('B4_COUNTERS_SHARED_OPEN', msg, { reason, errno, ...(code === 6 ? { fileSlots: detail } : {}) });
}
