import { close, closeSync, fdatasync, fsyncSync, ftruncateSync, open, openSync, write, writev, writevSync } from 'node:fs';

/** Small promise wrappers over the callback fs API (less overhead than FileHandle per call). */

/**
 * The file operations the journal's writer performs on its segments. Production uses
 * {@link nodeFileOps}; a test (or a fault-injection harness) passes its own from outside, via
 * `OrderJournalDeps.fileOps`, to drive the failure paths (ENOSPC, EIO) without a full disk.
 */
export interface JournalFileOps {
  /** Opens `p` with `flags` (`'a'` for a segment), resolving the fd. */
  open(p: string, flags: string): Promise<number>;
  /**
   * Writes all of `bufs`, in order, at the current position (the segment is in append mode), looping
   * over short writes; throws on the first error, possibly after writing a prefix (a torn record the
   * writer cuts away on recovery). The real one is synchronous: one `writev(2)` of the batch into the
   * page cache (a few µs), so "returned" means "in the kernel". A test double may return a promise
   * (e.g. to hold a write); the writer then waits for it.
   */
  writev(fd: number, bufs: readonly Buffer[], bytes: number): void | Promise<void>;
  /** fdatasync(fd). */
  datasync(fd: number): Promise<void>;
  /** close(fd). */
  close(fd: number): Promise<void>;
  /**
   * Cuts `p` back to `size` bytes and fsyncs it (used after a failed write to drop a partial
   * record). A missing file is fine when `size` is 0.
   */
  truncate(p: string, size: number): void;
  /** fsyncs a directory so a create, rename or unlink inside it is durable. */
  fsyncDir(dir: string): void;
}

/** Opens `p` with `flags`, resolving the fd. */
export function openAsync(p: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => open(p, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Writes all of `buf` at the current position (append mode), looping over short writes. */
export function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = (): void => {
      write(fd, buf, off, buf.length - off, null, (e, n) => {
        if (e) return reject(e);
        off += n;
        if (off < buf.length) step();
        else resolve();
      });
    };
    step();
  });
}

/** At most this many buffers per `writev(2)` (Linux's IOV_MAX). */
export const IOV_MAX = 1024;

/** `fs.writev` as a promise of the bytes written. */
function writevAsync(fd: number, bufs: Buffer[]): Promise<number> {
  return new Promise<number>((resolve, reject) => writev(fd, bufs, null, (e, w) => (e ? reject(e) : resolve(w))));
}

/**
 * Writes all of `bufs`, in order, at the current position (append mode), asynchronously: one
 * `writev` per {@link IOV_MAX} buffers, looping over short writes (the rest of a partly written
 * buffer is written from where it stopped). Never loops without progress. `writevFn` is the
 * system call (a test passes one that writes short).
 */
export async function writevAll(fd: number, bufs: readonly Buffer[], writevFn: (fd: number, bufs: Buffer[]) => Promise<number> = writevAsync): Promise<void> {
  let i = 0;
  let skip = 0;
  while (i < bufs.length) {
    const batch: Buffer[] = [];
    let want = 0;
    for (let k = i; k < bufs.length && batch.length < IOV_MAX; k++) {
      const b = k === i ? bufs[k]!.subarray(skip) : bufs[k]!;
      batch.push(b);
      want += b.length;
    }
    const n = await writevFn(fd, batch);
    if (n <= 0 && want > 0) throw Object.assign(new Error(`writev wrote nothing with ${want} bytes left`), { code: 'EIO' });
    // Advance past what was written.
    let left = n + skip;
    while (i < bufs.length && left >= bufs[i]!.length) {
      left -= bufs[i]!.length;
      i++;
    }
    skip = left;
  }
}

/**
 * Writes all of `bufs` (`bytes` in total) with `writev(2)`, synchronously, continuing after a short
 * write (libuv already loops over short writes and IOV_MAX; a count below `bytes` means the next
 * call meets the error, e.g. ENOSPC, which is then thrown). Never loops without progress.
 * `writev` is the system call (a test passes one that writes short).
 */
export function writevAllSync(fd: number, bufs: readonly Buffer[], bytes: number, writev: (fd: number, bufs: Buffer[]) => number = writevSync): void {
  let left = bytes - writev(fd, bufs as Buffer[]);
  let rest = bufs;
  while (left > 0) {
    // A short write: drop the written prefix and write the rest (each round writes ≥ 1 byte or throws).
    rest = dropPrefix(rest, rest.reduce((a, b) => a + b.length, 0) - left);
    const n = writev(fd, rest as Buffer[]);
    if (n <= 0) throw Object.assign(new Error(`writev wrote nothing with ${left} bytes left`), { code: 'EIO' });
    left -= n;
  }
}

/** `bufs` without their first `n` bytes (views, no copy). */
function dropPrefix(bufs: readonly Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) n -= b.length;
    else {
      out.push(n === 0 ? b : b.subarray(n));
      n = 0;
    }
  }
  return out;
}

/** fdatasync(fd). */
export function datasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

/** close(fd). */
export function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (e) => (e ? reject(e) : resolve())));
}

/** fsyncs a directory so a create, rename or unlink inside it is durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Cuts `p` to `size` bytes and fsyncs it; a missing file counts as empty. */
export function truncateFile(p: string, size: number): void {
  let fd: number;
  try {
    fd = openSync(p, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && size === 0) return;
    throw e;
  }
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The real file operations. */
export const nodeFileOps: JournalFileOps = Object.freeze({
  open: openAsync,
  writev: writevAllSync,
  datasync: datasyncAsync,
  close: closeAsync,
  truncate: truncateFile,
  fsyncDir,
});
