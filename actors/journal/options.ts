import { parseOptions, z } from '../../common/validate.js';

/**
 * Journal options, validated once by {@link parseJournalOptions}.
 *
 * `fsync` is the durability policy (what "acknowledged" means: an append's promise resolves, its
 * `appendThen` callback is called, an order is handed to the venue; see docs/journal.md):
 * - `always`: after its batch is written (one `writev`) and `fdatasync`ed. Nothing acknowledged
 *   is lost on a process crash or a power loss. Appends that arrive while a write+fsync is in
 *   progress (or in the same event-loop turn) share the next one (group commit), so throughput
 *   grows with concurrency rather than being one fsync per record.
 * - `interval`: once its batch's `writev` returned (in the kernel: survives a process crash,
 *   SIGKILL included); `fdatasync` runs every `intervalMs` of the Clock, so a power loss or kernel
 *   crash loses at most that window.
 * - `never`: in the kernel, the OS decides when to reach the disk (typically within ~30 s on
 *   Linux); survives a process crash, not a power loss. `close()` still syncs.
 */
export const journalOptionsSchema = z
  .object({
    /** Directory holding segments, snapshots and the lock file (created if missing). */
    dir: z.string().min(1),
    fsync: z.enum(['always', 'interval', 'never']).default('always'),
    /** Period of the background fdatasync under `fsync: interval`. */
    intervalMs: z.number().int().min(1).max(60_000).default(100),
    /** A segment is rotated once it holds at least this many bytes. */
    segmentBytes: z.number().int().min(4096).max(2 ** 31 - 1).default(64 * 2 ** 20),
    /**
     * Take a snapshot (and compact) after this many records since the last one; 0 = only on demand.
     * It bounds startup: replay reads the newest snapshot plus at most this many records. Records
     * replay at ~5–10 µs each on the reference machine (JSON decode + CRC + apply), so 50 000 keeps
     * replay of any history (10⁶ events and beyond) near 1 s, under the 2 s requirement with room for a
     * loaded host; see the journal section of BENCHMARKS.md.
     */
    snapshotEvery: z.number().int().min(0).default(50_000),
    /** Snapshots kept; segments are deleted only once the oldest kept snapshot covers them. */
    keepSnapshots: z.number().int().min(1).max(16).default(2),
    /**
     * Delete segments once a kept snapshot covers them (default). `false` keeps every segment (an
     * audit archive; replay still starts from the newest snapshot).
     */
    compact: z.boolean().default(true),
    /** Largest record payload accepted (and believed when replaying a length field). */
    maxRecordBytes: z.number().int().min(64).max(2 ** 30).default(2 ** 20),
    /**
     * Corruption followed by valid records is a hard error by default; with `repair: true` the damaged
     * part and everything after it is moved aside to `*.corrupt` files (never deleted) and reported.
     */
    repair: z.boolean().default(false),
    /**
     * After a failed write or fsync (disk full, I/O error), how often (clock ms) the writer retries:
     * cut back to the last acknowledged byte, reopen, write what waits. New orders are refused
     * (`JOURNAL_FAILED`) and the daemon reports not ready until a retry succeeds.
     */
    retryMs: z.number().int().min(10).max(600_000).default(1000),
  })
  .strict();

/** Options as a caller passes them. */
export type JournalOptionsInput = z.input<typeof journalOptionsSchema>;
/** Options after validation and defaults (frozen). */
export type JournalOptions = Readonly<z.output<typeof journalOptionsSchema>>;
/** The fsync policy. */
export type FsyncPolicy = JournalOptions['fsync'];

/** Validates journal options; throws `ConfigError` naming field, expectation and value. */
export function parseJournalOptions(input: unknown): JournalOptions {
  return parseOptions(journalOptionsSchema, input, 'journal');
}
